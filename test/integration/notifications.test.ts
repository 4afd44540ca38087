// F-91 security notifications: the account holder gets a mail when 2FA is
// enrolled or reset, a recovery code is used, recovery codes are regenerated,
// the password changes, or a sign-in comes from a device not seen before.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { totpCodeAt } from "../../src/domain/two-factor";
import { knownDevices, users } from "../../src/db/schema";
import { api, cookieFrom, db, freshCode, login, mailTo, makeOperator, makeUser, ORIGIN, PASSWORD, signIn, type MailMessage, type TestUser } from "../helpers/fixtures";

const notices = async (email: string) => (await mailTo(email)).filter((m) => m.subject.startsWith("Security notice"));

function expectNotice(mail: MailMessage | undefined, text: RegExp) {
  expect(mail).toBeDefined();
  expect(mail!.subject).toMatch(/^Security notice/);
  expect(mail!.text).toMatch(text);
  // Links in the notice point at the configured origin.
  expect(mail!.text).toContain(`${ORIGIN}/account`);
  expect(mail!.text).toMatch(/If this was not you/);
}

/** An account that still has to enroll 2FA, enrolled through the API; returns its TOTP secret and recovery codes. */
async function enrolledUser(headers: Record<string, string> = {}) {
  const pending = await makeUser({ status: "pending_2fa", totpSecretEnc: null });
  const res = await login(pending, headers);
  const { next, challenge, totp } = (await res.json()) as { next: string; challenge: string; totp: { secret: string } };
  expect(next).toBe("totp_enroll");
  const done = await api("/api/v1/auth/totp", { body: { challenge, code: totpCodeAt(totp.secret, Date.now()) }, headers });
  expect(done.status).toBe(200);
  const { recoveryCodes } = (await done.json()) as { recoveryCodes: string[] };
  const user: TestUser = { ...pending, totpSecret: totp.secret };
  return { user, recoveryCodes, cookie: cookieFrom(done, "__Host-session")! };
}

describe("security notifications (F-91)", () => {
  it("mails the holder when 2FA is enrolled, and nothing else on that first sign-in", async () => {
    const { user } = await enrolledUser({ "user-agent": "Enroller/1.0" });
    const mails = await notices(user.email);
    expect(mails).toHaveLength(1);
    expectNotice(mails[0], /Two-factor authentication was set up/);
    expect(mails[0]!.to).toBe(user.email);
  });

  it("mails the holder when an operator resets their 2FA", async () => {
    const operatorCookie = await signIn(await makeOperator());
    const user = await makeUser();
    const res = await api(`/api/v1/users/${user.id}/reset-2fa`, { cookie: operatorCookie, body: {} });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { status: string } }).user.status).toBe("pending_2fa");
    const mails = await notices(user.email);
    expect(mails).toHaveLength(1);
    expectNotice(mails[0], /reset by an administrator/);
    // Only the holder is told, not the operator who did it.
    expect((await mailTo(user.email)).every((m) => m.to === user.email)).toBe(true);
  });

  it("mails the holder when a Partner Manager resets their 2FA", async () => {
    const manager = await makeUser({ role: "partner_manager" });
    const colleague = await makeUser({ orgId: manager.orgId, role: "regular" });
    const res = await api(`/api/v1/users/${colleague.id}/reset-2fa`, { cookie: await signIn(manager), body: {} });
    expect(res.status).toBe(200);
    expectNotice((await notices(colleague.email))[0], /reset by an administrator/);
    expect(await notices(manager.email)).toHaveLength(0);
  });

  it("mails the holder when a recovery code is used to sign in", async () => {
    const { user, recoveryCodes } = await enrolledUser();
    const before = (await notices(user.email)).length;
    const res = await login(user);
    const { next, challenge } = (await res.json()) as { next: string; challenge: string };
    expect(next).toBe("totp");
    const done = await api("/api/v1/auth/totp", { body: { challenge, recoveryCode: recoveryCodes[0] } });
    expect(done.status).toBe(200);
    const mails = await notices(user.email);
    expect(mails).toHaveLength(before + 1);
    expectNotice(mails[0], /recovery code was used/);
  });

  it("mails the holder when recovery codes are regenerated", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    const res = await api("/api/v1/me/recovery-codes", { cookie, body: { code: await freshCode(user) } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);
    const mails = await notices(user.email);
    expect(mails).toHaveLength(1);
    expectNotice(mails[0], /New recovery codes were generated/);
  });

  it("sends no regeneration notice when the TOTP code is wrong", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    const res = await api("/api/v1/me/recovery-codes", { cookie, body: { code: "000000" } });
    expect(res.status).toBe(422);
    expect(await notices(user.email)).toHaveLength(0);
  });

  it("mails the holder when the password is changed", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    const res = await api("/api/v1/me/password", { cookie, body: { currentPassword: PASSWORD, newPassword: "a fresh passphrase for me" } });
    expect(res.status).toBe(200);
    const mails = await notices(user.email);
    expect(mails).toHaveLength(1);
    expectNotice(mails[0], /password of your account was changed/);
  });

  it("sends no password notice when the current password is wrong", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    const res = await api("/api/v1/me/password", { cookie, body: { currentPassword: "not my password at all", newPassword: "a fresh passphrase for me" } });
    expect(res.status).toBe(422);
    expect(await notices(user.email)).toHaveLength(0);
  });

  it("mails the holder about a sign-in from a new device, but not the first sign-in or a known device", async () => {
    const user = await makeUser();
    const laptop = { "user-agent": "Mozilla/5.0 (Laptop) Firefox/140.0", "cf-connecting-ip": "198.51.100.10" };
    const phone = {
      "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
      "cf-connecting-ip": "203.0.113.77",
    };

    // The very first sign-in: nothing to compare with, no mail.
    await signIn(user, laptop);
    expect(await notices(user.email)).toHaveLength(0);

    // The same device again: no mail.
    await signIn(user, laptop);
    expect(await notices(user.email)).toHaveLength(0);

    // A new device: one "new sign-in" mail naming it.
    await signIn(user, phone);
    const afterPhone = await notices(user.email);
    expect(afterPhone).toHaveLength(1);
    expectNotice(afterPhone[0], /new sign-in/i);
    // Named as a person would say it, with the header itself for anyone who wants the detail.
    expect(afterPhone[0]!.text).toContain("Device: Safari on iPhone (Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)");
    expect(afterPhone[0]!.text).toContain("203.0.113.77");

    // Now known: no further mail for either device.
    await signIn(user, phone);
    await signIn(user, laptop);
    expect(await notices(user.email)).toHaveLength(1);

    // The same browser from another address counts as new.
    await signIn(user, { ...laptop, "cf-connecting-ip": "192.0.2.200" });
    const afterMove = await notices(user.email);
    expect(afterMove).toHaveLength(2);
    expect(afterMove[0]!.text).toContain("192.0.2.200");

    const devices = await db().select().from(knownDevices).where(eq(knownDevices.userId, user.id));
    expect(devices).toHaveLength(3);
    // The device record is a hash: neither the user agent nor the address is stored in it.
    expect(JSON.stringify(devices)).not.toMatch(/Safari|203\.0\.113\.77/);
  });

  it("sends no new-sign-in mail when the second factor fails", async () => {
    const user = await makeUser();
    await signIn(user, { "user-agent": "Known/1.0" });
    const res = await login(user, { "user-agent": "Stranger/6.6" });
    const { challenge } = (await res.json()) as { challenge: string };
    const wrong = await api("/api/v1/auth/totp", { body: { challenge, code: "000000" }, headers: { "user-agent": "Stranger/6.6" } });
    expect(wrong.status).toBe(401);
    expect(await notices(user.email)).toHaveLength(0);
    const [row] = await db().select({ status: users.status }).from(users).where(eq(users.id, user.id));
    expect(row!.status).toBe("active");
  });
});
