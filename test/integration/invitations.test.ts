// F-02/F-03/F-04/F-09/F-10: onboarding writes the account, its invitation and the
// mail together; activation links are single use, expire, are voided by a
// re-invite, live in D1 only as hashes and point at the configured origin.
import { env, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditEvents, invitations, organizations, outbox, users } from "../../src/db/schema";
import { api, cookieFrom, db, type ErrorBody, expectError, linkIn, mailTo, makeOperator, makeOrg, makeUser, ORIGIN, PASSWORD, signIn, uniqueEmail } from "../helpers/fixtures";
import { flashOf } from "../helpers/portal";

let operatorCookie: string;

beforeAll(async () => {
  operatorCookie = await signIn(await makeOperator());
});

/** Onboards a partner through the API and returns the invitee and the raw token from the mail. */
async function onboard(options: { headers?: Record<string, string> } = {}) {
  const email = uniqueEmail("pm");
  const res = await api("/api/v1/orgs", {
    cookie: operatorCookie,
    headers: options.headers,
    body: { name: `Partner ${email}`, kind: "partner", manager: { email, name: "Pat Manager" } },
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { org: { id: string }; user: { id: string; status: string } };
  return { email, orgId: body.org.id, userId: body.user.id, token: await latestToken(email) };
}

async function latestToken(email: string, path = "/activate") {
  const [mail] = await mailTo(email);
  expect(mail, `a mail to ${email}`).toBeDefined();
  const link = linkIn(mail!, path);
  expect(link.origin).toBe(ORIGIN);
  return link.searchParams.get("token")!;
}

const OMIT = Symbol("omit");
const accept = (token: string, password = PASSWORD, acceptPrivacyPolicy: unknown = true) =>
  api("/api/v1/invitations/accept", { body: acceptPrivacyPolicy === OMIT ? { token, password } : { token, password, acceptPrivacyPolicy } });

async function counts() {
  const [o, u, i, m] = await env.DB.batch([
    env.DB.prepare("SELECT count(*) AS n FROM organizations"),
    env.DB.prepare("SELECT count(*) AS n FROM users"),
    env.DB.prepare("SELECT count(*) AS n FROM invitations"),
    env.DB.prepare("SELECT count(*) AS n FROM outbox"),
  ]);
  const n = (r: D1Result | undefined) => (r!.results[0] as { n: number }).n;
  return { orgs: n(o), users: n(u), invitations: n(i), outbox: n(m) };
}

describe("onboarding writes account, invitation and mail together (F-02, F-10)", () => {
  it("creates the organization, the invited manager, one open invitation and its outbox mail", async () => {
    const before = Date.now();
    const { email, orgId, userId, token } = await onboard();

    const [org] = await db().select().from(organizations).where(eq(organizations.id, orgId));
    expect(org).toMatchObject({ kind: "partner", status: "active" });
    const [user] = await db().select().from(users).where(eq(users.id, userId));
    expect(user).toMatchObject({ email, orgId, role: "partner_manager", status: "invited", passwordHash: null });

    const rows = await db().select().from(invitations).where(eq(invitations.userId, userId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ usedAt: null, revokedAt: null });
    // F-03: 7 days.
    expect(rows[0]!.expiresAt - rows[0]!.createdAt).toBe(7 * 24 * 3_600_000);
    expect(rows[0]!.createdAt).toBeGreaterThanOrEqual(before);

    const mails = await db().select().from(outbox).where(eq(outbox.to, email));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(`${ORIGIN}/activate?token=`);
    // F-03: at least 128 bits of randomness (base64url: 6 bits per character).
    expect(token.length * 6).toBeGreaterThanOrEqual(128);
  });

  it("adds no organization, user, invitation or mail when the manager email is already taken", async () => {
    const existing = await makeUser();
    const before = await counts();
    const res = await api("/api/v1/orgs", {
      cookie: operatorCookie,
      body: { name: "Duplicate Partner", kind: "partner", manager: { email: `  ${existing.email.toUpperCase()} `, name: "Dup" } },
    });
    const error = await expectError(res, 422, "validation_failed");
    expect(error.fields?.["manager.email"]).toBeTruthy();
    expect(await counts()).toEqual(before);
    expect(await db().select().from(organizations).where(eq(organizations.name, "Duplicate Partner"))).toHaveLength(0);
  });

  it("writes nothing for a non-operator or invalid input", async () => {
    const manager = await makeUser({ role: "partner_manager" });
    const pmCookie = await signIn(manager);
    const before = await counts();
    const email = uniqueEmail("nope");
    const forbidden = await api("/api/v1/orgs", { cookie: pmCookie, body: { name: "Not Allowed", kind: "partner", manager: { email, name: "N" } } });
    await expectError(forbidden, 403, "forbidden");
    const invalid = await api("/api/v1/orgs", { cookie: operatorCookie, body: { name: "Bad Email", kind: "partner", manager: { email: "not-an-email", name: "N" } } });
    const error = await expectError(invalid, 422, "validation_failed");
    expect(error.fields?.["manager.email"]).toBeTruthy();
    const badParent = await api("/api/v1/orgs", { cookie: operatorCookie, body: { name: "Orphan", kind: "customer", managedBy: "no-such-org", manager: { email, name: "N" } } });
    expect((await expectError(badParent, 422, "validation_failed")).fields?.managedBy).toBeTruthy();
    expect(await counts()).toEqual(before);
    expect(await mailTo(email)).toHaveLength(0);
  });

  it("rolls back everything when two onboardings race for the same manager email", async () => {
    const email = uniqueEmail("race-pm");
    const before = await counts();
    const results = await Promise.all(
      ["Race A", "Race B"].map((name) =>
        api("/api/v1/orgs", { cookie: operatorCookie, body: { name: `${name} ${email}`, kind: "partner", manager: { email, name: "Racer" } } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422]);
    const loser = results.find((r) => r.status === 422)!;
    expect(((await loser.json()) as ErrorBody).error.fields?.["manager.email"]).toBeTruthy();
    // Exactly one of each: the losing batch left nothing behind.
    expect(await counts()).toEqual({
      orgs: before.orgs + 1,
      users: before.users + 1,
      invitations: before.invitations + 1,
      outbox: before.outbox + 1,
    });
  });
});

describe("activation tokens (F-03)", () => {
  it("are single use: a second accept answers 400 invalid_token", async () => {
    const { token } = await onboard();
    expect((await accept(token)).status).toBe(200);
    await expectError(await accept(token), 400, "invalid_token");
    const again = await expectError(await accept(token, "another long password 123"), 400, "invalid_token");
    expect(again.message).toMatch(/already used: the account exists/);
    // The page sends its holder to sign in, not to ask for another link.
    const html = await (await SELF.fetch(`${ORIGIN}/activate?token=${encodeURIComponent(token)}`)).text();
    expect(html).toContain('<a class="button" href="/login">Sign in</a>');
    expect(html).not.toContain('href="/forgot-password"');
  });

  it("are single use when two accepts race: exactly one succeeds", async () => {
    const { token, userId } = await onboard();
    const results = await Promise.all([accept(token, "first racing password"), accept(token, "second racing password")]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
    const loser = results.find((r) => r.status === 400)!;
    expect(((await loser.json()) as ErrorBody).error.code).toBe("invalid_token");

    const activations = await db().select().from(auditEvents).where(eq(auditEvents.targetId, userId));
    expect(activations.filter((a) => a.action === "user.activated")).toHaveLength(1);
    const [invitation] = await db().select().from(invitations).where(eq(invitations.userId, userId));
    expect(invitation!.usedAt).not.toBeNull();
  });

  it("expire: an expired link answers 400 expired_token and the activation page shows an error", async () => {
    const { token, userId } = await onboard();
    await env.DB.prepare("UPDATE invitations SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1000, userId).run();

    await expectError(await accept(token), 400, "expired_token");

    const page = await SELF.fetch(`${ORIGIN}/activate?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toMatch(/expired/i);
    expect(html).not.toContain('name="password"');
    const [user] = await db().select().from(users).where(eq(users.id, userId));
    expect(user!.status).toBe("invited");
  });

  it("an unknown token answers 400 invalid_token, on the API and the page", async () => {
    await expectError(await accept("not-a-real-token"), 400, "invalid_token");
    const page = await SELF.fetch(`${ORIGIN}/activate?token=not-a-real-token`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("Activation link not valid");
  });

  it("re-invite by an operator voids the old token; the new one works", async () => {
    const { email, userId, token: oldToken } = await onboard();
    const res = await api(`/api/v1/users/${userId}/reinvite`, { cookie: operatorCookie, body: {} });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { status: string } }).user.status).toBe("invited");
    const newToken = await latestToken(email);
    expect(newToken).not.toBe(oldToken);

    await expectError(await accept(oldToken), 400, "invalid_token");
    expect((await accept(newToken)).status).toBe(200);

    const rows = await db().select().from(invitations).where(eq(invitations.userId, userId));
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.revokedAt !== null)).toHaveLength(1);
    expect(rows.filter((r) => r.usedAt !== null)).toHaveLength(1);
  });

  it("re-invite by the organization's Partner Manager voids the old token; another org's manager cannot", async () => {
    const org = await makeOrg();
    const manager = await makeUser({ orgId: org.id, role: "partner_manager" });
    const invitee = await makeUser({ orgId: org.id, role: "regular", status: "invited", passwordHash: null, totpSecretEnc: null });
    const pmCookie = await signIn(manager);

    const first = await api(`/api/v1/users/${invitee.id}/reinvite`, { cookie: pmCookie, body: {} });
    expect(first.status).toBe(200);
    const firstToken = await latestToken(invitee.email);
    const second = await api(`/api/v1/users/${invitee.id}/reinvite`, { cookie: pmCookie, body: {} });
    expect(second.status).toBe(200);
    const secondToken = await latestToken(invitee.email);
    expect(secondToken).not.toBe(firstToken);
    expect(await mailTo(invitee.email)).toHaveLength(2);

    // A Partner Manager of another organization does not even see the account.
    const stranger = await makeUser({ role: "partner_manager" });
    const foreign = await api(`/api/v1/users/${invitee.id}/reinvite`, { cookie: await signIn(stranger), body: {} });
    expect(foreign.status).toBe(404);
    expect(await mailTo(invitee.email)).toHaveLength(2);

    await expectError(await accept(firstToken), 400, "invalid_token");
    expect((await accept(secondToken)).status).toBe(200);

    // Once activated, re-invite is refused.
    expect((await api(`/api/v1/users/${invitee.id}/reinvite`, { cookie: pmCookie, body: {} })).status).toBe(409);
  });

  it("are stored only as hashes: the raw token appears in no column of invitations, users or audit_events", async () => {
    const { token, userId } = await onboard();
    // Also after use.
    expect((await accept(token)).status).toBe(200);
    const reinvited = await onboard();
    await api(`/api/v1/users/${reinvited.userId}/reinvite`, { cookie: operatorCookie, body: {} });
    const reToken = await latestToken(reinvited.email);

    const [inv, usr, aud] = await env.DB.batch([
      env.DB.prepare("SELECT * FROM invitations"),
      env.DB.prepare("SELECT * FROM users"),
      env.DB.prepare("SELECT * FROM audit_events"),
    ]);
    const dump = JSON.stringify([inv!.results, usr!.results, aud!.results]);
    for (const raw of [token, reinvited.token, reToken]) {
      expect(dump).not.toContain(raw);
      expect(dump).not.toContain(encodeURIComponent(raw));
    }
    // What is stored is the SHA-256 of the token.
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    const [row] = await db().select().from(invitations).where(eq(invitations.userId, userId));
    expect(row!.tokenHash).toBe(digest);
  });
});

describe("links in mail use the configured origin (F-09)", () => {
  it("ignores Host and X-Forwarded-Host of the onboarding request", async () => {
    const { token, email } = await onboard({ headers: { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" } });
    const [mail] = await mailTo(email);
    expect(mail!.text).not.toContain("evil.example");
    expect(mail!.html).not.toContain("evil.example");
    expect(mail!.text).toContain(`${ORIGIN}/activate?token=${token}`);
  });

  it("ignores the URL host the request was sent to", async () => {
    const email = uniqueEmail("other-host");
    const res = await SELF.fetch("https://other.example/api/v1/orgs", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: operatorCookie, "x-forwarded-host": "other.example" },
      body: JSON.stringify({ name: `Other ${email}`, kind: "partner", manager: { email, name: "Otto" } }),
    });
    expect(res.status).toBe(201);
    const [mail] = await mailTo(email);
    expect(mail!.text).not.toContain("other.example");
    expect(mail!.html).not.toContain("other.example");
    expect(linkIn(mail!, "/activate").origin).toBe(ORIGIN);
  });
});

describe("accepting an invitation (F-04)", () => {
  it("refuses a password of 11 characters with 422 fields.password and accepts 12", async () => {
    const { token } = await onboard();
    const error = await expectError(await accept(token, "abcdefghijk"), 422, "validation_failed");
    expect(error.fields?.password).toMatch(/12/);
    expect((await accept(token, "abcdefghijkl")).status).toBe(200);
  });

  it("refuses a password of 129 characters and accepts 128", async () => {
    const { token } = await onboard();
    const error = await expectError(await accept(token, "x".repeat(64) + "y".repeat(65)), 422, "validation_failed");
    expect(error.fields?.password).toMatch(/128/);
    expect((await accept(token, "x".repeat(64) + "y".repeat(64))).status).toBe(200);
  });

  it("counts characters as a person does: 12 emoji are 12 characters", async () => {
    const { token } = await onboard();
    // 11 emoji are 22 UTF-16 units but still too short.
    await expectError(await accept(token, "🔐".repeat(11)), 422, "validation_failed");
    expect((await accept(token, "🔐".repeat(12))).status).toBe(200);
  });

  it("refuses a common password of 12 or more characters", async () => {
    const { token } = await onboard();
    for (const common of ["1qaz2wsx3edc", "1QAZ2WSX3EDC"]) {
      const error = await expectError(await accept(token, common), 422, "validation_failed");
      expect(error.fields?.password).toMatch(/common/i);
    }
    expect((await accept(token)).status).toBe(200);
  });

  it("requires agreeing to the privacy policy; the invitation stays usable after a refusal", async () => {
    const { token, userId } = await onboard();
    for (const consent of [false, OMIT, null, "yes"]) {
      const error = await expectError(await accept(token, PASSWORD, consent), 422, "validation_failed");
      expect(error.fields?.acceptPrivacyPolicy).toMatch(/privacy policy/i);
    }
    const [still] = await db().select().from(users).where(eq(users.id, userId));
    expect(still).toMatchObject({ status: "invited", passwordHash: null, privacyPolicyVersion: null, privacyAcceptedAt: null });
    const [invitation] = await db().select().from(invitations).where(eq(invitations.userId, userId));
    expect(invitation!.usedAt).toBeNull();

    expect((await accept(token)).status).toBe(200);
  });

  it("stores the policy version and time, sets the password and moves to pending_2fa", async () => {
    const { email, token, userId } = await onboard();
    const before = Date.now();
    const res = await accept(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, email });
    // Activation links carry a token: no Referer may leak it.
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");

    const [user] = await db().select().from(users).where(eq(users.id, userId));
    expect(user!.status).toBe("pending_2fa");
    expect(user!.privacyPolicyVersion).toBe(env.PRIVACY_POLICY_VERSION);
    expect(user!.privacyPolicyVersion).toBe("2026-01");
    expect(user!.privacyAcceptedAt).toBeGreaterThanOrEqual(before);
    expect(user!.privacyAcceptedAt).toBeLessThanOrEqual(Date.now());
    expect(user!.passwordHash).toBeTruthy();
    expect(user!.passwordHash).not.toContain(PASSWORD);

    // The next stop is 2FA enrollment at the first sign-in.
    const login = await api("/api/v1/auth/login", { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { next: string }).next).toBe("totp_enroll");
  });
});

describe("the activation page (F-04)", () => {
  async function openPage(token: string) {
    const page = await SELF.fetch(`${ORIGIN}/activate?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await page.text();
    const csrfCookie = cookieFrom(page, "__Host-csrf");
    expect(csrfCookie).toBeDefined();
    return { html, csrfCookie: csrfCookie!, csrf: csrfCookie!.slice("__Host-csrf=".length) };
  }

  const post = (cookie: string, fields: Record<string, string>) =>
    SELF.fetch(`${ORIGIN}/activate`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams(fields).toString(),
      redirect: "manual",
    });

  it("shows the form and activates on submit, landing on the login page", async () => {
    const { email, token, userId } = await onboard();
    const { html, csrfCookie, csrf } = await openPage(token);
    expect(html).toContain('action="/activate"');
    expect(html).toContain('name="password"');
    expect(html).toContain('name="acceptPrivacyPolicy"');
    expect(html).toContain(email);
    expect(html).toContain(`name="_csrf" value="${csrf}"`);

    const res = await post(csrfCookie, { _csrf: csrf, token, password: PASSWORD, acceptPrivacyPolicy: "on" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login");
    expect(flashOf(res)).toBe("Your account is created. Sign in to set up two-factor authentication.");

    const [user] = await db().select().from(users).where(eq(users.id, userId));
    expect(user).toMatchObject({ status: "pending_2fa", privacyPolicyVersion: "2026-01" });
    expect(user!.privacyAcceptedAt).not.toBeNull();
    // Single use on the page too.
    const again = await SELF.fetch(`${ORIGIN}/activate?token=${encodeURIComponent(token)}`);
    expect(again.status).toBe(400);
  });

  it("re-renders with 422 and the field errors on invalid input, and the link still works", async () => {
    const { token, userId } = await onboard();
    const { csrfCookie, csrf } = await openPage(token);

    const short = await post(csrfCookie, { _csrf: csrf, token, password: "short", acceptPrivacyPolicy: "on" });
    expect(short.status).toBe(422);
    const shortHtml = await short.text();
    expect(shortHtml).toContain("Use at least 12 characters.");
    expect(shortHtml).toContain('action="/activate"');

    const common = await post(csrfCookie, { _csrf: csrf, token, password: "1qaz2wsx3edc", acceptPrivacyPolicy: "on" });
    expect(common.status).toBe(422);
    expect(await common.text()).toContain("This password is too common.");

    const noConsent = await post(csrfCookie, { _csrf: csrf, token, password: PASSWORD });
    expect(noConsent.status).toBe(422);
    expect(await noConsent.text()).toContain("You must agree to the privacy policy to create your account.");

    const [user] = await db().select().from(users).where(eq(users.id, userId));
    expect(user!.status).toBe("invited");

    const ok = await post(csrfCookie, { _csrf: csrf, token, password: PASSWORD, acceptPrivacyPolicy: "on" });
    expect(ok.status).toBe(303);
  });

  it("refuses a submit without the CSRF token", async () => {
    const { token, userId } = await onboard();
    const { csrfCookie } = await openPage(token);
    const res = await post(csrfCookie, { token, password: PASSWORD, acceptPrivacyPolicy: "on" });
    expect(res.status).toBe(403);
    const [user] = await db().select().from(users).where(eq(users.id, userId));
    expect(user!.status).toBe("invited");
  });
});
