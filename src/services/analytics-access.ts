// Analytics Access (F-21…F-25) and the workspace owner (F-41): an Analytics
// Administrator invites and revokes users of the organization, the invited
// user accepts while signed in, and owners make other users owner. Every
// change is a compare-and-swap on the user row, committed with its audit entry
// and mail in one batch.
import { and, count, eq, exists, inArray, ne, notExists, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import * as z from "../lib/zod";
import { organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  analyticsAccessSources,
  analyticsAccessTransition,
  canAdministerAnalyticsAccess,
  canBeMadeOwner,
  OWNER_ELIGIBLE_ACCESS,
  OWNER_ELIGIBLE_STATUSES,
} from "../domain/analytics";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { analyticsInvitationMail, analyticsOwnerMail, analyticsRevokedMail } from "../../views/mail/analytics-access";
import { jsonBool, jsonObject } from "../lib/sql-json";
import { requireOwner } from "./analytics-context";
import { auditInsertSelect } from "./audit";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";
import { publicUserColumns, toPublicUser } from "./user-shape";
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

/**
 * The target of an AAA action: authorization first (403 whoever the target
 * is), then the user looked up inside the actor's organization, so another
 * organization's id is simply not found (404).
 */
async function findForAnalyticsAdmin(deps: Deps, actor: Actor, userId: string) {
  requireAnalyticsAdmin(actor);
  const [row] = await deps.db
    .select({ user: publicUserColumns, orgName: organizations.name })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)));
  if (!row || !canAdministerAnalyticsAccess(actor, actor.orgId, row.user.orgId)) throw NOT_FOUND();
  return row;
}

/** 403 unless the caller is an Analytics Administrator: no I/O, whoever the target is. */
function requireAnalyticsAdmin(actor: Actor) {
  if (!canAdministerAnalyticsAccess(actor, actor.orgId, actor.orgId)) {
    throw new AppError("FORBIDDEN", "Only an Analytics Administrator of this organization can invite users to Analytics or revoke their access.");
  }
}

/** SQL: the user `userId` of the caller's organization (tenant scope). */
const orgUser = (actor: Actor, userId: string) => and(eq(users.id, userId), eq(users.orgId, actor.orgId))!;

/** SQL: the AA state `action` leads to from the row's (analyticsAccessTransition over the states it applies to). */
function accessAfter(action: "invite" | "revoke" | "accept"): SQL {
  const cases = analyticsAccessSources(action).map((from) => sql`WHEN ${from} THEN ${analyticsAccessTransition(action, from)}`);
  return sql`(CASE ${users.analyticsAccess} ${sql.join(cases, sql` `)} END)`;
}

/** SQL: the row's AA state is one `action` applies to. */
const accessAllows = (action: "invite" | "revoke" | "accept") => inArray(users.analyticsAccess, analyticsAccessSources(action));

/**
 * Slot names unique to one request: a value people typed (a name) that is
 * filled first cannot contain the slot of one filled after it.
 */
const requestSlots = <K extends string>(...keys: K[]) => {
  const tag = newId();
  return Object.fromEntries(keys.map((k) => [k, `${k}_${tag}`])) as Record<K, string>;
};

/**
 * F-23: AA becomes I and the user gets a mail explaining how to activate.
 * Inviting someone already invited sends a fresh mail; an AAA may invite
 * themselves (AAA alone gives no access, F-22). One batch reads the state it
 * replaces, writes the audit entry and mail from the row, and swaps it.
 */
export async function inviteToAnalytics(deps: Deps, actor: Actor, userId: string) {
  requireAnalyticsAdmin(actor);
  const db = deps.db;
  const target = and(orgUser(actor, userId), eq(users.status, "active"), accessAllows("invite"));
  const mailId = newId();
  const slots = requestSlots("org", "name");
  type Variant = { audit: ReturnType<typeof auditInsertSelect>; mail: ReturnType<typeof outboxInsertSelect> };
  // The invitation and the reminder: the row's state picks one of each (a first invitation comes from N, a resend from I).
  const [first, reminder] = [false, true].map((resent) => {
    const state = resent ? eq(users.analyticsAccess, "I") : ne(users.analyticsAccess, "I");
    const template = analyticsInvitationMail({ appName: deps.config.appName, name: slot(slots.name), inviter: actor.name, orgName: slot(slots.org), origin: deps.config.origin, resent });
    return {
      audit: auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: sql`${users.orgId}`,
          action: resent ? "analytics.invitation_resent" : "analytics.invited",
          targetType: "user",
          targetId: userId,
          before: jsonObject({ analyticsAccess: users.analyticsAccess }),
          after: jsonObject({ analyticsAccess: accessAfter("invite") }),
        },
        sql`FROM ${users} WHERE ${target} AND ${state}`,
      ),
      mail: outboxInsertSelect(
        deps,
        { id: mailId, to: sql`${users.email}`, ...filledMail(template, [[slots.org, sql`${organizations.name}`], [slots.name, sql`${users.name}`]]) },
        sql`FROM ${users} JOIN ${organizations} ON ${organizations.id} = ${users.orgId} WHERE ${target} AND ${state}`,
      ),
    };
  }) as [Variant, Variant];
  try {
    const [[before], , , , , [updated]] = await db.batch([
      db.select({ analyticsAccess: users.analyticsAccess }).from(users).where(orgUser(actor, userId)),
      first.audit,
      first.mail,
      reminder.audit,
      reminder.mail,
      db.update(users).set({ analyticsAccess: accessAfter("invite"), updatedAt: deps.now() }).where(target).returning(),
      guardChanged(db),
    ]);
    deliverSoon(deps, [mailId]);
    return { user: toPublicUser(updated!), resent: before!.analyticsAccess === "I" };
  } catch (e) {
    if (isGuardAbort(e)) throw await inviteRefusal(deps, actor, userId);
    throw e;
  }
}

/** Why an invitation did not go through: the checks the batch made, read again and put in words. */
async function inviteRefusal(deps: Deps, actor: Actor, userId: string) {
  const { user } = await findForAnalyticsAdmin(deps, actor, userId);
  if (user.status !== "active") {
    return new AppError("CONFLICT", "Only active accounts can be invited to Analytics: this user has not finished activating, or is deactivated.");
  }
  if (!analyticsAccessTransition("invite", user.analyticsAccess)) return new AppError("CONFLICT", "This user already has analytics access.");
  return CHANGED_MEANWHILE();
}

/**
 * F-24: AA becomes N; the portal account stays as it is. The owner role goes
 * with the access, so a later invitation does not silently restore it.
 * Site and module permissions stay: they grant nothing without access.
 */
export async function revokeAnalytics(deps: Deps, actor: Actor, userId: string) {
  requireAnalyticsAdmin(actor);
  const mailId = newId();
  const revoke = revokeAnalyticsStatements(deps, actor, userId, mailId);
  try {
    const results = await deps.db.batch(revoke.statements);
    deliverSoon(deps, [mailId]);
    return { user: revoke.outcome(results, 0) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const { user } = await findForAnalyticsAdmin(deps, actor, userId);
    if (!analyticsAccessTransition("revoke", user.analyticsAccess)) throw new AppError("CONFLICT", "This user has no analytics access to revoke.");
    throw CHANGED_MEANWHILE();
  }
}

/**
 * The statements that revoke a user's analytics access (the caller checked
 * the actor is an Analytics Administrator): they abort their batch unless the
 * user is of the actor's organization and has access to revoke.
 * `outcome(results, at)` is the updated user, `at` the index of the first.
 */
export function revokeAnalyticsStatements(deps: Deps, actor: Actor, userId: string, mailId: string) {
  const db = deps.db;
  const target = and(orgUser(actor, userId), accessAllows("revoke"));
  const slots = requestSlots("name");
  const template = analyticsRevokedMail({ appName: deps.config.appName, name: slot(slots.name), by: actor.name });
  const statements = [
    auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: sql`${users.orgId}`,
        action: "analytics.access_revoked",
        targetType: "user",
        targetId: userId,
        before: jsonObject({ analyticsAccess: users.analyticsAccess, analyticsOwner: jsonBool(users.analyticsOwner) }),
        after: jsonObject({ analyticsAccess: accessAfter("revoke"), analyticsOwner: false }),
      },
      sql`FROM ${users} WHERE ${target}`,
    ),
    outboxInsertSelect(deps, { id: mailId, to: sql`${users.email}`, ...filledMail(template, [[slots.name, sql`${users.name}`]]) }, sql`FROM ${users} WHERE ${target}`),
    db.update(users).set({ analyticsAccess: accessAfter("revoke"), analyticsOwner: false, updatedAt: deps.now() }).where(target).returning(),
    guardChanged(db),
  ] as const;
  return {
    statements,
    outcome(results: readonly unknown[], at: number) {
      const [updated] = results[at + 2] as (typeof users.$inferSelect)[];
      return toPublicUser(updated!);
    },
  };
}

const INVITATION_CLOSED = () => new AppError("CONFLICT", "Your invitation is no longer open. Reload the page.");

/**
 * F-23: the invited user (signed in, so 2FA is done) accepts: AA I → Y. The
 * first user to accept in a workspace without an active owner becomes its
 * owner (F-41), so every workspace can be administered from inside. The
 * batch decides that itself: two first acceptances at once commit one after
 * the other, and the second sees the first's owner.
 */
export async function acceptAnalyticsInvitation(deps: Deps, actor: Actor) {
  if (!analyticsAccessTransition("accept", actor.analyticsAccess)) {
    throw new AppError(
      "CONFLICT",
      actor.analyticsAccess === "Y" ? "You already have analytics access." : "You have no analytics invitation. Ask your Analytics Administrator to invite you.",
    );
  }
  const db = deps.db;
  const me = and(eq(users.id, actor.id), eq(users.status, "active"), accessAllows("accept"));
  const other = alias(users, "other_owner");
  const anotherOwner = exists(
    db
      .select({ one: sql`1` })
      .from(other)
      .where(and(eq(other.orgId, users.orgId), ne(other.id, users.id), eq(other.status, "active"), eq(other.analyticsAccess, "Y"), eq(other.analyticsOwner, true))),
  );
  // Bootstrap: not an owner yet, and nobody else of the organization is an active owner.
  const bootstrap = sql`(NOT ${users.analyticsOwner} AND NOT ${anotherOwner})`;
  const acceptedAudit = (asBootstrap: boolean) =>
    auditInsertSelect(
      deps,
      {
        actorId: sql`${users.id}`,
        orgId: sql`${users.orgId}`,
        action: "analytics.accepted",
        targetType: "user",
        targetId: sql`${users.id}`,
        before: jsonObject({ analyticsAccess: users.analyticsAccess, analyticsOwner: jsonBool(users.analyticsOwner) }),
        after: asBootstrap
          ? jsonObject({ analyticsAccess: accessAfter("accept"), analyticsOwner: true, ownerBootstrap: true })
          : jsonObject({ analyticsAccess: accessAfter("accept"), analyticsOwner: jsonBool(users.analyticsOwner) }),
      },
      sql`FROM ${users} WHERE ${me} AND ${asBootstrap ? bootstrap : sql`NOT ${bootstrap}`}`,
    );
  try {
    const [[before], , , [updated]] = await db.batch([
      db.select({ analyticsOwner: users.analyticsOwner }).from(users).where(eq(users.id, actor.id)),
      acceptedAudit(false),
      acceptedAudit(true),
      db
        .update(users)
        .set({ analyticsAccess: accessAfter("accept"), analyticsOwner: sql`(${users.analyticsOwner} OR ${bootstrap})`, updatedAt: deps.now() })
        .where(me)
        .returning(),
      guardChanged(db),
    ]);
    const becameOwner = !before!.analyticsOwner && updated!.analyticsOwner;
    const message = becameOwner
      ? "Analytics access activated. Nobody owned your organization's analytics workspace yet, so you are now its owner: you can add sites and give other users permissions."
      : "Analytics access activated.";
    return { user: toPublicUser(updated!), becameOwner, message };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const [row] = await db.select(publicUserColumns).from(users).where(eq(users.id, actor.id));
    if (!row || row.status !== "active" || !analyticsAccessTransition("accept", row.analyticsAccess)) throw INVITATION_CLOSED();
    throw CHANGED_MEANWHILE();
  }
}

export const SetOwnerInput = z.strictObject({ owner: z.boolean({ error: "Send owner: true or false." }) });

export const LAST_OWNER_MESSAGE = "This is the last active owner of the analytics workspace. Make another user owner first.";

/** SQL: the row can be made owner (canBeMadeOwner). */
const ownerEligible = () => and(inArray(users.status, [...OWNER_ELIGIBLE_STATUSES]), inArray(users.analyticsAccess, [...OWNER_ELIGIBLE_ACCESS]))!;

/**
 * F-41: an owner makes another user owner or removes that. The target is an
 * active account of the same organization with analytics access (invited or
 * granted). The workspace never loses its last active owner, also when two
 * owners remove each other at the same moment (commit-time guards). Asking
 * for what already holds changes nothing (changed: false).
 */
export async function setAnalyticsOwner(deps: Deps, actor: Actor, userId: string, input: z.infer<typeof SetOwnerInput>) {
  requireOwner(actor, "make another user owner or remove that");
  const db = deps.db;
  const target = and(orgUser(actor, userId), ownerEligible());
  const changing = and(target, ne(users.analyticsOwner, input.owner));
  const mailId = newId();
  const slots = requestSlots("name");
  const template = analyticsOwnerMail({
    appName: deps.config.appName,
    name: slot(slots.name),
    by: userId === actor.id ? "You" : actor.name,
    owner: input.owner,
    origin: deps.config.origin,
  });
  try {
    const results = await db.batch([
      stillOwnerGuard(deps, actor.id),
      guardNot(db, notExists(db.select({ one: sql`1` }).from(users).where(target))),
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: sql`${users.orgId}`,
          action: input.owner ? "analytics.owner_granted" : "analytics.owner_removed",
          targetType: "user",
          targetId: userId,
          before: jsonObject({ analyticsOwner: jsonBool(users.analyticsOwner) }),
          after: { analyticsOwner: input.owner },
        },
        sql`FROM ${users} WHERE ${changing}`,
      ),
      outboxInsertSelect(deps, { id: mailId, to: sql`${users.email}`, ...filledMail(template, [[slots.name, sql`${users.name}`]]) }, sql`FROM ${users} WHERE ${changing}`),
      db.update(users).set({ analyticsOwner: input.owner, updatedAt: deps.now() }).where(changing).returning({ id: users.id }),
      ...(input.owner ? [] : [lastOwnerGuard(deps, actor.orgId)]),
      db.select(publicUserColumns).from(users).where(orgUser(actor, userId)),
    ]);
    const changed = (results[4] as { id: string }[]).length > 0;
    const [user] = results.at(-1) as UserRow[];
    if (changed) deliverSoon(deps, [mailId]);
    return { user: toPublicUser(user!), changed };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    return ownerRefusal(deps, actor, userId, input);
  }
}

/** Why an owner change did not go through, read again with the checks in words; what already holds answers as before (changed: false). */
async function ownerRefusal(deps: Deps, actor: Actor, userId: string, input: z.infer<typeof SetOwnerInput>) {
  const [[user], [others]] = await deps.db.batch([
    deps.db.select(publicUserColumns).from(users).where(orgUser(actor, userId)),
    deps.db.select({ n: count() }).from(users).where(and(activeOwnerOf(actor.orgId), ne(users.id, userId))),
  ]);
  if (!user) throw NOT_FOUND();
  if (!canBeMadeOwner(user)) throw new AppError("CONFLICT", "Only active users with analytics access (invited or granted) can be owners.");
  if (user.analyticsOwner === input.owner) return { user: toPublicUser(user), changed: false };
  if (!input.owner && (others?.n ?? 0) === 0) throw new AppError("CONFLICT", LAST_OWNER_MESSAGE);
  throw new AppError("CONFLICT", "The owners changed meanwhile. Reload and try again.");
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
