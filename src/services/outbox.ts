// The outbox (F-10): mail rows are inserted in the batch of the change that
// causes them and delivered afterwards; whatever fails is retried by the cron.
import { and, desc, eq, getTableColumns, inArray, lte, sql, type SQL } from "drizzle-orm";
import { outbox } from "../db/schema";
import type { Deps } from "../deps";
import { newId } from "../lib/ids";
import type { MailContent } from "../../views/mail/templates";

export const MAX_DELIVERY_ATTEMPTS = 8;
/** While a run is sending a row, others leave it alone for this long. */
const CLAIM_MS = 5 * 60_000;

/** Exponential backoff: 1, 2, 4 … minutes, at most 6 hours. */
export const retryDelayMs = (attempts: number) => Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3_600_000);

/** An outbox row, for callers that insert many at once (chunked, see lib/batch insertChunks). */
export const outboxRow = (deps: Pick<Deps, "now">, to: string, mail: MailContent, id = newId()) =>
  ({ id, to, ...mail, createdAt: deps.now(), nextAttemptAt: deps.now() }) satisfies typeof outbox.$inferInsert;

export function mailInsert(deps: Pick<Deps, "db" | "now">, to: string, mail: MailContent, id = newId()) {
  return deps.db.insert(outbox).values(outboxRow(deps, to, mail, id));
}

/**
 * A mail that is queued only when `condition` holds at commit time, so the
 * decision joins the batch instead of costing a read before it.
 */
export function mailInsertWhere(deps: Pick<Deps, "db" | "now">, to: string, mail: MailContent, condition: SQL, id = newId()) {
  const now = deps.now();
  const row = { id, to, ...mail, status: "pending", attempts: 0, nextAttemptAt: now, lastError: null, providerId: null, createdAt: now, sentAt: null } satisfies Record<
    keyof typeof outbox.$inferSelect,
    unknown
  >;
  // insert … select lists every column in table order.
  const columns = Object.keys(getTableColumns(outbox)) as (keyof typeof row)[];
  return deps.db.insert(outbox).select(sql`SELECT ${sql.join(columns.map((k) => sql`${row[k]}`), sql`, `)} WHERE ${condition}`);
}

/** Queues delivery of these rows after the response is sent. */
export function deliverSoon(deps: Deps, ids: string[]) {
  if (ids.length) deps.waitUntil(deliverOutbox(deps, { ids }).catch((e) => console.error("outbox delivery failed", e)));
}

export interface DeliveryResult {
  sent: number;
  failed: number;
  dead: number;
}

/**
 * Claims due rows (one UPDATE … RETURNING, so two runs never send the same row),
 * sends them, and records every outcome in one batch.
 */
export async function deliverOutbox(deps: Deps, options: { ids?: string[]; limit?: number } = {}): Promise<DeliveryResult> {
  const now = deps.now();
  const due = and(eq(outbox.status, "pending"), lte(outbox.nextAttemptAt, now), options.ids ? inArray(outbox.id, options.ids) : undefined);
  const limit = options.limit ?? 50;
  const claimed = await deps.db
    .update(outbox)
    .set({ nextAttemptAt: now + CLAIM_MS })
    .where(inArray(outbox.id, deps.db.select({ id: outbox.id }).from(outbox).where(due).orderBy(outbox.nextAttemptAt).limit(limit)))
    .returning();
  if (!claimed.length) return { sent: 0, failed: 0, dead: 0 };

  const outcomes = await Promise.all(
    claimed.map(async (mail) => {
      try {
        return { mail, providerId: await deps.mailer.send(mail), error: null };
      } catch (e) {
        return { mail, providerId: null, error: String((e as Error)?.message ?? e).slice(0, 500) };
      }
    }),
  );
  const result: DeliveryResult = { sent: 0, failed: 0, dead: 0 };
  const updates = outcomes.map(({ mail, providerId, error }) => {
    if (error === null) {
      result.sent++;
      return deps.db.update(outbox).set({ status: "sent", sentAt: now, providerId, attempts: mail.attempts + 1, lastError: null }).where(eq(outbox.id, mail.id));
    }
    const attempts = mail.attempts + 1;
    const dead = attempts >= MAX_DELIVERY_ATTEMPTS;
    if (dead) result.dead++;
    else result.failed++;
    return deps.db
      .update(outbox)
      .set({ status: dead ? "dead" : "pending", attempts, lastError: error, nextAttemptAt: now + retryDelayMs(attempts) })
      .where(eq(outbox.id, mail.id));
  });
  await deps.db.batch(updates as [(typeof updates)[number], ...typeof updates]);
  return result;
}

/** The development mailbox (/dev/mail): newest first. */
export function listMailbox(deps: Deps, limit = 100) {
  return deps.db.select().from(outbox).orderBy(desc(outbox.createdAt), sql`rowid DESC`).limit(limit);
}
