// Secondary-role requests (F-16): Partner Managers ask, operators decide.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { requireApiSession } from "../../middleware/require-auth";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const requestsApi = new Hono<Authed>();
requestsApi.use(requireApiSession);
