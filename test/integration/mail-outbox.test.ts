// F-10 mail: the outbox row is delivered after the response; when Resend fails
// the row stays pending and the cron retries it with backoff (same idempotency
// key every time) until it is sent or, after 8 attempts, dead. The development
// mailbox is never served in production or when Resend is configured.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { outbox } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { db, makeUser, ORIGIN } from "../helpers/fixtures";

const RESEND_KEY = "re_test_key";
const withResend = { ...env, RESEND_API_KEY: RESEND_KEY };

interface ResendCall {
  url: string;
  headers: Headers;
  body: { from: string; to: string | string[]; subject: string; text: string; html: string };
}

/** Every request the Resend SDK made, and how the fake Resend answers, per recipient. */
let resendCalls: ResendCall[] = [];
let answerFor: (to: string) => Response | Promise<Response>;
const recipients = (call: ResendCall) => [call.body.to].flat();
const failure = () =>
  new Response(JSON.stringify({ statusCode: 500, name: "internal_server_error", message: "Resend is having a bad day" }), {
    status: 500,
    headers: { "content-type": "application/json" },
  });
const success = (id: string) => new Response(JSON.stringify({ id }), { status: 200, headers: { "content-type": "application/json" } });

beforeEach(() => {
  resendCalls = [];
  answerFor = () => success(`re_${newId()}`);
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (new URL(request.url).hostname !== "api.resend.com") return realFetch(input as RequestInfo, init);
    const call: ResendCall = { url: request.url, headers: request.headers, body: (await request.json()) as ResendCall["body"] };
    resendCalls.push(call);
    return answerFor(recipients(call)[0]!);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const callsTo = (email: string) => resendCalls.filter((c) => recipients(c).includes(email));

async function runCron(scheduledTime: number, bindings: Cloudflare.Env = withResend) {
  const controller = createScheduledController({ scheduledTime, cron: "0 3 * * *" });
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

const rowById = async (id: string) => (await db().select().from(outbox).where(eq(outbox.id, id)))[0]!;

describe("delivery through Resend (F-10)", () => {
  it("sends right after the response and records Resend's id", async () => {
    const user = await makeUser();
    answerFor = () => success("re_first_try");
    const row = await queueMailTo(user.email);
    expect(row).toMatchObject({ status: "sent", providerId: "re_first_try", attempts: 1, lastError: null });
    expect(row.sentAt).not.toBeNull();

    const [call] = callsTo(user.email);
    expect(call!.url).toBe("https://api.resend.com/emails");
    expect(call!.headers.get("authorization")).toBe(`Bearer ${RESEND_KEY}`);
    expect(call!.headers.get("idempotency-key")).toBe(`outbox-${row.id}`);
    expect(call!.body).toMatchObject({ to: user.email, subject: row.subject, text: row.text, html: row.html });
    expect(call!.body.from).toBe(env.MAIL_FROM);
  });

  it("keeps a mail Resend refused pending, and a later cron run delivers it with the same idempotency key", async () => {
    const user = await makeUser();
    answerFor = (to) => (to === user.email ? failure() : success("re_other"));
    const before = Date.now();
    const failed = await queueMailTo(user.email);

    expect(failed.status).toBe("pending");
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/internal_server_error|bad day/);
    expect(failed.nextAttemptAt).toBeGreaterThan(Date.now());
    // First retry after about a minute.
    expect(failed.nextAttemptAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(failed.nextAttemptAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(failed.sentAt).toBeNull();
    expect(callsTo(user.email)).toHaveLength(1);
    expect(callsTo(user.email)[0]!.headers.get("idempotency-key")).toBe(`outbox-${failed.id}`);

    // A run before the row is due leaves it alone.
    answerFor = () => success("re_too_early");
    await runCron(failed.nextAttemptAt - 1);
    expect(callsTo(user.email)).toHaveLength(1);
    expect(await rowById(failed.id)).toMatchObject({ status: "pending", attempts: 1 });

    // A run after it is due delivers it.
    answerFor = () => success("re_delivered_by_cron");
    const runAt = failed.nextAttemptAt + 1_000;
    await runCron(runAt);
    const sent = await rowById(failed.id);
    expect(sent).toMatchObject({ status: "sent", providerId: "re_delivered_by_cron", attempts: 2, lastError: null, sentAt: runAt });
    const calls = callsTo(user.email);
    expect(calls).toHaveLength(2);
    // Derived from the outbox id, so a retry after a lost response is not delivered twice.
    expect(calls.map((c) => c.headers.get("idempotency-key"))).toEqual([`outbox-${failed.id}`, `outbox-${failed.id}`]);

    // Sent rows are not sent again.
    await runCron(runAt + 24 * 3_600_000);
    expect(callsTo(user.email)).toHaveLength(2);
  });

  it("keeps the mail pending when Resend cannot be reached at all", async () => {
    const user = await makeUser();
    answerFor = (to) => {
      if (to === user.email) throw new TypeError("Network connection lost.");
      return success("re_other");
    };
    const row = await queueMailTo(user.email);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.lastError).toBeTruthy();

    answerFor = () => success("re_after_outage");
    await runCron(row.nextAttemptAt);
    expect(await rowById(row.id)).toMatchObject({ status: "sent", providerId: "re_after_outage", attempts: 2 });
  });

  it("backs off exponentially and marks a row dead after 8 failed attempts", async () => {
    const user = await makeUser();
    answerFor = (to) => (to === user.email ? failure() : success("re_other"));
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
    expect(row.sentAt).toBeNull();
    expect(callsTo(user.email)).toHaveLength(8);
    expect(new Set(callsTo(user.email).map((c) => c.headers.get("idempotency-key")))).toEqual(new Set([`outbox-${row.id}`]));

    // A dead row is not tried again, even when Resend recovers.
    answerFor = () => success("re_too_late");
    await runCron(row.nextAttemptAt + 7 * 24 * 3_600_000);
    expect(callsTo(user.email)).toHaveLength(8);
    expect(await rowById(row.id)).toMatchObject({ status: "dead", attempts: 8 });
  });

  it("sends each due row once when two cron runs overlap", async () => {
    const now = Date.now();
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: newId(),
      to: `overlap-${i}-${newId().toLowerCase()}@example.com`,
      subject: "Overlap",
      text: "t",
      html: "<p>t</p>",
      createdAt: now,
      nextAttemptAt: now,
    }));
    await db().insert(outbox).values(rows);
    // Slow answers, so both runs are in flight together.
    answerFor = async () => {
      await new Promise((r) => setTimeout(r, 20));
      return success(`re_${newId()}`);
    };
    await Promise.all([runCron(now + 1_000), runCron(now + 1_000)]);
    for (const r of rows) expect(callsTo(r.to)).toHaveLength(1);
    const after = await db().select().from(outbox).where(inArray(outbox.id, rows.map((r) => r.id)));
    expect(after.every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  it("in production without RESEND_API_KEY keeps mail pending instead of losing it", async () => {
    const user = await makeUser();
    const row = await queueMailTo(user.email, { ...env, ENVIRONMENT: "production", RESEND_API_KEY: undefined });
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.lastError).toMatch(/RESEND_API_KEY/);
    expect(resendCalls).toHaveLength(0);

    // Once the key is configured, the cron delivers it.
    answerFor = () => success("re_configured_later");
    await runCron(row.nextAttemptAt, { ...env, ENVIRONMENT: "production", RESEND_API_KEY: RESEND_KEY });
    expect(await rowById(row.id)).toMatchObject({ status: "sent", providerId: "re_configured_later" });
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
