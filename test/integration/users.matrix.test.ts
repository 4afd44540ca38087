// F-11 through HTTP: the two user-management cells of the matrix
// ("add/activate/deactivate/re-invite portal users", "change portal user
// role") for every role — Read-only, Regular, Partner Manager, operator — each
// action allowed or refused with 403, and a refusal changes nothing in D1.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invitations, users } from "../../src/db/schema";
import { can, ROLES, type PortalPermission, type Role } from "../../src/domain/roles";
import { api, db, expectError, mailTo, makeOperator, makeOrg, makeUser, signIn, uniqueEmail } from "../helpers/fixtures";
import { userRow } from "../helpers/portal";

type Action = "invite" | "reinvite" | "deactivate" | "activate" | "change role";

/** Which matrix permission each action needs (F-11). */
const PERMISSION: Record<Action, PortalPermission> = {
  invite: "managePortalUsers",
  reinvite: "managePortalUsers",
  deactivate: "managePortalUsers",
  activate: "managePortalUsers",
  "change role": "changeUserRoles",
};

/** The matrix written out, so a change to the data cannot silently change the test. */
const EXPECTED: Record<Role, boolean> = { read_only: false, regular: false, partner_manager: true, operator: true };

const cases = ROLES.flatMap((role) => (Object.keys(PERMISSION) as Action[]).map((action) => ({ role, action, allowed: EXPECTED[role] })));

async function actorFor(role: Role, orgId: string) {
  const user = role === "operator" ? await makeOperator() : await makeUser({ orgId, role });
  return { user, cookie: await signIn(user) };
}

describe("user management matrix (F-11, F-13, F-14)", () => {
  it("has 4 roles × 5 actions, and the expectations agree with PORTAL_PERMISSIONS", () => {
    expect(cases).toHaveLength(20);
    for (const { role, action, allowed } of cases) expect(can({ role }, PERMISSION[action]), `${role} ${action}`).toBe(allowed);
  });

  it.each(cases)("$role: $action → allowed: $allowed", async ({ role, action, allowed }) => {
    const org = await makeOrg();
    // A manager always exists, so the last-manager rule never interferes here.
    await makeUser({ orgId: org.id, role: "partner_manager" });
    const { cookie } = await actorFor(role, org.id);

    if (action === "invite") {
      const email = uniqueEmail("invitee");
      const body = { email, name: "New Colleague", role: "regular", ...(role === "operator" ? { orgId: org.id } : {}) };
      const res = await api("/api/v1/users", { cookie, body });
      const [row] = await db().select().from(users).where(eq(users.email, email));
      if (allowed) {
        expect(res.status).toBe(201);
        const { user } = (await res.json()) as { user: { id: string; status: string; role: string; orgId: string } };
        expect(user).toMatchObject({ status: "invited", role: "regular", orgId: org.id });
        expect(row).toMatchObject({ id: user.id, orgId: org.id, status: "invited" });
        expect(await db().select().from(invitations).where(eq(invitations.userId, user.id))).toHaveLength(1);
        expect((await mailTo(email)).map((m) => m.subject)).toEqual([expect.stringMatching(/invited/i)]);
      } else {
        await expectError(res, 403, "forbidden");
        expect(row).toBeUndefined();
        expect(await mailTo(email)).toHaveLength(0);
      }
      return;
    }

    const targetStatus = action === "reinvite" ? "invited" : action === "activate" ? "deactivated" : "active";
    const target = await makeUser({
      orgId: org.id,
      role: "regular",
      status: targetStatus,
      ...(targetStatus === "invited" ? { passwordHash: null, totpSecretEnc: null } : {}),
    });
    const before = await userRow(target.id);
    const res =
      action === "change role"
        ? await api(`/api/v1/users/${target.id}`, { method: "PATCH", cookie, body: { role: "read_only" } })
        : await api(`/api/v1/users/${target.id}/${action}`, { cookie, body: {} });

    if (!allowed) {
      await expectError(res, 403, "forbidden");
      expect(await userRow(target.id)).toEqual(before);
      expect(await mailTo(target.email)).toHaveLength(0);
      expect(await db().select().from(invitations).where(eq(invitations.userId, target.id))).toHaveLength(0);
      return;
    }
    expect(res.status).toBe(200);
    const after = await userRow(target.id);
    const expected = {
      reinvite: { status: "invited", role: "regular" },
      deactivate: { status: "deactivated", role: "regular" },
      activate: { status: "active", role: "regular" },
      "change role": { status: "active", role: "read_only" },
    }[action];
    expect(after).toMatchObject(expected);
    expect(((await res.json()) as { user: unknown }).user).toMatchObject(expected);
    if (action === "reinvite") expect(await db().select().from(invitations).where(eq(invitations.userId, target.id))).toHaveLength(1);
  });
});
