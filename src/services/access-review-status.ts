// F-93 for operators: where each organization's access review stands (the
// status page and its JSON twin), and the counts the home page shows. The
// reviews themselves are read and decided in access-reviews.ts.
import { and, asc, count, eq, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { aliased } from "../db/client";
import { accessReviews, organizations } from "../db/schema";
import type { Deps } from "../deps";
import { canReadReviewStatus, REVIEWED_ORG_KINDS } from "../domain/access-review";
import type { Actor } from "../domain/actor";
import { AppError } from "../lib/errors";
import { iso } from "../lib/iso-time";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { contains } from "../lib/search";
import * as z from "../lib/zod";
import { assertCanRun, pendingDecisionsOf } from "./access-reviews";

export const REVIEW_STATES = ["open", "overdue", "never"] as const;

export const ListReviewStatusInput = z.object({
  q: z.blankable(z.string().check(z.trim(), z.maxLength(120, "Use at most 120 characters."))),
  /** open: a review is under way; overdue: under way and past its due date; never: no review was ever started. */
  state: z.blankable(z.enum(REVIEW_STATES, { error: "Choose open, overdue or never." })),
  ...pageFields({ size: 50 }),
});
export type ListReviewStatusInput = z.infer<typeof ListReviewStatusInput>;

const openReview = alias(accessReviews, "open_review");

const lastCompletedAt = sql<number | null>`(SELECT max(done.completed_at) FROM ${accessReviews} AS done WHERE done.org_id = ${organizations.id} AND done.status = 'completed')`;

/** The reviewed organizations (each with its open review joined as open_review) that match the status page's filter. */
function reviewStatusWhere(input: Pick<ListReviewStatusInput, "q" | "state">, now: number) {
  const stateFilter: Record<(typeof REVIEW_STATES)[number], SQL> = {
    open: sql`${openReview.id} IS NOT NULL`,
    overdue: sql`${openReview.id} IS NOT NULL AND ${openReview.dueAt} < ${now}`,
    never: sql`${openReview.id} IS NULL AND ${lastCompletedAt} IS NULL`,
  };
  return and(
    sql`${organizations.kind} IN ${REVIEWED_ORG_KINDS}`,
    eq(organizations.status, "active"),
    input.q ? contains(organizations.name, input.q) : undefined,
    input.state ? stateFilter[input.state] : undefined,
  );
}

const countReviewStatus = (deps: Deps, where: SQL | undefined) =>
  deps.db
    .select({ n: count() })
    .from(organizations)
    .leftJoin(openReview, and(eq(openReview.orgId, organizations.id), eq(openReview.status, "open")))
    .where(where);

/** How many organizations' reviews are overdue (the status page's total for that filter), as a query for a batch; operators only. */
export function overdueReviewCountQuery(deps: Deps, actor: Actor) {
  if (!canReadReviewStatus(actor)) throw new AppError("FORBIDDEN", "Only operators can see the access review status of every organization.");
  return countReviewStatus(deps, reviewStatusWhere({ state: "overdue" }, deps.now()));
}

/** How many users still need a decision in the actor's organization's open review (0 without one), as a query for a batch. */
export function pendingDecisionCountQuery(deps: Deps, actor: Actor) {
  assertCanRun(actor);
  return deps.db
    .select({ n: pendingDecisionsOf(openReview.id) })
    .from(openReview)
    .where(and(eq(openReview.orgId, actor.orgId), eq(openReview.status, "open")));
}

/** F-93 for operators: per active partner or customer organization, the review under way and the last completed. */
export async function listReviewStatus(deps: Deps, actor: Actor, input: ListReviewStatusInput) {
  if (!canReadReviewStatus(actor)) throw new AppError("FORBIDDEN", "Only operators can see the access review status of every organization.");
  const now = deps.now();
  const open = openReview;
  const lastCompletedId = sql<string | null>`(SELECT done.id FROM ${accessReviews} AS done WHERE done.org_id = ${organizations.id} AND done.status = 'completed' ORDER BY done.completed_at DESC LIMIT 1)`;
  const pending = pendingDecisionsOf(open.id);
  const where = reviewStatusWhere(input, now);
  const [rows, [total]] = await deps.db.batch([
    deps.db
      .select({
        orgId: organizations.id,
        orgName: organizations.name,
        orgKind: organizations.kind,
        openId: aliased<string | null>(open.id, "open_id"),
        openStartedAt: aliased<number | null>(open.startedAt, "open_started_at"),
        openStartedBy: aliased<string | null>(open.startedBy, "open_started_by"),
        openDueAt: aliased<number | null>(open.dueAt, "open_due_at"),
        openRemindedAt: aliased<number | null>(open.remindedAt, "open_reminded_at"),
        pending: pending.as("pending"),
        lastCompletedAt: lastCompletedAt.as("last_completed_at"),
        lastCompletedId: lastCompletedId.as("last_completed_id"),
      })
      .from(organizations)
      .leftJoin(open, and(eq(open.orgId, organizations.id), eq(open.status, "open")))
      .where(where)
      .orderBy(asc(sql`lower(${organizations.name})`), asc(organizations.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    countReviewStatus(deps, where),
  ]);
  return {
    items: rows.map((r) => {
      const overdue = r.openId !== null && r.openDueAt !== null && r.openDueAt < now;
      return {
        org: { id: r.orgId, name: r.orgName, kind: r.orgKind },
        state: overdue ? ("overdue" as const) : r.openId !== null ? ("open" as const) : r.lastCompletedId !== null ? ("completed" as const) : ("never" as const),
        open:
          r.openId === null
            ? null
            : { id: r.openId, startedAt: iso(r.openStartedAt), scheduled: r.openStartedBy === null, dueAt: iso(r.openDueAt), remindedAt: iso(r.openRemindedAt), overdue, pending: r.pending },
        lastCompleted: r.lastCompletedId === null ? null : { id: r.lastCompletedId, completedAt: iso(r.lastCompletedAt) },
      };
    }),
    page: pageOf(input, total),
  };
}
export type ReviewStatusRow = Awaited<ReturnType<typeof listReviewStatus>>["items"][number];

