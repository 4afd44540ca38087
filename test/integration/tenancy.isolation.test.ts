// Tenant isolation of every users, invitations and requests route (API and
// page forms): a Partner Manager of another organization gets 404 (or 403
// where the route is not theirs at all), learns nothing, and nothing changes
// in D1 — no account, invitation, request, mail or audit entry.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invitations, roleRequests, users } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { api, db, makeUser, uniqueEmail } from "../helpers/fixtures";
import { csrfFrom, formPost, partnerOrg } from "../helpers/portal";

/** An organization with one account in every state, an open invitation and a pending request. */
async function victimOrg() {
  const { org, manager, cookie } = await partnerOrg();
  const active = await makeUser({ orgId: org.id, role: "regular", name: "Victim Active" });
  const gone = await makeUser({ orgId: org.id, role: "regular", status: "deactivated" });
  const invited = await makeUser({ orgId: org.id, role: "regular", status: "invited", passwordHash: null, totpSecretEnc: null });
  const invitationId = newId();
  const now = Date.now();
  await db().insert(invitations).values({ id: invitationId, userId: invited.id, tokenHash: await sha256Hex(newId()), createdAt: now, expiresAt: now + 86_400_000 });
  const res = await api("/api/v1/requests", { cookie, body: { kind: "purchaser", userId: active.id } });
  expect(res.status).toBe(201);
  const { request } = (await res.json()) as { request: { id: string } };
  return { org, manager, active, gone, invited, invitationId, requestId: request.id };
}

/** Everything an attack could change: the victim organization's rows, and the global mail and audit counts. */
async function snapshot(orgId: string) {
  const [mail, audit] = await env.DB.batch([env.DB.prepare("SELECT count(*) AS n FROM outbox"), env.DB.prepare("SELECT count(*) AS n FROM audit_events")]);
  const n = (r: D1Result | undefined) => (r!.results[0] as { n: number }).n;
  return {
    users: await db().select().from(users).where(eq(users.orgId, orgId)).orderBy(users.id),
    invitations: await db().select().from(invitations).innerJoin(users, eq(users.id, invitations.userId)).where(eq(users.orgId, orgId)).orderBy(invitations.id),
    requests: await db().select().from(roleRequests).where(eq(roleRequests.orgId, orgId)).orderBy(roleRequests.id),
    outbox: n(mail),
    audit: n(audit),
  };
}

describe("cross-organization attempts through the JSON API", () => {
  it("answer 404 (or 403 where only operators may act) and change nothing", async () => {
    const v = await victimOrg();
    const attacker = await partnerOrg();
    const cookie = attacker.cookie;
    const before = await snapshot(v.org.id);

    const attempts: [string, Promise<Response>, number, string][] = [
      ["list another org", api(`/api/v1/users?orgId=${v.org.id}`, { cookie }), 404, "not_found"],
      ["export another org", api(`/api/v1/users?format=csv&orgId=${v.org.id}`, { cookie }), 404, "not_found"],
      ["invite into another org", api("/api/v1/users", { cookie, body: { email: uniqueEmail("intruder"), name: "In Truder", role: "partner_manager", orgId: v.org.id } }), 404, "not_found"],
      ["change role", api(`/api/v1/users/${v.active.id}`, { method: "PATCH", cookie, body: { role: "partner_manager" } }), 404, "not_found"],
      ["demote the manager", api(`/api/v1/users/${v.manager.id}`, { method: "PATCH", cookie, body: { role: "read_only" } }), 404, "not_found"],
      ["reinvite", api(`/api/v1/users/${v.invited.id}/reinvite`, { cookie, body: {} }), 404, "not_found"],
      ["deactivate", api(`/api/v1/users/${v.active.id}/deactivate`, { cookie, body: {} }), 404, "not_found"],
      ["activate", api(`/api/v1/users/${v.gone.id}/activate`, { cookie, body: {} }), 404, "not_found"],
      ["reset 2FA", api(`/api/v1/users/${v.active.id}/reset-2fa`, { cookie, body: {} }), 404, "not_found"],
      ["list invitations", api(`/api/v1/invitations?orgId=${v.org.id}`, { cookie }), 404, "not_found"],
      ["resend invitation", api(`/api/v1/invitations/${v.invitationId}/resend`, { cookie, body: {} }), 404, "not_found"],
      ["revoke invitation", api(`/api/v1/invitations/${v.invitationId}/revoke`, { cookie, body: {} }), 404, "not_found"],
      ["request for a foreign user", api("/api/v1/requests", { cookie, body: { kind: "purchaser", userId: v.active.id } }), 404, "not_found"],
      ["approve", api(`/api/v1/requests/${v.requestId}/approve`, { cookie, body: {} }), 403, "forbidden"],
      ["reject", api(`/api/v1/requests/${v.requestId}/reject`, { cookie, body: {} }), 403, "forbidden"],
      ["bulk invite with an orgId", api("/api/v1/users/bulk-invite", { cookie, body: { csv: `${uniqueEmail("b")},B,regular`, orgId: v.org.id } }), 422, "validation_failed"],
    ];
    for (const [what, response, status, code] of attempts) {
      const res = await response;
      const text = await res.text();
      expect(res.status, `${what}: ${text}`).toBe(status);
      expect((JSON.parse(text) as { error: { code: string } }).error.code, what).toBe(code);
      // Nothing of the victim in any answer.
      for (const secret of [v.active.email, v.invited.email, v.manager.email, "Victim Active"]) expect(text, what).not.toContain(secret);
    }
    expect(await snapshot(v.org.id)).toEqual(before);
  });

  it("lists never include another organization's users, managers, invitations or requests", async () => {
    const v = await victimOrg();
    const attacker = await partnerOrg();
    for (const path of ["/api/v1/users", "/api/v1/users?format=csv", "/api/v1/users/managers", "/api/v1/invitations", "/api/v1/requests"]) {
      const res = await api(path, { cookie: attacker.cookie });
      expect(res.status, path).toBe(200);
      const text = await res.text();
      for (const id of [v.active.id, v.manager.id, v.invited.id, v.invitationId, v.requestId]) expect(text, path).not.toContain(id);
      for (const email of [v.active.email, v.manager.email, v.invited.email]) expect(text, path).not.toContain(email);
    }
  });
});

describe("cross-organization attempts through the page forms", () => {
  it("answer 404 (403 for the operators' decisions), as plain posts and as htmx, and change nothing", async () => {
    const v = await victimOrg();
    const attacker = await partnerOrg();
    const cookie = attacker.cookie;
    const token = await csrfFrom("/users", cookie);
    const before = await snapshot(v.org.id);

    const posts: [string, Record<string, string>, number][] = [
      [`/users/${v.invited.id}/reinvite`, {}, 404],
      [`/users/${v.active.id}/deactivate`, {}, 404],
      [`/users/${v.gone.id}/activate`, {}, 404],
      [`/users/${v.active.id}/reset-2fa`, {}, 404],
      [`/users/${v.active.id}/role`, { role: "partner_manager" }, 404],
      [`/invitations/${v.invitationId}/resend`, {}, 404],
      [`/invitations/${v.invitationId}/revoke`, {}, 404],
      ["/requests", { kind: "purchaser", userId: v.active.id }, 404],
      [`/requests/${v.requestId}/approve`, {}, 403],
      [`/requests/${v.requestId}/reject`, {}, 403],
    ];
    for (const [path, fields, status] of posts) {
      for (const htmx of [false, true]) {
        const res = await formPost(path, fields, { cookie, token, htmx });
        const html = await res.text();
        expect(res.status, `${path} htmx=${htmx}`).toBe(status);
        expect(res.headers.get("x-swap-error"), path).toBeNull();
        for (const secret of [v.active.email, v.invited.email, "Victim Active"]) expect(html, path).not.toContain(secret);
      }
    }
    expect(await snapshot(v.org.id)).toEqual(before);
  });
});
