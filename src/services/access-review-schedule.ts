// F-93 on the daily cron: the quarterly reviews start by themselves, and an
// unfinished review gets one reminder after a week. Both are set-based: one
// batch for every organization, whatever their number.
import { and, eq, isNull, lte, sql, type SQL } from "drizzle-orm";
import { accessReviewItems, accessReviews, auditEvents, organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import { dueAt, isQuarterStart, reminderCutoff, REVIEWED_ORG_KINDS } from "../domain/access-review";
import { accessReviewReminderMail, accessReviewStartedMail } from "../../views/mail/access-review";
import { openedReviewStatements, pendingDecisionsOf } from "./access-reviews";
import { outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";

const reviewUrl = (deps: Deps) => `${deps.config.origin}/access-review`;
const dayOf = (column: SQL) => sql`strftime('%Y-%m-%d', ${column} / 1000, 'unixepoch')`;

/** Active Partner Managers of `r`'s organization, as `pm` (the review's mail recipients). */
const managersOf = sql`JOIN ${organizations} AS o ON o.id = r.org_id
  JOIN ${users} AS pm ON pm.org_id = r.org_id AND pm.role = 'partner_manager' AND pm.status = 'active'`;

/**
 * F-93 quarterly: on the first day of January, April, July and October, every
 * active partner or customer organization with an active Partner Manager and
 * no open review gets one, with its items, audit entry and a mail to its
 * active Partner Managers — one batch, set-based. A second run at the same
 * moment finds every such organization with an open review and adds nothing.
 */
export async function startQuarterlyReviews(deps: Deps): Promise<{ started: number }> {
  const now = deps.now();
  if (!isQuarterStart(now)) return { started: 0 };
  const eligible = sql`o.kind IN ${REVIEWED_ORG_KINDS} AND o.status = 'active'
    AND EXISTS (SELECT 1 FROM ${users} AS m WHERE m.org_id = o.id AND m.role = 'partner_manager' AND m.status = 'active')
    AND NOT EXISTS (SELECT 1 FROM ${accessReviews} AS x WHERE x.org_id = o.id AND x.status = 'open')`;
  // Opened by this run: scheduled, at this moment, not filled yet (the item insert is the batch's last step).
  const fresh = sql`r.status = 'open' AND r.started_by IS NULL AND r.started_at = ${now}
    AND NOT EXISTS (SELECT 1 FROM ${accessReviewItems} AS i WHERE i.review_id = r.id)`;
  const template = accessReviewStartedMail({ appName: deps.config.appName, orgName: slot("org"), dueOn: slot("due"), url: reviewUrl(deps) });
  const [opened] = await deps.db.batch([
    deps.db
      .insert(accessReviews)
      .select(sql`SELECT lower(hex(randomblob(12))), o.id, NULL, ${now}, ${dueAt(now)}, NULL, NULL, NULL, 'open' FROM ${organizations} AS o WHERE ${eligible}`),
    outboxInsertSelect(
      deps,
      { to: sql`pm.email`, ...filledMail(template, [["due", dayOf(sql`r.due_at`)], ["org", sql`o.name`]]) },
      sql`FROM ${accessReviews} AS r ${managersOf} WHERE ${fresh}`,
    ),
    ...openedReviewStatements(deps, now, fresh),
  ]);
  return { started: opened.meta.changes };
}

/**
 * F-93: an open review started 7 or more days ago gets one reminder to the
 * organization's active Partner Managers; reminded_at makes it the only one.
 */
export async function remindOpenReviews(deps: Deps): Promise<{ reminded: number }> {
  const now = deps.now();
  const cutoff = reminderCutoff(now);
  const due = sql`r.status = 'open' AND r.reminded_at IS NULL AND r.started_at <= ${cutoff}`;
  const pendingOfR = pendingDecisionsOf(sql`r.id`);
  const template = accessReviewReminderMail({ appName: deps.config.appName, orgName: slot("org"), pending: slot("pending"), dueOn: slot("due"), url: reviewUrl(deps) });
  const [, , reminded] = await deps.db.batch([
    deps.db.insert(auditEvents).select(
      sql`SELECT lower(hex(randomblob(12))), ${now}, NULL, r.org_id, 'access_review.reminded', 'access_review', r.id, NULL,
        json_object('pending', ${pendingOfR}), NULL
        FROM ${accessReviews} AS r WHERE ${due}`,
    ),
    outboxInsertSelect(
      deps,
      { to: sql`pm.email`, ...filledMail(template, [["due", dayOf(sql`r.due_at`)], ["pending", sql`CAST(${pendingOfR} AS TEXT)`], ["org", sql`o.name`]]) },
      sql`FROM ${accessReviews} AS r ${managersOf} WHERE ${due} AND o.status = 'active'`,
    ),
    deps.db
      .update(accessReviews)
      .set({ remindedAt: now })
      .where(and(eq(accessReviews.status, "open"), isNull(accessReviews.remindedAt), lte(accessReviews.startedAt, cutoff))),
  ]);
  return { reminded: reminded.meta.changes };
}
