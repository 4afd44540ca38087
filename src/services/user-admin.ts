// Administering another account (F-06, F-14): re-invite, deactivate, activate,
// reset 2FA. Tenant scope is part of every lookup: a Partner Manager's query
// only ever matches users of their own organization.
//
// Each change is one D1 batch that validates as it writes (issue 9): the
// target's scope and expected state are in the WHERE of its UPDATE, followed
// by guardChanged(); the audit entry and the mail read the row by INSERT …
// SELECT ahead of the change. When a guard aborts, the read the checks used
// to make before the batch explains the refusal with the same error.
import { and, count, eq, inArray, ne, sql, type SQL } from "drizzle-orm";
import { organizations, partnerGrants, recoveryCodes, users } from "../db/schema";
import type { Deps } from "../deps";
import { ACTIVATABLE_STATUSES, isIn, REINVITABLE_STATUSES, TWO_FACTOR_RESETTABLE_STATUSES } from "../domain/account-state";
import type { Actor } from "../domain/actor";
import {
  ACTIVE_MANAGER,
  breaksLastManagerRule,
  can,
  canAdministerUser,
  isOperator,
  LAST_MANAGER_MESSAGE,
  lastManagerRuleMayBind,
  MANAGER_ADMINISTRABLE_ROLES,
  type PortalPermission,
  type Role,
} from "../domain/roles";
import { batchOrExplain, guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { jsonObject } from "../lib/sql-json";
import { deactivatedMail } from "../../views/mail/templates";
import type { AuditAction } from "../domain/audit-actions";
import { auditInsertSelect } from "./audit";
import { invitationStatementsFor } from "./invitations";
import { endGrantsStatements } from "./partner-access-sweep";
import { securityNoticeInsertWhere } from "./notifications";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";
import { publicUserColumns, toPublicUser } from "./user-shape";

const NOT_FOUND = () => new AppError("NOT_FOUND", "User not found.");
const NOT_ALLOWED = () => new AppError("FORBIDDEN", "Only a Partner Manager of this organization or an operator can do this.");
export const CHANGED_MEANWHILE = () => new AppError("CONFLICT", "This user was changed meanwhile. Reload and try again.");

/** The permission check findAdministrable starts with, without I/O: 403 for a role without it, whoever the target is. */
export function assertMayAdminister(actor: Actor, permission: PortalPermission = "managePortalUsers") {
  if (!can(actor, permission)) throw NOT_ALLOWED();
}

/**
 * canAdministerUser as SQL over users: every account for an operator; for a
 * Partner Manager, the portal accounts of their own organization.
 */
export function administrableScope(actor: Actor): SQL {
  if (!can(actor, "managePortalUsers")) return sql`0`;
  if (isOperator(actor)) return sql`1`;
  return and(eq(users.orgId, actor.orgId), inArray(users.role, [...MANAGER_ADMINISTRABLE_ROLES]))!;
}

/** The target account (`userId`: a value or a subquery), if the actor may administer it. */
export const administrableWhere = (actor: Actor, userId: string | SQL) => and(eq(users.id, userId), administrableScope(actor))!;

/**
 * The target account with its organization's name, for an actor allowed to
 * administer it. Authorization comes first (403 for a role without the
 * permission, whoever the target is); the tenant scope is in the query, so
 * another organization's account is simply not found (404). The changes
 * below use it only to explain a refused batch.
 */
export async function findAdministrable(deps: Deps, actor: Actor, userId: string, permission: PortalPermission = "managePortalUsers") {
  assertMayAdminister(actor, permission);
  const scope = isOperator(actor) ? eq(users.id, userId) : and(eq(users.id, userId), eq(users.orgId, actor.orgId));
  const [row] = await deps.db
    .select({ user: publicUserColumns, orgName: organizations.name })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(scope);
  if (!row) throw NOT_FOUND();
  if (!canAdministerUser(actor, row.user)) throw NOT_ALLOWED();
  return row;
}

const activeManager = sql`${users.role} = ${ACTIVE_MANAGER.role} AND ${users.status} = ${ACTIVE_MANAGER.status}`;

/** Active Partner Managers of the organization other than `exceptUserId` (F-14). */
export const otherActiveManagersQuery = (deps: Deps, orgId: string, exceptUserId: string) =>
  deps.db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.orgId, orgId), activeManager, ne(users.id, exceptUserId)));

/**
 * F-14 inside the batch, ahead of the change: aborts it when the target is an
 * active Partner Manager of `orgId` and the organization has no other. The
 * batch is atomic, so two managers removing each other cannot both pass.
 * Add it when lastManagerRuleMayBind() says the change could break the rule.
 */
export const lastManagerGuard = (deps: Pick<Deps, "db">, orgId: string, userId: string) =>
  guardNot(
    deps.db,
    sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${userId} AND ${users.orgId} = ${orgId} AND ${activeManager})
      AND NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.orgId} = ${orgId} AND ${users.id} <> ${userId} AND ${activeManager})`,
  );

/** The F-14 refusal for a change of `user` to `after`, counting the other managers only when it can bind. */
export async function assertLastManagerRule(deps: Deps, actor: Actor, user: { id: string; orgId: string; role: Role; status: string }, after: { role: Role; status: string }) {
  if (!breaksLastManagerRule(actor, user, after, 0)) return;
  const [others] = await otherActiveManagersQuery(deps, user.orgId, user.id);
  if (breaksLastManagerRule(actor, user, after, others?.n ?? 0)) throw new AppError("CONFLICT", LAST_MANAGER_MESSAGE);
}

/** The audit entry of an action on the account `where` finds, its before/after as SQL over that row. */
const auditOnUser = (deps: Deps, actor: Actor, action: AuditAction, where: SQL, before: SQL | null, after: SQL | object) =>
  auditInsertSelect(
    deps,
    { actorId: actor.id, orgId: sql`${users.orgId}`, action, targetType: "user", targetId: sql`${users.id}`, before: before ?? sql`'null'`, after },
    sql`FROM ${users} WHERE ${where}`,
  );

/**
 * F-03 as statements: a new activation link for the account `userId` (a
 * value or a subquery), its mail and audit entry, and the account as the
 * answer (the last statement). The batch aborts at once unless the actor may
 * administer the account and it has not activated yet.
 */
export async function reinviteStatements(deps: Deps, actor: Actor, userId: string | SQL) {
  const target = and(administrableWhere(actor, userId), inArray(users.status, REINVITABLE_STATUSES))!;
  const invite = await invitationStatementsFor(deps, userId, actor);
  return {
    ...invite,
    statements: [
      guardNot(deps.db, sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${target})`),
      ...invite.statements,
      // Written as JSON.stringify(null) ("null"), as the entry always was.
      auditOnUser(deps, actor, "user.reinvited", eq(users.id, userId), null, jsonObject({ email: users.email })),
      deps.db.select(publicUserColumns).from(users).where(eq(users.id, userId)),
    ] as const,
  };
}

/** Why a re-invite of `userId` was refused: the checks on the current row, else it changed meanwhile. */
export async function explainReinvite(deps: Deps, actor: Actor, userId: string): Promise<never> {
  const { user } = await findAdministrable(deps, actor, userId);
  if (!isIn(REINVITABLE_STATUSES, user.status)) throw new AppError("CONFLICT", "Only users who have not activated their account yet can be re-invited.");
  throw CHANGED_MEANWHILE();
}

/** F-03: a new activation link; every older link of the account stops working. */
export async function reinviteUser(deps: Deps, actor: Actor, userId: string) {
  assertMayAdminister(actor);
  const invite = await reinviteStatements(deps, actor, userId);
  let results;
  try {
    results = await deps.db.batch(invite.statements);
  } catch (e) {
    if (isGuardAbort(e)) await explainReinvite(deps, actor, userId);
    throw e;
  }
  deliverSoon(deps, [invite.mailId]);
  const [user] = results[results.length - 1] as (typeof users.$inferSelect)[];
  return { user: toPublicUser(user!), invitationId: invite.invitationId };
}

/**
 * F-14: a deactivated account cannot sign in; its sessions end on their next
 * request. A Partner Manager cannot deactivate the last active Partner Manager.
 */
export async function deactivateUser(deps: Deps, actor: Actor, userId: string) {
  assertMayAdminister(actor);
  const mailId = newId();
  const { statements, update } = deactivationStatements(deps, actor, userId, mailId, "refuse");
  const results = await batchOrExplain(deps.db, statements, async () => {
    // Not administrable, not deactivatable, the last manager — or the account changed meanwhile.
    const { user } = await findAdministrable(deps, actor, userId);
    if (user.id === actor.id) throw new AppError("CONFLICT", "You cannot deactivate your own account.");
    if (user.status === "deactivated") throw new AppError("CONFLICT", "This user is already deactivated.");
    await assertLastManagerRule(deps, actor, user, { role: user.role, status: "deactivated" });
    throw CHANGED_MEANWHILE();
  });
  deliverSoon(deps, [mailId]);
  const [updated] = results[statements.indexOf(update)] as (typeof users.$inferSelect)[];
  return { user: toPublicUser(updated!) };
}

/**
 * Reactivation returns the account to where it was: active, or still owing
 * 2FA enrollment (invited when it never set a password).
 */
const statusAfterActivation = sql`CASE WHEN ${users.passwordHash} IS NULL OR ${users.passwordHash} = '' THEN 'invited'
  WHEN ${users.totpSecretEnc} IS NOT NULL AND ${users.totpSecretEnc} <> '' THEN 'active' ELSE 'pending_2fa' END`;

export async function activateUser(deps: Deps, actor: Actor, userId: string) {
  assertMayAdminister(actor);
  const target = and(administrableWhere(actor, userId), inArray(users.status, ACTIVATABLE_STATUSES))!;
  const now = deps.now();
  try {
    const [, [after]] = await deps.db.batch([
      auditOnUser(deps, actor, "user.activated_by_admin", target, jsonObject({ status: users.status }), jsonObject({ status: statusAfterActivation })),
      deps.db
        .update(users)
        // A reactivated account starts a fresh inactivity clock (F-70).
        .set({ status: sql`${statusAfterActivation}`, lastActivityAt: now, inactivityRemindedAt: null, updatedAt: now })
        .where(target)
        .returning(),
      guardChanged(deps.db),
    ]);
    return { user: toPublicUser(after!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const { user } = await findAdministrable(deps, actor, userId);
    if (!isIn(ACTIVATABLE_STATUSES, user.status)) throw new AppError("CONFLICT", "Only deactivated users can be activated.");
    throw CHANGED_MEANWHILE();
  }
}

/** F-06: the user enrolls again at next sign-in; every session and the old recovery codes end. */
export async function resetTwoFactor(deps: Deps, actor: Actor, userId: string) {
  assertMayAdminister(actor);
  const target = and(administrableWhere(actor, userId), inArray(users.status, TWO_FACTOR_RESETTABLE_STATUSES))!;
  const now = deps.now();
  const mailId = newId();
  let after;
  try {
    [, , [after]] = await deps.db.batch([
      auditOnUser(deps, actor, "user.two_factor_reset", target, jsonObject({ status: users.status }), { status: "pending_2fa" }),
      securityNoticeInsertWhere(deps, target, "two_factor_reset", undefined, mailId),
      deps.db
        .update(users)
        .set({ status: "pending_2fa", totpSecretEnc: null, totpLastStep: null, sessionsValidAfter: now, updatedAt: now })
        .where(target)
        .returning(),
      guardChanged(deps.db),
      deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    ]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const { user } = await findAdministrable(deps, actor, userId);
    if (!isIn(TWO_FACTOR_RESETTABLE_STATUSES, user.status)) throw new AppError("CONFLICT", "Two-factor authentication can only be reset for active accounts.");
    throw CHANGED_MEANWHILE();
  }
  deliverSoon(deps, [mailId]);
  return { user: toPublicUser(after!) };
}

/**
 * F-14 deactivation as statements for a caller's batch (the access review's
 * "deactivate" decision, F-93, records its decision in the same batch): the
 * writes deactivateUser makes — F-14 guard, audit entry and mail read from
 * the row ahead of the change, the update, partner access ended (F-64) — with
 * no read first. The batch aborts unless the actor may administer the account
 * and it is not their own. `alreadyDeactivated`: "refuse" aborts the batch
 * for an account deactivated already (deactivateUser's rule); "keep" leaves
 * such an account as it is (nothing written, no mail). `update` is the
 * statement whose result holds the changed row.
 */
export function deactivationStatements(deps: Deps, actor: Actor, userId: string, mailId: string, alreadyDeactivated: "refuse" | "keep") {
  const administrable = and(administrableWhere(actor, userId), ne(users.id, actor.id))!;
  const target = and(administrable, ne(users.status, "deactivated"))!;
  const now = deps.now();
  const goodbye = deactivatedMail({ appName: deps.config.appName, name: slot("name") });
  const update = deps.db
    .update(users)
    .set({ status: "deactivated", analyticsAccess: "N", sessionsValidAfter: now, updatedAt: now })
    .where(target)
    .returning();
  const statements = [
    ...(alreadyDeactivated === "keep" ? [guardNot(deps.db, sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${administrable})`)] : []),
    // Only a Partner Manager acting on an active manager can break the rule.
    ...(lastManagerRuleMayBind(actor, { role: ACTIVE_MANAGER.role, status: "deactivated" }) ? [lastManagerGuard(deps, actor.orgId, userId)] : []),
    auditOnUser(deps, actor, "user.deactivated", target, jsonObject({ status: users.status, analyticsAccess: users.analyticsAccess }), { status: "deactivated", analyticsAccess: "N" }),
    outboxInsertSelect(deps, { id: mailId, to: sql`${users.email}`, ...filledMail(goodbye, [["name", sql`${users.name}`]]) }, sql`FROM ${users} WHERE ${target}`),
    update,
    ...(alreadyDeactivated === "refuse" ? [guardChanged(deps.db)] : []),
    // F-64: partner access ends now, not at the next daily run (a reactivation must not bring it back).
    ...endGrantsStatements(deps, eq(partnerGrants.partnerUserId, userId)),
  ];
  return { statements, update };
}
