// F-10 mail: outbox rows are delivered after the response and by the cron,
// through Resend's batch endpoint (up to 100 per call, permissive validation).
// A batch that fails as a whole is retried with exactly the same rows and the
// same idempotency key, with backoff, until sent or, after 8 attempts, dead; a
// 429 counts no attempt and ends the run; an address Resend refuses is dead at
// once. The development mailbox is never served in production or with Resend.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { DAILY_CRON, MAIL_CRON } from "../../src/cron/scheduled";
import { createDeps } from "../../src/deps";
import { jobRuns, outbox } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { drainOutbox } from "../../src/services/outbox";
import { api, db, expectError, makeOperator, makeUser, ORIGIN, signIn } from "../helpers/fixtures";
import { page } from "../helpers/portal";

const RESEND_KEY = "re_test_key";
const withResend = { ...env, RESEND_API_KEY: RESEND_KEY };

interface SentMail {
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  html: string;
}
interface ResendCall {
  url: string;
  headers: Headers;
  body: SentMail[];
}

/** How the fake Resend treats one recipient: accepted, refused on its own, or failing the whole batch. */
type Verdict = "ok" | "refuse" | "fail" | "unreachable" | "rate_limited";
let resendCalls: ResendCall[] = [];
let verdictFor: (to: string) => Verdict;
const recipient = (m: SentMail) => [m.to].flat()[0]!;
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

function answer(call: ResendCall): Response {
  const verdicts = call.body.map((m) => verdictFor(recipient(m)));
  if (verdicts.includes("unreachable")) throw new TypeError("Network connection lost.");
  if (verdicts.includes("rate_limited")) return json({ statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests" }, 429, { "retry-after": "30" });
  if (verdicts.includes("fail")) return json({ statusCode: 500, name: "internal_server_error", message: "Resend is having a bad day" }, 500);
  const errors = verdicts.flatMap((v, index) => (v === "refuse" ? [{ index, message: "Invalid `to` field." }] : []));
  const data = verdicts.flatMap((v) => (v === "ok" ? [{ id: `re_${newId()}` }] : []));
  return json({ data, errors });
}

beforeEach(() => {
  resendCalls = [];
  verdictFor = () => "ok";
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (new URL(request.url).hostname !== "api.resend.com") return realFetch(input as RequestInfo, init);
    const call: ResendCall = { url: request.url, headers: request.headers, body: (await request.json()) as SentMail[] };
    resendCalls.push(call);
    return answer(call);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const callsTo = (email: string) => resendCalls.filter((c) => c.body.some((m) => recipient(m) === email));

async function runCron(scheduledTime: number, bindings: Cloudflare.Env = withResend, cron = DAILY_CRON) {
  const controller = createScheduledController({ scheduledTime, cron });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, bindings, ctx);
  await waitOnExecutionContext(ctx);
}

/** A request straight to the Worker with other bindings; waits for the after-response work too. */
async function request(path: string, bindings: Cloudflare.Env, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A forgot-password request: the simplest change that queues one mail to an account. */
async function queueMailTo(email: string, bindings: Cloudflare.Env = withResend) {
  const res = await request("/api/v1/auth/forgot-password", bindings, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  expect(res.status).toBe(202);
  const rows = await db().select().from(outbox).where(eq(outbox.to, email));
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** Due rows written straight to the outbox, as a big sweep leaves them. */
async function queueRows(n: number, at: number, prefix = "bulk") {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: newId(),
    to: `${prefix}-${i}-${newId().toLowerCase()}@example.com`,
    subject: "Queued",
    text: "t",
    html: "<p>t</p>",
    createdAt: at,
    nextAttemptAt: at,
  }));
  for (let i = 0; i < rows.length; i += 10) await db().insert(outbox).values(rows.slice(i, i + 10));
  return rows;
}

const rowById = async (id: string) => (await db().select().from(outbox).where(eq(outbox.id, id)))[0]!;
/** Rows by id, read in slices (D1 binds at most 100 parameters). */
async function rowsByIds(ids: string[]) {
  const rows: (typeof outbox.$inferSelect)[] = [];
  for (let i = 0; i < ids.length; i += 90) rows.push(...(await db().select().from(outbox).where(inArray(outbox.id, ids.slice(i, i + 90)))));
  return rows;
}

describe("delivery through Resend's batch endpoint (F-10)", () => {
  it("sends right after the response and records Resend's id, keyed by the row's batch", async () => {
    const user = await makeUser();
    const row = await queueMailTo(user.email);
    expect(row).toMatchObject({ status: "sent", attempts: 1, lastError: null });
    expect(row.providerId).toMatch(/^re_/);
    expect(row.batchKey).toBeTruthy();

    const [call] = callsTo(user.email);
    expect(call!.url).toBe("https://api.resend.com/emails/batch");
    expect(call!.headers.get("authorization")).toBe(`Bearer ${RESEND_KEY}`);
    expect(call!.headers.get("idempotency-key")).toBe(`outbox-batch-${row.batchKey}`);
    expect(call!.headers.get("x-batch-validation")).toBe("permissive");
    expect(call!.body).toHaveLength(1);
    expect(call!.body[0]).toMatchObject({ to: user.email, subject: row.subject, text: row.text, html: row.html, from: env.MAIL_FROM });
  });

  it("keeps a batch Resend failed pending, and a later run sends the same rows with the same key", async () => {
    const user = await makeUser();
    verdictFor = (to) => (to === user.email ? "fail" : "ok");
    const before = Date.now();
    const failed = await queueMailTo(user.email);

    expect(failed).toMatchObject({ status: "pending", attempts: 1, sentAt: null });
    expect(failed.lastError).toMatch(/internal_server_error|bad day/);
    // First retry after about a minute.
    expect(failed.nextAttemptAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(failed.nextAttemptAt).toBeLessThanOrEqual(Date.now() + 60_000);

    // A run before the row is due leaves it alone.
    verdictFor = () => "ok";
    await runCron(failed.nextAttemptAt - 1);
    expect(callsTo(user.email)).toHaveLength(1);

    // Meanwhile other mail becomes due: it does not join the retried batch.
    const others = await queueRows(3, failed.nextAttemptAt - 10, "meanwhile");
    const runAt = failed.nextAttemptAt + 1_000;
    await runCron(runAt);
    const sent = await rowById(failed.id);
    expect(sent).toMatchObject({ status: "sent", attempts: 2, lastError: null, sentAt: runAt, batchKey: failed.batchKey });
    const calls = callsTo(user.email);
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.headers.get("idempotency-key"))).toEqual([`outbox-batch-${failed.batchKey}`, `outbox-batch-${failed.batchKey}`]);
    expect(calls[1]!.body.map(recipient)).toEqual([user.email]);
    for (const o of others) expect(callsTo(o.to)).toHaveLength(1);
    expect((await rowsByIds(others.map((o) => o.id))).every((r) => r.status === "sent" && r.batchKey !== failed.batchKey)).toBe(true);

    // Sent rows are not sent again.
    await runCron(runAt + 24 * 3_600_000);
    expect(callsTo(user.email)).toHaveLength(2);
  });

  it("keeps the mail pending when Resend cannot be reached at all", async () => {
    const user = await makeUser();
    verdictFor = (to) => (to === user.email ? "unreachable" : "ok");
    const row = await queueMailTo(user.email);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.lastError).toBeTruthy();

    verdictFor = () => "ok";
    await runCron(row.nextAttemptAt);
    expect(await rowById(row.id)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("backs off exponentially and marks a row dead after 8 failed attempts, with one key throughout", async () => {
    const user = await makeUser();
    verdictFor = (to) => (to === user.email ? "fail" : "ok");
    let row = await queueMailTo(user.email);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });

    const minutes = (n: number) => n * 60_000;
    for (let attempt = 2; attempt <= 8; attempt++) {
      const runAt = row.nextAttemptAt;
      await runCron(runAt);
      row = await rowById(row.id);
      expect(row.attempts).toBe(attempt);
      if (attempt < 8) {
        expect(row.status).toBe("pending");
        // 1, 2, 4 … minutes: after attempt n the wait is 2^(n-1) minutes.
        expect(row.nextAttemptAt - runAt).toBe(minutes(2 ** (attempt - 1)));
      }
    }
    expect(row.status).toBe("dead");
    expect(row.lastError).toMatch(/internal_server_error|bad day/);
    expect(callsTo(user.email)).toHaveLength(8);
    expect(new Set(callsTo(user.email).map((c) => c.headers.get("idempotency-key")))).toEqual(new Set([`outbox-batch-${row.batchKey}`]));

    // A dead row is not tried again, even when Resend recovers.
    verdictFor = () => "ok";
    await runCron(row.nextAttemptAt + 7 * 24 * 3_600_000);
    expect(callsTo(user.email)).toHaveLength(8);
    expect(await rowById(row.id)).toMatchObject({ status: "dead", attempts: 8 });
  });

  it("marks an address Resend refuses dead at once and sends the rest of its batch", async () => {
    const now = Date.now();
    const rows = await queueRows(4, now, "mixed");
    const bad = rows[2]!;
    verdictFor = (to) => (to === bad.to ? "refuse" : "ok");
    await runCron(now + 1_000, withResend, MAIL_CRON);
    expect(resendCalls).toHaveLength(1);
    const after = new Map((await rowsByIds(rows.map((r) => r.id))).map((r) => [r.id, r]));
    expect(after.get(bad.id)).toMatchObject({ status: "dead", attempts: 1, lastError: "Invalid `to` field.", providerId: null });
    for (const r of rows.filter((r) => r !== bad)) expect(after.get(r.id)).toMatchObject({ status: "sent", attempts: 1 });
    // Each sent row got the id Resend listed for it, in order.
    const ids = rows.filter((r) => r !== bad).map((r) => after.get(r.id)!.providerId);
    expect(new Set(ids).size).toBe(3);
  });

  it("on 429 counts no attempt, waits for Retry-After and stops the run", async () => {
    const now = Date.now();
    const rows = await queueRows(150, now, "limited");
    verdictFor = () => "rate_limited";
    await runCron(now + 1_000, withResend, MAIL_CRON);
    expect(resendCalls).toHaveLength(1);
    const first = await rowsByIds(resendCalls[0]!.body.map((m) => rows.find((r) => r.to === recipient(m))!.id));
    expect(first.every((r) => r.status === "pending" && r.attempts === 0 && r.nextAttemptAt === now + 1_000 + 30_000)).toBe(true);

    verdictFor = () => "ok";
    await runCron(now + 1_000 + 30_000, { ...withResend, MAIL_RATE_PER_SECOND: "1000" }, MAIL_CRON);
    const all = await rowsByIds(rows.map((r) => r.id));
    expect(all.every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  it("sends each due row once when two cron runs overlap", async () => {
    const now = Date.now();
    const rows = await queueRows(5, now, "overlap");
    verdictFor = () => "ok";
    await Promise.all([runCron(now + 1_000), runCron(now + 1_000)]);
    for (const r of rows) expect(callsTo(r.to)).toHaveLength(1);
    const after = await rowsByIds(rows.map((r) => r.id));
    expect(after.every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  it("drains a backlog in calls of at most 100 mails", async () => {
    const now = Date.now();
    const rows = await queueRows(230, now, "backlog");
    await runCron(now + 1_000, { ...withResend, MAIL_RATE_PER_SECOND: "1000" }, MAIL_CRON);
    expect(resendCalls.map((c) => c.body.length)).toEqual([100, 100, 30]);
    expect(new Set(resendCalls.map((c) => c.headers.get("idempotency-key"))).size).toBe(3);
    expect((await rowsByIds(rows.map((r) => r.id))).every((r) => r.status === "sent")).toBe(true);
  });

  it("spaces its calls to Resend's rate limit (2 a second by default)", async () => {
    const now = Date.now();
    await queueRows(250, now, "paced");
    const waits: number[] = [];
    const deps = createDeps(withResend, () => {}, { now: () => now + 1_000 });
    const result = await drainOutbox(deps, 10, async (ms) => {
      waits.push(ms);
      await new Promise((r) => setTimeout(r, ms));
    });
    // Three sending rounds and the one that found nothing left.
    expect(result).toMatchObject({ sent: 250, rounds: 4 });
    expect(waits).toHaveLength(2);
    for (const ms of waits) expect(ms).toBeGreaterThan(400);
  });

  it("in production without RESEND_API_KEY keeps mail pending instead of losing it", async () => {
    const user = await makeUser();
    const row = await queueMailTo(user.email, { ...env, ENVIRONMENT: "production", RESEND_API_KEY: undefined });
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.lastError).toMatch(/RESEND_API_KEY/);
    expect(resendCalls).toHaveLength(0);

    // Once the key is configured, the cron delivers it.
    await runCron(row.nextAttemptAt, { ...env, ENVIRONMENT: "production", RESEND_API_KEY: RESEND_KEY }, MAIL_CRON);
    expect(await rowById(row.id)).toMatchObject({ status: "sent" });
  });
});

describe("job runs and undelivered mail, for operators (F-10, F-70)", () => {
  it("records each cron run with its job, duration and what it did", async () => {
    const at = Date.now() + 5 * 60_000;
    await runCron(at, env, MAIL_CRON);
    await runCron(at, env, DAILY_CRON);
    const runs = await db().select().from(jobRuns).where(eq(jobRuns.scheduledAt, at));
    expect(runs.map((r) => r.job).sort()).toEqual(["daily", "mail"]);
    for (const r of runs) {
      expect(r.status).toBe("ok");
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
    const daily = JSON.parse(runs.find((r) => r.job === "daily")!.summary!);
    expect(daily).toHaveProperty("inactivity.reminded");
    expect(daily).toHaveProperty("mail.sent");

    const operator = await signIn(await makeOperator());
    const res = await api("/api/v1/jobs?job=daily", { cookie: operator });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { job: string; scheduledAt: string; summary: unknown }[] };
    expect(body.items.every((i) => i.job === "daily")).toBe(true);
    expect(body.items.some((i) => i.scheduledAt === new Date(at).toISOString())).toBe(true);
    const html = await (await page("/jobs", operator)).text();
    expect(html).toContain("Scheduled jobs");
    expect(html).toContain("Daily jobs");
  });

  it("lists dead letters for operators, who can send one again", async () => {
    const now = Date.now();
    const [dead] = await queueRows(1, now, "dead");
    await db().update(outbox).set({ status: "dead", attempts: 8, lastError: "boom", batchKey: "old" }).where(eq(outbox.id, dead!.id));
    const operator = await signIn(await makeOperator());
    const list = (await (await api("/api/v1/jobs/dead-letters", { cookie: operator })).json()) as { items: { id: string; lastError: string }[] };
    expect(list.items.find((i) => i.id === dead!.id)).toMatchObject({ lastError: "boom" });

    const retry = await api(`/api/v1/jobs/dead-letters/${dead!.id}/retry`, { cookie: operator, method: "POST" });
    expect(retry.status).toBe(200);
    // A fresh series of attempts, under a new batch key (the old key is spent at Resend).
    await runCron(now + 60_000, env, MAIL_CRON);
    expect(await rowById(dead!.id)).toMatchObject({ status: "sent", attempts: 1 });
    expect((await rowById(dead!.id)).batchKey).not.toBe("old");
    await expectError(await api(`/api/v1/jobs/dead-letters/${dead!.id}/retry`, { cookie: operator, method: "POST" }), 404, "not_found");
  });

  it("refuses job runs and dead letters to everyone but operators", async () => {
    const manager = await signIn(await makeUser({ role: "partner_manager" }));
    await expectError(await api("/api/v1/jobs", { cookie: manager }), 403, "forbidden");
    await expectError(await api("/api/v1/jobs/dead-letters", { cookie: manager }), 403, "forbidden");
    await expectError(await api(`/api/v1/jobs/dead-letters/${newId()}/retry`, { cookie: manager, method: "POST" }), 403, "forbidden");
    expect((await page("/jobs", manager)).status).toBe(403);
    await expectError(await api("/api/v1/jobs"), 401, "unauthenticated");
  });
});

describe("the development mailbox (F-10, api.md)", () => {
  const get = (path: string, bindings: Cloudflare.Env) => request(path, bindings);

  it("is served in tests and development without a Resend key", async () => {
    const json = await get("/dev/mail.json", env);
    expect(json.status).toBe(200);
    expect(await json.json()).toHaveProperty("messages");
    expect((await get("/dev/mail", env)).status).toBe(200);
    expect((await get("/dev/mail.json", { ...env, ENVIRONMENT: "development" })).status).toBe(200);
  });

  it("answers 404 in production", async () => {
    // Something the mailbox would show if it leaked.
    const user = await makeUser();
    await db().insert(outbox).values({ id: newId(), to: user.email, subject: "Secret subject", text: "secret", html: "secret", createdAt: Date.now(), nextAttemptAt: Date.now() });
    const production = { ...env, ENVIRONMENT: "production" };
    for (const path of ["/dev/mail", "/dev/mail.json"]) {
      const res = await get(path, production);
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).not.toContain("Secret subject");
      expect(body).not.toContain(user.email);
    }
  });

  it("answers 404 when RESEND_API_KEY is set, in any environment", async () => {
    for (const bindings of [withResend, { ...withResend, ENVIRONMENT: "development" }, { ...withResend, ENVIRONMENT: "production" }]) {
      expect((await get("/dev/mail", bindings)).status).toBe(404);
      expect((await get("/dev/mail.json", bindings)).status).toBe(404);
    }
  });

  it("treats an unknown ENVIRONMENT value as production", async () => {
    expect((await get("/dev/mail.json", { ...env, ENVIRONMENT: "staging" })).status).toBe(404);
    expect((await get("/dev/mail.json", { ...env, ENVIRONMENT: "" })).status).toBe(404);
  });
});
