// F-90 forgot password: same answer for every address, a single-use 1 h link on
// the configured origin that ends every session and never skips 2FA; an invitee
// gets a fresh activation link instead; at most 3 mails an hour.
import { env, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invitations, passwordResets, users } from "../../src/db/schema";
import { api, cookieFrom, db, expectError, linkIn, login, mailTo, makeOperator, makeOrg, makeUser, ORIGIN, PASSWORD, signIn, uniqueEmail } from "../helpers/fixtures";

const NEW_PASSWORD = "a brand new passphrase 42";

const forgot = (email: string) => api("/api/v1/auth/forgot-password", { body: { email } });
const reset = (token: string, password = NEW_PASSWORD) => api("/api/v1/auth/reset-password", { body: { token, password } });

const resetMails = async (email: string) => (await mailTo(email)).filter((m) => m.text.includes("/reset-password?token="));
const activationMails = async (email: string) => (await mailTo(email)).filter((m) => m.text.includes("/activate?token="));

/** Asks for a reset link and returns the raw token from the mail. */
async function resetToken(email: string) {
  const res = await forgot(email);
  expect(res.status).toBe(202);
  const [mail] = await resetMails(email);
  expect(mail, `a reset mail to ${email}`).toBeDefined();
  const link = linkIn(mail!, "/reset-password");
  expect(link.origin).toBe(ORIGIN);
  return link.searchParams.get("token")!;
}

describe("forgot password (F-90)", () => {
  it("answers the same for an unknown address and a real one", async () => {
    const user = await makeUser();
    const unknown = await forgot(uniqueEmail("nobody"));
    const known = await forgot(user.email);
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    const [a, b] = [await unknown.text(), await known.text()];
    expect(a).toBe(b);
    expect(unknown.headers.get("set-cookie")).toBe(known.headers.get("set-cookie"));
    // Differently spelt, the same account answers the same too.
    const spelt = await forgot(`  ${user.email.toUpperCase()}  `);
    expect(spelt.status).toBe(202);
    expect(await spelt.text()).toBe(a);
  });

  it("mails the account holder a reset link on the configured origin, even for a foreign Host", async () => {
    const user = await makeUser();
    const res = await SELF.fetch("https://other.example/api/v1/auth/forgot-password", {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-host": "evil.example" },
      body: JSON.stringify({ email: user.email }),
    });
    expect(res.status).toBe(202);
    const mails = await mailTo(user.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/reset/i);
    expect(mails[0]!.text).not.toMatch(/other\.example|evil\.example/);
    const link = linkIn(mails[0]!, "/reset-password");
    expect(link.origin).toBe(ORIGIN);
    expect(link.searchParams.get("token")!.length).toBeGreaterThanOrEqual(22);

    // Stored only as a hash.
    const rows = await db().select().from(passwordResets).where(eq(passwordResets.userId, user.id));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(link.searchParams.get("token")!);
    expect(rows[0]!.expiresAt - rows[0]!.createdAt).toBe(3_600_000);
  });

  it("resets the password once: a second use answers 400 invalid_token", async () => {
    const user = await makeUser();
    const token = await resetToken(user.email);
    const ok = await reset(token);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("referrer-policy")).toBe("no-referrer");
    await expectError(await reset(token, "yet another passphrase 7"), 400, "invalid_token");

    // The first new password is the one that counts.
    expect((await login({ email: user.email, password: NEW_PASSWORD })).status).toBe(200);
    expect((await login({ email: user.email, password: "yet another passphrase 7" })).status).toBe(401);
    expect((await login({ email: user.email, password: PASSWORD })).status).toBe(401);
  });

  it("refuses a weak new password with 422 and keeps the link usable", async () => {
    const user = await makeUser();
    const token = await resetToken(user.email);
    const short = await expectError(await reset(token, "tooshort"), 422, "validation_failed");
    expect(short.fields?.password).toBeTruthy();
    const common = await expectError(await reset(token, "1qaz2wsx3edc"), 422, "validation_failed");
    expect(common.fields?.password).toMatch(/common/i);
    expect((await reset(token)).status).toBe(200);
  });

  it("expires after one hour: 400 expired_token, and the password stays", async () => {
    const user = await makeUser();
    const token = await resetToken(user.email);
    await env.DB.prepare("UPDATE password_resets SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, user.id).run();
    await expectError(await reset(token), 400, "expired_token");
    const page = await SELF.fetch(`${ORIGIN}/reset-password?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/expired/i);
    expect((await login(user)).status).toBe(200);
  });

  it("answers 400 invalid_token for a made-up token", async () => {
    await expectError(await reset("made-up-token"), 400, "invalid_token");
  });

  it("ends every existing session", async () => {
    const user = await makeUser();
    const first = await signIn(user);
    const second = await signIn(user);
    expect((await api("/api/v1/me", { cookie: first })).status).toBe(200);
    expect((await api("/api/v1/me", { cookie: second })).status).toBe(200);

    const token = await resetToken(user.email);
    expect((await reset(token)).status).toBe(200);

    await expectError(await api("/api/v1/me", { cookie: first }), 401, "unauthenticated");
    await expectError(await api("/api/v1/me", { cookie: second }), 401, "unauthenticated");
  });

  it("never skips 2FA: the next sign-in still asks for the code and sets no session", async () => {
    const user = await makeUser();
    const token = await resetToken(user.email);
    const res = await reset(token);
    expect(res.status).toBe(200);
    expect(cookieFrom(res, "__Host-session")).toBeUndefined();

    const next = await login({ email: user.email, password: NEW_PASSWORD });
    expect(next.status).toBe(200);
    const body = (await next.json()) as { next: string; challenge: string };
    expect(body.next).toBe("totp");
    expect(body.challenge).toBeTruthy();
    expect(cookieFrom(next, "__Host-session")).toBeUndefined();
    // The account still has its authenticator: 2FA is not reset.
    const [row] = await db().select().from(users).where(eq(users.id, user.id));
    expect(row!.status).toBe("active");
    expect(row!.totpSecretEnc).toBeTruthy();
    // And the holder is told.
    expect((await mailTo(user.email)).some((m) => /password/i.test(m.subject) && /changed/i.test(m.text))).toBe(true);
  });

  it("a pending_2fa account still has to enroll 2FA after a reset", async () => {
    const user = await makeUser({ status: "pending_2fa", totpSecretEnc: null });
    const token = await resetToken(user.email);
    expect((await reset(token)).status).toBe(200);
    const next = await login({ email: user.email, password: NEW_PASSWORD });
    expect(next.status).toBe(200);
    expect(((await next.json()) as { next: string }).next).toBe("totp_enroll");
    expect(cookieFrom(next, "__Host-session")).toBeUndefined();
  });

  it("a reset link stops working once the account is deactivated", async () => {
    const user = await makeUser();
    const token = await resetToken(user.email);
    await db().update(users).set({ status: "deactivated" }).where(eq(users.id, user.id));
    await expectError(await reset(token), 400, "invalid_token");
    const [row] = await db().select().from(passwordResets).where(eq(passwordResets.userId, user.id));
    expect(row!.usedAt).toBeNull();
  });

  it("gives an invitee who has not activated a fresh activation link and voids the old one", async () => {
    const operatorCookie = await signIn(await makeOperator());
    const email = uniqueEmail("invitee");
    const onboard = await api("/api/v1/orgs", { cookie: operatorCookie, body: { name: `Org ${email}`, kind: "partner", manager: { email, name: "Ivy Invitee" } } });
    expect(onboard.status).toBe(201);
    const { user } = (await onboard.json()) as { user: { id: string } };
    const [firstMail] = await activationMails(email);
    const oldToken = linkIn(firstMail!, "/activate").searchParams.get("token")!;

    const res = await forgot(email);
    expect(res.status).toBe(202);
    const activation = await activationMails(email);
    expect(activation).toHaveLength(2);
    expect(await resetMails(email)).toHaveLength(0);
    const link = linkIn(activation[0]!, "/activate");
    expect(link.origin).toBe(ORIGIN);
    const newToken = link.searchParams.get("token")!;
    expect(newToken).not.toBe(oldToken);
    expect(await db().select().from(passwordResets).where(eq(passwordResets.userId, user.id))).toHaveLength(0);

    await expectError(await api("/api/v1/invitations/accept", { body: { token: oldToken, password: PASSWORD, acceptPrivacyPolicy: true } }), 400, "invalid_token");
    expect((await api("/api/v1/invitations/accept", { body: { token: newToken, password: PASSWORD, acceptPrivacyPolicy: true } })).status).toBe(200);
    const rows = await db().select().from(invitations).where(eq(invitations.userId, user.id));
    expect(rows.filter((r) => r.revokedAt !== null)).toHaveLength(1);
  });

  it("sends no mail to a deactivated account, and answers the same", async () => {
    const user = await makeUser({ status: "deactivated" });
    const res = await forgot(user.email);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe(await (await forgot(uniqueEmail("ghost"))).text());
    expect(await mailTo(user.email)).toHaveLength(0);
    expect(await db().select().from(passwordResets).where(eq(passwordResets.userId, user.id))).toHaveLength(0);
  });

  it("sends at most 3 reset mails an hour, answering every request the same", async () => {
    const user = await makeUser();
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await forgot(user.email);
      expect(res.status).toBe(202);
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
    expect(await resetMails(user.email)).toHaveLength(3);
    expect(await db().select().from(passwordResets).where(eq(passwordResets.userId, user.id))).toHaveLength(3);

    // An hour later the allowance is back.
    await env.DB.prepare("UPDATE password_resets SET created_at = created_at - 3600001 WHERE user_id = ?").bind(user.id).run();
    expect((await forgot(user.email)).status).toBe(202);
    expect(await resetMails(user.email)).toHaveLength(4);
  });

  it("sends at most 3 activation mails an hour to an invitee", async () => {
    const manager = await makeUser({ role: "partner_manager" });
    const invitee = await makeUser({ orgId: manager.orgId, status: "invited", passwordHash: null, totpSecretEnc: null });
    for (let i = 0; i < 5; i++) expect((await forgot(invitee.email)).status).toBe(202);
    expect(await activationMails(invitee.email)).toHaveLength(3);
  });

  it("requests in parallel still send at most 3 mails", async () => {
    const user = await makeUser();
    const results = await Promise.all(Array.from({ length: 6 }, () => forgot(user.email)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(202));
    expect(await resetMails(user.email)).toHaveLength(3);
    expect(await db().select().from(passwordResets).where(eq(passwordResets.userId, user.id))).toHaveLength(3);

    const manager = await makeUser({ role: "partner_manager" });
    const invitee = await makeUser({ orgId: manager.orgId, status: "invited", passwordHash: null, totpSecretEnc: null });
    await Promise.all(Array.from({ length: 6 }, () => forgot(invitee.email)));
    expect(await activationMails(invitee.email)).toHaveLength(3);
    // Whatever won, exactly one activation link is still open.
    const open = (await db().select().from(invitations).where(eq(invitations.userId, invitee.id))).filter((r) => r.revokedAt === null && r.usedAt === null);
    expect(open).toHaveLength(1);
  });

  it("greets the account holder by their own name, not their organization's", async () => {
    const org = await makeOrg({ name: "Organization Name Ltd" });
    const user = await makeUser({ orgId: org.id, name: "Rita Reset" });
    expect((await forgot(user.email)).status).toBe(202);
    const [mail] = await resetMails(user.email);
    expect(mail!.text).toContain("Hello Rita Reset,");
    expect(mail!.text).not.toContain("Organization Name Ltd");
  });
});
