// Analytics Access (F-21…F-25) and the workspace owner (F-41): who may invite
// and revoke, accepting an invitation (and the first owner), the guard that
// takes effect on the very next request, the invitation page, the AA buttons
// on the users page, and the owner toggle with its last-owner rule — also
// when two owners remove each other at the same moment.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { createDeps, type Deps } from "../../src/deps";
import type { Actor } from "../../src/domain/actor";
import { NO_ANALYTICS_ACCESS } from "../../src/middleware/require-analytics";
import { setAnalyticsOwner } from "../../src/services/analytics-access";
import { api, auditOf, db, expectError, linkIn, mailTo, makeOperator, makeOrg, makeUser, ORIGIN, signIn } from "../helpers/fixtures";
import { grantModules, makeAnalyticsUser } from "../helpers/analytics";
import { csrfFrom, flashOf, formPost, page, userRow } from "../helpers/portal";
import type { PublicUser } from "../../src/services/user-shape";

const invite = (cookie: string, userId: string) => api(`/api/v1/users/${userId}/analytics/invite`, { method: "POST", cookie });
const revoke = (cookie: string, userId: string) => api(`/api/v1/users/${userId}/analytics/revoke`, { method: "POST", cookie });
const accept = (cookie: string) => api("/api/v1/analytics/accept", { method: "POST", cookie });
const setOwner = (cookie: string, userId: string, owner: unknown) => api(`/api/v1/analytics/users/${userId}/owner`, { method: "PUT", cookie, body: { owner } });

/** A partner organization with a signed-in Analytics Administrator (a Partner Manager holding AAA). */
async function orgWithAaa() {
  const org = await makeOrg();
  const aaa = await makeUser({ orgId: org.id, role: "partner_manager", analyticsAdmin: true, name: "Ada Admin" });
  return { org, aaa, cookie: await signIn(aaa) };
}

/** The <tr> of one user on a page. */
const rowOf = (body: string, userId: string) => body.match(new RegExp(`<tr id="user-${userId}">[\\s\\S]*?</tr>`))?.[0] ?? "";

describe("inviting to Analytics (F-23)", () => {
  it("lets an AAA invite an active user of the organization: AA becomes I, a mail explains how to accept, audited", async () => {
    const { org, aaa, cookie } = await orgWithAaa();
    const member = await makeUser({ orgId: org.id, role: "read_only" });
    const res = await invite(cookie, member.id);
    expect(res.status).toBe(200);
    const { user } = (await res.json()) as { user: PublicUser };
    expect(user).toMatchObject({ id: member.id, analyticsAccess: "I", status: "active" });
    expect((await userRow(member.id)).analyticsAccess).toBe("I");

    const [mail] = await mailTo(member.email);
    expect(mail!.subject).toMatch(/invited to .* Analytics/);
    expect(mail!.text).toContain("Ada Admin");
    expect(linkIn(mail!, "/analytics/accept").origin).toBe(ORIGIN);
    const [entry] = await auditOf(member.id, "analytics.invited");
    expect(entry).toMatchObject({ actorId: aaa.id, orgId: org.id });
    expect(JSON.parse(entry!.after!)).toEqual({ analyticsAccess: "I" });
  });

  it("sends a fresh mail when the user is invited again, and refuses a user who already has access (409)", async () => {
    const { org, cookie } = await orgWithAaa();
    const member = await makeUser({ orgId: org.id, analyticsAccess: "I" });
    expect((await invite(cookie, member.id)).status).toBe(200);
    expect((await invite(cookie, member.id)).status).toBe(200);
    expect(await mailTo(member.email)).toHaveLength(2);
    expect(await auditOf(member.id, "analytics.invitation_resent")).toHaveLength(2);
    expect((await userRow(member.id)).analyticsAccess).toBe("I");

    const granted = await makeAnalyticsUser({ orgId: org.id });
    const err = await expectError(await invite(cookie, granted.id), 409, "conflict");
    expect(err.message).toMatch(/already has analytics access/);
    expect(await mailTo(granted.email)).toHaveLength(0);
  });

  it("lets an AAA invite themselves: holding AAA alone gives no access (F-22)", async () => {
    const { aaa, cookie } = await orgWithAaa();
    expect((await api("/api/v1/me", { cookie }).then((r) => r.json())) as { user: PublicUser }).toMatchObject({ user: { analyticsAccess: "N" } });
    await expectError(await api("/api/v1/analytics/users/x/owner", { method: "PUT", cookie, body: { owner: true } }), 403, "forbidden");
    const res = await invite(cookie, aaa.id);
    expect(res.status).toBe(200);
    expect((await userRow(aaa.id)).analyticsAccess).toBe("I");
  });

  it("refuses a Partner Manager without AAA, a Regular user and an operator (403), whatever the target", async () => {
    const org = await makeOrg();
    const target = await makeUser({ orgId: org.id });
    const pm = await signIn(await makeUser({ orgId: org.id, role: "partner_manager" }));
    const regular = await signIn(await makeUser({ orgId: org.id, role: "regular", analyticsAdmin: true }));
    const operator = await signIn(await makeOperator());
    for (const cookie of [pm, regular, operator]) {
      await expectError(await invite(cookie, target.id), 403, "forbidden");
      await expectError(await revoke(cookie, target.id), 403, "forbidden");
      await expectError(await invite(cookie, "no-such-user"), 403, "forbidden");
    }
    expect((await userRow(target.id)).analyticsAccess).toBe("N");
    expect(await mailTo(target.email)).toHaveLength(0);
  });

  it("answers 404 to an AAA naming a user of another organization, and changes nothing there", async () => {
    const { cookie } = await orgWithAaa();
    const other = await makeOrg();
    const stranger = await makeUser({ orgId: other.id });
    const invitedStranger = await makeUser({ orgId: other.id, analyticsAccess: "Y" });
    await expectError(await invite(cookie, stranger.id), 404, "not_found");
    await expectError(await revoke(cookie, invitedStranger.id), 404, "not_found");
    expect((await userRow(stranger.id)).analyticsAccess).toBe("N");
    expect((await userRow(invitedStranger.id)).analyticsAccess).toBe("Y");
  });

  it.each([
    ["deactivated", { status: "deactivated" as const }],
    ["invited to the portal (not activated yet)", { status: "invited" as const, passwordHash: null, totpSecretEnc: null }],
    ["still owing 2FA enrollment", { status: "pending_2fa" as const, totpSecretEnc: null }],
  ])("refuses to invite a user who is %s (409)", async (_label, overrides) => {
    const { org, cookie } = await orgWithAaa();
    const target = await makeUser({ orgId: org.id, ...overrides });
    const err = await expectError(await invite(cookie, target.id), 409, "conflict");
    expect(err.message).toMatch(/Only active accounts/);
    expect((await userRow(target.id)).analyticsAccess).toBe("N");
    expect(await mailTo(target.email)).toHaveLength(0);
  });
});

describe("accepting an invitation (F-23) and the first owner (F-41)", () => {
  it("turns AA I into Y for the signed-in invitee; the first to accept in a workspace without an active owner becomes owner", async () => {
    const { org, cookie } = await orgWithAaa();
    const first = await makeUser({ orgId: org.id });
    const second = await makeUser({ orgId: org.id });
    await invite(cookie, first.id);
    await invite(cookie, second.id);

    const res = await accept(await signIn(first));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: PublicUser; becameOwner: boolean; message: string };
    expect(body.user).toMatchObject({ analyticsAccess: "Y", analyticsOwner: true });
    expect(body.becameOwner).toBe(true);
    expect(body.message).toMatch(/now its owner/);
    const [entry] = await auditOf(first.id, "analytics.accepted");
    expect(entry!.actorId).toBe(first.id);
    expect(JSON.parse(entry!.after!)).toEqual({ analyticsAccess: "Y", analyticsOwner: true, ownerBootstrap: true });

    const later = (await (await accept(await signIn(second))).json()) as { user: PublicUser; becameOwner: boolean };
    expect(later).toMatchObject({ becameOwner: false, user: { analyticsAccess: "Y", analyticsOwner: false } });
    expect(JSON.parse((await auditOf(second.id, "analytics.accepted"))[0]!.after!)).toEqual({ analyticsAccess: "Y", analyticsOwner: false });
  });

  it("makes the accepting user owner when the only owner is deactivated (no active owner left)", async () => {
    const org = await makeOrg();
    await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true, status: "deactivated" });
    const invitee = await makeUser({ orgId: org.id, analyticsAccess: "I" });
    const body = (await (await accept(await signIn(invitee))).json()) as { becameOwner: boolean };
    expect(body.becameOwner).toBe(true);
    expect((await userRow(invitee.id)).analyticsOwner).toBe(true);
  });

  it("refuses to accept without an invitation (AA N) or with access already (AA Y) — 409 — and without a session (401)", async () => {
    const org = await makeOrg();
    const none = await makeUser({ orgId: org.id });
    const granted = await makeAnalyticsUser({ orgId: org.id });
    const err = await expectError(await accept(await signIn(none)), 409, "conflict");
    expect(err.message).toMatch(/no analytics invitation/);
    await expectError(await accept(await signIn(granted)), 409, "conflict");
    await expectError(await accept(""), 401, "unauthenticated");
    expect((await userRow(none.id)).analyticsAccess).toBe("N");
    expect((await userRow(granted.id)).analyticsOwner).toBe(false);
  });
});

describe("the analytics guard (F-24, F-25)", () => {
  it("after a revoke the user keeps the portal but /analytics and /api/v1/analytics/* refuse with 403 on the very next request", async () => {
    const { org, aaa, cookie } = await orgWithAaa();
    const member = await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true });
    await grantModules(member.id, { reporting_api: "full" });
    const memberCookie = await signIn(member);
    expect((await page("/analytics/tokens", memberCookie)).status).toBe(200);
    expect((await api("/api/v1/tokens", { cookie: memberCookie })).status).toBe(200);
    expect((await api("/api/v1/analytics/sites", { cookie: memberCookie })).status).not.toBe(403);

    const res = await revoke(cookie, member.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: PublicUser }).user).toMatchObject({ analyticsAccess: "N", analyticsOwner: false, status: "active" });

    const me = await api("/api/v1/me", { cookie: memberCookie });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: PublicUser }).user.analyticsAccess).toBe("N");
    expect((await page("/analytics", memberCookie)).status).toBe(403);
    expect((await page("/analytics/tokens", memberCookie)).status).toBe(403);
    const err = await expectError(await api("/api/v1/analytics/sites", { cookie: memberCookie }), 403, "forbidden");
    expect(err.message).toBe(NO_ANALYTICS_ACCESS);
    await expectError(await api(`/api/v1/analytics/users/${member.id}/owner`, { method: "PUT", cookie: memberCookie, body: { owner: true } }), 403, "forbidden");

    const [entry] = await auditOf(member.id, "analytics.access_revoked");
    expect(entry!.actorId).toBe(aaa.id);
    expect(JSON.parse(entry!.before!)).toEqual({ analyticsAccess: "Y", analyticsOwner: true });
    expect((await mailTo(member.email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/Analytics access was removed/));
  });

  it("revokes an invitation too (I → N), and refuses to revoke a user without access (409)", async () => {
    const { org, cookie } = await orgWithAaa();
    const invitee = await makeUser({ orgId: org.id, analyticsAccess: "I" });
    expect((await revoke(cookie, invitee.id)).status).toBe(200);
    expect((await userRow(invitee.id)).analyticsAccess).toBe("N");
    await expectError(await revoke(cookie, invitee.id), 409, "conflict");
  });

  it("deactivation ends portal and analytics access at once", async () => {
    const org = await makeOrg();
    const pmCookie = await signIn(await makeUser({ orgId: org.id, role: "partner_manager" }));
    const member = await makeAnalyticsUser({ orgId: org.id });
    const memberCookie = await signIn(member);
    expect((await api("/api/v1/analytics/sites", { cookie: memberCookie })).status).not.toBe(403);
    expect((await api(`/api/v1/users/${member.id}/deactivate`, { method: "POST", cookie: pmCookie })).status).toBe(200);
    expect(await userRow(member.id)).toMatchObject({ status: "deactivated", analyticsAccess: "N" });
    await expectError(await api("/api/v1/me", { cookie: memberCookie }), 401, "unauthenticated");
    await expectError(await api("/api/v1/analytics/sites", { cookie: memberCookie }), 401, "unauthenticated");
  });

  it("sends an invited user (AA I) from /analytics to the invitation page", async () => {
    const org = await makeOrg();
    const cookie = await signIn(await makeUser({ orgId: org.id, analyticsAccess: "I" }));
    for (const path of ["/analytics", "/analytics/tokens"]) {
      const res = await page(path, cookie);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/analytics/accept");
    }
    await expectError(await api("/api/v1/analytics/sites", { cookie }), 403, "forbidden");
  });
});

describe("the invitation page /analytics/accept", () => {
  it("shows an invited user the invitation; the Accept form activates access and names the owner bootstrap", async () => {
    const org = await makeOrg({ name: "Acme Partners" });
    const invitee = await makeUser({ orgId: org.id, analyticsAccess: "I" });
    const cookie = await signIn(invitee);
    const res = await page("/analytics/accept", cookie);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain("Acme Partners");
    expect(body).toMatch(/<form method="post" action="\/analytics\/accept"[\s\S]*?Accept the invitation/);

    const token = await csrfFrom("/analytics/accept", cookie);
    const done = await formPost("/analytics/accept", {}, { cookie, token });
    expect(done.status).toBe(200);
    const text = await done.text();
    expect(text).toContain("Analytics access activated");
    expect(text).toContain("now its owner");
    expect(await userRow(invitee.id)).toMatchObject({ analyticsAccess: "Y", analyticsOwner: true });

    const again = await page("/analytics/accept", cookie);
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/analytics");
  });

  it("tells a user without an invitation to ask their Analytics Administrators, listed by name", async () => {
    const org = await makeOrg();
    await makeUser({ orgId: org.id, role: "partner_manager", analyticsAdmin: true, name: "Ada Admin" });
    await makeUser({ orgId: org.id, role: "partner_manager", name: "Pete Plain" });
    const cookie = await signIn(await makeUser({ orgId: org.id, role: "read_only" }));
    const res = await page("/analytics/accept", cookie);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain("Ask an Analytics Administrator");
    expect(body).toContain("Ada Admin");
    expect(body).not.toContain("Pete Plain");
    expect(body).not.toContain('action="/analytics/accept"');

    const token = await csrfFrom("/analytics/accept", cookie);
    expect((await formPost("/analytics/accept", {}, { cookie, token })).status).toBe(409);
  });

  it("sends a visitor without a session to sign in", async () => {
    const res = await page("/analytics/accept", "");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/login\?next=/);
  });
});

describe("the AA column of the users page (F-23, F-24)", () => {
  it("gives an AAA invite, resend and revoke buttons; a Partner Manager without AAA and a Regular user see the letter", async () => {
    const { org, cookie } = await orgWithAaa();
    const none = await makeUser({ orgId: org.id, name: "Nora None" });
    const invited = await makeUser({ orgId: org.id, name: "Ivy Invited", analyticsAccess: "I" });
    const granted = await makeAnalyticsUser({ orgId: org.id, name: "Yan Yes" });
    const gone = await makeUser({ orgId: org.id, name: "Dee Gone", status: "deactivated" });

    const body = await (await page("/users", cookie)).text();
    expect(rowOf(body, none.id)).toMatch(new RegExp(`hx-post="/users/${none.id}/analytics/invite"[^>]*>\\s*No access. Click to invite`));
    expect(rowOf(body, invited.id)).toMatch(/Invited · resend/);
    expect(rowOf(body, invited.id)).toContain(`hx-post="/users/${invited.id}/analytics/revoke"`);
    expect(rowOf(body, granted.id)).toMatch(/data-confirm="Revoke the analytics access of [^"]+"/);
    expect(rowOf(body, granted.id)).not.toContain("/analytics/invite");
    expect(rowOf(body, gone.id)).not.toContain("/analytics/");

    for (const viewer of [await makeUser({ orgId: org.id, role: "partner_manager" }), await makeUser({ orgId: org.id, role: "regular" })]) {
      const other = await (await page("/users", await signIn(viewer))).text();
      expect(other).not.toContain("/analytics/invite");
      expect(other).not.toContain("/analytics/revoke");
      expect(rowOf(other, invited.id)).toContain('<td title="I — invited">I</td>');
    }
  });

  it("swaps in the row with the result on an htmx invite, and redirects a plain form post back", async () => {
    const { org, cookie } = await orgWithAaa();
    const member = await makeUser({ orgId: org.id });
    const token = await csrfFrom("/users", cookie);
    const res = await formPost(`/users/${member.id}/analytics/invite`, {}, { cookie, token, htmx: true });
    expect(res.status).toBe(200);
    const row = await res.text();
    expect(row).toMatch(new RegExp(`^<tr id="user-${member.id}">`));
    expect(row).toContain("Invited · resend");
    expect(row).toContain('role="status">Invited to Analytics');

    const plain = await formPost(`/users/${member.id}/analytics/revoke`, {}, { cookie, token });
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe("/users");
    expect(flashOf(plain)).toBe(`${member.email}: Analytics access revoked; the portal account stays.`);
    expect((await userRow(member.id)).analyticsAccess).toBe("N");

    // A refusal comes back as the row, reason inside.
    const refused = await formPost(`/users/${member.id}/analytics/revoke`, {}, { cookie, token, htmx: true });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("x-swap-error")).toBe("row");
    expect(await refused.text()).toMatch(/role="alert">This user has no analytics access/);
  });
});

describe("the owner flag (F-41)", () => {
  async function workspace() {
    const org = await makeOrg();
    const owner = await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true, name: "Olga Owner" });
    return { org, owner, cookie: await signIn(owner) };
  }

  it("lets an owner make another user owner and remove that again, audited and mailed", async () => {
    const { org, owner, cookie } = await workspace();
    const member = await makeAnalyticsUser({ orgId: org.id });
    const res = await setOwner(cookie, member.id, true);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: PublicUser }).user.analyticsOwner).toBe(true);
    const [granted] = await auditOf(member.id, "analytics.owner_granted");
    expect(granted!.actorId).toBe(owner.id);
    expect((await mailTo(member.email))[0]!.subject).toMatch(/now an owner/);

    expect((await setOwner(cookie, member.id, false)).status).toBe(200);
    expect((await userRow(member.id)).analyticsOwner).toBe(false);
    expect(await auditOf(member.id, "analytics.owner_removed")).toHaveLength(1);
    expect((await mailTo(member.email))[0]!.subject).toMatch(/no longer an owner/);
  });

  it("accepts an invited user (AA I) as owner, but not a user without access, a deactivated one (409) or another organization's (404)", async () => {
    const { org, cookie } = await workspace();
    const invited = await makeUser({ orgId: org.id, analyticsAccess: "I" });
    expect((await setOwner(cookie, invited.id, true)).status).toBe(200);
    const none = await makeUser({ orgId: org.id });
    await expectError(await setOwner(cookie, none.id, true), 409, "conflict");
    const gone = await makeAnalyticsUser({ orgId: org.id, status: "deactivated" });
    await expectError(await setOwner(cookie, gone.id, true), 409, "conflict");
    const stranger = await makeAnalyticsUser({ orgId: (await makeOrg()).id });
    await expectError(await setOwner(cookie, stranger.id, true), 404, "not_found");
    expect((await userRow(stranger.id)).analyticsOwner).toBe(false);
  });

  it("refuses a user with access who is not owner (403)", async () => {
    const { org } = await workspace();
    const member = await makeAnalyticsUser({ orgId: org.id });
    const peer = await makeAnalyticsUser({ orgId: org.id });
    const memberCookie = await signIn(member);
    await expectError(await setOwner(memberCookie, peer.id, true), 403, "forbidden");
    await expectError(await setOwner(memberCookie, member.id, true), 403, "forbidden");
    expect((await userRow(peer.id)).analyticsOwner).toBe(false);
  });

  it("never removes the last active owner (409), but an owner may step down while another active owner remains", async () => {
    const { org, owner, cookie } = await workspace();
    const err = await expectError(await setOwner(cookie, owner.id, false), 409, "conflict");
    expect(err.message).toMatch(/last active owner/);
    // A deactivated owner does not count.
    await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true, status: "deactivated" });
    await expectError(await setOwner(cookie, owner.id, false), 409, "conflict");

    const second = await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true });
    expect((await setOwner(cookie, owner.id, false)).status).toBe(200);
    expect((await userRow(owner.id)).analyticsOwner).toBe(false);
    expect((await userRow(second.id)).analyticsOwner).toBe(true);
    // No longer an owner: the next request is refused.
    await expectError(await setOwner(cookie, second.id, false), 403, "forbidden");
  });

  it("validates the body (422)", async () => {
    const { owner, cookie } = await workspace();
    const err = await expectError(await setOwner(cookie, owner.id, "yes"), 422, "validation_failed");
    expect(err.fields).toHaveProperty("owner");
  });

  it("lets only one of two owners removing each other at the same moment win (commit-time guard)", async () => {
    const { org, owner } = await workspace();
    const other = await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true });
    // `other` removes `owner`; just before that batch commits, `owner`'s removal of `other` lands.
    const deps = racingDeps(() => db().update(users).set({ analyticsOwner: false }).where(eq(users.id, other.id)));
    await expect(setAnalyticsOwner(deps, actorOf(await userRow(other.id)), owner.id, { owner: false })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await userRow(owner.id)).analyticsOwner).toBe(true);
    expect(await auditOf(owner.id, "analytics.owner_removed")).toHaveLength(0);
    expect(await mailTo(owner.email)).toHaveLength(0);
  });
});

/** Deps whose first db.batch() first runs `meanwhile`, as a concurrent request would. */
function racingDeps(meanwhile: () => Promise<unknown>): Deps {
  const deps = createDeps(env, () => {});
  const realBatch = deps.db.batch.bind(deps.db);
  let calls = 0;
  deps.db.batch = (async (statements: Parameters<typeof realBatch>[0]) => {
    if (++calls === 1) await meanwhile();
    return realBatch(statements);
  }) as unknown as typeof deps.db.batch;
  return deps;
}

function actorOf(u: typeof users.$inferSelect): Actor {
  return {
    id: u.id,
    orgId: u.orgId,
    orgKind: "partner",
    orgName: "Partner",
    email: u.email,
    name: u.name,
    role: u.role,
    purchaser: u.purchaser,
    analyticsAccess: u.analyticsAccess,
    analyticsAdmin: u.analyticsAdmin,
    analyticsOwner: u.analyticsOwner,
    modules: {},
  };
}

describe("the owner toggle on the module grid page (F-41)", () => {
  it("an owner makes another user owner from the page, and removes it again", async () => {
    const org = await makeOrg();
    const owner = await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true });
    const colleague = await makeAnalyticsUser({ orgId: org.id });
    const cookie = await signIn(owner);
    const html = await (await page(`/analytics/users/${colleague.id}`, cookie)).text();
    expect(html).toContain("Make owner");
    const token = await csrfFrom(`/analytics/users/${colleague.id}`, cookie);

    const made = await formPost(`/analytics/users/${colleague.id}/owner`, { owner: "true" }, { cookie, token });
    expect(made.status).toBe(303);
    expect((await userRow(colleague.id)).analyticsOwner).toBe(true);
    expect(await (await page(`/analytics/users/${colleague.id}`, cookie)).text()).toContain("Remove owner access");

    const removed = await formPost(`/analytics/users/${colleague.id}/owner`, { owner: "false" }, { cookie, token });
    expect(removed.status).toBe(303);
    expect((await userRow(colleague.id)).analyticsOwner).toBe(false);
  });

  it("a non-owner sees no toggle, and posting it anyway is refused (403) without a change", async () => {
    const org = await makeOrg();
    await makeAnalyticsUser({ orgId: org.id, analyticsOwner: true });
    const manager = await makeAnalyticsUser({ orgId: org.id });
    await grantModules(manager.id, { user_management: "full" });
    const colleague = await makeAnalyticsUser({ orgId: org.id });
    const cookie = await signIn(manager);
    const html = await (await page(`/analytics/users/${colleague.id}`, cookie)).text();
    expect(html).not.toContain("Make owner");
    const token = await csrfFrom(`/analytics/users/${colleague.id}`, cookie);
    const res = await formPost(`/analytics/users/${colleague.id}/owner`, { owner: "true" }, { cookie, token });
    expect(res.status).toBe(403);
    expect((await userRow(colleague.id)).analyticsOwner).toBe(false);
  });
});
