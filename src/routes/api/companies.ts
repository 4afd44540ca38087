// Companies (F-30…F-33): the JSON twins of the companies pages.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { requireApiSession } from "../../middleware/require-auth";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const companiesApi = new Hono<Authed>();
companiesApi.use(requireApiSession);

export const plansApi = new Hono<Authed>();
plansApi.use(requireApiSession);
