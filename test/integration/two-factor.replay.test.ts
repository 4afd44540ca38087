// F-05..F-07: the password step alone is never a session, and a TOTP code or a
// recovery code signs in exactly once (RFC 6238 §5.2 replay protection).
import { env, SELF } from "cloudflare:test";
import { and, eq, isNotNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recoveryCodes, users, userSessions } from "../../src/db/schema";
import { createDeps } from "../../src/deps";
import { totpCodeAt, TOTP_PERIOD_SECONDS } from "../../src/domain/two-factor";
import { AppError } from "../../src/lib/errors";
import { completeSignIn } from "../../src/services/auth";
import { api, cookieFrom, db, login, makeUser, ORIGIN, PASSWORD, type TestUser } from "../helpers/fixtures";

const randomIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

/** Waits out the last two seconds of a TOTP step, so "now" in the test and in the Worker is the same step. */
async function awayFromStepEdge() {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < 2_000) await new Promise((r) => setTimeout(r, left + 50));
}

async function challengeFor(user: TestUser, ip: string): Promise<string> {
  const res = await login(user, { "cf-connecting-ip": ip });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { next: string; challenge: string };
  expect(body.next).toBe("totp");
  return body.challenge;
}

const totp = (ip: string, body: Record<string, string>) => api("/api/v1/auth/totp", { body, headers: { "cf-connecting-ip": ip } });

/** The sessions minted for an account (one D1 row each, written in the sign-in batch). */
const sessionsOf = (userId: string) => db().select().from(userSessions).where(eq(userSessions.userId, userId));

describe("the password step alone", () => {
  it("yields a challenge but no session cookie, and the API answers 401 without a session", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const res = await login(user, { "cf-connecting-ip": ip });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { next: string; challenge: string };
    expect(body.next).toBe("totp");
    expect(body.challenge).toEqual(expect.any(String));
    expect(cookieFrom(res, "__Host-session")).toBeUndefined();
    expect(res.headers.getSetCookie().some((l) => l.startsWith("__Host-session="))).toBe(false);
    expect(await sessionsOf(user.id)).toHaveLength(0);

    const me = await api("/api/v1/me", { headers: { "cf-connecting-ip": ip } });
    expect(me.status).toBe(401);
    expect(((await me.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
  });

  it("through the page form leaves signed-in pages redirecting to /login?next= and refuses htmx posts with 401 and HX-Redirect", async () => {
    const user = await makeUser();
    const ip = randomIp();
    // A browser: GET /login for the pre-sign-in CSRF cookie, then the password form.
    const page = await SELF.fetch(`${ORIGIN}/login`, { headers: { "cf-connecting-ip": ip }, redirect: "manual" });
    expect(page.status).toBe(200);
    const csrfCookie = cookieFrom(page, "__Host-csrf")!;
    expect(csrfCookie).toBeDefined();
    const csrf = csrfCookie.split("=")[1]!;

    const form = new URLSearchParams({ _csrf: csrf, email: user.email, password: PASSWORD });
    const posted = await SELF.fetch(`${ORIGIN}/login`, {
      method: "POST",
      headers: { "cf-connecting-ip": ip, origin: ORIGIN, cookie: csrfCookie, "content-type": "application/x-www-form-urlencoded" },
      body: form,
      redirect: "manual",
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toBe("/login/two-factor");
    const challengeCookie = cookieFrom(posted, "__Host-challenge")!;
    expect(challengeCookie).toBeDefined();
    expect(cookieFrom(posted, "__Host-session")).toBeUndefined();
    const cookie = `${csrfCookie}; ${challengeCookie}`;

    const account = await SELF.fetch(`${ORIGIN}/account`, { headers: { "cf-connecting-ip": ip, cookie }, redirect: "manual" });
    expect(account.status).toBe(303);
    expect(account.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/account")}`);

    const me = await api("/api/v1/me", { cookie, headers: { "cf-connecting-ip": ip } });
    expect(me.status).toBe(401);

    // htmx sends the CSRF token as a header; the form itself is well formed, only the session is missing.
    const htmx = await SELF.fetch(`${ORIGIN}/account/sessions/revoke-all`, {
      method: "POST",
      headers: {
        "cf-connecting-ip": ip,
        origin: ORIGIN,
        cookie,
        "hx-request": "true",
        "x-csrf-token": csrf,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: csrf }),
      redirect: "manual",
    });
    expect(htmx.status).toBe(401);
    expect(htmx.headers.get("hx-redirect")).toBe("/login");
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });
});

// Each test may first wait up to two seconds for the next step (awayFromStepEdge), then signs in with PBKDF2.
describe("a TOTP code", { timeout: 15_000 }, () => {
  it("is accepted once: replaying it on a second challenge is refused with 401", async () => {
    await awayFromStepEdge();
    const user = await makeUser();
    const ip = randomIp();
    const code = totpCodeAt(user.totpSecret, Date.now());

    const first = await totp(ip, { challenge: await challengeFor(user, ip), code });
    expect(first.status).toBe(200);
    expect(cookieFrom(first, "__Host-session")).toBeDefined();

    const replay = await totp(ip, { challenge: await challengeFor(user, ip), code });
    expect(replay.status).toBe(401);
    const body = (await replay.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unauthenticated");
    expect(body.error.message).toMatch(/already used/);
    expect(cookieFrom(replay, "__Host-session")).toBeUndefined();
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });

  it("used by two verifications racing in parallel yields exactly one 200 and one session", async () => {
    await awayFromStepEdge();
    const user = await makeUser();
    const ip = randomIp();
    const [a, b] = await Promise.all([challengeFor(user, ip), challengeFor(user, ip)]);
    const code = totpCodeAt(user.totpSecret, Date.now());

    const results = await Promise.all([totp(ip, { challenge: a, code }), totp(ip, { challenge: b, code })]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
    const cookies = results.map((r) => cookieFrom(r, "__Host-session")).filter(Boolean);
    expect(cookies).toHaveLength(1);
    expect(await sessionsOf(user.id)).toHaveLength(1);

    const me = await api("/api/v1/me/sessions", { cookie: cookies[0] });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it("used by two sign-ins interleaving in one isolate (service level) lets the compare-and-swap pick exactly one winner", async () => {
    // Requests through SELF tend to run one after the other; calling the service
    // twice in parallel interleaves them at every await, so both pass the
    // in-memory replay check and only the guarded UPDATE can tell them apart.
    await awayFromStepEdge();
    const user = await makeUser();
    const ip = randomIp();
    const [a, b] = [await challengeFor(user, ip), await challengeFor(user, ip)];
    const code = totpCodeAt(user.totpSecret, Date.now());
    const deps = () => createDeps(env, () => {}, { ip });

    const results = await Promise.allSettled([completeSignIn(deps(), { challenge: a, code }, null), completeSignIn(deps(), { challenge: b, code }, null)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(AppError);
    expect(lost.reason).toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringMatching(/already used/) });
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });

  it("two steps away from now (±60 s) is refused", async () => {
    await awayFromStepEdge();
    const user = await makeUser();
    const ip = randomIp();
    const challenge = await challengeFor(user, ip);
    for (const offset of [-2 * STEP_MS, 2 * STEP_MS]) {
      const res = await totp(ip, { challenge, code: totpCodeAt(user.totpSecret, Date.now() + offset) });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not valid/);
    }
    expect(await sessionsOf(user.id)).toHaveLength(0);
    // The challenge itself is still good for a code of the current step.
    const ok = await totp(ip, { challenge, code: totpCodeAt(user.totpSecret, Date.now()) });
    expect(ok.status).toBe(200);
  });

  it("of another account cannot complete a challenge", async () => {
    await awayFromStepEdge();
    const [alice, mallory] = await Promise.all([makeUser(), makeUser()]);
    const ip = randomIp();
    const challenge = await challengeFor(alice, ip);
    const res = await totp(ip, { challenge, code: totpCodeAt(mallory.totpSecret, Date.now()) });
    expect(res.status).toBe(401);
    expect(cookieFrom(res, "__Host-session")).toBeUndefined();
    expect(await sessionsOf(alice.id)).toHaveLength(0);
    expect(await sessionsOf(mallory.id)).toHaveLength(0);
    const [row] = await db().select({ last: users.totpLastStep }).from(users).where(eq(users.id, mallory.id));
    expect(row!.last).toBeNull();
  });
});

describe("a challenge", () => {
  it("expires after 10 minutes: completing it 11 minutes later is UNAUTHENTICATED", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const challenge = await challengeFor(user, ip);
    const later = Date.now() + 11 * 60_000;
    const deps = createDeps(env, () => {}, { now: () => later, ip });

    const attempt = completeSignIn(deps, { challenge, code: totpCodeAt(user.totpSecret, later) }, null);
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringMatching(/expired/) });
    expect(await sessionsOf(user.id)).toHaveLength(0);

    // The same challenge is fine at the real time, so the refusal above was the expiry.
    const ok = await totp(ip, { challenge, code: totpCodeAt(user.totpSecret, Date.now()) });
    expect(ok.status).toBe(200);
  });
});

describe("a recovery code", () => {
  it("signs in once and not twice", async () => {
    const user = await makeUser({ status: "pending_2fa", totpSecretEnc: null });
    const ip = randomIp();
    const start = await login(user, { "cf-connecting-ip": ip });
    expect(start.status).toBe(200);
    const enroll = (await start.json()) as { next: string; challenge: string; totp: { secret: string } };
    expect(enroll.next).toBe("totp_enroll");
    const enrolled = await totp(ip, { challenge: enroll.challenge, code: totpCodeAt(enroll.totp.secret, Date.now()) });
    expect(enrolled.status).toBe(200);
    const { recoveryCodes: codes } = (await enrolled.json()) as { recoveryCodes: string[] };
    expect(codes).toHaveLength(10);
    const recoveryCode = codes[3]!;

    const first = await totp(ip, { challenge: await challengeFor(user, ip), recoveryCode });
    expect(first.status).toBe(200);
    const cookie = cookieFrom(first, "__Host-session");
    expect(cookie).toBeDefined();
    expect((await api("/api/v1/me", { cookie })).status).toBe(200);

    const used = await db()
      .select()
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, user.id), isNotNull(recoveryCodes.usedAt)));
    expect(used).toHaveLength(1);

    const second = await totp(ip, { challenge: await challengeFor(user, ip), recoveryCode });
    expect(second.status).toBe(401);
    const refused = ((await second.json()) as { error: { message: string; fields?: Record<string, string> } }).error;
    expect(refused.message).toMatch(/recovery code/);
    // Reported on the field that was filled, so a form shows it there.
    expect(Object.keys(refused.fields ?? {})).toEqual(["recoveryCode"]);
    expect(cookieFrom(second, "__Host-session")).toBeUndefined();
    // Two sessions: the enrollment's and the first recovery sign-in's.
    expect(await sessionsOf(user.id)).toHaveLength(2);
  });

  it("used by two sign-ins racing (service level) signs in only one of them", async () => {
    const user = await makeUser({ status: "pending_2fa", totpSecretEnc: null });
    const ip = randomIp();
    const start = (await (await login(user, { "cf-connecting-ip": ip })).json()) as { challenge: string; totp: { secret: string } };
    const enrolled = await totp(ip, { challenge: start.challenge, code: totpCodeAt(start.totp.secret, Date.now()) });
    expect(enrolled.status).toBe(200);
    const recoveryCode = ((await enrolled.json()) as { recoveryCodes: string[] }).recoveryCodes[0]!;
    const [a, b] = [await challengeFor(user, ip), await challengeFor(user, ip)];
    const deps = () => createDeps(env, () => {}, { ip });

    const results = await Promise.allSettled([completeSignIn(deps(), { challenge: a, recoveryCode }, null), completeSignIn(deps(), { challenge: b, recoveryCode }, null)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await sessionsOf(user.id)).toHaveLength(2); // enrollment + the one winner
    const used = await db()
      .select()
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, user.id), isNotNull(recoveryCodes.usedAt)));
    expect(used).toHaveLength(1);
  });
});
