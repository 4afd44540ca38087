// F-92 invitations of an organization: the list (pending, expired, revoked),
// resend (new token, old one void), revoke (the link stops working, the
// account stays invited), and one reminder by the cron before expiry.
import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { invitations, outbox, users } from "../../src/db/schema";
import { insertChunks } from "../../src/lib/batch";
import { sha256Hex } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { api, auditOf, db, expectError, linkIn, mailTo, makeUser, ORIGIN, uniqueEmail } from "../helpers/fixtures";
import { partnerOrg, signedIn, userRow } from "../helpers/portal";

const DAY = 24 * 3_600_000;

interface Invitation {
  id: string;
  state: string;
  user: { id: string; email: string; name: string; role: string };
  invitedBy: { id: string; name: string } | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  remindedAt: string | null;
}
interface ListAnswer {
  items: Invitation[];
  page: { number: number; size: number; total: number };
}

/** Invites through the API and returns the new user's id and the token from the mail. */
async function invite(cookie: string, name = "Ivy Invitee") {
  const email = uniqueEmail("inv");
  const res = await api("/api/v1/users", { cookie, body: { email, name, role: "regular" } });
  expect(res.status).toBe(201);
  const { user } = (await res.json()) as { user: { id: string } };
  const [mail] = await mailTo(email);
  return { email, userId: user.id, token: linkIn(mail!, "/activate").searchParams.get("token")! };
}

/** An invited account with one invitation whose times are set directly. */
async function invitedWith(orgId: string, times: { createdAt: number; expiresAt: number; revokedAt?: number; remindedAt?: number; usedAt?: number }) {
  const user = await makeUser({ orgId, status: "invited", passwordHash: null, totpSecretEnc: null });
  const id = newId();
  await db().insert(invitations).values({ id, userId: user.id, tokenHash: await sha256Hex(newId()), invitedBy: null, ...times });
  return { user, invitationId: id };
}

const listOf = async (cookie: string, query = "") => {
  const res = await api(`/api/v1/invitations${query}`, { cookie });
  expect(res.status).toBe(200);
  return (await res.json()) as ListAnswer;
};

const accept = (token: string) => api("/api/v1/invitations/accept", { body: { token, password: "a fine long passphrase 7", acceptPrivacyPolicy: true } });

describe("GET /api/v1/invitations (F-92)", () => {
  it("lists the organization's pending, expired and revoked invitations, newest first, filterable by state", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const now = Date.now();
    const expired = await invitedWith(org.id, { createdAt: now - 9 * DAY, expiresAt: now - 2 * DAY });
    const revoked = await invitedWith(org.id, { createdAt: now - 3 * DAY, expiresAt: now + 4 * DAY, revokedAt: now - DAY });
    const pending = await invite(cookie);
    // Not listed: accepted invitations, and another organization's.
    await invitedWith(org.id, { createdAt: now - DAY, expiresAt: now + 6 * DAY, usedAt: now });
    const other = await partnerOrg();
    await invite(other.cookie);

    const all = await listOf(cookie);
    expect(all.page.total).toBe(3);
    expect(all.items.map((i) => [i.user.id, i.state])).toEqual([
      [pending.userId, "pending"],
      [revoked.user.id, "revoked"],
      [expired.user.id, "expired"],
    ]);
    expect(all.items[0]!.invitedBy).toEqual({ id: manager.id, name: manager.name });
    expect(all.items[0]!.user).toMatchObject({ email: pending.email, role: "regular" });

    expect((await listOf(cookie, "?state=expired")).items.map((i) => i.id)).toEqual([expired.invitationId]);
    expect((await listOf(cookie, "?state=revoked")).items.map((i) => i.id)).toEqual([revoked.invitationId]);
    expect((await listOf(cookie, "?state=pending&pageSize=1")).page).toEqual({ number: 1, size: 1, total: 1 });
    await expectError(await api("/api/v1/invitations?state=used", { cookie }), 422, "validation_failed");
  });

  it("shows one entry per account: after a resend only the new invitation", async () => {
    const { cookie } = await partnerOrg();
    const { userId } = await invite(cookie);
    const [first] = (await listOf(cookie)).items;
    const res = await api(`/api/v1/invitations/${first!.id}/resend`, { cookie, body: {} });
    expect(res.status).toBe(200);
    const { items } = await listOf(cookie);
    expect(items).toHaveLength(1);
    expect(items[0]!.user.id).toBe(userId);
    expect(items[0]!.id).not.toBe(first!.id);
    expect(items[0]!.state).toBe("pending");
  });

  it("is for Partner Managers: Regular and Read-only users get 403", async () => {
    const { org, cookie } = await partnerOrg();
    await invite(cookie);
    for (const role of ["regular", "read_only"] as const) {
      const member = await signedIn(org.id, role);
      await expectError(await api("/api/v1/invitations", { cookie: member.cookie }), 403, "forbidden");
    }
  });
});

describe("resend and revoke (F-92)", () => {
  it("resend mails a new link; the old one stops working, the new one works", async () => {
    const { cookie } = await partnerOrg();
    const { email, userId, token: oldToken } = await invite(cookie);
    const [inv] = (await listOf(cookie)).items;

    const res = await api(`/api/v1/invitations/${inv!.id}/resend`, { cookie, body: {} });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { id: string; status: string }; invitation: Invitation };
    expect(body.user).toMatchObject({ id: userId, status: "invited" });
    expect(body.invitation.state).toBe("pending");

    const mails = await mailTo(email);
    expect(mails).toHaveLength(2);
    const newToken = linkIn(mails[0]!, "/activate").searchParams.get("token")!;
    expect(newToken).not.toBe(oldToken);
    const replaced = await expectError(await accept(oldToken), 400, "invalid_token");
    expect(replaced.message).toMatch(/^A newer invitation replaced this link\./);
    const oldPage = await (await SELF.fetch(`${ORIGIN}/activate?token=${encodeURIComponent(oldToken)}`)).text();
    expect(oldPage).toContain('href="/forgot-password"');
    expect((await accept(newToken)).status).toBe(200);
    expect(await auditOf(userId, "user.reinvited")).toHaveLength(1);
  });

  it("revoke voids the link, keeps the account invited, stops forgot-password from minting a new link; resend brings it back", async () => {
    const { manager, cookie } = await partnerOrg();
    const { email, userId, token } = await invite(cookie);
    const [inv] = (await listOf(cookie)).items;

    const res = await api(`/api/v1/invitations/${inv!.id}/revoke`, { cookie, body: {} });
    expect(res.status).toBe(200);
    const { invitation } = (await res.json()) as { invitation: Invitation };
    expect(invitation).toMatchObject({ id: inv!.id, state: "revoked" });
    expect(invitation.revokedAt).not.toBeNull();
    expect((await userRow(userId)).status).toBe("invited");

    const refused = await expectError(await accept(token), 400, "invalid_token");
    // Withdrawn, not "replaced": no newer link exists, and asking for one sends nothing (below).
    expect(refused.message).toBe("This invitation was withdrawn. Ask a Partner Manager of your organization to invite you again.");
    const page = await SELF.fetch(`${ORIGIN}/activate?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain("This invitation was withdrawn.");
    expect(html).not.toContain('href="/forgot-password"');
    const [audit] = await auditOf(inv!.id, "invitation.revoked");
    expect(audit!.actorId).toBe(manager.id);

    // The invitee asking for a new link gets the usual answer, but no mail.
    const forgot = await api("/api/v1/auth/forgot-password", { body: { email } });
    expect(forgot.status).toBe(202);
    expect(await mailTo(email)).toHaveLength(1);

    // Revoking twice is a conflict.
    await expectError(await api(`/api/v1/invitations/${inv!.id}/revoke`, { cookie, body: {} }), 409, "conflict");

    // A resend issues a working link again.
    expect((await api(`/api/v1/invitations/${inv!.id}/resend`, { cookie, body: {} })).status).toBe(200);
    const fresh = linkIn((await mailTo(email))[0]!, "/activate").searchParams.get("token")!;
    expect((await accept(fresh)).status).toBe(200);
  });

  it("refuses to revoke or resend an accepted invitation (409)", async () => {
    const { cookie } = await partnerOrg();
    const { token } = await invite(cookie);
    const [inv] = (await listOf(cookie)).items;
    expect((await accept(token)).status).toBe(200);
    await expectError(await api(`/api/v1/invitations/${inv!.id}/revoke`, { cookie, body: {} }), 409, "conflict");
    await expectError(await api(`/api/v1/invitations/${inv!.id}/resend`, { cookie, body: {} }), 409, "conflict");
  });

  it("answers 404 for an unknown invitation and 403 to a Regular user", async () => {
    const { org, cookie } = await partnerOrg();
    await invite(cookie);
    const [inv] = (await listOf(cookie)).items;
    await expectError(await api("/api/v1/invitations/nope/revoke", { cookie, body: {} }), 404, "not_found");
    const regular = await signedIn(org.id, "regular");
    await expectError(await api(`/api/v1/invitations/${inv!.id}/revoke`, { cookie: regular.cookie, body: {} }), 403, "forbidden");
    await expectError(await api(`/api/v1/invitations/${inv!.id}/resend`, { cookie: regular.cookie, body: {} }), 403, "forbidden");
    expect((await listOf(cookie)).items[0]!.state).toBe("pending");
  });
});

async function runCron(scheduledTime: number) {
  const controller = createScheduledController({ scheduledTime, cron: "0 3 * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

const reminders = async (email: string) => (await mailTo(email)).filter((m) => /^Reminder: your .* invitation expires soon/.test(m.subject));

describe("invitation reminder by the cron (F-92)", () => {
  it("mails one reminder for an open invitation expiring within 24 hours, exactly once across runs", async () => {
    const { org } = await partnerOrg();
    const now = Date.UTC(2031, 4, 10, 3, 0, 0);
    const soon = await invitedWith(org.id, { createdAt: now - 6.5 * DAY, expiresAt: now + 12 * 3_600_000 });
    const later = await invitedWith(org.id, { createdAt: now - 5 * DAY, expiresAt: now + 2 * DAY });
    const gone = await invitedWith(org.id, { createdAt: now - 8 * DAY, expiresAt: now - 3_600_000 });
    const revoked = await invitedWith(org.id, { createdAt: now - 6.5 * DAY, expiresAt: now + 3_600_000, revokedAt: now - DAY });
    const reminded = await invitedWith(org.id, { createdAt: now - 6.5 * DAY, expiresAt: now + 3_600_000, remindedAt: now - 3_600_000 });
    const used = await invitedWith(org.id, { createdAt: now - 6.5 * DAY, expiresAt: now + 3_600_000, usedAt: now - DAY });

    await runCron(now);

    const mails = await reminders(soon.user.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toMatch(/expires on 2031-05-10 15:00 UTC/);
    expect(mails[0]!.text).toContain(`${ORIGIN}/forgot-password`);
    const [row] = await db().select().from(invitations).where(eq(invitations.id, soon.invitationId));
    expect(row!.remindedAt).toBe(now);
    const [sent] = await db().select().from(outbox).where(eq(outbox.to, soon.user.email));
    expect(sent!.status).toBe("sent");
    expect(await auditOf(soon.invitationId, "invitation.reminded")).toHaveLength(1);

    for (const other of [later, gone, revoked, reminded, used]) expect(await reminders(other.user.email)).toHaveLength(0);

    // Later runs, also inside the window: no second reminder.
    await runCron(now + 3_600_000);
    await runCron(now + 6 * 3_600_000);
    expect(await reminders(soon.user.email)).toHaveLength(1);
    expect(await auditOf(soon.invitationId, "invitation.reminded")).toHaveLength(1);

    // The invitation due tomorrow is reminded by tomorrow's run.
    await runCron(now + DAY + 3_600_000);
    expect(await reminders(later.user.email)).toHaveLength(1);
  });

  it("reminds many invitations in one run, set-based", async () => {
    const { org } = await partnerOrg();
    const now = Date.UTC(2032, 1, 1, 3, 0, 0);
    const people = Array.from({ length: 130 }, (_, i) => ({
      id: newId(),
      orgId: org.id,
      email: uniqueEmail(`many${i}`),
      name: `Person ${i}`,
      role: "regular" as const,
      status: "invited" as const,
      createdAt: now - 7 * DAY,
      updatedAt: now - 7 * DAY,
    }));
    const invs = await Promise.all(
      people.map(async (u, i) => ({ id: newId(), userId: u.id, tokenHash: await sha256Hex(newId()), createdAt: now - 6.5 * DAY, expiresAt: now + 3_600_000 + i })),
    );
    await db().batch([...insertChunks(db(), users, people), ...insertChunks(db(), invitations, invs)] as unknown as Parameters<ReturnType<typeof db>["batch"]>[0]);
    await runCron(now);
    const open = await db()
      .select({ id: invitations.id })
      .from(invitations)
      .innerJoin(users, eq(users.id, invitations.userId))
      .where(and(eq(users.orgId, org.id), eq(invitations.remindedAt, now)));
    expect(open).toHaveLength(130);
    // /dev/mail.json shows the newest 100 only: count the outbox itself. Only the
    // invited people: at 2032 the manager (created today) gets an inactivity reminder (F-70).
    const mails = await db()
      .select({ to: outbox.to, subject: outbox.subject, status: outbox.status })
      .from(outbox)
      .where(inArray(outbox.to, db().select({ email: users.email }).from(users).where(and(eq(users.orgId, org.id), eq(users.status, "invited")))));
    expect(mails).toHaveLength(130);
    expect(new Set(mails.map((m) => m.to)).size).toBe(130);
    expect(mails.every((m) => /expires soon/.test(m.subject) && m.status === "sent")).toBe(true);
  });
});
