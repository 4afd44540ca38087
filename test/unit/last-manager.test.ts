// F-14: when a change removes the organization's last active Partner Manager.
import { describe, expect, it } from "vitest";
import { breaksLastManagerRule, canDecideRequests, canRequestSecondaryRole, ROLES, secondaryRoleRule } from "../../src/domain/roles";

const pm = { role: "partner_manager" as const, status: "active" };

describe("breaksLastManagerRule", () => {
  it("binds a Partner Manager removing the last active manager: demotion or deactivation", () => {
    expect(breaksLastManagerRule({ role: "partner_manager" }, pm, { role: "regular", status: "active" }, 0)).toBe(true);
    expect(breaksLastManagerRule({ role: "partner_manager" }, pm, { role: "partner_manager", status: "deactivated" }, 0)).toBe(true);
  });

  it("does not bind while another active manager remains", () => {
    expect(breaksLastManagerRule({ role: "partner_manager" }, pm, { role: "read_only", status: "active" }, 1)).toBe(false);
  });

  it("does not bind operators (they may retire a partner's last manager)", () => {
    expect(breaksLastManagerRule({ role: "operator" }, pm, { role: "regular", status: "active" }, 0)).toBe(false);
  });

  it("concerns only active managers: a pending, invited or deactivated manager, or a change that keeps them an active manager", () => {
    for (const status of ["invited", "pending_2fa", "deactivated"]) {
      expect(breaksLastManagerRule({ role: "partner_manager" }, { role: "partner_manager", status }, { role: "regular", status }, 0)).toBe(false);
    }
    expect(breaksLastManagerRule({ role: "partner_manager" }, { role: "regular", status: "active" }, { role: "read_only", status: "active" }, 0)).toBe(false);
    expect(breaksLastManagerRule({ role: "partner_manager" }, pm, pm, 0)).toBe(false);
  });
});

describe("who requests and who decides secondary roles (F-16)", () => {
  it.each(ROLES)("%s", (role) => {
    expect(canRequestSecondaryRole({ role })).toBe(role === "partner_manager");
    expect(canDecideRequests({ role })).toBe(role === "operator");
  });

  it("states the rules", () => {
    expect(secondaryRoleRule("purchaser")).toMatch(/Regular Users and Partner Managers/);
    expect(secondaryRoleRule("analytics_admin")).toMatch(/only be given to Partner Managers/);
  });
});
