// Analytics Access (F-21…F-25) and the workspace owner (F-41): an Analytics
// Administrator invites and revokes users of the organization, the invited
// user accepts while signed in, and owners make other users owner. Every
// change is a compare-and-swap on the user row, committed with its audit entry
// and mail in one batch.
import { and, count, eq, ne, sql } from "drizzle-orm";
import * as z from "zod";
import { organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { analyticsAccessTransition, canAdministerAnalyticsAccess } from "../domain/analytics";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { analyticsInvitationMail, analyticsOwnerMail, analyticsRevokedMail } from "../../views/mail/analytics-access";
import { requireOwner } from "./analytics-context";
import { auditInsert } from "./audit";
import { deliverSoon, mailInsert } from "./outbox";
import { toPublicUser } from "./user-shape";
import { listManagers } from "./users";

type UserRow = typeof users.$inferSelect;

const NOT_FOUND = () => new AppError("NOT_FOUND", "User not found.");
const CHANGED_MEANWHILE = () => new AppError("CONFLICT", "This user was changed meanwhile. Reload and try again.");

/** An active owner: the only kind that keeps the workspace administrable (F-41). */
const activeOwnerOf = (orgId: string) =>
  and(eq(users.orgId, orgId), eq(users.status, "active"), eq(users.analyticsAccess, "Y"), eq(users.analyticsOwner, true));

/** Aborts the batch when, after its change, the organization has no active owner left. */
const lastOwnerGuard = (deps: Deps, orgId: string) =>
  guardNot(
    deps.db,
    sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.orgId} = ${orgId} AND ${users.status} = 'active' AND ${users.analyticsAccess} = 'Y' AND ${users.analyticsOwner} = 1)`,
  );

/** Aborts the batch unless `userId` is (still) an active owner: an owner removed meanwhile acts no more. */
const stillOwnerGuard = (deps: Deps, userId: string) =>
  guardNot(
    deps.db,
    sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${userId} AND ${users.status} = 'active' AND ${users.analyticsAccess} = 'Y' AND ${users.analyticsOwner} = 1)`,
  );

const audit = (deps: Deps, actor: Actor, target: UserRow, action: string, before: unknown, after: unknown) =>
  auditInsert(deps, { actorId: actor.id, orgId: target.orgId, action, targetType: "user", targetId: target.id, before, after });

/**
 * The target of an AAA action: authorization first (403 whoever the target
 * is), then the user looked up inside the actor's organization, so another
 * organization's id is simply not found (404).
 */
async function findForAnalyticsAdmin(deps: Deps, actor: Actor, userId: string) {
  if (!canAdministerAnalyticsAccess(actor, actor.orgId, actor.orgId)) {
    throw new AppError("FORBIDDEN", "Only an Analytics Administrator of this organization can invite users to Analytics or revoke their access.");
  }
  const [row] = await deps.db
    .select({ user: users, orgName: organizations.name })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)));
  if (!row || !canAdministerAnalyticsAccess(actor, actor.orgId, row.user.orgId)) throw NOT_FOUND();
  return row;
}

/**
 * F-23: AA becomes I and the user gets a mail explaining how to activate.
 * Inviting someone already invited sends a fresh mail; an AAA may invite
 * themselves (AAA alone gives no access, F-22).
 */
export async function inviteToAnalytics(deps: Deps, actor: Actor, userId: string) {
  const { user, orgName } = await findForAnalyticsAdmin(deps, actor, userId);
  if (user.status !== "active") {
    throw new AppError("CONFLICT", "Only active accounts can be invited to Analytics: this user has not finished activating, or is deactivated.");
  }
  const next = analyticsAccessTransition("invite", user.analyticsAccess);
  if (!next) throw new AppError("CONFLICT", "This user already has analytics access.");
  const resent = user.analyticsAccess === "I";
  const mailId = newId();
  const mail = analyticsInvitationMail({ appName: deps.config.appName, name: user.name, inviter: actor.name, orgName, origin: deps.config.origin, resent });
  try {
    const [[updated]] = await deps.db.batch([
      deps.db
        .update(users)
        .set({ analyticsAccess: next, updatedAt: deps.now() })
        .where(and(eq(users.id, user.id), eq(users.status, "active"), eq(users.analyticsAccess, user.analyticsAccess)))
        .returning(),
      guardChanged(deps.db),
      audit(deps, actor, user, resent ? "analytics.invitation_resent" : "analytics.invited", { analyticsAccess: user.analyticsAccess }, { analyticsAccess: next }),
      mailInsert(deps, user.email, mail, mailId),
    ]);
    deliverSoon(deps, [mailId]);
    return { user: toPublicUser(updated!), resent };
  } catch (e) {
    if (isGuardAbort(e)) throw CHANGED_MEANWHILE();
    throw e;
  }
}

/**
 * F-24: AA becomes N; the portal account stays as it is. The owner role goes
 * with the access, so a later invitation does not silently restore it.
 * Site and module permissions stay: they grant nothing without access.
 */
export async function revokeAnalytics(deps: Deps, actor: Actor, userId: string) {
  const { user } = await findForAnalyticsAdmin(deps, actor, userId);
  const next = analyticsAccessTransition("revoke", user.analyticsAccess);
  if (!next) throw new AppError("CONFLICT", "This user has no analytics access to revoke.");
  const mailId = newId();
  try {
    const [[updated]] = await deps.db.batch([
      deps.db
        .update(users)
        .set({ analyticsAccess: next, analyticsOwner: false, updatedAt: deps.now() })
        .where(and(eq(users.id, user.id), eq(users.analyticsAccess, user.analyticsAccess)))
        .returning(),
      guardChanged(deps.db),
      audit(
        deps,
        actor,
        user,
        "analytics.access_revoked",
        { analyticsAccess: user.analyticsAccess, analyticsOwner: user.analyticsOwner },
        { analyticsAccess: next, analyticsOwner: false },
      ),
      mailInsert(deps, user.email, analyticsRevokedMail({ appName: deps.config.appName, name: user.name, by: actor.name }), mailId),
    ]);
    deliverSoon(deps, [mailId]);
    return { user: toPublicUser(updated!) };
  } catch (e) {
    if (isGuardAbort(e)) throw CHANGED_MEANWHILE();
    throw e;
  }
}

/**
 * F-23: the invited user (signed in, so 2FA is done) accepts: AA I → Y. The
 * first user to accept in a workspace without an active owner becomes its
 * owner (F-41), so every workspace can be administered from inside.
 */
export async function acceptAnalyticsInvitation(deps: Deps, actor: Actor) {
  if (!analyticsAccessTransition("accept", actor.analyticsAccess)) {
    throw new AppError(
      "CONFLICT",
      actor.analyticsAccess === "Y" ? "You already have analytics access." : "You have no analytics invitation. Ask your Analytics Administrator to invite you.",
    );
  }
  // Two first acceptances at once: the owner guard lets only one bootstrap; the other retries as a plain accept.
  for (let attempt = 0; ; attempt++) {
    const [me] = await deps.db.select().from(users).where(eq(users.id, actor.id));
    if (!me || me.status !== "active" || me.analyticsAccess !== "I") throw new AppError("CONFLICT", "Your invitation is no longer open. Reload the page.");
    const [owners] = await deps.db.select({ n: count() }).from(users).where(and(activeOwnerOf(me.orgId), ne(users.id, me.id)));
    const bootstrap = !me.analyticsOwner && (owners?.n ?? 0) === 0 && attempt === 0;
    const owner = me.analyticsOwner || bootstrap;
    try {
      const [[updated]] = await deps.db.batch([
        deps.db
          .update(users)
          .set({ analyticsAccess: "Y", analyticsOwner: owner, updatedAt: deps.now() })
          .where(and(eq(users.id, me.id), eq(users.status, "active"), eq(users.analyticsAccess, "I"), eq(users.analyticsOwner, me.analyticsOwner)))
          .returning(),
        guardChanged(deps.db),
        // A bootstrap holds only while nobody else became an active owner meanwhile.
        ...(bootstrap
          ? [guardNot(deps.db, sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.orgId} = ${me.orgId} AND ${users.id} <> ${me.id} AND ${users.status} = 'active' AND ${users.analyticsAccess} = 'Y' AND ${users.analyticsOwner} = 1)`)]
          : []),
        auditInsert(deps, {
          actorId: me.id,
          orgId: me.orgId,
          action: "analytics.accepted",
          targetType: "user",
          targetId: me.id,
          before: { analyticsAccess: "I", analyticsOwner: me.analyticsOwner },
          after: { analyticsAccess: "Y", analyticsOwner: owner, ...(bootstrap ? { ownerBootstrap: true } : {}) },
        }),
      ]);
      const message = bootstrap
        ? "Analytics access activated. Nobody owned your organization's analytics workspace yet, so you are now its owner: you can add sites and give other users permissions."
        : "Analytics access activated.";
      return { user: toPublicUser(updated!), becameOwner: bootstrap, message };
    } catch (e) {
      if (!isGuardAbort(e) || attempt > 0) throw isGuardAbort(e) ? CHANGED_MEANWHILE() : e;
    }
  }
}

export const SetOwnerInput = z.strictObject({ owner: z.boolean({ error: "Send owner: true or false." }) });

export const LAST_OWNER_MESSAGE = "This is the last active owner of the analytics workspace. Make another user owner first.";

/**
 * F-41: an owner makes another user owner or removes that. The target is an
 * active account of the same organization with analytics access (invited or
 * granted). The workspace never loses its last active owner, also when two
 * owners remove each other at the same moment (commit-time guards).
 */
export async function setAnalyticsOwner(deps: Deps, actor: Actor, userId: string, input: z.infer<typeof SetOwnerInput>) {
  requireOwner(actor, "make another user owner or remove that");
  const [user] = await deps.db.select().from(users).where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)));
  if (!user) throw NOT_FOUND();
  if (user.status !== "active" || user.analyticsAccess === "N") {
    throw new AppError("CONFLICT", "Only active users with analytics access (invited or granted) can be owners.");
  }
  if (user.analyticsOwner === input.owner) return { user: toPublicUser(user), changed: false };

  if (!input.owner) {
    const [others] = await deps.db.select({ n: count() }).from(users).where(and(activeOwnerOf(actor.orgId), ne(users.id, user.id)));
    if ((others?.n ?? 0) === 0) throw new AppError("CONFLICT", LAST_OWNER_MESSAGE);
  }
  const mailId = newId();
  const mail = analyticsOwnerMail({ appName: deps.config.appName, name: user.name, by: user.id === actor.id ? "You" : actor.name, owner: input.owner, origin: deps.config.origin });
  try {
    const [, [updated]] = await deps.db.batch([
      stillOwnerGuard(deps, actor.id),
      deps.db
        .update(users)
        .set({ analyticsOwner: input.owner, updatedAt: deps.now() })
        .where(and(eq(users.id, user.id), eq(users.status, "active"), eq(users.analyticsAccess, user.analyticsAccess), eq(users.analyticsOwner, user.analyticsOwner)))
        .returning(),
      guardChanged(deps.db),
      ...(input.owner ? [] : [lastOwnerGuard(deps, actor.orgId)]),
      audit(deps, actor, user, input.owner ? "analytics.owner_granted" : "analytics.owner_removed", { analyticsOwner: user.analyticsOwner }, { analyticsOwner: input.owner }),
      mailInsert(deps, user.email, mail, mailId),
    ]);
    deliverSoon(deps, [mailId]);
    return { user: toPublicUser(updated!), changed: true };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    if (!input.owner) {
      const [left] = await deps.db.select({ n: count() }).from(users).where(activeOwnerOf(actor.orgId));
      if ((left?.n ?? 0) <= 1) throw new AppError("CONFLICT", LAST_OWNER_MESSAGE);
    }
    throw new AppError("CONFLICT", "The owners changed meanwhile. Reload and try again.");
  }
}


/**
 * F-23 page: what an invited user accepts (their organization), or — with no
 * invitation — whom to ask: the organization's active Analytics Administrators.
 */
export async function invitationOverview(deps: Deps, actor: Actor) {
  if (actor.analyticsAccess === "I") {
    const [org] = await deps.db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, actor.orgId));
    return { access: "I" as const, orgName: org?.name ?? "", admins: [] };
  }
  const { items } = await listManagers(deps, actor);
  const admins = items.filter((m) => m.analyticsAdmin && m.status === "active").map((m) => ({ name: m.name, email: m.email }));
  return { access: actor.analyticsAccess, orgName: null, admins };
}
