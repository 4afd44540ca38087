// Companies pages (F-30…F-33).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { requirePageSession } from "../../middleware/require-auth";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const companyPages = new Hono<Authed>();
companyPages.use(requirePageSession);
