// F-46: removing a user — who may (Partner Manager of the organization,
// operator; never oneself), what goes (the account and everything only
// theirs) and what stays (audit entries, shown as "deleted user"), sessions
// that die on the next request, the last-Partner-Manager rule at commit time,
// and the page's confirmation step with and without JavaScript.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  analyticsMetaSitePermissions,
  analyticsModulePermissions,
  analyticsSitePermissions,
  apiTokens,
  invitations,
  knownDevices,
  partnerGrants,
  passwordResets,
  recoveryCodes,
  roleRequests,
  users,
} from "../../src/db/schema";
import { createDeps, type Deps } from "../../src/deps";
import type { Actor } from "../../src/domain/actor";
import { newId } from "../../src/lib/ids";
import { deleteUser } from "../../src/services/user-delete";
import { api, auditOf, db, expectError, mailTo, makeOperator, makeOrg, makeUser, signIn, type TestUser } from "../helpers/fixtures";
import { grantMetaSite, grantModules, grantSite, makeMetaSite, makeSite } from "../helpers/analytics";
import { csrfFrom, followRedirect, formPost, page } from "../helpers/portal";

const remove = (cookie: string, userId: string) => api(`/api/v1/users/${userId}`, { method: "DELETE", cookie });
const exists = async (id: string) => (await db().select({ id: users.id }).from(users).where(eq(users.id, id))).length === 1;

/** A partner organization with a signed-in Partner Manager and one Regular member. */
async function orgWithManager() {
  const org = await makeOrg();
  const manager = await makeUser({ orgId: org.id, role: "partner_manager", name: "Mia Manager" });
  const member = await makeUser({ orgId: org.id, role: "regular", name: "Rob Regular" });
  return { org, manager, member, cookie: await signIn(manager) };
}

/** One row in every table that holds something of `user` alone, plus a decided request that must stay. */
async function seedBelongings(user: TestUser, orgId: string) {
  const now = Date.now();
  const site = await makeSite(orgId);
  const meta = await makeMetaSite(orgId, [site.id]);
  const customer = await makeOrg({ kind: "customer", channelPartner: false });
  const manager = await makeUser({ orgId, role: "partner_manager" });
  await Promise.all([
    db().insert(invitations).values({ id: newId(), userId: user.id, tokenHash: newId(), createdAt: now, expiresAt: now + 1e6 }),
    db().insert(passwordResets).values({ id: newId(), userId: user.id, tokenHash: newId(), createdAt: now, expiresAt: now + 1e6 }),
    db().insert(recoveryCodes).values({ userId: user.id, codeHash: newId(), createdAt: now }),
    db().insert(knownDevices).values({ userId: user.id, fingerprint: "fp", firstSeenAt: now, lastSeenAt: now }),
    grantSite(site.id, user.id, "view"),
    grantMetaSite(meta.id, user.id, "view"),
    grantModules(user.id, { reporting: "full" }),
    db().insert(apiTokens).values({ id: newId(), userId: user.id, name: "t", tokenHash: newId(), prefix: "ptk_x", createdAt: now }),
    db().insert(partnerGrants).values({ id: newId(), customerOrgId: customer.id, partnerOrgId: orgId, partnerUserId: user.id, createdAt: now, updatedAt: now }),
    db().insert(roleRequests).values({ id: newId(), orgId, userId: user.id, kind: "purchaser", requestedBy: manager.id, createdAt: now }),
    db().insert(roleRequests).values({ id: `decided-${user.id}`, orgId, userId: user.id, kind: "purchaser", status: "rejected", requestedBy: manager.id, createdAt: now }),
  ]);
}

const TABLES = [
  ["invitations", invitations],
  ["password_resets", passwordResets],
  ["recovery_codes", recoveryCodes],
  ["known_devices", knownDevices],
  ["analytics_site_permissions", analyticsSitePermissions],
  ["analytics_meta_site_permissions", analyticsMetaSitePermissions],
  ["analytics_module_permissions", analyticsModulePermissions],
  ["api_tokens", apiTokens],
] as const;

async function belongingsLeft(userId: string) {
  const left: Record<string, number> = {};
  for (const [name, table] of TABLES) left[name] = (await db().select().from(table).where(eq(table.userId, userId))).length;
  left.partner_grants = (await db().select().from(partnerGrants).where(eq(partnerGrants.partnerUserId, userId))).length;
  left.role_requests = (await db().select().from(roleRequests).where(eq(roleRequests.userId, userId))).length;
  return left;
}

describe("DELETE /api/v1/users/:id (F-46)", () => {
  it("removes the account and everything only theirs in one go; the audit entry and a mail to the address record it", async () => {
    const { org, manager, member, cookie } = await orgWithManager();
    await seedBelongings(member, org.id);
    const res = await remove(cookie, member.id);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    expect(await exists(member.id)).toBe(false);
    const left = await belongingsLeft(member.id);
    // Only the decided request stays, as the organization's record.
    expect(left).toEqual({ ...Object.fromEntries(TABLES.map(([n]) => [n, 0])), partner_grants: 0, role_requests: 1 });
    expect((await db().select().from(roleRequests).where(eq(roleRequests.id, `decided-${member.id}`))).length).toBe(1);

    const [entry] = await auditOf(member.id, "user.deleted");
    expect(entry).toMatchObject({ actorId: manager.id, orgId: org.id, targetType: "user" });
    expect(JSON.parse(entry!.before!)).toEqual({ email: member.email, name: "Rob Regular", role: "regular" });
    const [mail] = await mailTo(member.email);
    expect(mail!.subject).toMatch(/account was removed/);
    expect(mail!.text).toContain(org.name);
  });

  it("ends the deleted user's sessions on their next request, and frees the address for a new invitation", async () => {
    const { member, cookie } = await orgWithManager();
    const memberCookie = await signIn(member);
    expect((await api("/api/v1/me", { cookie: memberCookie })).status).toBe(200);
    expect((await remove(cookie, member.id)).status).toBe(204);
    await expectError(await api("/api/v1/me", { cookie: memberCookie }), 401, "unauthenticated");
    expect((await page("/users", memberCookie)).status).toBe(303);

    const again = await api("/api/v1/users", { cookie, body: { email: member.email, name: "Rob Again", role: "regular" } });
    expect(again.status).toBe(201);
  });

  it("keeps the deleted user's audit entries, showing the actor as \"deleted user\"", async () => {
    const { org, cookie } = await orgWithManager();
    const colleague = await makeUser({ orgId: org.id, role: "partner_manager" });
    const colleagueCookie = await signIn(colleague);
    const target = await makeUser({ orgId: org.id });
    expect((await api(`/api/v1/users/${target.id}/deactivate`, { method: "POST", cookie: colleagueCookie })).status).toBe(200);

    expect((await remove(cookie, colleague.id)).status).toBe(204);
    const [kept] = await auditOf(target.id, "user.deactivated");
    expect(kept!.actorId).toBe(colleague.id);

    const list = (await (await api(`/api/v1/audit?target=${target.id}`, { cookie })).json()) as { items: { action: string; actor: unknown }[] };
    expect(list.items.find((i) => i.action === "user.deactivated")!.actor).toEqual({ id: colleague.id, name: "deleted user", email: null, deleted: true });
    const html = await (await page(`/audit?target=${target.id}`, cookie)).text();
    expect(html).toContain("deleted user");
  });

  it("lets an operator delete an account of any organization, also its only Partner Manager", async () => {
    const org = await makeOrg();
    const onlyManager = await makeUser({ orgId: org.id, role: "partner_manager" });
    const opCookie = await signIn(await makeOperator());
    expect((await remove(opCookie, onlyManager.id)).status).toBe(204);
    expect(await exists(onlyManager.id)).toBe(false);
  });

  it("refuses deleting one's own account (409)", async () => {
    const { manager, cookie } = await orgWithManager();
    const err = await expectError(await remove(cookie, manager.id), 409, "conflict");
    expect(err.message).toMatch(/own account/);
    const opUser = await makeOperator();
    await expectError(await remove(await signIn(opUser), opUser.id), 409, "conflict");
    expect(await exists(manager.id)).toBe(true);
  });

  it.each(["regular", "read_only"] as const)("refuses a %s user (403), whoever the target", async (role) => {
    const { org, member } = await orgWithManager();
    const cookie = await signIn(await makeUser({ orgId: org.id, role }));
    await expectError(await remove(cookie, member.id), 403, "forbidden");
    await expectError(await remove(cookie, "no-such-user"), 403, "forbidden");
    expect(await exists(member.id)).toBe(true);
  });

  it("answers 404 to a Partner Manager naming another organization's user, an operator or an unknown id", async () => {
    const { cookie } = await orgWithManager();
    const stranger = await makeUser({ orgId: (await makeOrg()).id });
    await expectError(await remove(cookie, stranger.id), 404, "not_found");
    await expectError(await remove(cookie, "no-such-user"), 404, "not_found");
    const operator = await makeOperator();
    await expectError(await remove(cookie, operator.id), 404, "not_found");
    expect(await exists(stranger.id)).toBe(true);
    expect(await exists(operator.id)).toBe(true);
    expect(await auditOf(stranger.id)).toHaveLength(0);
    expect(await mailTo(stranger.email)).toHaveLength(0);
  });

  it("keeps the last active Partner Manager when the deleting manager was deactivated meanwhile (commit-time guard, 409)", async () => {
    const org = await makeOrg();
    const a = await makeUser({ orgId: org.id, role: "partner_manager" });
    const b = await makeUser({ orgId: org.id, role: "partner_manager" });
    // A deletes B; just before the batch commits, A is deactivated by someone else.
    const deps = racingDeps(() => db().update(users).set({ status: "deactivated" }).where(eq(users.id, a.id)));
    await expect(deleteUser(deps, await actorOf(a.id), b.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/last active Partner Manager/) });
    expect(await exists(b.id)).toBe(true);
    expect(await auditOf(b.id, "user.deleted")).toHaveLength(0);
    expect(await mailTo(b.email)).toHaveLength(0);
  });
});

describe("deleting from the users page (F-46)", () => {
  /** The <tr> of one user on a page. */
  const rowOf = (body: string, userId: string) => body.match(new RegExp(`<tr id="user-${userId}">[\\s\\S]*?</tr>`))?.[0] ?? "";

  it("offers Delete with a confirmation on other rows (not on one's own), and only to Partner Managers", async () => {
    const { org, manager, member, cookie } = await orgWithManager();
    const body = await (await page("/users", cookie)).text();
    const row = rowOf(body, member.id);
    expect(row).toMatch(new RegExp(`<form method="get" action="/users/${member.id}/delete" class="inline" data-confirm="Delete the account of [^"]+">`));
    expect(row).toContain(`hx-post="/users/${member.id}/delete"`);
    expect(rowOf(body, manager.id)).not.toContain("/delete");

    const regular = await signIn(await makeUser({ orgId: org.id, role: "regular" }));
    expect(await (await page("/users", regular)).text()).not.toContain("/delete");
    expect((await page(`/users/${member.id}/delete`, regular)).status).toBe(403);
  });

  it("without JavaScript: a confirmation page, then the POST deletes and returns to the list", async () => {
    const { member, manager, cookie } = await orgWithManager();
    const confirm = await page(`/users/${member.id}/delete`, cookie);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain(member.email);
    expect(html).toMatch(new RegExp(`<form method="post" action="/users/${member.id}/delete"[\\s\\S]*?Delete the account`));
    expect(await exists(member.id)).toBe(true);
    expect((await page(`/users/${manager.id}/delete`, cookie)).status).toBe(409);

    const token = await csrfFrom(`/users/${member.id}/delete`, cookie);
    const res = await formPost(`/users/${member.id}/delete`, {}, { cookie, token });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/users");
    expect(await exists(member.id)).toBe(false);
    expect(await (await followRedirect(res, cookie)).text()).toContain(`${member.email}: account deleted.`);
  });

  it("with htmx: the row is replaced by a short note; a refusal answers with the row and its reason", async () => {
    const { manager, member, cookie } = await orgWithManager();
    const token = await csrfFrom("/users", cookie);
    const res = await formPost(`/users/${member.id}/delete`, {}, { cookie, token, htmx: true });
    expect(res.status).toBe(200);
    const row = await res.text();
    expect(row).toMatch(new RegExp(`^<tr id="user-${member.id}">`));
    expect(row).toContain(`${member.email}: account deleted.`);

    const refused = await formPost(`/users/${manager.id}/delete`, {}, { cookie, token, htmx: true });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("x-swap-error")).toBe("row");
    const refusedRow = await refused.text();
    expect(refusedRow).toMatch(new RegExp(`^<tr id="user-${manager.id}">`));
    expect(refusedRow).toMatch(/role="alert">You cannot delete your own account/);
    expect(await exists(manager.id)).toBe(true);
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

async function actorOf(id: string): Promise<Actor> {
  const [u] = await db().select().from(users).where(eq(users.id, id));
  return {
    id: u!.id,
    orgId: u!.orgId,
    orgKind: "partner",
    orgName: "Partner",
    email: u!.email,
    name: u!.name,
    role: u!.role,
    purchaser: u!.purchaser,
    analyticsAccess: u!.analyticsAccess,
    analyticsAdmin: u!.analyticsAdmin,
    analyticsOwner: u!.analyticsOwner,
    modules: {},
  };
}
