// F-06 (reset another user's 2FA) and the F-14 subset that exists so far:
// re-invite, deactivate, activate, with tenant scope and the last-manager rule.
import { and, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invitations, recoveryCodes, users } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { api, auditOf, db, type ErrorBody, expectError, linkIn, login, mailTo, makeOperator, makeOrg, makeUser, signIn, type TestUser } from "../helpers/fixtures";
import type { PublicUser } from "../../src/services/user-shape";

const meStatus = async (cookie: string) => (await api("/api/v1/me", { cookie })).status;

async function userRow(id: string) {
  const [row] = await db().select().from(users).where(eq(users.id, id));
  return row!;
}

const act = (cookie: string, userId: string, action: "reset-2fa" | "deactivate" | "activate" | "reinvite") =>
  api(`/api/v1/users/${userId}/${action}`, { method: "POST", cookie });

/** A partner organization with a signed-in Partner Manager and one Regular member. */
async function orgWithManager() {
  const org = await makeOrg();
  const manager = await makeUser({ orgId: org.id, role: "partner_manager" });
  const member = await makeUser({ orgId: org.id, role: "regular" });
  return { org, manager, member, managerCookie: await signIn(manager) };
}

async function giveRecoveryCode(user: TestUser) {
  await db()
    .insert(recoveryCodes)
    .values({ userId: user.id, codeHash: await sha256Hex(`code-${user.id}`), createdAt: Date.now() });
}

describe("resetting another user's 2FA (F-06)", () => {
  it("lets a Partner Manager reset 2FA of a user of the same organization: pending_2fa, sessions end, next login enrolls again", async () => {
    const { manager, member, managerCookie } = await orgWithManager();
    await giveRecoveryCode(member);
    const memberCookie = await signIn(member);
    expect(await meStatus(memberCookie)).toBe(200);

    const res = await act(managerCookie, member.id, "reset-2fa");
    expect(res.status).toBe(200);
    const { user } = (await res.json()) as { user: PublicUser };
    expect(user).toMatchObject({ id: member.id, status: "pending_2fa" });

    const row = await userRow(member.id);
    expect(row.status).toBe("pending_2fa");
    expect(row.totpSecretEnc).toBeNull();
    expect(row.totpLastStep).toBeNull();
    expect(await db().select().from(recoveryCodes).where(eq(recoveryCodes.userId, member.id))).toHaveLength(0);

    expect(await meStatus(memberCookie)).toBe(401);

    const next = await login(member);
    expect(next.status).toBe(200);
    const body = (await next.json()) as { next: string; challenge: string; totp: { secret: string; uri: string } };
    expect(body.next).toBe("totp_enroll");
    expect(body.totp.uri).toMatch(/^otpauth:\/\/totp\//);

    const audit = await auditOf(member.id, "user.two_factor_reset");
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorId).toBe(manager.id);
    expect(JSON.parse(audit[0]!.before!)).toEqual({ status: "active" });
    expect(JSON.parse(audit[0]!.after!)).toEqual({ status: "pending_2fa" });
    expect((await mailTo(member.email)).some((m) => /two-factor/i.test(m.text) && /reset/i.test(m.text))).toBe(true);
  });

  it("answers 404 to a Partner Manager of another organization and changes nothing", async () => {
    const { member } = await orgWithManager();
    const memberCookie = await signIn(member);
    const before = await userRow(member.id);
    const stranger = await orgWithManager();

    for (const action of ["reset-2fa", "deactivate", "activate", "reinvite"] as const) {
      await expectError(await act(stranger.managerCookie, member.id, action), 404, "not_found");
    }

    const after = await userRow(member.id);
    expect(after).toEqual(before);
    expect(await meStatus(memberCookie)).toBe(200);
    expect(await auditOf(member.id, "user.two_factor_reset")).toHaveLength(0);
  });

  it("answers 403 to a Regular and to a Read-only user of the same organization and changes nothing", async () => {
    const { org, member } = await orgWithManager();
    const readOnly = await makeUser({ orgId: org.id, role: "read_only" });
    const colleague = await makeUser({ orgId: org.id, role: "regular" });
    const before = await userRow(member.id);

    for (const actor of [colleague, readOnly]) {
      const cookie = await signIn(actor);
      for (const action of ["reset-2fa", "deactivate", "activate", "reinvite"] as const) {
        await expectError(await act(cookie, member.id, action), 403, "forbidden");
      }
    }
    expect(await userRow(member.id)).toEqual(before);
  });

  it("answers 401 without a session", async () => {
    const { member } = await orgWithManager();
    await expectError(await act("", member.id, "reset-2fa"), 401, "unauthenticated");
    expect((await userRow(member.id)).status).toBe("active");
  });

  it("lets an operator reset 2FA of a user in any organization, including a Partner Manager", async () => {
    const operator = await makeOperator();
    const opCookie = await signIn(operator);
    const { manager, managerCookie } = await orgWithManager();

    const res = await act(opCookie, manager.id, "reset-2fa");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: PublicUser }).user.status).toBe("pending_2fa");
    expect((await userRow(manager.id)).status).toBe("pending_2fa");
    expect(await meStatus(managerCookie)).toBe(401);
    expect(((await (await login(manager)).json()) as { next: string }).next).toBe("totp_enroll");
    const [audit] = await auditOf(manager.id, "user.two_factor_reset");
    expect(audit!.actorId).toBe(operator.id);
  });

  it("refuses to reset 2FA of a deactivated or invited account (409)", async () => {
    const { org, managerCookie } = await orgWithManager();
    const gone = await makeUser({ orgId: org.id, status: "deactivated" });
    const invited = await makeUser({ orgId: org.id, status: "invited", passwordHash: null, totpSecretEnc: null });
    await expectError(await act(managerCookie, gone.id, "reset-2fa"), 409, "conflict");
    await expectError(await act(managerCookie, invited.id, "reset-2fa"), 409, "conflict");
    expect((await userRow(gone.id)).status).toBe("deactivated");
    expect((await userRow(invited.id)).status).toBe("invited");
  });
});

describe("deactivate and activate (F-14)", () => {
  it("round-trips a user: deactivate ends sessions and sign-in, activate returns the account to active", async () => {
    const { manager, member, managerCookie } = await orgWithManager();
    const memberCookie = await signIn(member);

    const off = await act(managerCookie, member.id, "deactivate");
    expect(off.status).toBe(200);
    expect(((await off.json()) as { user: PublicUser }).user.status).toBe("deactivated");
    const deactivated = await userRow(member.id);
    expect(deactivated.status).toBe("deactivated");
    expect(deactivated.analyticsAccess).toBe("N");
    expect(await meStatus(memberCookie)).toBe(401);
    expect((await login(member)).status).toBe(401);
    // Deactivating twice is a conflict, not a second change.
    await expectError(await act(managerCookie, member.id, "deactivate"), 409, "conflict");

    const on = await act(managerCookie, member.id, "activate");
    expect(on.status).toBe(200);
    expect(((await on.json()) as { user: PublicUser }).user.status).toBe("active");
    expect((await userRow(member.id)).status).toBe("active");
    // The old session stays dead; a new sign-in works.
    expect(await meStatus(memberCookie)).toBe(401);
    expect(await meStatus(await signIn(member))).toBe(200);
    // Activating an active user is a conflict.
    await expectError(await act(managerCookie, member.id, "activate"), 409, "conflict");

    const [offAudit] = await auditOf(member.id, "user.deactivated");
    expect(offAudit!.actorId).toBe(manager.id);
    expect(JSON.parse(offAudit!.before!)).toMatchObject({ status: "active" });
    expect(JSON.parse(offAudit!.after!)).toMatchObject({ status: "deactivated", analyticsAccess: "N" });
    const [onAudit] = await auditOf(member.id, "user.activated_by_admin");
    expect(JSON.parse(onAudit!.before!)).toEqual({ status: "deactivated" });
    expect(JSON.parse(onAudit!.after!)).toEqual({ status: "active" });
  });

  it("activates a deactivated account that never enrolled 2FA back to pending_2fa", async () => {
    const { org, managerCookie } = await orgWithManager();
    const user = await makeUser({ orgId: org.id, status: "deactivated", totpSecretEnc: null });
    const res = await act(managerCookie, user.id, "activate");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: PublicUser }).user.status).toBe("pending_2fa");
  });

  it("lets a Partner Manager deactivate another Partner Manager while they themselves stay active", async () => {
    const { org, manager, managerCookie } = await orgWithManager();
    const second = await makeUser({ orgId: org.id, role: "partner_manager" });
    const res = await act(managerCookie, second.id, "deactivate");
    expect(res.status).toBe(200);
    expect((await userRow(second.id)).status).toBe("deactivated");
    expect((await userRow(manager.id)).status).toBe("active");
  });

  it("keeps the last active Partner Manager: the manager cannot deactivate themselves (409), an operator may deactivate them", async () => {
    // The code's rule: only a Partner Manager actor is held to the last-manager
    // check; operators are not. A Partner Manager is always an active manager of
    // the same organization, so for them the last one can only be themselves.
    const { org, manager, managerCookie } = await orgWithManager();
    const formerManager = await makeUser({ orgId: org.id, role: "partner_manager", status: "deactivated" });
    const res = await act(managerCookie, manager.id, "deactivate");
    await expectError(res, 409, "conflict");
    expect((await userRow(manager.id)).status).toBe("active");
    expect(await meStatus(managerCookie)).toBe(200);
    expect((await userRow(formerManager.id)).status).toBe("deactivated");

    const operator = await makeOperator();
    const opCookie = await signIn(operator);
    const byOperator = await act(opCookie, manager.id, "deactivate");
    expect(byOperator.status).toBe(200);
    expect((await userRow(manager.id)).status).toBe("deactivated");
    expect(await meStatus(managerCookie)).toBe(401);
  });

  it("lets nobody deactivate themselves: a Partner Manager with other managers and an operator both get 409", async () => {
    const { org, manager, managerCookie } = await orgWithManager();
    await makeUser({ orgId: org.id, role: "partner_manager" });
    const pm = await act(managerCookie, manager.id, "deactivate");
    expect(pm.status).toBe(409);
    expect(((await pm.json()) as ErrorBody).error.message).toMatch(/your own/i);
    expect((await userRow(manager.id)).status).toBe("active");

    const operator = await makeOperator();
    const opCookie = await signIn(operator);
    const op = await act(opCookie, operator.id, "deactivate");
    expect(op.status).toBe(409);
    expect(((await op.json()) as ErrorBody).error.message).toMatch(/your own/i);
    expect((await userRow(operator.id)).status).toBe("active");
    expect(await meStatus(opCookie)).toBe(200);
    expect(await auditOf(operator.id, "user.deactivated")).toHaveLength(0);
  });

  it("answers 404 for an unknown user id", async () => {
    const { managerCookie } = await orgWithManager();
    await expectError(await act(managerCookie, "no-such-user", "deactivate"), 404, "not_found");
  });
});

describe("re-invite (F-03, F-14)", () => {
  it("answers 409 for an active user and sends nothing", async () => {
    const { member, managerCookie } = await orgWithManager();
    const res = await act(managerCookie, member.id, "reinvite");
    await expectError(res, 409, "conflict");
    expect(await mailTo(member.email)).toHaveLength(0);
    expect(await auditOf(member.id, "user.reinvited")).toHaveLength(0);
  });

  it("sends an invited user a new activation link that replaces the old one", async () => {
    const { org, manager, managerCookie } = await orgWithManager();
    const invited = await makeUser({ orgId: org.id, status: "invited", passwordHash: null, totpSecretEnc: null });

    const first = await act(managerCookie, invited.id, "reinvite");
    expect(first.status).toBe(200);
    expect(((await first.json()) as { user: PublicUser }).user.status).toBe("invited");
    const second = await act(managerCookie, invited.id, "reinvite");
    expect(second.status).toBe(200);

    const mails = await mailTo(invited.email);
    expect(mails).toHaveLength(2);
    const [newest, oldest] = mails;
    const newToken = linkIn(newest!, "/activate").searchParams.get("token")!;
    const oldToken = linkIn(oldest!, "/activate").searchParams.get("token")!;
    expect(newToken).not.toBe(oldToken);
    const live = await db()
      .select()
      .from(invitations)
      .where(and(eq(invitations.userId, invited.id), isNull(invitations.usedAt), isNull(invitations.revokedAt)));
    expect(live).toHaveLength(1);
    expect(live[0]!.tokenHash).toBe(await sha256Hex(newToken));

    // The old link no longer works; the new one does.
    const stale = await api("/api/v1/invitations/accept", { body: { token: oldToken, password: "a fine long passphrase 7", acceptPrivacyPolicy: true } });
    expect(stale.status).toBe(400);
    const fresh = await api("/api/v1/invitations/accept", { body: { token: newToken, password: "a fine long passphrase 7", acceptPrivacyPolicy: true } });
    expect(fresh.status).toBe(200);
    expect((await userRow(invited.id)).status).toBe("pending_2fa");

    const audit = await auditOf(invited.id, "user.reinvited");
    expect(audit).toHaveLength(2);
    expect(audit.every((a) => a.actorId === manager.id)).toBe(true);
  });
});
