// /api/v1/analytics: accepting an invitation (AA = I) comes first; everything
// registered after the guard needs AA = Y (F-25). Each area file adds its own
// paths to the one guarded app, so no guard leaks across areas.
import { Hono } from "hono";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { requireAnalyticsApi } from "../../../middleware/require-analytics";
import { accessApi, acceptApi } from "./access";
import { modulesApi } from "./modules";
import { workspaceApi } from "./workspace";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const analyticsApi = new Hono<Authed>();
analyticsApi.route("/", acceptApi);
analyticsApi.use(...requireAnalyticsApi);
analyticsApi.route("/", accessApi);
analyticsApi.route("/", workspaceApi);
analyticsApi.route("/", modulesApi);
