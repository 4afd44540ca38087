// The outbox (F-10): mail rows are inserted in the batch of the change that
// causes them and delivered afterwards; whatever fails is retried by the cron.
import { and, desc, eq, getTableColumns, inArray, lte, sql, type SQL } from "drizzle-orm";
import { outbox } from "../db/schema";
import type { Deps } from "../deps";
import { newId } from "../lib/ids";
import { MailTransportError } from "../lib/mailer";
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

type Expr = SQL | string | number | null;

/**
 * Mail rows made by SQL: `INSERT INTO outbox SELECT …` with the given
 * expressions for recipient, subject and bodies (per row when they are SQL
 * over the FROM clause) and the defaults of a new pending row for the rest,
 * listed in table order so no caller repeats the column list.
 */
export function outboxInsertSelect(deps: Pick<Deps, "db" | "now">, mail: { id?: Expr; to: Expr; subject: Expr; text: Expr; html: Expr }, from: SQL) {
  const now = deps.now();
  const row: Record<keyof typeof outbox.$inferSelect, Expr> = {
    id: mail.id ?? sql`lower(hex(randomblob(12)))`,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    status: "pending",
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    providerId: null,
    createdAt: now,
    sentAt: null,
    batchKey: null,
  };
  const columns = Object.keys(getTableColumns(outbox)) as (keyof typeof row)[];
  const values = columns.map((k) => {
    const v = row[k];
    return v !== null && typeof v === "object" ? v : sql`${v}`;
  });
  return deps.db.insert(outbox).select(sql`SELECT ${sql.join(values, sql`, `)} ${from}`);
}

/**
 * A mail that is queued only when `condition` holds at commit time, so the
 * decision joins the batch instead of costing a read before it.
 */
export function mailInsertWhere(deps: Pick<Deps, "db" | "now">, to: string, mail: MailContent, condition: SQL, id = newId()) {
  return outboxInsertSelect(deps, { id, to, ...mail }, sql`WHERE ${condition}`);
}

/**
 * Queues delivery of these rows after the response is sent. The delivery
 * starts on a later turn of the event loop, so its D1 claim never races the
 * request's own round trips for the response.
 */
export function deliverSoon(deps: Deps, ids: string[]) {
  if (!ids.length) return;
  const delivery = scheduler.wait(0).then(() => deliverOutbox(deps, { ids }));
  deps.waitUntil(delivery.catch((e) => console.error("outbox delivery failed", e)));
}

export interface DeliveryResult {
  sent: number;
  failed: number;
  dead: number;
  /** Set when the provider asked us to slow down: seconds to wait before the next call. */
  rateLimitedFor?: number;
}

const due = (now: number, ids?: string[]) =>
  and(eq(outbox.status, "pending"), lte(outbox.nextAttemptAt, now), ids ? inArray(outbox.id, ids) : undefined)!;

/**
 * One delivery round: claim one batch (one UPDATE … RETURNING, so two runs
 * never send the same row), send it in one provider call, record every
 * outcome in one D1 batch. Two D1 round trips per round whatever the size.
 *
 * A batch that failed as a whole keeps its rows and its key: it is claimed
 * again, before any new mail, with exactly the same rows, so Resend answers a
 * retry from its idempotency record instead of sending twice.
 */
export async function deliverOutbox(
  deps: Deps,
  options: { ids?: string[]; limit?: number; beforeSend?: () => Promise<void> } = {},
): Promise<DeliveryResult> {
  const now = deps.now();
  const limit = Math.min(options.limit ?? deps.mailer.maxBatch, deps.mailer.maxBatch);
  const isDue = due(now, options.ids);
  // Mail handed over by a request (ids) is new and goes as a new batch, binding the ids once
  // (D1 allows 100 parameters). The cron's rounds first look for a batch to retry, written with
  // literals so SQLite can use the partial index outbox_retry_idx (a bound 'pending' cannot match it).
  const retryBatch = sql`SELECT ${outbox.batchKey} FROM ${outbox}
    WHERE ${outbox.status} = 'pending' AND ${outbox.batchKey} IS NOT NULL AND ${outbox.nextAttemptAt} <= ${now}
    ORDER BY ${outbox.nextAttemptAt} LIMIT 1`;
  const fresh = sql`SELECT id FROM (SELECT ${outbox.id} AS id FROM ${outbox} WHERE ${isDue} AND ${outbox.batchKey} IS NULL ORDER BY ${outbox.nextAttemptAt} LIMIT ${limit})`;
  const claimed = await deps.db
    .update(outbox)
    .set({ nextAttemptAt: now + CLAIM_MS, batchKey: sql`coalesce(${outbox.batchKey}, ${newId()})` })
    .where(
      options.ids
        ? sql`${outbox.id} IN (${fresh})`
        : sql`${outbox.id} IN (
            SELECT ${outbox.id} FROM ${outbox} WHERE ${isDue} AND ${outbox.batchKey} = (${retryBatch})
            UNION ALL
            ${fresh} WHERE NOT EXISTS (${retryBatch})
          )`,
    )
    .returning();
  if (!claimed.length) return { sent: 0, failed: 0, dead: 0 };
  // Resend keeps a request's order; keep ours stable across retries too.
  claimed.sort((a, b) => (a.id < b.id ? -1 : 1));

  const attempts = claimed[0]!.attempts + 1;
  const batchKey = claimed[0]!.batchKey!;
  // The batch's rows by their key: binding 100 ids would pass D1's 100-parameter limit.
  const thisBatch = and(eq(outbox.batchKey, batchKey), eq(outbox.status, "pending"));
  await options.beforeSend?.();
  try {
    const outcomes = await deps.mailer.sendBatch(claimed, `outbox-batch-${batchKey}`);
    const sent = claimed.flatMap((m, i) => (outcomes[i]?.ok ? [{ i: m.id, p: (outcomes[i] as { providerId: string }).providerId }] : []));
    const refused = claimed.flatMap((m, i) => (outcomes[i] && !outcomes[i]!.ok ? [{ i: m.id, e: (outcomes[i] as { error: string }).error.slice(0, 500) }] : []));
    const sentJson = JSON.stringify(sent);
    const refusedJson = JSON.stringify(refused);
    const pick = (json: string, field: string) =>
      sql`(SELECT json_extract(value, ${"$." + field}) FROM json_each(${json}) WHERE json_extract(value, '$.i') = ${outbox.id})`;
    const inJson = (json: string) => sql`${outbox.id} IN (SELECT json_extract(value, '$.i') FROM json_each(${json}))`;
    await deps.db.batch([
      deps.db.update(outbox).set({ status: "sent", sentAt: now, attempts, lastError: null, providerId: pick(sentJson, "p") }).where(inJson(sentJson)),
      // A mail the provider refused on its own (bad address …) will never go: dead at once, for an operator to see.
      deps.db.update(outbox).set({ status: "dead", attempts, lastError: pick(refusedJson, "e") }).where(inJson(refusedJson)),
    ]);
    return { sent: sent.length, failed: 0, dead: refused.length };
  } catch (e) {
    const message = String((e as Error)?.message ?? e).slice(0, 500);
    if (e instanceof MailTransportError && e.retryAfterSeconds) {
      // Asked to slow down: not the mails' fault, so no attempt is counted.
      await deps.db.update(outbox).set({ nextAttemptAt: now + e.retryAfterSeconds * 1000, lastError: message }).where(thisBatch);
      return { sent: 0, failed: claimed.length, dead: 0, rateLimitedFor: e.retryAfterSeconds };
    }
    const dead = attempts >= MAX_DELIVERY_ATTEMPTS;
    await deps.db
      .update(outbox)
      .set({ status: dead ? "dead" : "pending", attempts, lastError: message, nextAttemptAt: now + retryDelayMs(attempts) })
      .where(thisBatch);
    return dead ? { sent: 0, failed: 0, dead: claimed.length } : { sent: 0, failed: claimed.length, dead: 0 };
  }
}

/**
 * The cron's drain: rounds until nothing is due, the provider asks us to wait,
 * or `maxRounds` (two D1 queries each) is spent. Calls are spaced to the
 * provider's rate limit.
 */
export async function drainOutbox(deps: Deps, maxRounds: number, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<DeliveryResult & { rounds: number }> {
  const total = { sent: 0, failed: 0, dead: 0, rounds: 0 } as DeliveryResult & { rounds: number };
  const spacingMs = deps.mailer.ratePerSecond > 0 ? Math.ceil(1000 / deps.mailer.ratePerSecond) : 0;
  let lastCall = 0;
  // Spaced just before each provider call, so the final round that finds nothing due costs no wait.
  const beforeSend = async () => {
    const wait = lastCall + spacingMs - Date.now();
    if (lastCall && wait > 0) await sleep(wait);
    lastCall = Date.now();
  };
  while (total.rounds < maxRounds) {
    const r = await deliverOutbox(deps, { beforeSend });
    total.rounds++;
    total.sent += r.sent;
    total.failed += r.failed;
    total.dead += r.dead;
    if (r.rateLimitedFor) {
      total.rateLimitedFor = r.rateLimitedFor;
      break;
    }
    // A short batch may have been a retried one with new mail behind it: stop only when nothing was due.
    if (r.sent + r.failed + r.dead === 0) break;
  }
  return total;
}

/** The development mailbox (/dev/mail): newest first. */
export function listMailbox(deps: Deps, limit = 100) {
  return deps.db.select().from(outbox).orderBy(desc(outbox.createdAt), sql`rowid DESC`).limit(limit);
}
