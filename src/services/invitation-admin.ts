// F-92 invitations of an organization: the list (pending, expired, revoked),
// resend (a re-invite: new token, old one void), revoke, and the cron's one
// reminder before an invitation expires.
import { and, count, desc, eq, gt, inArray, isNotNull, isNull, lte, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import * as z from "../lib/zod";
import { aliased } from "../db/client";
import { auditEvents, invitations, organizations, outbox, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { canAdministerUser, isOperator, type Role } from "../domain/roles";
import { linkState, linkStateSql } from "../domain/tokens";
import { chunk, guardChanged, guardNot, insertChunks, isGuardAbort, MAX_BOUND_PARAMS } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { invitationReminderMail } from "../../views/mail/templates";
import { jsonObject } from "../lib/sql-json";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { auditInsertSelect } from "./audit";
import { deliverSoon, outboxRow } from "./outbox";
import { administrableScope, explainReinvite, reinviteStatements } from "./user-admin";
import { toPublicUser } from "./user-shape";
import { assertCan, orgInScope } from "./users";
import { iso } from "../lib/iso-time";

export const INVITATION_STATES = ["pending", "expired", "revoked"] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

export const ListInvitationsInput = z.object({
  state: z.blankable(z.enum(INVITATION_STATES, { error: "Choose pending, expired or revoked." })),
  ...pageFields({ size: 25 }),
  orgId: z.blankable(z.string().check(z.maxLength(40))),
});

/** An invitation is about to expire when it ends within this window; the cron mails it once. */
export const REMINDER_WINDOW_MS = 24 * 3_600_000;

const inviter = alias(users, "inviter");

/**
 * The invitation that counts for an account is its newest one: a re-invite
 * voids the older ones (revoked_at), and those are history, not entries.
 * rowid breaks ties of two invitations made in the same millisecond.
 */
const isLatestInvitation = sql`${invitations.id} = (SELECT i2.id FROM ${invitations} i2 WHERE i2.user_id = ${invitations.userId} ORDER BY i2.created_at DESC, i2.rowid DESC LIMIT 1)`;

function stateCondition(state: InvitationState, now: number): SQL {
  if (state === "revoked") return isNotNull(invitations.revokedAt);
  if (state === "expired") return and(isNull(invitations.revokedAt), lte(invitations.expiresAt, now))!;
  return and(isNull(invitations.revokedAt), gt(invitations.expiresAt, now))!;
}

// Every column under its own name: inside db.batch D1 keys rows by column name.
const listColumns = {
  id: invitations.id,
  createdAt: invitations.createdAt,
  expiresAt: invitations.expiresAt,
  usedAt: invitations.usedAt,
  revokedAt: invitations.revokedAt,
  remindedAt: invitations.remindedAt,
  userId: aliased<string>(users.id, "invitee_id"),
  email: users.email,
  name: users.name,
  role: users.role,
  inviterId: aliased<string | null>(inviter.id, "inviter_id"),
  inviterName: aliased<string | null>(inviter.name, "inviter_name"),
};
type ListRow = {
  id: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
  remindedAt: number | null;
  userId: string;
  email: string;
  name: string;
  role: Role;
  inviterId: string | null;
  inviterName: string | null;
};

export function toPublicInvitation(r: ListRow, now: number) {
  const state = linkState(r, now);
  return {
    id: r.id,
    state: (state === "used" ? "used" : state === "usable" ? "pending" : state) as InvitationState | "used",
    user: { id: r.userId, email: r.email, name: r.name, role: r.role },
    invitedBy: r.inviterId ? { id: r.inviterId, name: r.inviterName } : null,
    createdAt: iso(r.createdAt)!,
    expiresAt: iso(r.expiresAt)!,
    revokedAt: iso(r.revokedAt),
    remindedAt: iso(r.remindedAt),
  };
}
export type PublicInvitation = ReturnType<typeof toPublicInvitation>;

const listQuery = (deps: Deps, where: SQL | undefined) =>
  deps.db.select(listColumns).from(invitations).innerJoin(users, eq(users.id, invitations.userId)).leftJoin(inviter, eq(inviter.id, invitations.invitedBy)).where(where);

/**
 * F-92: the organization's open invitations — accounts still "invited", each
 * with its newest invitation as pending, expired or revoked. Partner Managers
 * (their organization) and operators (any, via orgId).
 */
export async function listInvitations(deps: Deps, actor: Actor, input: z.infer<typeof ListInvitationsInput>) {
  const list = invitationListQueries(deps, actor, input);
  return list.from(await deps.db.batch(list.queries));
}

const openInvitationsWhere = (actor: Actor, orgId: string | undefined, state: InvitationState | undefined, now: number) =>
  and(eq(users.orgId, orgInScope(actor, orgId)), eq(users.status, "invited"), isNull(invitations.usedAt), isLatestInvitation, state ? stateCondition(state, now) : undefined);

const countInvitations = (deps: Deps, where: SQL | undefined) =>
  deps.db.select({ n: count() }).from(invitations).innerJoin(users, eq(users.id, invitations.userId)).where(where);

/** How many of the organization's open invitations are in `state` (the list's total for that filter), as a query for a batch. */
export function invitationCountQuery(deps: Deps, actor: Actor, state: InvitationState) {
  assertCan(actor, "managePortalUsers");
  return countInvitations(deps, openInvitationsWhere(actor, undefined, state, deps.now()));
}

/** listInvitations as queries that can join another batch (after its writes), and the answer made from their results. */
export function invitationListQueries(deps: Deps, actor: Actor, input: z.infer<typeof ListInvitationsInput>) {
  assertCan(actor, "managePortalUsers");
  const now = deps.now();
  const where = openInvitationsWhere(actor, input.orgId, input.state, now);
  const queries = [
    listQuery(deps, where).orderBy(desc(invitations.createdAt)).limit(input.pageSize).offset(pageOffset(input)),
    countInvitations(deps, where),
  ] as const;
  const from = ([rows, [total]]: readonly [unknown[], { n: number }[]]) => ({
    items: (rows as ListRow[]).map((r) => toPublicInvitation(r, now)),
    page: pageOf(input, total),
  });
  return { queries, from };
}

/** One invitation, for an actor who may administer its account; another organization's is not found. */
async function findInvitationInScope(deps: Deps, actor: Actor, invitationId: string) {
  assertCan(actor, "managePortalUsers");
  const scope = isOperator(actor) ? eq(invitations.id, invitationId) : and(eq(invitations.id, invitationId), eq(users.orgId, actor.orgId));
  const [row] = await deps.db
    .select({ invitation: invitations, user: { id: users.id, orgId: users.orgId, role: users.role, status: users.status } })
    .from(invitations)
    .innerJoin(users, eq(users.id, invitations.userId))
    .where(scope);
  if (!row) throw new AppError("NOT_FOUND", "Invitation not found.");
  if (!canAdministerUser(actor, row.user)) throw new AppError("FORBIDDEN", "Only a Partner Manager of this organization or an operator can do this.");
  return row;
}

async function publicInvitation(deps: Deps, id: string) {
  const [row] = await listQuery(deps, eq(invitations.id, id));
  return toPublicInvitation(row as ListRow, deps.now());
}

/** One invitation as the list shows it (for a row that is re-rendered). */
export async function getInvitation(deps: Deps, actor: Actor, invitationId: string) {
  await findInvitationInScope(deps, actor, invitationId);
  return publicInvitation(deps, invitationId);
}

/** The account of invitation `invitationId`, as a subquery. */
const inviteeOf = (invitationId: string) => sql`(SELECT ${invitations.userId} FROM ${invitations} WHERE ${invitations.id} = ${invitationId})`;

/**
 * Resend = re-invite (F-03): a new token and mail; every older link of the
 * account stops working. One batch: the re-invite of the invitation's
 * account, then the account and the new invitation for the answer.
 */
export async function resendInvitation(deps: Deps, actor: Actor, invitationId: string) {
  assertCan(actor, "managePortalUsers");
  const invite = await reinviteStatements(deps, actor, inviteeOf(invitationId));
  const statements = [...invite.statements, listQuery(deps, eq(invitations.id, invite.invitationId))];
  let results;
  try {
    results = await deps.db.batch(statements as unknown as [(typeof statements)[number], ...typeof statements]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Not found or not theirs (as findInvitationInScope says), else as the re-invite says.
    const { user } = await findInvitationInScope(deps, actor, invitationId);
    return explainReinvite(deps, actor, user.id);
  }
  deliverSoon(deps, [invite.mailId]);
  const [user] = results[invite.statements.length - 1] as (typeof users.$inferSelect)[];
  const [created] = results[invite.statements.length] as ListRow[];
  return { user: toPublicUser(user!), invitation: toPublicInvitation(created!, deps.now()) };
}

/**
 * Revoke: the link stops working at once; the account stays "invited" (a
 * resend brings it back), and forgot-password mints no new link for it. One
 * batch: the audit entry reads the invitation before the compare-and-swap,
 * whose WHERE holds the scope and the open state; the answer is read last.
 */
export async function revokeInvitation(deps: Deps, actor: Actor, invitationId: string) {
  assertCan(actor, "managePortalUsers");
  const now = deps.now();
  const open = and(
    eq(invitations.id, invitationId),
    isNull(invitations.usedAt),
    isNull(invitations.revokedAt),
    sql`${invitations.userId} IN (SELECT ${users.id} FROM ${users} WHERE ${administrableScope(actor)} AND ${users.status} = 'invited')`,
  )!;
  try {
    const [, , , [row]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: sql`${users.orgId}`,
          action: "invitation.revoked",
          targetType: "invitation",
          targetId: invitationId,
          before: jsonObject({ state: linkStateSql(invitations, now), userId: users.id }),
          after: jsonObject({ state: "revoked", userId: users.id }),
        },
        sql`FROM ${invitations} JOIN ${users} ON ${users.id} = ${invitations.userId} WHERE ${open}`,
      ),
      deps.db.update(invitations).set({ revokedAt: now }).where(open),
      guardChanged(deps.db),
      listQuery(deps, eq(invitations.id, invitationId)),
    ]);
    return { invitation: toPublicInvitation(row as ListRow, deps.now()) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const { invitation, user } = await findInvitationInScope(deps, actor, invitationId);
    if (invitation.usedAt !== null || user.status !== "invited") throw new AppError("CONFLICT", "This invitation was already accepted.");
    if (invitation.revokedAt !== null) throw new AppError("CONFLICT", "This invitation is already revoked.");
    throw new AppError("CONFLICT", "This invitation was used or revoked meanwhile. Reload and try again.");
  }
}

/** Invitations reminded per batch: ~13 outbox + 1 update + 10 audit statements per 100. */
const REMINDER_ROUND = 100;
const MAX_REMINDER_ROUNDS = 20;

/**
 * F-92, run by the cron: one reminder for each open invitation that expires
 * within the next 24 hours and has had none. Set-based: per round one select
 * and one batch (mails, reminded_at and audit chunked); reminded_at is set
 * with a compare-and-swap, so a concurrent run cannot send a second reminder.
 */
export async function remindExpiringInvitations(deps: Deps): Promise<number> {
  const now = deps.now();
  let sent = 0;
  for (let round = 0; round < MAX_REMINDER_ROUNDS; round++) {
    const due = await deps.db
      .select({
        id: invitations.id,
        expiresAt: invitations.expiresAt,
        userId: users.id,
        orgId: users.orgId,
        email: users.email,
        name: users.name,
        orgName: aliased<string>(organizations.name, "org_name"),
      })
      .from(invitations)
      .innerJoin(users, eq(users.id, invitations.userId))
      .innerJoin(organizations, eq(organizations.id, users.orgId))
      .where(
        and(
          isNull(invitations.usedAt),
          isNull(invitations.revokedAt),
          isNull(invitations.remindedAt),
          gt(invitations.expiresAt, now),
          lte(invitations.expiresAt, now + REMINDER_WINDOW_MS),
          eq(users.status, "invited"),
          eq(organizations.status, "active"),
        ),
      )
      .orderBy(invitations.expiresAt)
      .limit(REMINDER_ROUND);
    if (!due.length) break;

    const { appName, origin } = deps.config;
    const mails = due.map((d) => outboxRow(deps, d.email, invitationReminderMail({ appName, name: d.name, orgName: d.orgName, expiresAt: d.expiresAt, origin })));
    const claims = chunk(
      due.map((d) => d.id),
      MAX_BOUND_PARAMS - 1,
    ).flatMap((ids) => [
      deps.db
        .update(invitations)
        .set({ remindedAt: now })
        .where(and(inArray(invitations.id, ids), isNull(invitations.remindedAt))),
      // Another run reminded one of these meanwhile: abort, send nothing twice.
      guardNot(deps.db, sql`changes() <> ${ids.length}`),
    ]);
    const audits = due.map((d) => ({
      id: newId(),
      at: now,
      actorId: null,
      orgId: d.orgId,
      action: "invitation.reminded",
      targetType: "invitation",
      targetId: d.id,
      before: null,
      after: JSON.stringify({ userId: d.userId, expiresAt: new Date(d.expiresAt).toISOString() }),
      ip: null,
    }));
    const statements = [...claims, ...insertChunks(deps.db, outbox, mails), ...insertChunks(deps.db, auditEvents, audits)];
    try {
      await deps.db.batch(statements as [(typeof statements)[number], ...typeof statements]);
    } catch (e) {
      if (isGuardAbort(e)) break;
      throw e;
    }
    // The cron's outbox drain, right after this, delivers them.
    sent += due.length;
    if (due.length < REMINDER_ROUND) break;
  }
  return sent;
}
