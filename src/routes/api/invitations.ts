// Invitations of the caller's organization (F-92): list, resend, revoke.
// POST /api/v1/invitations/accept stays with sign-in (routes/api/auth.ts) and
// needs no session, so the guard here is per route, not for the whole prefix.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { ListInvitationsInput, listInvitations, resendInvitation, revokeInvitation } from "../../services/invitation-admin";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const invitationsApi = new Hono<Authed>();

invitationsApi.get("/", requireApiSession, queryParams(ListInvitationsInput), async (c) => c.json(await listInvitations(c.var.deps, c.var.actor, c.req.valid("query"))));
invitationsApi.post("/:id/resend", requireApiSession, async (c) => c.json(await resendInvitation(c.var.deps, c.var.actor, c.req.param("id"))));
invitationsApi.post("/:id/revoke", requireApiSession, async (c) => c.json(await revokeInvitation(c.var.deps, c.var.actor, c.req.param("id"))));
