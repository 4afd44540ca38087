// F-09 CSRF: foreign origins are refused on every state-changing request, the
// JSON API only takes application/json from cookie clients, page forms need the
// synchronizer token, no GET changes state, and ?next= never leaves the origin.
import { SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loginThrottles, users } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { api, cookieFrom, db, freshCode, login, makeUser, ORIGIN, PASSWORD, signIn, type TestUser } from "../helpers/fixtures";
import { flashOf } from "../helpers/portal";

const randomIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const EVIL = "https://evil.example";
const NEW_PASSWORD = "a brand new passphrase nobody guesses";

/** The pre-sign-in token a browser gets with the login page (double-submit cookie). */
async function preLoginCsrf(ip: string) {
  const res = await SELF.fetch(`${ORIGIN}/login`, { headers: { "cf-connecting-ip": ip }, redirect: "manual" });
  expect(res.status).toBe(200);
  const cookie = cookieFrom(res, "__Host-csrf");
  expect(cookie).toBeDefined();
  return { cookie: cookie!, token: decodeURIComponent(cookie!.slice(cookie!.indexOf("=") + 1)) };
}

/** The session's token, as the account page embeds it in its forms. */
async function sessionCsrf(cookie: string, ip: string) {
  const res = await SELF.fetch(`${ORIGIN}/account`, { headers: { cookie, "cf-connecting-ip": ip }, redirect: "manual" });
  expect(res.status).toBe(200);
  const token = (await res.text()).match(/name="_csrf" value="([^"]+)"/)?.[1];
  expect(token).toBeDefined();
  return token!;
}

type Encoding = "urlencoded" | "multipart" | "text/plain" | "none";
const ENCODINGS: Encoding[] = ["urlencoded", "multipart", "text/plain", "none"];

/** A form post as a browser sends it, in each encoding an HTML form (or fetch without preflight) can use. */
function formPost(path: string, fields: Record<string, string>, options: { encoding?: Encoding; cookie?: string; origin?: string | null; ip: string; headers?: Record<string, string> }) {
  const headers: Record<string, string> = { "cf-connecting-ip": options.ip, ...(options.headers ?? {}) };
  if (options.origin !== null) headers.origin = options.origin ?? ORIGIN;
  if (options.cookie) headers.cookie = options.cookie;
  const query = new URLSearchParams(fields).toString();
  let body: BodyInit;
  switch (options.encoding ?? "urlencoded") {
    case "urlencoded":
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = query;
      break;
    case "multipart": {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      body = form; // fetch sets multipart/form-data with its boundary
      break;
    }
    case "text/plain":
      headers["content-type"] = "text/plain";
      body = query;
      break;
    case "none":
      body = new TextEncoder().encode(query); // bytes: fetch adds no Content-Type
      break;
  }
  return SELF.fetch(`${ORIGIN}${path}`, { method: "POST", headers, body, redirect: "manual" });
}

async function passwordHashOf(userId: string) {
  const [row] = await db().select({ hash: users.passwordHash }).from(users).where(eq(users.id, userId));
  return row!.hash;
}

const me = (cookie: string, ip: string) => api("/api/v1/me", { cookie, headers: { "cf-connecting-ip": ip } });

describe("cross-origin requests", () => {
  it.each(ENCODINGS)("to POST /login as %s are refused with 403 and start no sign-in", async (encoding) => {
    const user = await makeUser();
    const ip = randomIp();
    const csrf = await preLoginCsrf(ip);
    // Even with a valid token and the right password, the foreign Origin alone is refused.
    const res = await formPost("/login", { _csrf: csrf.token, email: user.email, password: "wrong password" }, { encoding, cookie: csrf.cookie, origin: EVIL, ip });
    expect(res.status).toBe(403);
    expect(cookieFrom(res, "__Host-challenge")).toBeUndefined();
    // A wrong password that reached the service would have been counted.
    const rows = await db().select().from(loginThrottles).where(eq(loginThrottles.key, `ip:${ip}`));
    expect(rows).toHaveLength(0);
    const account = await db().select().from(loginThrottles).where(eq(loginThrottles.key, `account:${await sha256Hex(user.email)}`));
    expect(account).toHaveLength(0);
  });

  it.each(ENCODINGS)("to POST /account/password as %s with a valid session are refused with 403 and the password stays", async (encoding) => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const token = await sessionCsrf(cookie, ip);
    const before = await passwordHashOf(user.id);

    const res = await formPost("/account/password", { _csrf: token, currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { encoding, cookie, origin: EVIL, ip });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((l) => l.startsWith("__Host-session="))).toBe(false);

    expect(await passwordHashOf(user.id)).toBe(before);
    expect((await me(cookie, ip)).status).toBe(200); // a password change would have ended it
    expect((await login(user, { "cf-connecting-ip": randomIp() })).status).toBe(200);
    expect((await login({ email: user.email, password: NEW_PASSWORD }, { "cf-connecting-ip": randomIp() })).status).toBe(401);
  });

  it("marked Sec-Fetch-Site: cross-site are refused with 403 even without an Origin header", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const token = await sessionCsrf(cookie, ip);
    const res = await formPost(
      "/account/password",
      { _csrf: token, currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      { cookie, origin: null, ip, headers: { "sec-fetch-site": "cross-site" } },
    );
    expect(res.status).toBe(403);
    expect((await me(cookie, ip)).status).toBe(200);
  });

  it("with Origin: null are accepted only when the browser marks them Sec-Fetch-Site: same-origin (forms on no-referrer pages)", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const token = await sessionCsrf(cookie, ip);
    const before = await passwordHashOf(user.id);
    const post = (site: string) =>
      formPost("/account/password", { _csrf: token, currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { cookie, origin: "null", ip, headers: { "sec-fetch-site": site } });
    for (const site of ["cross-site", "same-site", "none"]) {
      expect((await post(site)).status, site).toBe(403);
      expect(await passwordHashOf(user.id)).toBe(before);
      expect((await me(cookie, ip)).status).toBe(200);
    }
    expect((await post("same-origin")).status).toBe(303);
    expect(await passwordHashOf(user.id)).not.toBe(before);
  });

  it("to the JSON API with a foreign Origin are refused with 403 and change nothing", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const res = await api("/api/v1/me/sessions/revoke-all", { cookie, body: {}, headers: { origin: EVIL, "cf-connecting-ip": ip } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    expect((await me(cookie, ip)).status).toBe(200);
  });
});

describe("the JSON API", () => {
  it("refuses a cookie-authenticated call with Content-Type text/plain with 415, even without Origin", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const res = await api("/api/v1/me/sessions/revoke-all", { cookie, body: {}, headers: { "content-type": "text/plain", "cf-connecting-ip": ip } });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    expect((await me(cookie, ip)).status).toBe(200);
  });

  it("serves a non-browser client that sends no Origin header", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const res = await login(user, { "cf-connecting-ip": ip });
    expect(res.status).toBe(200);
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const revoke = await api("/api/v1/me/sessions/revoke-all", { cookie, body: {}, headers: { "cf-connecting-ip": ip } });
    expect(revoke.status).toBe(204);
    expect((await me(cookie, ip)).status).toBe(401);
  });

  it("accepts a same-origin Origin header", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const revoke = await api("/api/v1/me/sessions/revoke-all", { cookie, body: {}, headers: { origin: ORIGIN, "cf-connecting-ip": ip } });
    expect(revoke.status).toBe(204);
    expect((await me(cookie, ip)).status).toBe(401);
  });
});

describe("same-origin page forms", () => {
  it("before sign-in are refused without the _csrf field or with a wrong one, and accepted with the cookie's token", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const csrf = await preLoginCsrf(ip);
    const fields = { email: user.email, password: PASSWORD };

    const missing = await formPost("/login", fields, { cookie: csrf.cookie, ip });
    expect(missing.status).toBe(403);
    expect(cookieFrom(missing, "__Host-challenge")).toBeUndefined();

    const wrong = await formPost("/login", { ...fields, _csrf: `${csrf.token}x` }, { cookie: csrf.cookie, ip });
    expect(wrong.status).toBe(403);

    // A token with no cookie to match is no token at all.
    const noCookie = await formPost("/login", { ...fields, _csrf: csrf.token }, { ip });
    expect(noCookie.status).toBe(403);

    for (const encoding of ["urlencoded", "multipart"] as const) {
      const ok = await formPost("/login", { ...fields, _csrf: csrf.token }, { encoding, cookie: csrf.cookie, ip });
      expect(ok.status).toBe(303);
      expect(ok.headers.get("location")).toBe("/login/two-factor");
      expect(cookieFrom(ok, "__Host-challenge")).toBeDefined();
    }
  });

  it("when signed in need the session's token: none, another session's or the pre-login cookie's is refused", async () => {
    const [user, other] = await Promise.all([makeUser(), makeUser()]);
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const otherToken = await sessionCsrf(await signIn(other, { "cf-connecting-ip": ip }), ip);
    const preLogin = await preLoginCsrf(ip);
    const before = await passwordHashOf(user.id);
    const fields = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD };

    expect((await formPost("/account/password", fields, { cookie, ip })).status).toBe(403);
    expect((await formPost("/account/password", { ...fields, _csrf: otherToken }, { cookie, ip })).status).toBe(403);
    expect((await formPost("/account/password", { ...fields, _csrf: preLogin.token }, { cookie: `${cookie}; ${preLogin.cookie}`, ip })).status).toBe(403);
    expect(await passwordHashOf(user.id)).toBe(before);
    expect((await me(cookie, ip)).status).toBe(200);

    const ok = await formPost("/account/password", { ...fields, _csrf: await sessionCsrf(cookie, ip) }, { cookie, ip });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/account");
    expect(flashOf(ok)).toBe("Your password is changed. Your other sessions were signed out.");
    expect(await passwordHashOf(user.id)).not.toBe(before);
    expect((await login({ email: user.email, password: NEW_PASSWORD }, { "cf-connecting-ip": randomIp() })).status).toBe(200);
  });

  it("accept the token in the X-CSRF-Token header, as htmx sends it", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const token = await sessionCsrf(cookie, ip);
    const res = await formPost("/account/sessions/revoke-all", {}, { cookie, ip, headers: { "hx-request": "true", "x-csrf-token": token } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login");
    expect(flashOf(res)).toBe("You are signed out.");
    expect((await me(cookie, ip)).status).toBe(401);
  });
});

describe("GET requests", () => {
  it.each(["/logout", "/api/v1/auth/logout", "/account/sessions/revoke-all", "/api/v1/me/sessions/revoke-all"])("GET %s does not end the session", async (path) => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie, "cf-connecting-ip": ip }, redirect: "manual" });
    expect(res.status).not.toBe(204);
    expect(res.headers.getSetCookie().some((l) => l.startsWith("__Host-session="))).toBe(false);
    expect((await me(cookie, ip)).status).toBe(200);
    const sessions = await api("/api/v1/me/sessions", { cookie, headers: { "cf-connecting-ip": ip } });
    expect(((await sessions.json()) as { items: unknown[] }).items).toHaveLength(1);
  });
});

describe("?next= after a page sign-in", () => {
  /** Drives the browser flow: login page, password form with ?next=, then the two-factor form. */
  async function pageSignIn(user: TestUser, next: string) {
    const ip = randomIp();
    const csrf = await preLoginCsrf(ip);
    const page = await SELF.fetch(`${ORIGIN}/login?next=${encodeURIComponent(next)}`, { headers: { cookie: csrf.cookie, "cf-connecting-ip": ip }, redirect: "manual" });
    expect(page.status).toBe(200);
    const action = (await page.text()).match(/<form[^>]*action="([^"]*)"/)?.[1];

    const password = await formPost(`/login?next=${encodeURIComponent(next)}`, { _csrf: csrf.token, email: user.email, password: PASSWORD }, { cookie: csrf.cookie, ip });
    expect(password.status).toBe(303);
    expect(password.headers.get("location")).toBe("/login/two-factor");
    const challenge = cookieFrom(password, "__Host-challenge")!;
    expect(challenge).toBeDefined();

    const done = await formPost("/login/two-factor", { _csrf: csrf.token, code: await freshCode(user) }, { cookie: `${csrf.cookie}; ${challenge}`, ip });
    expect(done.status).toBe(303);
    const session = cookieFrom(done, "__Host-session");
    expect(session).toBeDefined();
    expect((await me(session!, ip)).status).toBe(200);
    return { location: done.headers.get("location"), action };
  }

  it.each(["//evil.example", "/\\evil.example", "javascript:alert(1)", "https://evil.example/x", "/\t/evil.example", "\\\\evil.example"])(
    "next=%j lands on / and the login form does not carry it",
    async (next) => {
      const user = await makeUser();
      const { location, action } = await pageSignIn(user, next);
      expect(location).toBe("/");
      expect(action).toBe("/login");
    },
  );

  it("a path on the portal, /account, is honoured", async () => {
    const user = await makeUser();
    const { location, action } = await pageSignIn(user, "/account");
    expect(location).toBe("/account");
    expect(action).toBe(`/login?next=${encodeURIComponent("/account")}`);
  });

  it("a portal path with a query string is kept whole", async () => {
    const user = await makeUser();
    const { location } = await pageSignIn(user, "/account?tab=sessions");
    expect(location).toBe("/account?tab=sessions");
  });
});

describe("a form from a session that has ended", () => {
  it("answers an htmx post with 401 and HX-Redirect to the login page instead of a silent 403", async () => {
    const ip = randomIp();
    const user = await makeUser();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    const token = await sessionCsrf(cookie, ip);
    expect((await api("/api/v1/auth/logout", { method: "POST", cookie, headers: { "cf-connecting-ip": ip } })).status).toBe(204);

    const res = await formPost("/account/sessions/revoke-all", { _csrf: token }, { cookie, ip, headers: { "hx-request": "true" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("hx-redirect")).toBe("/login");
  });
});

