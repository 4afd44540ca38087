// /analytics pages: the invitation page is reachable with AA = I; the rest
// need AA = Y (F-25). Area files add their own paths to the one guarded app.
import { Hono } from "hono";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { requireAnalyticsPage } from "../../../middleware/require-analytics";
import { requirePageSession } from "../../../middleware/require-auth";
import { accessPages, acceptPages } from "./access";
import { modulePages } from "./modules";
import { reportPages } from "./reports";
import { workspacePages } from "./workspace";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const analyticsPages = new Hono<Authed>();
analyticsPages.use("/accept", requirePageSession);
analyticsPages.route("/", acceptPages);
analyticsPages.use(...requireAnalyticsPage);
analyticsPages.route("/", accessPages);
analyticsPages.route("/", workspacePages);
analyticsPages.route("/", reportPages);
analyticsPages.route("/", modulePages);
