// Administering another account (F-06, F-14): re-invite, deactivate, activate,
// reset 2FA. Tenant scope is part of every lookup: a Partner Manager's query
// only ever matches users of their own organization.
import { and, count, eq, ne, sql } from "drizzle-orm";
import { organizations, partnerGrants, recoveryCodes, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { breaksLastManagerRule, can, canAdministerUser, isOperator, LAST_MANAGER_MESSAGE, type PortalPermission } from "../domain/roles";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { deactivatedMail } from "../../views/mail/templates";
import { auditInsert } from "./audit";
import { invitationStatements } from "./invitations";
import { endGrantsStatements } from "./partner-access-sweep";
import { securityNoticeInsert } from "./notifications";
import { deliverSoon, mailInsert } from "./outbox";
import { toPublicUser } from "./user-shape";

const NOT_FOUND = () => new AppError("NOT_FOUND", "User not found.");

/**
 * The target account with its organization's name, for an actor allowed to
 * administer it. Authorization comes first (403 for a role without the
 * permission, whoever the target is); the tenant scope is in the query, so
 * another organization's account is simply not found (404).
 */
export async function findAdministrable(deps: Deps, actor: Actor, userId: string, permission: PortalPermission = "managePortalUsers") {
  if (!can(actor, permission)) throw new AppError("FORBIDDEN", "Only a Partner Manager of this organization or an operator can do this.");
  const scope = isOperator(actor) ? eq(users.id, userId) : and(eq(users.id, userId), eq(users.orgId, actor.orgId));
  const [row] = await deps.db
    .select({ user: users, orgName: organizations.name })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(scope);
  if (!row) throw NOT_FOUND();
  if (!canAdministerUser(actor, row.user)) {
    throw new AppError("FORBIDDEN", "Only a Partner Manager of this organization or an operator can do this.");
  }
  return row;
}

/** Active Partner Managers of the organization other than `exceptUserId` (F-14). */
export const otherActiveManagersQuery = (deps: Deps, orgId: string, exceptUserId: string) =>
  deps.db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.role, "partner_manager"), eq(users.status, "active"), ne(users.id, exceptUserId)));

/**
 * F-14 at commit time: aborts the batch when, after its change, the
 * organization has no active Partner Manager left. The read before the batch
 * gives the clear message; this guard holds when two managers remove each
 * other at the same moment.
 */
export const lastManagerGuard = (deps: Deps, orgId: string) =>
  guardNot(
    deps.db,
    sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.orgId} = ${orgId} AND ${users.role} = 'partner_manager' AND ${users.status} = 'active')`,
  );

const audit = (deps: Deps, actor: Actor, target: typeof users.$inferSelect, action: string, before: unknown, after: unknown) =>
  auditInsert(deps, { actorId: actor.id, orgId: target.orgId, action, targetType: "user", targetId: target.id, before, after });

/** F-03: a new activation link; every older link of the account stops working. */
export async function reinviteUser(deps: Deps, actor: Actor, userId: string) {
  const { user, orgName } = await findAdministrable(deps, actor, userId);
  if (user.status !== "invited") throw new AppError("CONFLICT", "Only users who have not activated their account yet can be re-invited.");
  const invite = await invitationStatements(deps, user, orgName, actor);
  await deps.db.batch([...invite.statements, audit(deps, actor, user, "user.reinvited", null, { email: user.email })]);
  deliverSoon(deps, [invite.mailId]);
  return { user: toPublicUser(user), invitationId: invite.invitationId };
}

/**
 * F-14: a deactivated account cannot sign in; its sessions end on their next
 * request. A Partner Manager cannot deactivate the last active Partner Manager.
 */
export async function deactivateUser(deps: Deps, actor: Actor, userId: string) {
  const { user } = await findAdministrable(deps, actor, userId);
  if (user.id === actor.id) throw new AppError("CONFLICT", "You cannot deactivate your own account.");
  if (user.status === "deactivated") throw new AppError("CONFLICT", "This user is already deactivated.");
  const after = { role: user.role, status: "deactivated" as const };
  // Only a Partner Manager acting on an active manager can break the rule; count the others then.
  const ruleMayBind = breaksLastManagerRule(actor, user, after, 0);
  if (ruleMayBind) {
    const [others] = await otherActiveManagersQuery(deps, user.orgId, user.id);
    if (breaksLastManagerRule(actor, user, after, others?.n ?? 0)) throw new AppError("CONFLICT", LAST_MANAGER_MESSAGE);
  }
  const now = deps.now();
  const mailId = newId();
  try {
    const [[updated]] = await deps.db.batch([
      deps.db
        .update(users)
        .set({ status: "deactivated", analyticsAccess: "N", sessionsValidAfter: now, updatedAt: now })
        .where(and(eq(users.id, user.id), eq(users.status, user.status), eq(users.role, user.role)))
        .returning(),
      guardChanged(deps.db),
      ...(ruleMayBind ? [lastManagerGuard(deps, user.orgId)] : []),
      // F-64: partner access ends now, not at the next daily run (a reactivation must not bring it back).
      ...endGrantsStatements(deps, eq(partnerGrants.partnerUserId, user.id)),
      audit(deps, actor, user, "user.deactivated", { status: user.status, analyticsAccess: user.analyticsAccess }, { status: "deactivated", analyticsAccess: "N" }),
      mailInsert(deps, user.email, deactivatedMail({ appName: deps.config.appName, name: user.name }), mailId),
    ]);
    deliverSoon(deps, [mailId]);
    return { user: toPublicUser(updated!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Either the account changed meanwhile, or the last manager left meanwhile.
    const [now_] = await deps.db.select({ status: users.status, role: users.role }).from(users).where(eq(users.id, user.id));
    if (ruleMayBind && now_?.status === user.status && now_.role === user.role) throw new AppError("CONFLICT", LAST_MANAGER_MESSAGE);
    throw new AppError("CONFLICT", "This user was changed meanwhile. Reload and try again.");
  }
}

/** Reactivation returns the account to where it was: active, or still owing 2FA enrollment. */
export async function activateUser(deps: Deps, actor: Actor, userId: string) {
  const { user } = await findAdministrable(deps, actor, userId);
  if (user.status !== "deactivated") throw new AppError("CONFLICT", "Only deactivated users can be activated.");
  const status = !user.passwordHash ? "invited" : user.totpSecretEnc ? "active" : "pending_2fa";
  const now = deps.now();
  const [[after]] = await deps.db.batch([
    deps.db
      .update(users)
      // A reactivated account starts a fresh inactivity clock (F-70).
      .set({ status, lastActivityAt: now, inactivityRemindedAt: null, updatedAt: now })
      .where(and(eq(users.id, user.id), eq(users.status, "deactivated")))
      .returning(),
    audit(deps, actor, user, "user.activated_by_admin", { status: user.status }, { status }),
  ]);
  if (!after) throw new AppError("CONFLICT", "This user was changed meanwhile. Reload and try again.");
  return { user: toPublicUser(after) };
}

/** F-06: the user enrolls again at next sign-in; every session and the old recovery codes end. */
export async function resetTwoFactor(deps: Deps, actor: Actor, userId: string) {
  const { user } = await findAdministrable(deps, actor, userId);
  if (user.status !== "active" && user.status !== "pending_2fa") throw new AppError("CONFLICT", "Two-factor authentication can only be reset for active accounts.");
  const now = deps.now();
  const mailId = newId();
  const [[after]] = await deps.db.batch([
    deps.db
      .update(users)
      .set({ status: "pending_2fa", totpSecretEnc: null, totpLastStep: null, sessionsValidAfter: now, updatedAt: now })
      .where(eq(users.id, user.id))
      .returning(),
    deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    audit(deps, actor, user, "user.two_factor_reset", { status: user.status }, { status: "pending_2fa" }),
    securityNoticeInsert(deps, user, "two_factor_reset", undefined, mailId),
  ]);
  deliverSoon(deps, [mailId]);
  return { user: toPublicUser(after!) };
}
