// F-93 access review: a Partner Manager goes through every user of the
// organization once — role, P/AA/AAA, partner grants — and confirms, changes
// or deactivates each; then completes the review. Changes are written by the
// statements of the services that own them (role change, deactivation,
// analytics revocation, role requests), so their rules, audit entries and
// mails stay in one place; this module records the decision in the same batch.
// The daily cron's part is in access-review-schedule.ts, the operators' status
// list in access-review-status.ts.
import { and, asc, count, desc, eq, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import * as z from "../lib/zod";
import { aliased } from "../db/client";
import { accessReviewItems, accessReviews, auditEvents, organizations, partnerGrants, users } from "../db/schema";
import type { Deps } from "../deps";
import {
  canReadAccessReview,
  canRunAccessReview,
  completionProblem,
  countDecisions,
  dueAt,
  isOverdue,
  planChange,
  stepsAsked,
  type ChangeStep,
  type Decision,
  type DecisionCounts,
  type ReviewStatus,
} from "../domain/access-review";
import type { Actor } from "../domain/actor";
import { canAdministerAnalyticsAccess, type AnalyticsAccess } from "../domain/analytics";
import { grantHoldsSql } from "../domain/partner-access";
import { isOperator, PORTAL_ROLES, type Role, type SecondaryRole } from "../domain/roles";
import { batchOrExplain, guardChanged, guardNot, isGuardAbort, isUniqueViolation } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { jsonObject } from "../lib/sql-json";
import { revokeAnalyticsStatements } from "./analytics-access";
import type { AuditAction } from "../domain/audit-actions";
import { auditInsertSelect as auditEntrySelect } from "./audit";
import { deliverSoon } from "./outbox";
import { assertMayRequest, pendingRequestsQuery, requestAlreadyPending, roleRequestStatements } from "./role-requests";
import { assertLastManagerRule, assertMayAdminister, deactivateUser, deactivationStatements } from "./user-admin";
import { roleChangeStatements } from "./users";
import { iso } from "../lib/iso-time";

// ---------------------------------------------------------------- input

const CHANGE_FIELDS = ["role", "analyticsAccess", "purchaser", "analyticsAdmin"] as const;

/**
 * One decision on one user: `{decision:"confirm"}`, `{decision:"deactivate"}`,
 * or `{decision:"change", role?, analyticsAccess?:"N", purchaser?:true, analyticsAdmin?:true}`.
 * P and AAA are granted by operators (F-15, F-16): `true` files the request.
 */
export const DecideInput = z
  .strictObject({
    decision: z.enum(["confirm", "change", "deactivate"], { error: "Choose confirm, change or deactivate." }),
    role: z.optional(z.enum(PORTAL_ROLES, { error: "Choose Read-only User, Regular User or Partner Manager." })),
    analyticsAccess: z.optional(z.literal("N", { error: 'Only "N" (revoke analytics access) can be set here; access is granted by an invitation (F-23).' })),
    purchaser: z.optional(z.literal(true, { error: "Send true to ask an operator for Purchaser (P). P ends with a role that does not allow it." })),
    analyticsAdmin: z.optional(
      z.literal(true, { error: "Send true to ask an operator for Analytics Administrator (AAA). AAA ends with a role that does not allow it." }),
    ),
  })
  .check(
    z.superRefine((input, ctx) => {
      if (input.decision === "change") return;
      for (const field of CHANGE_FIELDS) {
        if (input[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: "Only a change decision carries new values." });
      }
    }),
  );
export type DecideInput = z.infer<typeof DecideInput>;

// ---------------------------------------------------------------- shapes

type ReviewRow = typeof accessReviews.$inferSelect;

export interface ReviewGrant {
  id: string;
  customer: { id: string; name: string };
  partnerOrg: { id: string; name: string };
  partnerUser: { id: string; name: string; email: string };
  grantedBy: string | null;
  expiresAt: string | null;
}

/** What a user held when the review started (access_review_items.snapshot_json). */
export interface ReviewSnapshot {
  role: Role;
  status: string;
  purchaser: boolean;
  analyticsAccess: AnalyticsAccess;
  analyticsAdmin: boolean;
  grants: { customerOrgId: string; partnerOrgId: string; partnerUserId: string; expiresAt: string | null }[];
}

export interface ReviewItem {
  userId: string;
  /** The account as it is now; null once it was deleted (F-46). */
  user: {
    id: string;
    name: string;
    email: string;
    role: Role;
    status: string;
    purchaser: boolean;
    analyticsAccess: AnalyticsAccess;
    analyticsAdmin: boolean;
  } | null;
  snapshot: ReviewSnapshot;
  /**
   * Partner access tied to this user: in a partner organization, the
   * customers who let this user see their insights; in a customer
   * organization, the partner users this user let in.
   */
  grants: ReviewGrant[];
  decision: Decision;
  decidedBy: { id: string; name: string | null } | null;
  decidedAt: string | null;
}

export interface ReviewSummary {
  id: string;
  org: { id: string; name: string; kind: string };
  status: ReviewStatus;
  startedAt: string;
  /** null when the quarterly schedule started it. */
  startedBy: { id: string; name: string | null } | null;
  dueAt: string;
  overdue: boolean;
  remindedAt: string | null;
  completedAt: string | null;
  completedBy: { id: string; name: string | null } | null;
}

export interface ReviewDetail {
  review: ReviewSummary;
  counts: DecisionCounts;
  items: ReviewItem[];
  /** Customer organizations: every partner user who can see this organization's insights now (F-60). */
  partnerAccess: ReviewGrant[];
}

function parseSnapshot(json: string): ReviewSnapshot {
  const raw = JSON.parse(json) as Omit<ReviewSnapshot, "purchaser" | "analyticsAdmin" | "grants"> & {
    purchaser: number;
    analyticsAdmin: number;
    grants: { customerOrgId: string; partnerOrgId: string; partnerUserId: string; expiresAt: number | null }[] | null;
  };
  return {
    role: raw.role,
    status: raw.status,
    purchaser: Boolean(raw.purchaser),
    analyticsAccess: raw.analyticsAccess,
    analyticsAdmin: Boolean(raw.analyticsAdmin),
    grants: (raw.grants ?? []).map((g) => ({ ...g, expiresAt: iso(g.expiresAt) })),
  };
}

// ---------------------------------------------------------------- errors and scope

const REVIEW_NOT_FOUND = () => new AppError("NOT_FOUND", "Access review not found.");
const ITEM_NOT_FOUND = () => new AppError("NOT_FOUND", "This user is not part of the access review.");
const CHANGED_MEANWHILE = () => new AppError("CONFLICT", "This access review changed meanwhile. Reload and try again.");
const NOT_OPEN = () => new AppError("CONFLICT", "This access review is completed. Start a new one to review again.");

/** Only the organization's Partner Managers run its review; operators read it. */
export function assertCanRun(actor: Actor) {
  if (canRunAccessReview(actor)) return;
  throw new AppError(
    "FORBIDDEN",
    isOperator(actor)
      ? "Operators can read access reviews; a Partner Manager of the organization runs them."
      : "Only a Partner Manager can run the access review of the organization.",
  );
}

/**
 * The review for an actor who may read (operators: any organization) or act
 * (its organization's Partner Managers). Authorization first; the tenant
 * scope is in the query, so another organization's review is not found.
 */
function assertCanRead(actor: Actor) {
  if (!isOperator(actor) && !canRunAccessReview(actor)) {
    throw new AppError("FORBIDDEN", "Only Partner Managers and operators can see access reviews.");
  }
}

/** The review by id, scoped to the caller's organization unless an operator asks. */
const reviewQuery = (deps: Deps, actor: Actor, reviewId: string) =>
  deps.db
    .select()
    .from(accessReviews)
    .where(isOperator(actor) ? eq(accessReviews.id, reviewId) : and(eq(accessReviews.id, reviewId), eq(accessReviews.orgId, actor.orgId)));

async function findReview(deps: Deps, actor: Actor, reviewId: string, mode: "read" | "act"): Promise<ReviewRow> {
  if (mode === "act") assertCanRun(actor);
  else assertCanRead(actor);
  const [review] = await reviewQuery(deps, actor, reviewId);
  if (!review || !canReadAccessReview(actor, review.orgId)) throw REVIEW_NOT_FOUND();
  return review;
}

// ---------------------------------------------------------------- SQL pieces

/** The user rows a review covers: everyone of the organization but deactivated accounts. */
const REVIEWED_USER = sql.raw(`u.status <> 'deactivated' AND u.role <> 'operator'`);

/** A user's role, flags and partner grants as JSON, over `users AS u`. */
const snapshotSql = (now: number) => sql`json_object(
  'role', u.role, 'status', u.status, 'purchaser', u.purchaser, 'analyticsAccess', u.analytics_access, 'analyticsAdmin', u.analytics_admin,
  'grants', json((SELECT json_group_array(json_object(
      'customerOrgId', ${partnerGrants.customerOrgId}, 'partnerOrgId', ${partnerGrants.partnerOrgId},
      'partnerUserId', ${partnerGrants.partnerUserId}, 'expiresAt', ${partnerGrants.expiresAt}))
    FROM ${partnerGrants}
    WHERE (${partnerGrants.partnerUserId} = u.id OR (${partnerGrants.customerOrgId} = u.org_id AND ${partnerGrants.grantedBy} = u.id))
      AND ${grantHoldsSql(now)})))`;

/**
 * The statements that fill reviews just opened (`fresh`, SQL over
 * `access_reviews AS r`): the audit entry, then one item per reviewed user,
 * set-based. The item insert comes last: callers may key `fresh` on "no items yet".
 */
export function openedReviewStatements(deps: Deps, now: number, fresh: SQL) {
  const userCount = sql`(SELECT count(*) FROM ${users} AS u WHERE u.org_id = r.org_id AND ${REVIEWED_USER})`;
  return [
    deps.db.insert(auditEvents).select(
      sql`SELECT lower(hex(randomblob(12))), ${now}, r.started_by, r.org_id, 'access_review.started', 'access_review', r.id, NULL,
        json_object('startedBy', CASE WHEN r.started_by IS NULL THEN 'schedule' ELSE 'partner_manager' END,
          'dueAt', strftime('%Y-%m-%dT%H:%M:%fZ', r.due_at / 1000.0, 'unixepoch'), 'users', ${userCount}),
        ${deps.ip}
        FROM ${accessReviews} AS r WHERE ${fresh}`,
    ),
    deps.db.insert(accessReviewItems).select(
      sql`SELECT r.id, u.id, 'pending', NULL, NULL, ${snapshotSql(now)}
        FROM ${accessReviews} AS r JOIN ${users} AS u ON u.org_id = r.org_id AND ${REVIEWED_USER}
        WHERE ${fresh}`,
    ),
  ] as const;
}

/** Items still waiting for a decision: an account deleted meanwhile (F-46) has nothing left to decide. */
const pendingItems = (reviewId: string) =>
  sql`${accessReviewItems.reviewId} = ${reviewId} AND ${accessReviewItems.decision} = 'pending'
    AND EXISTS (SELECT 1 FROM ${users} AS pending_user WHERE pending_user.id = ${accessReviewItems.userId})`;

/** How many users of the review (`reviewId`, a column or SQL) are still to decide, not counting accounts deleted since it started. */
export const pendingDecisionsOf = (reviewId: AnyColumn | SQL) =>
  sql<number>`(SELECT count(*) FROM ${accessReviewItems} AS item WHERE item.review_id = ${reviewId} AND item.decision = 'pending'
    AND EXISTS (SELECT 1 FROM ${users} AS item_user WHERE item_user.id = item.user_id))`;

/** The review exists, belongs to the actor's organization and is open (the acting Partner Manager's scope). */
const ownOpenReview = (actor: Actor, reviewId: string) =>
  sql`EXISTS (SELECT 1 FROM ${accessReviews} AS own_review WHERE own_review.id = ${reviewId} AND own_review.org_id = ${actor.orgId} AND own_review.status = 'open')`;

const reviewIsOpen = (reviewId: string) => sql`EXISTS (SELECT 1 FROM ${accessReviews} AS open_review WHERE open_review.id = ${reviewId} AND open_review.status = 'open')`;

/** An audit row whose `after` is computed in SQL at commit, written only when `where` holds. */
const auditInsertSelect = (deps: Deps, e: { actorId: string; orgId: string; action: AuditAction; targetId: string; after: SQL }, where: SQL) =>
  deps.db
    .insert(auditEvents)
    .select(sql`SELECT ${newId()}, ${deps.now()}, ${e.actorId}, ${e.orgId}, ${e.action}, 'access_review', ${e.targetId}, NULL, ${e.after}, ${deps.ip} WHERE ${where}`);

const countWhere = (where: SQL) => sql`(SELECT count(*) FROM ${accessReviewItems} WHERE ${where})`;
const decisionCount = (reviewId: string, decision: Decision) => countWhere(sql`${accessReviewItems.reviewId} = ${reviewId} AND ${accessReviewItems.decision} = ${decision}`);

// ---------------------------------------------------------------- reading

const starter = alias(users, "starter");
const completer = alias(users, "completer");
const decider = alias(users, "decider");
const customerOrg = alias(organizations, "customer_org");
const partnerOrg = alias(organizations, "partner_org");
const partnerUser = alias(users, "partner_user");

const summaryQuery = (deps: Deps, reviewId: string | SQL) =>
  deps.db
    .select({
      review: accessReviews,
      orgName: aliased<string>(organizations.name, "org_name"),
      orgKind: aliased<string>(organizations.kind, "org_kind"),
      starterName: aliased<string | null>(starter.name, "starter_name"),
      completerName: aliased<string | null>(completer.name, "completer_name"),
    })
    .from(accessReviews)
    .innerJoin(organizations, eq(organizations.id, accessReviews.orgId))
    .leftJoin(starter, eq(starter.id, accessReviews.startedBy))
    .leftJoin(completer, eq(completer.id, accessReviews.completedBy))
    .where(eq(accessReviews.id, reviewId));

const itemsQuery = (deps: Deps, review: ReviewRef, userId?: string) =>
  deps.db
    .select({
      userId: accessReviewItems.userId,
      decision: accessReviewItems.decision,
      decidedBy: accessReviewItems.decidedBy,
      decidedAt: accessReviewItems.decidedAt,
      snapshot: accessReviewItems.snapshot,
      deciderName: aliased<string | null>(decider.name, "decider_name"),
      name: aliased<string | null>(users.name, "user_name"),
      email: users.email,
      role: users.role,
      status: users.status,
      purchaser: users.purchaser,
      analyticsAccess: users.analyticsAccess,
      analyticsAdmin: users.analyticsAdmin,
    })
    .from(accessReviewItems)
    // The organization in the join: an account is only ever shown to its own organization's review.
    .leftJoin(users, and(eq(users.id, accessReviewItems.userId), eq(users.orgId, review.orgId)))
    .leftJoin(decider, eq(decider.id, accessReviewItems.decidedBy))
    .where(and(eq(accessReviewItems.reviewId, review.id), userId === undefined ? undefined : eq(accessReviewItems.userId, userId)))
    .orderBy(asc(sql`lower(coalesce(${users.name}, ''))`), asc(users.email), asc(accessReviewItems.userId));

/** Grants that hold now where the organization is the customer or the partner. */
const grantsQuery = (deps: Deps, orgId: string | SQL, now: number) =>
  deps.db
    .select({
      id: partnerGrants.id,
      customerId: partnerGrants.customerOrgId,
      customerName: aliased<string>(customerOrg.name, "customer_name"),
      partnerOrgId: partnerGrants.partnerOrgId,
      partnerOrgName: aliased<string>(partnerOrg.name, "partner_org_name"),
      partnerUserId: partnerGrants.partnerUserId,
      partnerUserName: aliased<string>(partnerUser.name, "partner_user_name"),
      partnerUserEmail: aliased<string>(partnerUser.email, "partner_user_email"),
      grantedBy: partnerGrants.grantedBy,
      expiresAt: partnerGrants.expiresAt,
    })
    .from(partnerGrants)
    .innerJoin(customerOrg, eq(customerOrg.id, partnerGrants.customerOrgId))
    .innerJoin(partnerOrg, eq(partnerOrg.id, partnerGrants.partnerOrgId))
    .innerJoin(partnerUser, eq(partnerUser.id, partnerGrants.partnerUserId))
    .where(and(sql`(${partnerGrants.customerOrgId} = ${orgId} OR ${partnerGrants.partnerOrgId} = ${orgId})`, grantHoldsSql(now)))
    .orderBy(asc(sql`lower(${customerOrg.name})`), asc(sql`lower(${partnerOrg.name})`), asc(sql`lower(${partnerUser.email})`));

const countsQuery = (deps: Deps, reviewId: string | SQL) =>
  deps.db
    .select({ decision: accessReviewItems.decision, deleted: sql<number>`${users.id} IS NULL`.as("deleted"), n: count() })
    .from(accessReviewItems)
    .leftJoin(users, eq(users.id, accessReviewItems.userId))
    .where(eq(accessReviewItems.reviewId, reviewId))
    .groupBy(accessReviewItems.decision, sql`${users.id} IS NULL`);

type SummaryRow = Awaited<ReturnType<typeof summaryQuery>>[number];
type ItemRow = Awaited<ReturnType<typeof itemsQuery>>[number];
type GrantRow = Awaited<ReturnType<typeof grantsQuery>>[number];
type CountRow = Awaited<ReturnType<typeof countsQuery>>[number];

function toSummary(row: SummaryRow, now: number): ReviewSummary {
  const r = row.review;
  return {
    id: r.id,
    org: { id: r.orgId, name: row.orgName, kind: row.orgKind },
    status: r.status,
    startedAt: iso(r.startedAt)!,
    startedBy: r.startedBy ? { id: r.startedBy, name: row.starterName } : null,
    dueAt: iso(r.dueAt)!,
    overdue: isOverdue(r, now),
    remindedAt: iso(r.remindedAt),
    completedAt: iso(r.completedAt),
    completedBy: r.completedBy ? { id: r.completedBy, name: row.completerName } : null,
  };
}

const toGrant = (g: GrantRow): ReviewGrant => ({
  id: g.id,
  customer: { id: g.customerId, name: g.customerName },
  partnerOrg: { id: g.partnerOrgId, name: g.partnerOrgName },
  partnerUser: { id: g.partnerUserId, name: g.partnerUserName, email: g.partnerUserEmail },
  grantedBy: g.grantedBy,
  expiresAt: iso(g.expiresAt),
});

/** Which grants belong on a user's row: received (partner organization) or given (customer organization). */
const grantsOfUser = (org: { id: string; kind: string }, grants: ReviewGrant[], userId: string) =>
  grants.filter((g) => (org.kind === "customer" ? g.customer.id === org.id && g.grantedBy === userId : g.partnerUser.id === userId));

function toItem(row: ItemRow, org: { id: string; kind: string }, grants: ReviewGrant[]): ReviewItem {
  const exists = row.email !== null;
  return {
    userId: row.userId,
    user: exists
      ? {
          id: row.userId,
          name: row.name!,
          email: row.email!,
          role: row.role!,
          status: row.status!,
          purchaser: row.purchaser!,
          analyticsAccess: row.analyticsAccess!,
          analyticsAdmin: row.analyticsAdmin!,
        }
      : null,
    snapshot: parseSnapshot(row.snapshot),
    grants: exists ? grantsOfUser(org, grants, row.userId) : [],
    decision: row.decision,
    decidedBy: row.decidedBy ? { id: row.decidedBy, name: row.deciderName } : null,
    decidedAt: iso(row.decidedAt),
  };
}

const toCounts = (rows: CountRow[]) =>
  countDecisions(rows.flatMap((r) => Array.from({ length: r.n }, () => ({ decision: r.decision, deleted: Boolean(r.deleted) }))));

/**
 * Which review and organization the detail queries read: ids, or (when the
 * review is found in the same batch) sub-selects that name them.
 */
type ReviewRef = { id: string | SQL; orgId: string | SQL };

/** The review page's data, or one row of it (`userId`) with the review's counts, as queries for one batch. */
const detailQueries = (deps: Deps, review: ReviewRef, now: number, userId?: string) =>
  [summaryQuery(deps, review.id), itemsQuery(deps, review, userId), grantsQuery(deps, review.orgId, now), countsQuery(deps, review.id)] as const;

type DetailRows = [SummaryRow[], ItemRow[], GrantRow[], CountRow[]];

function toDetail(now: number, [[summary], items, grants, counts]: DetailRows): ReviewDetail {
  if (!summary) throw REVIEW_NOT_FOUND();
  const orgGrants = grants.map(toGrant);
  const org = { id: summary.review.orgId, kind: summary.orgKind };
  return {
    review: toSummary(summary, now),
    counts: toCounts(counts),
    items: items.map((row) => toItem(row, org, orgGrants)),
    partnerAccess: org.kind === "customer" ? orgGrants.filter((g) => g.customer.id === org.id) : [],
  };
}

/** A review the actor may read, found in the same round trip as its detail (operators read any organization's). */
async function readDetail(deps: Deps, actor: Actor, reviewId: string, userId?: string): Promise<ReviewDetail> {
  assertCanRead(actor);
  const now = deps.now();
  const orgId = isOperator(actor) ? sql`(SELECT ${accessReviews.orgId} FROM ${accessReviews} WHERE ${accessReviews.id} = ${reviewId})` : actor.orgId;
  const [[review], ...detail] = await deps.db.batch([reviewQuery(deps, actor, reviewId), ...detailQueries(deps, { id: reviewId, orgId }, now, userId)]);
  if (!review || !canReadAccessReview(actor, review.orgId)) throw REVIEW_NOT_FOUND();
  return toDetail(now, detail as DetailRows);
}

/** F-93: one review with every user, as the review page shows it. Operators read any organization's. */
export async function getReview(deps: Deps, actor: Actor, reviewId: string): Promise<ReviewDetail> {
  return readDetail(deps, actor, reviewId);
}

/** One user's row of a review (as getReview shows it), with the review's counts: what a page swaps in after a refusal. */
export async function getReviewItem(deps: Deps, actor: Actor, reviewId: string, userId: string) {
  const detail = await readDetail(deps, actor, reviewId, userId);
  const item = detail.items[0];
  if (!item) throw ITEM_NOT_FOUND();
  return { review: detail.review, counts: detail.counts, item };
}

/** The open review of the actor's organization (null when none) and when the last one was completed. */
export async function getCurrentReview(deps: Deps, actor: Actor) {
  assertCanRun(actor);
  const now = deps.now();
  const openId = sql`(SELECT ${accessReviews.id} FROM ${accessReviews} WHERE ${accessReviews.orgId} = ${actor.orgId} AND ${accessReviews.status} = 'open')`;
  const [[open], [last], ...detail] = await deps.db.batch([
    deps.db.select({ id: accessReviews.id }).from(accessReviews).where(and(eq(accessReviews.orgId, actor.orgId), eq(accessReviews.status, "open"))),
    deps.db
      .select({ id: accessReviews.id, completedAt: accessReviews.completedAt })
      .from(accessReviews)
      .where(and(eq(accessReviews.orgId, actor.orgId), eq(accessReviews.status, "completed")))
      .orderBy(desc(accessReviews.completedAt))
      .limit(1),
    // The open review's detail rides along; without an open review it is simply empty.
    ...detailQueries(deps, { id: openId, orgId: actor.orgId }, now),
  ]);
  return {
    open: open ? toDetail(now, detail as DetailRows) : null,
    lastCompleted: last ? { id: last.id, completedAt: iso(last.completedAt) } : null,
  };
}

// ---------------------------------------------------------------- starting

/**
 * F-93 on demand: a Partner Manager opens a review of their organization. The
 * review, one item per user (not deactivated) with what they hold now, and
 * the audit entry are one batch; a second open review is refused (409), also
 * when two starts race (the partial unique index).
 */
export async function startReview(deps: Deps, actor: Actor): Promise<ReviewDetail> {
  assertCanRun(actor);
  const now = deps.now();
  const review = { id: newId(), orgId: actor.orgId, startedBy: actor.id, startedAt: now, dueAt: dueAt(now), status: "open" as const };
  try {
    // One round trip: a terminated organization aborts the batch, a second open review hits the partial unique index.
    const [, , , , ...detail] = await deps.db.batch([
      guardNot(deps.db, sql`NOT EXISTS (SELECT 1 FROM ${organizations} WHERE ${organizations.id} = ${actor.orgId} AND ${organizations.status} = 'active')`),
      deps.db.insert(accessReviews).values(review),
      ...openedReviewStatements(deps, now, sql`r.id = ${review.id}`),
      ...detailQueries(deps, review, now),
    ]);
    return toDetail(now, detail as DetailRows);
  } catch (e) {
    if (isUniqueViolation(e)) throw alreadyOpen();
    if (!isGuardAbort(e)) throw e;
  }
  // The organization is not active (or changed meanwhile): the reads the check used to do explain it.
  const [[org], [open]] = await deps.db.batch([
    deps.db.select({ status: organizations.status }).from(organizations).where(eq(organizations.id, actor.orgId)),
    deps.db.select({ id: accessReviews.id }).from(accessReviews).where(and(eq(accessReviews.orgId, actor.orgId), eq(accessReviews.status, "open"))),
  ]);
  if (!org || org.status !== "active") throw new AppError("CONFLICT", "This organization is terminated; its access can no longer be reviewed.");
  if (open) throw alreadyOpen();
  throw new AppError("CONFLICT", "This organization changed meanwhile. Reload and try again.");
}

const alreadyOpen = () => new AppError("CONFLICT", "An access review of your organization is already open. Finish it before starting another.");

// ---------------------------------------------------------------- deciding

export interface DecideResult {
  review: ReviewSummary;
  item: ReviewItem;
  counts: DecisionCounts;
  /** Secondary roles the role change removed (F-15, F-22). */
  removed: SecondaryRole[];
  /** Requests filed with the operators (F-16). */
  requested: SecondaryRole[];
}

const STORED_DECISION = { confirm: "confirmed", change: "changed", deactivate: "deactivated" } as const;

/**
 * F-93: confirms, changes or deactivates one user of an open review. Each is
 * one batch that checks and writes: the review (the actor's organization's,
 * open), the item and its account are in the WHERE of the decision's
 * compare-and-swap; the writes of a deactivation or a change come from the
 * services that own them (deactivationStatements, roleChangeStatements,
 * revokeAnalyticsStatements, roleRequestStatements), so their rules, audit
 * entries and mails stay in one place and commit with the decision, or
 * nothing does. A refused batch is explained by the reads the checks used to
 * make.
 */
export async function decide(deps: Deps, actor: Actor, reviewId: string, userId: string, input: DecideInput): Promise<DecideResult> {
  assertCanRun(actor);
  if (input.decision === "change") return decideChange(deps, actor, reviewId, userId, input);
  // Deactivating oneself is refused by the user-admin service, with its own message.
  if (input.decision === "deactivate" && userId === actor.id) return decideThroughServices(deps, actor, reviewId, userId, input);
  const decision = STORED_DECISION[input.decision];
  const review = { id: reviewId, orgId: actor.orgId };
  const now = deps.now();
  const mailId = newId();
  const deactivation = input.decision === "deactivate" ? deactivationStatements(deps, actor, userId, mailId, "keep") : null;
  const statements = [
    // Deactivated elsewhere since the review started: nothing left to do but record it ("keep").
    ...(deactivation?.statements ?? []),
    ...decisionStatements(deps, actor, review, userId, decision),
    ...detailQueries(deps, review, now, userId),
  ];
  const results = await batchOrExplain(deps.db, statements, async () => {
    const row = await decidableItem(deps, actor, reviewId, userId);
    if (deactivation && row.status !== "deactivated") {
      await assertLastManagerRule(deps, actor, { id: userId, orgId: actor.orgId, role: row.role!, status: row.status! }, { role: row.role!, status: "deactivated" });
    }
    throw new AppError("CONFLICT", "This access review changed meanwhile; the decision was not recorded. Reload and try again.");
  });
  if (deactivation) deliverSoon(deps, [mailId]);
  const detail = toDetail(now, results.slice(-4) as unknown as DetailRows);
  return { review: detail.review, item: detail.items[0]!, counts: detail.counts, removed: [], requested: [] };
}

/**
 * The decision's compare-and-swap and its audit entry (ahead of it, reading
 * the item as it was): the review is the actor's organization's and open, the
 * item and its account exist; otherwise the batch aborts.
 */
function decisionStatements(deps: Deps, actor: Actor, review: { id: string; orgId: string }, userId: string, decision: Decision, changes: ChangesJson = { keys: [] }) {
  const decidedUser = sql`EXISTS (SELECT 1 FROM ${users} AS decided_user WHERE decided_user.id = ${userId} AND decided_user.org_id = ${review.orgId})`;
  const item = and(eq(accessReviewItems.reviewId, review.id), eq(accessReviewItems.userId, userId), ownOpenReview(actor, review.id), decidedUser)!;
  const extra = changes.keys.map(([key, value]) => sql`, ${key}, ${value}`);
  const after = sql`json_object('userId', ${userId}, 'email', (SELECT email_of.email FROM ${users} AS email_of WHERE email_of.id = ${userId}), 'decision', ${decision}${sql.join(extra, sql``)})`;
  return [
    auditEntrySelect(
      deps,
      {
        actorId: actor.id,
        orgId: review.orgId,
        action: "access_review.decided",
        targetType: "access_review",
        targetId: review.id,
        before: jsonObject({ userId, decision: accessReviewItems.decision }),
        after: changes.patch ? sql`json_patch(${after}, ${changes.patch})` : after,
      },
      sql`FROM ${accessReviewItems} WHERE ${item}`,
    ),
    deps.db.update(accessReviewItems).set({ decision, decidedBy: actor.id, decidedAt: deps.now() }).where(item),
    guardChanged(deps.db),
  ] as const;
}

/** The item the actor may decide on, read as the checks before a decision always did (403, 404, 409). */
async function decidableItem(deps: Deps, actor: Actor, reviewId: string, userId: string) {
  assertCanRun(actor);
  // One round trip: the review is looked up in the actor's organization, so its items are that organization's.
  const [[review], [row]] = await deps.db.batch([reviewQuery(deps, actor, reviewId), itemsQuery(deps, { id: reviewId, orgId: actor.orgId }, userId)]);
  if (!review || !canReadAccessReview(actor, review.orgId)) throw REVIEW_NOT_FOUND();
  if (review.status !== "open") throw NOT_OPEN();
  if (!row) throw ITEM_NOT_FOUND();
  if (row.email === null) throw new AppError("NOT_FOUND", "This account was deleted since the review started; there is nothing left to decide.");
  return row;
}

/**
 * The change's part of the decision's audit entry, in SQL over the user's row
 * as it is before the change: each changed value as {from, to}; `patch` adds
 * `removed` (when the role change removes any) and `requested` (when filed).
 */
interface ChangesJson {
  keys: [string, SQL][];
  patch?: SQL;
}

/**
 * A change decision in one batch: the decision, then the steps the change
 * asks for (stepsAsked), each guarded by the service that owns it. When the
 * batch is refused, the current row says why (planChange, as before); if it
 * shows that fewer steps are the real change (the role it already has, next
 * to a real revocation), those are tried once more.
 */
async function decideChange(deps: Deps, actor: Actor, reviewId: string, userId: string, input: DecideInput): Promise<DecideResult> {
  const review = { id: reviewId, orgId: actor.orgId };
  const asked = stepsAsked(input);
  if (asked.some((s) => s.kind === "role")) assertMayAdminister(actor, "changeUserRoles");
  if (asked.some((s) => s.kind === "request")) assertMayRequest(actor);
  // Revoking needs an AAA: without one the batch is not tried, and planChange says so in its field.
  const mayRevoke = canAdministerAnalyticsAccess(actor, actor.orgId, actor.orgId);
  if (asked.length && (mayRevoke || !asked.some((s) => s.kind === "revoke_analytics"))) {
    const done = await changeInOneBatch(deps, actor, review, userId, asked);
    if (done) return done;
  }
  const row = await decidableItem(deps, actor, reviewId, userId);
  const user = { name: row.name!, role: row.role!, purchaser: row.purchaser!, analyticsAccess: row.analyticsAccess!, analyticsAdmin: row.analyticsAdmin!, orgId: review.orgId };
  const plan = planChange(actor, user, input);
  if ("errors" in plan) throw validationError(plan.errors, Object.values(plan.errors).join(" "));
  if (JSON.stringify(plan.steps) !== JSON.stringify(asked)) {
    const done = await changeInOneBatch(deps, actor, review, userId, plan.steps);
    if (done) return done;
  }
  // The plan holds on this row, so a guard refused: the last-manager rule, a pending request, or a change meanwhile.
  const roleStep = plan.steps.find((s) => s.kind === "role");
  if (roleStep) await assertLastManagerRule(deps, actor, { id: userId, orgId: review.orgId, role: user.role, status: row.status! }, { role: roleStep.role, status: row.status! });
  const kinds = plan.steps.flatMap((s) => (s.kind === "request" ? [s.secondary] : []));
  if (kinds.length) {
    const [pending] = await pendingRequestsQuery(deps, userId, kinds);
    if (pending) throw requestAlreadyPending(pending.kind, user.name);
  }
  throw CHANGED_MEANWHILE();
}

/** The change's batch: the decision's compare-and-swap, the steps, then the item as it is now; null when a guard refused it. */
async function changeInOneBatch(deps: Deps, actor: Actor, review: { id: string; orgId: string }, userId: string, steps: ChangeStep[]): Promise<DecideResult | null> {
  const now = deps.now();
  const roleStep = steps.find((s) => s.kind === "role");
  const revoking = steps.some((s) => s.kind === "revoke_analytics");
  const requested = steps.flatMap((s) => (s.kind === "request" ? [s.secondary] : []));
  const roleMail = newId();
  const revokeMail = newId();
  const role = roleStep ? roleChangeStatements(deps, actor, userId, roleStep.role, roleMail) : null;
  const revoke = revoking ? revokeAnalyticsStatements(deps, actor, userId, revokeMail) : null;
  const requests = requested.map((kind) => roleRequestStatements(deps, actor, { kind, userId }));

  // Read before the steps change the row: each value as it was. json(): a subquery's result loses its JSON type.
  const was = (expression: SQL) => sql`json((SELECT ${expression} FROM ${users} WHERE ${users.id} = ${userId}))`;
  const changes: ChangesJson = { keys: [] };
  if (role) changes.keys.push(["role", was(sql`json_object('from', ${users.role}, 'to', ${roleStep!.role})`)]);
  if (revoke) changes.keys.push(["analyticsAccess", was(sql`json_object('from', ${users.analyticsAccess}, 'to', 'N')`)]);
  const removed = role ? was(sql`CASE WHEN json_array_length(${role.removedJson}) > 0 THEN ${role.removedJson} END`) : sql`NULL`;
  if (role || requested.length) {
    changes.patch = sql`json_object('removed', ${removed}${requested.length ? sql`, 'requested', json(${JSON.stringify(requested)})` : sql``})`;
  }

  const decision = decisionStatements(deps, actor, review, userId, "changed", changes);
  const stepStatements = [...(role?.statements ?? []), ...(revoke?.statements ?? []), ...requests.flatMap((r) => r.statements)];
  const statements = [...decision, ...stepStatements, ...detailQueries(deps, review, now, userId)];
  let results;
  try {
    results = await deps.db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  } catch (e) {
    if (isGuardAbort(e)) return null;
    throw e;
  }
  let at = decision.length;
  const removedRoles = role ? role.outcome(results, at).removed : [];
  at += role?.statements.length ?? 0;
  at += revoke?.statements.length ?? 0;
  const mailIds = [...(role ? [roleMail] : []), ...(revoke ? [revokeMail] : [])];
  for (const r of requests) {
    mailIds.push(...r.outcome(results, at).mailIds);
    at += r.statements.length;
  }
  deliverSoon(deps, mailIds);
  const detail = toDetail(now, results.slice(-4) as unknown as DetailRows);
  return { review: detail.review, item: detail.items[0]!, counts: detail.counts, removed: removedRoles, requested };
}

/** Deactivating oneself in a review: the user-admin service refuses it with its own message. */
async function decideThroughServices(deps: Deps, actor: Actor, reviewId: string, userId: string, input: DecideInput): Promise<DecideResult> {
  const row = await decidableItem(deps, actor, reviewId, userId);
  const review = { id: reviewId, orgId: actor.orgId };
  if (input.decision === "deactivate" && row.status !== "deactivated") await deactivateUser(deps, actor, userId);

  const now = deps.now();
  let results;
  try {
    results = await deps.db.batch([...decisionStatements(deps, actor, review, userId, STORED_DECISION[input.decision]), ...detailQueries(deps, review, now, userId)]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("CONFLICT", "This access review was completed meanwhile; the decision was not recorded.");
    throw e;
  }
  const detail = toDetail(now, results.slice(-4) as unknown as DetailRows);
  return { review: detail.review, item: detail.items[0]!, counts: detail.counts, removed: [], requested: [] };
}

/** F-93 "Confirm all remaining": every item still waiting is confirmed as it is, in one statement. */
export async function confirmAllRemaining(deps: Deps, actor: Actor, reviewId: string) {
  assertCanRun(actor);
  const review = { id: reviewId, orgId: actor.orgId };
  const now = deps.now();
  const remaining = countWhere(pendingItems(review.id));
  try {
    const [, , confirmed, counts] = await deps.db.batch([
      // The review, in the actor's organization and open: otherwise the batch aborts and the read below explains why.
      guardNot(deps.db, sql`NOT ${ownOpenReview(actor, review.id)}`),
      // Before the update, so it counts what the update is about to confirm; nothing to confirm, no entry.
      auditInsertSelect(
        deps,
        { actorId: actor.id, orgId: review.orgId, action: "access_review.remaining_confirmed", targetId: review.id, after: sql`json_object('confirmed', ${remaining})` },
        sql`${remaining} > 0 AND ${reviewIsOpen(review.id)}`,
      ),
      deps.db
        .update(accessReviewItems)
        .set({ decision: "confirmed", decidedBy: actor.id, decidedAt: now })
        .where(and(pendingItems(review.id), reviewIsOpen(review.id))),
      countsQuery(deps, review.id),
    ]);
    return { confirmed: confirmed.meta.changes, counts: toCounts(counts) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
  }
  const found = await findReview(deps, actor, reviewId, "act");
  if (found.status !== "open") throw NOT_OPEN();
  throw CHANGED_MEANWHILE();
}

/**
 * F-93: closes the review once every user has a decision. The audit entry
 * carries the outcome counts, computed in the same batch as the change.
 */
export async function completeReview(deps: Deps, actor: Actor, reviewId: string): Promise<ReviewDetail> {
  assertCanRun(actor);
  const review = { id: reviewId, orgId: actor.orgId };
  const now = deps.now();
  const deleted = countWhere(
    sql`${accessReviewItems.reviewId} = ${review.id} AND ${accessReviewItems.decision} = 'pending'
      AND NOT EXISTS (SELECT 1 FROM ${users} AS gone WHERE gone.id = ${accessReviewItems.userId})`,
  );
  try {
    // The compare-and-swap holds the whole check: the actor's organization, still open, nobody pending.
    const [, , , ...detail] = await deps.db.batch([
      deps.db
        .update(accessReviews)
        .set({ status: "completed", completedAt: now, completedBy: actor.id })
        .where(
          and(
            eq(accessReviews.id, review.id),
            eq(accessReviews.orgId, review.orgId),
            eq(accessReviews.status, "open"),
            sql`NOT EXISTS (SELECT 1 FROM ${accessReviewItems} WHERE ${pendingItems(review.id)})`,
          ),
        ),
      guardChanged(deps.db),
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: review.orgId,
          action: "access_review.completed",
          targetId: review.id,
          after: sql`json_object('confirmed', ${decisionCount(review.id, "confirmed")}, 'changed', ${decisionCount(review.id, "changed")},
            'deactivated', ${decisionCount(review.id, "deactivated")}, 'deleted', ${deleted},
            'total', ${countWhere(sql`${accessReviewItems.reviewId} = ${review.id}`)})`,
        },
        sql`1`,
      ),
      ...detailQueries(deps, review, now),
    ]);
    return toDetail(now, detail as DetailRows);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
  }
  // Not found, already completed, or users still pending: the reads the check used to do explain it.
  const found = await findReview(deps, actor, reviewId, "act");
  const pending = toCounts(await countsQuery(deps, found.id)).pending;
  throw new AppError("CONFLICT", completionProblem(found, pending) ?? "This access review changed meanwhile. Reload and try again.");
}
