// F-46: removing an account. One batch deletes the account and everything
// that belongs to it alone, writes the audit entry and queues the mail to its
// address. Audit entries stay (their actor reads "deleted user"); sessions die
// on their next request because loadSession no longer finds the account.
import { and, eq } from "drizzle-orm";
import {
  analyticsMetaSitePermissions,
  analyticsModulePermissions,
  analyticsSitePermissions,
  apiTokens,
  invitations,
  knownDevices,
  partnerGrants,
  passwordResets,
  recoveryCodes,
  roleRequests,
  users,
} from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { breaksLastManagerRule, LAST_MANAGER_MESSAGE } from "../domain/roles";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { accountDeletedMail } from "../../views/mail/user-delete";
import { auditInsert } from "./audit";
import { endGrantsStatements } from "./partner-access-sweep";
import { deliverSoon, mailInsert } from "./outbox";
import { findAdministrable, lastManagerGuard, otherActiveManagersQuery } from "./user-admin";

/**
 * A Partner Manager of the same organization or an operator removes an
 * account — never their own, and never the organization's last active
 * Partner Manager (F-14 applies as for deactivation).
 */
export async function deleteUser(deps: Deps, actor: Actor, userId: string) {
  const { user, orgName } = await findAdministrable(deps, actor, userId);
  if (user.id === actor.id) throw new AppError("CONFLICT", "You cannot delete your own account.");
  // Deleted is "not an active manager": the same rule as deactivation.
  const after = { role: user.role, status: "deleted" };
  const ruleMayBind = breaksLastManagerRule(actor, user, after, 0);
  if (ruleMayBind) {
    const [others] = await otherActiveManagersQuery(deps, user.orgId, user.id);
    if (breaksLastManagerRule(actor, user, after, others?.n ?? 0)) throw new AppError("CONFLICT", LAST_MANAGER_MESSAGE);
  }
  const mailId = newId();
  try {
    await deps.db.batch([
      // Compare-and-swap on what the checks above saw.
      deps.db.delete(users).where(and(eq(users.id, user.id), eq(users.status, user.status), eq(users.role, user.role))),
      guardChanged(deps.db),
      ...(ruleMayBind ? [lastManagerGuard(deps, user.orgId)] : []),
      deps.db.delete(invitations).where(eq(invitations.userId, user.id)),
      deps.db.delete(passwordResets).where(eq(passwordResets.userId, user.id)),
      deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
      deps.db.delete(knownDevices).where(eq(knownDevices.userId, user.id)),
      deps.db.delete(analyticsSitePermissions).where(eq(analyticsSitePermissions.userId, user.id)),
      deps.db.delete(analyticsMetaSitePermissions).where(eq(analyticsMetaSitePermissions.userId, user.id)),
      deps.db.delete(analyticsModulePermissions).where(eq(analyticsModulePermissions.userId, user.id)),
      deps.db.delete(apiTokens).where(eq(apiTokens.userId, user.id)),
      // F-64: their partner access ends with the account; the customers' Partner Managers are told.
      ...endGrantsStatements(deps, eq(partnerGrants.partnerUserId, user.id)),
      // Decided requests stay as the organization's record; an open one about nobody would only confuse operators.
      deps.db.delete(roleRequests).where(and(eq(roleRequests.userId, user.id), eq(roleRequests.status, "pending"))),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: user.orgId,
        action: "user.deleted",
        targetType: "user",
        targetId: user.id,
        before: { email: user.email, name: user.name, role: user.role },
      }),
      mailInsert(deps, user.email, accountDeletedMail({ appName: deps.config.appName, name: user.name, orgName }), mailId),
    ]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const [current] = await deps.db.select({ status: users.status, role: users.role }).from(users).where(eq(users.id, user.id));
    if (!current) throw new AppError("NOT_FOUND", "User not found.");
    if (ruleMayBind && current.status === user.status && current.role === user.role) throw new AppError("CONFLICT", LAST_MANAGER_MESSAGE);
    throw new AppError("CONFLICT", "This user was changed meanwhile. Reload and try again.");
  }
  deliverSoon(deps, [mailId]);
  return { user: { id: user.id, email: user.email, name: user.name, orgId: user.orgId } };
}
