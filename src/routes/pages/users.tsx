// Users, invitations and requests pages (F-11…F-17, F-92).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { requirePageSession } from "../../middleware/require-auth";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const userPages = new Hono<Authed>();
userPages.use(requirePageSession);

export const invitationPages = new Hono<Authed>();
invitationPages.use(requirePageSession);

export const requestPages = new Hono<Authed>();
requestPages.use(requirePageSession);
