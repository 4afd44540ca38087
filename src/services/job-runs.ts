// F-10/F-70 operator visibility: every cron job run leaves one row (when, how
// long, what it did or why it failed), listed for operators with the mail
// that could not be delivered (dead letters), which they can send again.
import { and, count, desc, eq } from "drizzle-orm";
import * as z from "../lib/zod";
import { jobRuns, outbox } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { isOperator } from "../domain/roles";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { auditInsert } from "./audit";
import { deliverSoon } from "./outbox";
import { iso } from "../lib/iso-time";

/** Runs `work`, records the run (also when it fails, then rethrows) and logs one JSON line. */
export async function recordJobRun<T extends Record<string, unknown>>(deps: Deps, job: string, cron: string | null, work: () => Promise<T>) {
  const startedAt = Date.now();
  let summary: T | undefined;
  let error: string | null = null;
  try {
    summary = await work();
    return summary;
  } catch (e) {
    error = String((e as Error)?.stack ?? e).slice(0, 2000);
    throw e;
  } finally {
    const durationMs = Date.now() - startedAt;
    const status = error === null ? "ok" : "failed";
    console.log(JSON.stringify({ job, cron, at: new Date(deps.now()).toISOString(), durationMs, status, ...(summary ?? {}), ...(error ? { error } : {}) }));
    await deps.db.insert(jobRuns).values({
      id: newId(),
      job,
      cron,
      scheduledAt: deps.now(),
      startedAt,
      durationMs,
      status,
      summary: summary ? JSON.stringify(summary) : null,
      error,
    });
  }
}

const operatorsOnly = (actor: Actor) => {
  if (!isOperator(actor)) throw new AppError("FORBIDDEN", "Only operators see job runs and undelivered mail.");
};

export const ListJobRunsInput = z.object({
  job: z.optional(z.enum(["daily", "mail"])),
  ...pageFields({ size: 50, max: 200 }),
});

function jobRunsQueries(deps: Deps, input: z.infer<typeof ListJobRunsInput>) {
  const where = input.job ? eq(jobRuns.job, input.job) : undefined;
  return [
    deps.db
      .select()
      .from(jobRuns)
      .where(where)
      .orderBy(desc(jobRuns.startedAt))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(jobRuns).where(where),
  ] as const;
}

const jobRunsResult = (input: z.infer<typeof ListJobRunsInput>, rows: (typeof jobRuns.$inferSelect)[], total: { n: number } | undefined) => ({
  items: rows.map((r) => ({
    id: r.id,
    job: r.job,
    cron: r.cron,
    scheduledAt: iso(r.scheduledAt),
    startedAt: iso(r.startedAt),
    durationMs: r.durationMs,
    status: r.status,
    summary: r.summary ? (JSON.parse(r.summary) as Record<string, unknown>) : null,
    error: r.error,
  })),
  page: pageOf(input, total),
});

export async function listJobRuns(deps: Deps, actor: Actor, input: z.infer<typeof ListJobRunsInput>) {
  operatorsOnly(actor);
  const [rows, [total]] = await deps.db.batch(jobRunsQueries(deps, input));
  return jobRunsResult(input, rows, total);
}

export const ListDeadLettersInput = z.object({
  ...pageFields({ size: 50, max: 200 }),
});

const dead = eq(outbox.status, "dead");
const countDeadLetters = (deps: Deps) => deps.db.select({ n: count() }).from(outbox).where(dead);

/** How many mails were given up on (the dead letters' total), as a query for a batch; operators only. */
export function deadLetterCountQuery(deps: Deps, actor: Actor) {
  operatorsOnly(actor);
  return countDeadLetters(deps);
}

function deadLettersQueries(deps: Deps, input: z.infer<typeof ListDeadLettersInput>) {
  return [
    deps.db
      .select({ id: outbox.id, to: outbox.to, subject: outbox.subject, attempts: outbox.attempts, lastError: outbox.lastError, createdAt: outbox.createdAt })
      .from(outbox)
      .where(dead)
      .orderBy(desc(outbox.createdAt))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    countDeadLetters(deps),
  ] as const;
}

type DeadLetterRow = { id: string; to: string; subject: string; attempts: number; lastError: string | null; createdAt: number };
const deadLettersResult = (input: z.infer<typeof ListDeadLettersInput>, rows: DeadLetterRow[], total: { n: number } | undefined) => ({
  items: rows.map((r) => ({ ...r, createdAt: iso(r.createdAt) })),
  page: pageOf(input, total),
});

export async function listDeadLetters(deps: Deps, actor: Actor, input: z.infer<typeof ListDeadLettersInput>) {
  operatorsOnly(actor);
  const [rows, [total]] = await deps.db.batch(deadLettersQueries(deps, input));
  return deadLettersResult(input, rows, total);
}

/** The operators' jobs page: recent runs and the dead letters, in one round trip. */
export async function jobsPage(deps: Deps, actor: Actor, runsInput: z.infer<typeof ListJobRunsInput>) {
  operatorsOnly(actor);
  const deadInput = ListDeadLettersInput.parse({});
  const [runRows, [runTotal], deadRows, [deadTotal]] = await deps.db.batch([...jobRunsQueries(deps, runsInput), ...deadLettersQueries(deps, deadInput)]);
  return { runs: jobRunsResult(runsInput, runRows, runTotal), dead: deadLettersResult(deadInput, deadRows, deadTotal) };
}

/** An operator sends a dead letter again: a fresh row state and a new batch (its old key is spent). */
export async function retryDeadLetter(deps: Deps, actor: Actor, mailId: string) {
  operatorsOnly(actor);
  let row: { id: string; to: string; subject: string } | undefined;
  try {
    [[row]] = await deps.db.batch([
      deps.db
        .update(outbox)
        .set({ status: "pending", attempts: 0, nextAttemptAt: deps.now(), batchKey: null, lastError: null })
        .where(and(eq(outbox.id, mailId), eq(outbox.status, "dead")))
        .returning({ id: outbox.id, to: outbox.to, subject: outbox.subject }),
      guardChanged(deps.db),
      auditInsert(deps, { actorId: actor.id, orgId: null, action: "mail.retried", targetType: "mail", targetId: mailId }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("NOT_FOUND", "No undelivered mail with this id.");
    throw e;
  }
  if (!row) throw new AppError("NOT_FOUND", "No undelivered mail with this id.");
  deliverSoon(deps, [row.id]);
  return { mail: row };
}
