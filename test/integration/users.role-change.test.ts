// F-14, F-15, F-22, F-91: PATCH /api/v1/users/:id {role}. A role that no longer
// allows Purchaser or AAA removes them in the same write, says so in the answer
// and the audit entry, and the user is mailed the role_changed notice.
import { describe, expect, it } from "vitest";
import { api, auditOf, expectError, mailTo, makeUser } from "../helpers/fixtures";
import { partnerOrg, userRow } from "../helpers/portal";

interface RoleAnswer {
  user: { id: string; role: string; purchaser: boolean; analyticsAdmin: boolean; analyticsAccess: string };
  removed: string[];
}

const patchRole = (cookie: string, userId: string, body: unknown) => api(`/api/v1/users/${userId}`, { method: "PATCH", cookie, body });
const roleNotices = async (email: string) => (await mailTo(email)).filter((m) => m.subject.startsWith("Security notice") && /role/i.test(m.text));

describe("changing a user's role (F-14)", () => {
  it("demoting a Partner Manager with P and AAA to Read-only removes both, says so, audits it and mails the user", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const target = await makeUser({ orgId: org.id, role: "partner_manager", purchaser: true, analyticsAdmin: true, analyticsAccess: "Y" });

    const res = await patchRole(cookie, target.id, { role: "read_only" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RoleAnswer;
    expect(body.removed).toEqual(["purchaser", "analytics_admin"]);
    // AA is a separate grant (F-24): a role change leaves it.
    expect(body.user).toMatchObject({ role: "read_only", purchaser: false, analyticsAdmin: false, analyticsAccess: "Y" });
    expect(await userRow(target.id)).toMatchObject({ role: "read_only", purchaser: false, analyticsAdmin: false, analyticsAccess: "Y" });

    const [audit] = await auditOf(target.id, "user.role_changed");
    expect(audit!.actorId).toBe(manager.id);
    expect(JSON.parse(audit!.before!)).toEqual({ role: "partner_manager", purchaser: true, analyticsAdmin: true });
    expect(JSON.parse(audit!.after!)).toEqual({ role: "read_only", purchaser: false, analyticsAdmin: false, removed: ["purchaser", "analytics_admin"] });

    const notices = await roleNotices(target.email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toMatch(/Your role in the portal was changed/);
    expect(notices[0]!.text).toMatch(/now Read-only User \(it was Partner Manager\)/);
    expect(notices[0]!.text).toMatch(/Purchaser \(P\) and Analytics Administrator \(AAA\) were removed/);
  });

  it("Partner Manager → Regular keeps Purchaser and removes only AAA", async () => {
    const { org, cookie } = await partnerOrg();
    const target = await makeUser({ orgId: org.id, role: "partner_manager", purchaser: true, analyticsAdmin: true });
    const body = (await (await patchRole(cookie, target.id, { role: "regular" })).json()) as RoleAnswer;
    expect(body.removed).toEqual(["analytics_admin"]);
    expect(await userRow(target.id)).toMatchObject({ role: "regular", purchaser: true, analyticsAdmin: false });
    expect((await roleNotices(target.email))[0]!.text).toMatch(/Analytics Administrator \(AAA\) was removed/);
  });

  it("promoting a Regular user to Partner Manager removes nothing and still mails the notice", async () => {
    const { org, cookie } = await partnerOrg();
    const target = await makeUser({ orgId: org.id, role: "regular", purchaser: true });
    const body = (await (await patchRole(cookie, target.id, { role: "partner_manager" })).json()) as RoleAnswer;
    expect(body.removed).toEqual([]);
    expect(body.user).toMatchObject({ role: "partner_manager", purchaser: true });
    const notices = await roleNotices(target.email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).not.toMatch(/removed/);
  });

  it("the same role again changes nothing: no audit, no mail", async () => {
    const { org, cookie } = await partnerOrg();
    const target = await makeUser({ orgId: org.id, role: "regular" });
    const res = await patchRole(cookie, target.id, { role: "regular" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as RoleAnswer).removed).toEqual([]);
    expect(await auditOf(target.id, "user.role_changed")).toHaveLength(0);
    expect(await roleNotices(target.email)).toHaveLength(0);
  });

  it("refuses a role outside the portal roles (operator, unknown) and unknown fields with 422", async () => {
    const { org, cookie } = await partnerOrg();
    const target = await makeUser({ orgId: org.id, role: "regular" });
    for (const body of [{ role: "operator" }, { role: "admin" }, {}, { role: "regular", purchaser: true }]) {
      const error = await expectError(await patchRole(cookie, target.id, body), 422, "validation_failed");
      expect(Object.keys(error.fields ?? {}).length).toBeGreaterThan(0);
    }
    expect((await userRow(target.id)).role).toBe("regular");
  });
});
