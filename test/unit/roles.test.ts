// F-06/F-14: who may administer which account (re-invite, (de)activate, reset 2FA).
import { describe, expect, it } from "vitest";
import { canAdministerUser, ROLES, type Role } from "../../src/domain/roles";

type Scope = "same org" | "other org";

/** The expected answer for every actor role × organization × target role, written out. */
const EXPECTED: Record<Role, Record<Scope, Record<Role, boolean>>> = {
  operator: {
    "same org": { operator: true, partner_manager: true, regular: true, read_only: true },
    "other org": { operator: true, partner_manager: true, regular: true, read_only: true },
  },
  partner_manager: {
    "same org": { operator: false, partner_manager: true, regular: true, read_only: true },
    "other org": { operator: false, partner_manager: false, regular: false, read_only: false },
  },
  regular: {
    "same org": { operator: false, partner_manager: false, regular: false, read_only: false },
    "other org": { operator: false, partner_manager: false, regular: false, read_only: false },
  },
  read_only: {
    "same org": { operator: false, partner_manager: false, regular: false, read_only: false },
    "other org": { operator: false, partner_manager: false, regular: false, read_only: false },
  },
};

const cases = ROLES.flatMap((actor) =>
  (["same org", "other org"] as const).flatMap((scope) => ROLES.map((target) => ({ actor, scope, target, allowed: EXPECTED[actor][scope][target] }))),
);

describe("canAdministerUser", () => {
  it("covers all 4 × 2 × 4 combinations", () => {
    expect(ROLES).toHaveLength(4);
    expect(cases).toHaveLength(32);
  });

  it.each(cases)("$actor → $target in $scope: $allowed", ({ actor, scope, target, allowed }) => {
    const target_ = { role: target, orgId: scope === "same org" ? "org-a" : "org-b" };
    expect(canAdministerUser({ role: actor, orgId: "org-a" }, target_)).toBe(allowed);
  });
});
