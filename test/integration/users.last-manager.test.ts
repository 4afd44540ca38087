// F-14: a Partner Manager cannot demote or deactivate the last active Partner
// Manager of an organization (409 with a clear message); operators can. When
// a Partner Manager acts, the last active manager can only be themselves — or
// a colleague whose removal of them commits at the same moment, which the
// batch guard catches (staged deterministically in test/services/users.races.test.ts).
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { api, auditOf, db, expectError, makeOperator, makeUser, signIn } from "../helpers/fixtures";
import { partnerOrg, userRow } from "../helpers/portal";

const demote = (cookie: string, userId: string, role = "regular") => api(`/api/v1/users/${userId}`, { method: "PATCH", cookie, body: { role } });
const deactivate = (cookie: string, userId: string) => api(`/api/v1/users/${userId}/deactivate`, { cookie, body: {} });

async function activeManagers(orgId: string) {
  return db()
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.role, "partner_manager"), eq(users.status, "active")));
}

describe("the last active Partner Manager (F-14)", () => {
  it("refuses a Partner Manager demoting themselves when no other active manager exists: 409, message, nothing changes", async () => {
    const { org, manager, cookie } = await partnerOrg();
    // Managers who do not count: deactivated, or still to finish activation.
    await makeUser({ orgId: org.id, role: "partner_manager", status: "deactivated" });
    await makeUser({ orgId: org.id, role: "partner_manager", status: "pending_2fa", totpSecretEnc: null });
    const before = await userRow(manager.id);

    const error = await expectError(await demote(cookie, manager.id), 409, "conflict");
    expect(error.message).toMatch(/last active Partner Manager/);

    expect(await userRow(manager.id)).toEqual(before);
    expect(await auditOf(manager.id, "user.role_changed")).toHaveLength(0);
    expect((await api("/api/v1/me", { cookie })).status).toBe(200);
  });

  it("lets a Partner Manager demote themselves while another active manager remains", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const other = await makeUser({ orgId: org.id, role: "partner_manager" });
    const res = await demote(cookie, manager.id, "read_only");
    expect(res.status).toBe(200);
    expect((await userRow(manager.id)).role).toBe("read_only");
    expect((await activeManagers(org.id)).map((m) => m.id)).toEqual([other.id]);
    // The demoted manager lost the permission at once (roles are read from D1 on every request).
    await expectError(await demote(cookie, other.id), 403, "forbidden");
  });

  it("lets a Partner Manager demote another manager (they themselves remain)", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const other = await makeUser({ orgId: org.id, role: "partner_manager" });
    expect((await demote(cookie, other.id)).status).toBe(200);
    expect((await activeManagers(org.id)).map((m) => m.id)).toEqual([manager.id]);
  });

  it("lets an operator demote and deactivate the last active Partner Manager", async () => {
    const { org, manager } = await partnerOrg();
    const opCookie = await signIn(await makeOperator());
    expect((await demote(opCookie, manager.id)).status).toBe(200);
    expect(await activeManagers(org.id)).toHaveLength(0);

    const { org: org2, manager: manager2 } = await partnerOrg();
    expect((await deactivate(opCookie, manager2.id)).status).toBe(200);
    expect(await activeManagers(org2.id)).toHaveLength(0);
  });

  it("keeps one active manager when two managers deactivate each other at the same moment", async () => {
    const { org, manager: a, cookie: aCookie } = await partnerOrg();
    const b = await makeUser({ orgId: org.id, role: "partner_manager" });
    const bCookie = await signIn(b);

    const results = await Promise.all([deactivate(aCookie, b.id), deactivate(bCookie, a.id)]);
    const statuses = results.map((r) => r.status).sort();
    // One wins. The other is refused: by the guard (409) if both read before either wrote,
    // or because its own session ended (401) if the winner committed first.
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409 || s === 401)).toHaveLength(1);
    expect(await activeManagers(org.id)).toHaveLength(1);
  });

  it("keeps one active manager when two managers demote each other at the same moment", async () => {
    const { org, cookie: aCookie, manager: a } = await partnerOrg();
    const b = await makeUser({ orgId: org.id, role: "partner_manager" });
    const bCookie = await signIn(b);

    const results = await Promise.all([demote(aCookie, b.id), demote(bCookie, a.id)]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 || r.status === 403)).toHaveLength(1);
    expect(await activeManagers(org.id)).toHaveLength(1);
  });

  it("does not let a manager deactivate themselves, even with other managers (409)", async () => {
    const { org, manager, cookie } = await partnerOrg();
    await makeUser({ orgId: org.id, role: "partner_manager" });
    const error = await expectError(await deactivate(cookie, manager.id), 409, "conflict");
    expect(error.message).toMatch(/your own account/);
    expect((await userRow(manager.id)).status).toBe("active");
  });
});
