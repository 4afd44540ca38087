// Portal users of the caller's organization (api.md "Portal users"): list and
// CSV export, invite, bulk invite, role change, account administration, and
// "who is my Analytics Administrator". Each handler is one service call.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { csvResponse } from "../../lib/csv";
import { jsonBody, queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { BulkInviteInput, bulkInvite, previewBulkInvite } from "../../services/bulk-invite";
import { inactivityForecast } from "../../services/inactivity";
import { inviteToAnalytics, revokeAnalytics } from "../../services/analytics-access";
import { activateUser, deactivateUser, reinviteUser, resetTwoFactor } from "../../services/user-admin";
import { deleteUser } from "../../services/user-delete";
import { ChangeRoleInput, changeUserRole, exportUsersCsv, InviteUserInput, inviteUser, listManagers, ListUsersInput, listUsers } from "../../services/users";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const usersApi = new Hono<Authed>();
usersApi.use(requireApiSession);

usersApi.get("/", queryParams(ListUsersInput), async (c) => {
  const input = c.req.valid("query");
  if (input.format === "csv") return csvResponse(await exportUsersCsv(c.var.deps, c.var.actor, input), "users.csv");
  return c.json(await listUsers(c.var.deps, c.var.actor, input));
});
/** F-94: who in the caller's organization will be reminded or deactivated in the next 30 days. */
usersApi.get("/inactivity", async (c) => c.json(await inactivityForecast(c.var.deps, c.var.actor)));
usersApi.get("/managers", async (c) => c.json(await listManagers(c.var.deps, c.var.actor)));
usersApi.post("/", jsonBody(InviteUserInput), async (c) => c.json(await inviteUser(c.var.deps, c.var.actor, c.req.valid("json")), 201));
usersApi.post("/bulk-invite/preview", jsonBody(BulkInviteInput), async (c) => c.json(await previewBulkInvite(c.var.deps, c.var.actor, c.req.valid("json"))));
usersApi.post("/bulk-invite", jsonBody(BulkInviteInput), async (c) => c.json(await bulkInvite(c.var.deps, c.var.actor, c.req.valid("json"))));
usersApi.patch("/:id", jsonBody(ChangeRoleInput), async (c) => {
  const { user, removed } = await changeUserRole(c.var.deps, c.var.actor, c.req.param("id"), c.req.valid("json"));
  return c.json({ user, removed });
});

const ACTIONS = { reinvite: reinviteUser, deactivate: deactivateUser, activate: activateUser, "reset-2fa": resetTwoFactor } as const;
for (const [path, action] of Object.entries(ACTIONS)) {
  usersApi.post(`/:id/${path}`, async (c) => {
    const { user } = await action(c.var.deps, c.var.actor, c.req.param("id"));
    return c.json({ user });
  });
}

/** F-46: the account and everything only theirs; the audit entries stay. */
usersApi.delete("/:id", async (c) => {
  await deleteUser(c.var.deps, c.var.actor, c.req.param("id"));
  return c.body(null, 204);
});

/** F-23/F-24: an Analytics Administrator invites to or revokes Analytics Access. */
const ANALYTICS_ACTIONS = { invite: inviteToAnalytics, revoke: revokeAnalytics } as const;
for (const [path, action] of Object.entries(ANALYTICS_ACTIONS)) {
  usersApi.post(`/:id/analytics/${path}`, async (c) => {
    const { user } = await action(c.var.deps, c.var.actor, c.req.param("id"));
    return c.json({ user });
  });
}
