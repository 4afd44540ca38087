// F-08: failed password and TOTP attempts are throttled per account and per
// client IP with a clear "try again in N minutes", and the answers never tell
// whether an email has an account.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { totpCodeAt } from "../../src/domain/two-factor";
import { api, cookieFrom, login, makeUser, ORIGIN, signIn, type TestUser, uniqueEmail } from "../helpers/fixtures";

const randomIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

interface ErrorBody {
  error: { code: string; message: string };
}

const attempt = (email: string, password: string, ip: string) => login({ email, password }, { "cf-connecting-ip": ip });

/** A code that is surely wrong now: the current one with its last digit changed. */
const wrongCode = (user: TestUser) => {
  const code = totpCodeAt(user.totpSecret, Date.now());
  return code.slice(0, 5) + ((Number(code[5]) + 5) % 10);
};

function expectLocked(res: Response, body: ErrorBody) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  expect(body.error.code).toBe("rate_limited");
  expect(body.error.message).toMatch(/Try again in \d+ minutes?\./);
  // The minutes in the message agree with Retry-After.
  const minutes = Number(body.error.message.match(/Try again in (\d+) minute/)![1]);
  expect(minutes).toBe(Math.max(1, Math.ceil(retryAfter / 60)));
}

describe("per account", () => {
  it("locks after 5 wrong passwords: the next attempt, even with the right password, answers 429 with Retry-After", async () => {
    const user = await makeUser();
    const ip = randomIp();
    for (let i = 0; i < 5; i++) {
      const res = await attempt(user.email, "wrong password " + i, ip);
      expect(res.status).toBe(401);
    }
    const locked = await attempt(user.email, user.password, ip);
    expectLocked(locked, (await locked.json()) as ErrorBody);

    // The lock is the account's, not the address's: another IP is locked out of this account too.
    const elsewhere = await attempt(user.email, user.password, randomIp());
    expect(elsewhere.status).toBe(429);
  });

  it("counts wrong TOTP codes toward the same lock", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const start = await login(user, { "cf-connecting-ip": ip });
    expect(start.status).toBe(200);
    const { challenge } = (await start.json()) as { challenge: string };

    for (let i = 0; i < 5; i++) {
      const res = await api("/api/v1/auth/totp", { body: { challenge, code: wrongCode(user) }, headers: { "cf-connecting-ip": ip } });
      expect(res.status).toBe(401);
    }
    // Now the right code is refused…
    const right = await api("/api/v1/auth/totp", { body: { challenge, code: totpCodeAt(user.totpSecret, Date.now()) }, headers: { "cf-connecting-ip": ip } });
    expectLocked(right, (await right.json()) as ErrorBody);
    // …and so is the password step with the right password.
    const again = await login(user, { "cf-connecting-ip": ip });
    expectLocked(again, (await again.json()) as ErrorBody);
  });

  it("keeps counting wrong TOTP codes across fresh password steps: knowing the password does not reset the count", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const challenge = async () => {
      const res = await login(user, { "cf-connecting-ip": ip });
      expect(res.status).toBe(200);
      return ((await res.json()) as { challenge: string }).challenge;
    };
    // 3 + 2 wrong codes, with a new (correct) password step in between.
    for (const tries of [3, 2]) {
      const id = await challenge();
      for (let i = 0; i < tries; i++) {
        const res = await api("/api/v1/auth/totp", { body: { challenge: id, code: wrongCode(user) }, headers: { "cf-connecting-ip": ip } });
        expect(res.status).toBe(401);
      }
    }
    const locked = await login(user, { "cf-connecting-ip": ip });
    expectLocked(locked, (await locked.json()) as ErrorBody);
  });

  it("is cleared by a completed sign-in, so earlier mistakes do not add up with later ones", async () => {
    const user = await makeUser();
    const ip = randomIp();
    for (let i = 0; i < 4; i++) expect((await attempt(user.email, "wrong password", ip)).status).toBe(401);
    await signIn(user, { "cf-connecting-ip": ip });
    for (let i = 0; i < 4; i++) expect((await attempt(user.email, "wrong password", ip)).status).toBe(401);
    expect((await login(user, { "cf-connecting-ip": ip })).status).toBe(200);
  });

  it("answers the login page form with 429, Retry-After and the message too", async () => {
    const user = await makeUser();
    const ip = randomIp();
    for (let i = 0; i < 5; i++) expect((await attempt(user.email, "wrong password", ip)).status).toBe(401);
    const page = await SELF.fetch(`${ORIGIN}/login`, { headers: { "cf-connecting-ip": ip }, redirect: "manual" });
    const csrfCookie = cookieFrom(page, "__Host-csrf")!;
    const res = await SELF.fetch(`${ORIGIN}/login`, {
      method: "POST",
      headers: { "cf-connecting-ip": ip, origin: ORIGIN, cookie: csrfCookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrfCookie.split("=")[1]!, email: user.email, password: user.password }),
      redirect: "manual",
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(cookieFrom(res, "__Host-challenge")).toBeUndefined();
    expect(await res.text()).toMatch(/Try again in \d+ minutes?/);
  });
});

describe("per IP", () => {
  it("locks an address after 30 failures across different unknown emails, while another address is unaffected", { timeout: 60_000 }, async () => {
    const ip = randomIp();
    for (let i = 0; i < 30; i++) {
      const res = await attempt(uniqueEmail("spray"), "wrong password", ip);
      expect(res.status).toBe(401);
    }
    const blocked = await attempt(uniqueEmail("spray"), "wrong password", ip);
    expectLocked(blocked, (await blocked.json()) as ErrorBody);

    // A real account with the right password is refused from that address too.
    const user = await makeUser();
    const fromBlocked = await login(user, { "cf-connecting-ip": ip });
    expect(fromBlocked.status).toBe(429);

    const otherIp = randomIp();
    const other = await attempt(uniqueEmail("spray"), "wrong password", otherIp);
    expect(other.status).toBe(401);
    const ok = await login(user, { "cf-connecting-ip": otherIp });
    expect(ok.status).toBe(200);
  });
});

describe("unknown emails", () => {
  it("get exactly the answer a wrong password of a real account gets", async () => {
    const user = await makeUser();
    const unknown = await attempt(uniqueEmail("nobody"), "some password", randomIp());
    const wrong = await attempt(user.email, "some password", randomIp());
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(unknown.status);
    const [a, b] = [await unknown.json(), await wrong.json()];
    expect(a).toEqual({ error: { code: "unauthenticated", message: "Email or password is incorrect." } });
    expect(b).toEqual(a);
    expect(unknown.headers.get("content-type")).toBe(wrong.headers.get("content-type"));
    expect(unknown.headers.getSetCookie()).toEqual(wrong.headers.getSetCookie());
  });

  it("lock exactly like real accounts after 5 failures", async () => {
    const user = await makeUser();
    const ghost = uniqueEmail("ghost");
    for (let i = 0; i < 5; i++) {
      expect((await attempt(ghost, "wrong", randomIp())).status).toBe(401);
      expect((await attempt(user.email, "wrong", randomIp())).status).toBe(401);
    }
    const [a, b] = [await attempt(ghost, "wrong", randomIp()), await attempt(user.email, "wrong", randomIp())];
    expect(a.status).toBe(429);
    expect(b.status).toBe(429);
    const [bodyA, bodyB] = [(await a.json()) as ErrorBody, (await b.json()) as ErrorBody];
    expect(bodyA).toEqual(bodyB);
    expectLocked(a, bodyA);
  });
});
