// F-11 / F-15 / F-22: every cell of the portal permission matrix against the
// seed's table, typed out here by hand (pexip-portal-accounts-and-roles.txt,
// "Primary roles" and "Secondary roles"), so a change to PORTAL_PERMISSIONS
// that the seed does not say fails a cell. Operators appear in no company
// column and administer portal users of every organization.
import { describe, expect, it } from "vitest";
import { canViewCompanies } from "../../src/domain/companies";
import { SERVICE_KINDS } from "../../src/domain/company-services";
import { canPurchase } from "../../src/domain/license-plans";
import {
  can,
  PERMISSION_KEYS,
  PORTAL_PERMISSIONS,
  ROLES,
  secondaryRoleAllowed,
  secondaryRolesAfterRoleChange,
  type PortalPermission,
  type Role,
  type SecondaryRole,
} from "../../src/domain/roles";

const Y = true;
const N = false;

/** Seed rows in the seed's order; columns Read-only · Regular · Partner Manager · Operator. */
const EXPECTED: Record<PortalPermission, { label: string; read_only: boolean; regular: boolean; partner_manager: boolean; operator: boolean }> = {
  exportHandouts: { label: "Export handouts", read_only: Y, regular: Y, partner_manager: Y, operator: N },
  manageCompanies: { label: "Add/edit/terminate company", read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageEulUsers: { label: "Add/disable EUL user", read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageTeamVmrs: { label: "Add/deactivate Team VMR", read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageEndpoints: { label: "Add/disable endpoint subscription", read_only: N, regular: Y, partner_manager: Y, operator: N },
  manageDomains: { label: "Add/terminate domain hosting", read_only: N, regular: Y, partner_manager: Y, operator: N },
  managePortalUsers: { label: "Add/activate/deactivate/re-invite portal users", read_only: N, regular: N, partner_manager: Y, operator: Y },
  changeUserRoles: { label: "Change portal user role", read_only: N, regular: N, partner_manager: Y, operator: Y },
};

const SEED_ORDER: PortalPermission[] = ["exportHandouts", "manageCompanies", "manageEulUsers", "manageTeamVmrs", "manageEndpoints", "manageDomains", "managePortalUsers", "changeUserRoles"];

const cells = SEED_ORDER.flatMap((permission) => ROLES.map((role) => ({ permission, role, allowed: EXPECTED[permission][role] })));

describe("PORTAL_PERMISSIONS (F-11)", () => {
  it("has exactly the seed's 8 permissions, in the seed's order, with its labels", () => {
    expect(PERMISSION_KEYS).toEqual(SEED_ORDER);
    for (const key of SEED_ORDER) expect(PORTAL_PERMISSIONS[key].label).toBe(EXPECTED[key].label);
  });

  it("covers 8 permissions × 4 roles = 32 cells", () => {
    expect(ROLES).toEqual(["read_only", "regular", "partner_manager", "operator"]);
    expect(cells).toHaveLength(32);
  });

  it.each(cells)("$permission × $role → $allowed", ({ permission, role, allowed }) => {
    expect(can({ role }, permission)).toBe(allowed);
  });

  it("lists no role twice and no unknown role in any cell", () => {
    for (const key of SEED_ORDER) {
      const roles = PORTAL_PERMISSIONS[key].roles as readonly string[];
      expect(new Set(roles).size).toBe(roles.length);
      for (const r of roles) expect(ROLES as readonly string[]).toContain(r);
    }
  });

  it("guards each service kind with its own company cell (F-31)", () => {
    expect(SERVICE_KINDS.eul_user.permission).toBe("manageEulUsers");
    expect(SERVICE_KINDS.team_vmr.permission).toBe("manageTeamVmrs");
    expect(SERVICE_KINDS.endpoint.permission).toBe("manageEndpoints");
    expect(SERVICE_KINDS.domain.permission).toBe("manageDomains");
    expect([SERVICE_KINDS.eul_user.endVerb, SERVICE_KINDS.team_vmr.endVerb, SERVICE_KINDS.endpoint.endVerb, SERVICE_KINDS.domain.endVerb]).toEqual([
      "disable",
      "deactivate",
      "disable",
      "terminate",
    ]);
  });
});

/** F-15: P only for Regular and Partner Manager; F-22: AAA only for Partner Manager. */
const SECONDARY: Record<SecondaryRole, Record<Role, boolean>> = {
  purchaser: { read_only: N, regular: Y, partner_manager: Y, operator: N },
  analytics_admin: { read_only: N, regular: N, partner_manager: Y, operator: N },
};

describe("secondaryRoleAllowed (F-15, F-22)", () => {
  const rows = (["purchaser", "analytics_admin"] as const).flatMap((kind) => ROLES.map((role) => ({ kind, role, allowed: SECONDARY[kind][role] })));
  it("covers 2 × 4 cells", () => expect(rows).toHaveLength(8));
  it.each(rows)("$kind for $role → $allowed", ({ kind, role, allowed }) => {
    expect(secondaryRoleAllowed(kind, role)).toBe(allowed);
  });
});

describe("secondaryRolesAfterRoleChange (F-15: losing the role that allows it removes it)", () => {
  const flags = [
    { purchaser: false, analyticsAdmin: false },
    { purchaser: true, analyticsAdmin: false },
    { purchaser: false, analyticsAdmin: true },
    { purchaser: true, analyticsAdmin: true },
  ];
  const rows = flags.flatMap((before) => ROLES.map((newRole) => ({ before, newRole })));

  it.each(rows)("$before.purchaser/$before.analyticsAdmin → $newRole", ({ before, newRole }) => {
    const keepP = before.purchaser && SECONDARY.purchaser[newRole];
    const keepAAA = before.analyticsAdmin && SECONDARY.analytics_admin[newRole];
    const removed = [...(before.purchaser && !keepP ? ["purchaser"] : []), ...(before.analyticsAdmin && !keepAAA ? ["analytics_admin"] : [])];
    expect(secondaryRolesAfterRoleChange(before, newRole)).toEqual({ purchaser: keepP, analyticsAdmin: keepAAA, removed });
  });

  it("spells out the cases the seed names", () => {
    expect(secondaryRolesAfterRoleChange({ purchaser: true, analyticsAdmin: true }, "regular")).toEqual({ purchaser: true, analyticsAdmin: false, removed: ["analytics_admin"] });
    expect(secondaryRolesAfterRoleChange({ purchaser: true, analyticsAdmin: true }, "read_only")).toEqual({
      purchaser: false,
      analyticsAdmin: false,
      removed: ["purchaser", "analytics_admin"],
    });
    expect(secondaryRolesAfterRoleChange({ purchaser: true, analyticsAdmin: true }, "partner_manager")).toEqual({ purchaser: true, analyticsAdmin: true, removed: [] });
  });
});

describe("companies and prices (F-30, F-33)", () => {
  const kinds = ["vendor", "partner", "customer"] as const;
  const VIEW: Record<(typeof kinds)[number], Record<Role, boolean>> = {
    vendor: { read_only: N, regular: N, partner_manager: N, operator: N },
    partner: { read_only: Y, regular: Y, partner_manager: Y, operator: N },
    customer: { read_only: N, regular: N, partner_manager: N, operator: N },
  };
  it.each(kinds.flatMap((orgKind) => ROLES.map((role) => ({ orgKind, role, allowed: VIEW[orgKind][role] }))))("a $role of a $orgKind organization sees companies → $allowed", ({ orgKind, role, allowed }) => {
    expect(canViewCompanies({ orgKind, role })).toBe(allowed);
  });

  it.each(ROLES.flatMap((role) => [true, false].map((purchaser) => ({ role, purchaser, allowed: purchaser && SECONDARY.purchaser[role] }))))(
    "$role with purchaser=$purchaser may see prices and buy → $allowed",
    ({ role, purchaser, allowed }) => {
      expect(canPurchase({ role, purchaser })).toBe(allowed);
    },
  );
});
