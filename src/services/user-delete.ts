// F-46: removing an account. One batch deletes the account and everything
// that belongs to it alone, writes the audit entry and queues the mail to its
// address. Audit entries stay (their actor reads "deleted user"); sessions die
// on their next request because loadSession no longer finds the account.
import { and, eq, ne, sql } from "drizzle-orm";
import {
  analyticsMetaSitePermissions,
  analyticsModulePermissions,
  analyticsSitePermissions,
  apiTokens,
  invitations,
  knownDevices,
  organizations,
  partnerGrants,
  passwordResets,
  recoveryCodes,
  roleRequests,
  users,
} from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { lastManagerRuleMayBind } from "../domain/roles";
import { batchOrExplain, guardChanged } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { jsonObject } from "../lib/sql-json";
import { accountDeletedMail } from "../../views/mail/user-delete";
import { auditInsertSelect } from "./audit";
import { endGrantsStatements } from "./partner-access-sweep";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";
import { administrableWhere, assertLastManagerRule, assertMayAdminister, CHANGED_MEANWHILE, findAdministrable, lastManagerGuard } from "./user-admin";

/**
 * A Partner Manager of the same organization or an operator removes an
 * account — never their own, and never the organization's last active
 * Partner Manager (F-14 applies as for deactivation). One batch: the audit
 * entry and the mail read the account ahead of its DELETE, whose WHERE holds
 * the scope; a refused batch is explained by the checks on the current row.
 */
export async function deleteUser(deps: Deps, actor: Actor, userId: string) {
  assertMayAdminister(actor);
  const target = and(administrableWhere(actor, userId), ne(users.id, actor.id))!;
  // Deleted is "not an active manager": the same rule as deactivation.
  const after = { role: "partner_manager", status: "deleted" } as const;
  const mailId = newId();
  const goodbye = accountDeletedMail({ appName: deps.config.appName, name: slot("name"), orgName: slot("org") });
  const removal = deps.db.delete(users).where(target).returning();
  const statements = [
    ...(lastManagerRuleMayBind(actor, after) ? [lastManagerGuard(deps, actor.orgId, userId)] : []),
    auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: sql`${users.orgId}`,
        action: "user.deleted",
        targetType: "user",
        targetId: sql`${users.id}`,
        before: jsonObject({ email: users.email, name: users.name, role: users.role }),
      },
      sql`FROM ${users} WHERE ${target}`,
    ),
    outboxInsertSelect(
      deps,
      { id: mailId, to: sql`${users.email}`, ...filledMail(goodbye, [["org", sql`${organizations.name}`], ["name", sql`${users.name}`]]) },
      sql`FROM ${users} JOIN ${organizations} ON ${organizations.id} = ${users.orgId} WHERE ${target}`,
    ),
    removal,
    guardChanged(deps.db),
    deps.db.delete(invitations).where(eq(invitations.userId, userId)),
    deps.db.delete(passwordResets).where(eq(passwordResets.userId, userId)),
    deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    deps.db.delete(knownDevices).where(eq(knownDevices.userId, userId)),
    deps.db.delete(analyticsSitePermissions).where(eq(analyticsSitePermissions.userId, userId)),
    deps.db.delete(analyticsMetaSitePermissions).where(eq(analyticsMetaSitePermissions.userId, userId)),
    deps.db.delete(analyticsModulePermissions).where(eq(analyticsModulePermissions.userId, userId)),
    deps.db.delete(apiTokens).where(eq(apiTokens.userId, userId)),
    // F-64: their partner access ends with the account; the customers' Partner Managers are told.
    ...endGrantsStatements(deps, eq(partnerGrants.partnerUserId, userId)),
    // Decided requests stay as the organization's record; an open one about nobody would only confuse operators.
    deps.db.delete(roleRequests).where(and(eq(roleRequests.userId, userId), eq(roleRequests.status, "pending"))),
  ];
  const results = await batchOrExplain(deps.db, statements, async () => {
    const { user } = await findAdministrable(deps, actor, userId);
    if (user.id === actor.id) throw new AppError("CONFLICT", "You cannot delete your own account.");
    await assertLastManagerRule(deps, actor, user, { role: user.role, status: "deleted" });
    throw CHANGED_MEANWHILE();
  });
  deliverSoon(deps, [mailId]);
  const [user] = results[statements.indexOf(removal)] as (typeof users.$inferSelect)[];
  return { user: { id: user!.id, email: user!.email, name: user!.name, orgId: user!.orgId } };
}
