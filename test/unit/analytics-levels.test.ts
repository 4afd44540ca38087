// F-41…F-44 as pure rules: every site and meta-site level × action against a
// table written out here from the seed (piwik-pro-users.txt), owners
// unlimited, the module levels the Revenera seed offers, effective levels,
// and who may grant what (no escalation).
import { describe, expect, it } from "vitest";
import {
  canGrantModule,
  canGrantModules,
  canOnMetaSite,
  canOnSite,
  canOwnerAction,
  canSetLevelFor,
  effectiveMetaSiteLevel,
  effectiveModuleLevel,
  effectiveSiteLevel,
  isModuleLevelOffered,
  listedInPermissionTables,
  META_SITE_ACTION_KEYS,
  META_SITE_LEVELS,
  metaSiteLevelAllows,
  MODULE_KEYS,
  MODULE_LEVELS,
  moduleLevelsFor,
  OWNER_ACTIONS,
  SITE_ACTION_KEYS,
  SITE_LEVELS,
  siteLevelAllows,
  type MetaSiteAction,
  type MetaSiteLevel,
  type Module,
  type ModuleGrants,
  type ModuleLevel,
  type OwnerAction,
  type SiteAction,
  type SiteLevel,
} from "../../src/domain/analytics";

// ---------------------------------------------------------------- sites (F-42)

/** The seed: Manage edits site, tags, publishes and manages permissions; Edit & publish the same without permissions; Edit no publish; View reads. */
const SITE_EXPECTED: Record<SiteLevel, Record<SiteAction, boolean>> = {
  none: { view: false, viewReports: false, edit: false, editTags: false, publishTags: false, managePermissions: false },
  view: { view: true, viewReports: true, edit: false, editTags: false, publishTags: false, managePermissions: false },
  edit: { view: true, viewReports: true, edit: true, editTags: true, publishTags: false, managePermissions: false },
  edit_publish: { view: true, viewReports: true, edit: true, editTags: true, publishTags: true, managePermissions: false },
  manage: { view: true, viewReports: true, edit: true, editTags: true, publishTags: true, managePermissions: true },
};

const siteCells = SITE_LEVELS.flatMap((level) => SITE_ACTION_KEYS.map((action) => ({ level, action, allowed: SITE_EXPECTED[level][action] })));

describe("site/app levels × actions", () => {
  it("covers all 5 levels × 6 actions, and the table names exactly those", () => {
    expect(siteCells).toHaveLength(30);
    expect(Object.keys(SITE_EXPECTED).sort()).toEqual([...SITE_LEVELS].sort());
    for (const level of SITE_LEVELS) expect(Object.keys(SITE_EXPECTED[level]).sort()).toEqual([...SITE_ACTION_KEYS].sort());
  });

  it.each(siteCells)("$level may $action: $allowed", ({ level, action, allowed }) => {
    expect(siteLevelAllows(level, action)).toBe(allowed);
    // A granted level acts the same through canOnSite for a non-owner.
    expect(canOnSite({ analyticsOwner: false }, level === "none" ? null : level, action)).toBe(allowed);
  });

  it.each(SITE_ACTION_KEYS)("an owner may %s on any site, with or without a granted level", (action) => {
    for (const granted of [null, undefined, ...SITE_LEVELS]) expect(canOnSite({ analyticsOwner: true }, granted, action)).toBe(true);
  });

  it("a non-owner without a row has No access; an owner acts as Manage", () => {
    expect(effectiveSiteLevel({ analyticsOwner: false }, null)).toBe("none");
    expect(effectiveSiteLevel({ analyticsOwner: false }, "edit")).toBe("edit");
    expect(effectiveSiteLevel({ analyticsOwner: true }, null)).toBe("manage");
    expect(effectiveSiteLevel({ analyticsOwner: true }, "view")).toBe("manage");
  });
});

// ---------------------------------------------------------------- meta sites (F-43)

const META_EXPECTED: Record<MetaSiteLevel, Record<MetaSiteAction, boolean>> = {
  none: { viewDashboard: false, viewReports: false, exportReports: false, viewSegments: false, editDashboard: false, editSegments: false, viewSettings: false, managePermissions: false },
  view: { viewDashboard: true, viewReports: true, exportReports: true, viewSegments: true, editDashboard: false, editSegments: false, viewSettings: false, managePermissions: false },
  edit: { viewDashboard: true, viewReports: true, exportReports: true, viewSegments: true, editDashboard: true, editSegments: true, viewSettings: false, managePermissions: false },
  manage: { viewDashboard: true, viewReports: true, exportReports: true, viewSegments: true, editDashboard: true, editSegments: true, viewSettings: true, managePermissions: true },
};

const metaCells = META_SITE_LEVELS.flatMap((level) => META_SITE_ACTION_KEYS.map((action) => ({ level, action, allowed: META_EXPECTED[level][action] })));

describe("meta site/app levels × actions", () => {
  it("covers all 4 levels × 8 actions, and the table names exactly those", () => {
    expect(metaCells).toHaveLength(32);
    expect(Object.keys(META_EXPECTED).sort()).toEqual([...META_SITE_LEVELS].sort());
    for (const level of META_SITE_LEVELS) expect(Object.keys(META_EXPECTED[level]).sort()).toEqual([...META_SITE_ACTION_KEYS].sort());
  });

  it.each(metaCells)("$level may $action: $allowed", ({ level, action, allowed }) => {
    expect(metaSiteLevelAllows(level, action)).toBe(allowed);
    expect(canOnMetaSite({ analyticsOwner: false }, level === "none" ? null : level, action)).toBe(allowed);
  });

  it.each(META_SITE_ACTION_KEYS)("an owner may %s on any meta site", (action) => {
    for (const granted of [null, ...META_SITE_LEVELS]) expect(canOnMetaSite({ analyticsOwner: true }, granted, action)).toBe(true);
  });

  it("default No access; owners act as Manage", () => {
    expect(effectiveMetaSiteLevel({ analyticsOwner: false }, undefined)).toBe("none");
    expect(effectiveMetaSiteLevel({ analyticsOwner: true }, null)).toBe("manage");
  });
});

// ---------------------------------------------------------------- owners (F-41)

describe("owner-only actions", () => {
  it.each(Object.keys(OWNER_ACTIONS) as OwnerAction[])("%s: owners yes, everyone else no", (action) => {
    expect(canOwnerAction({ analyticsOwner: true }, action)).toBe(true);
    expect(canOwnerAction({ analyticsOwner: false }, action)).toBe(false);
  });

  it("owners, users without analytics access and deactivated users are not listed in permission tables; invited ones are", () => {
    const base = { analyticsOwner: false, analyticsAccess: "Y" as const, status: "active" };
    expect(listedInPermissionTables(base)).toBe(true);
    expect(listedInPermissionTables({ ...base, analyticsAccess: "I" })).toBe(true);
    expect(listedInPermissionTables({ ...base, analyticsOwner: true })).toBe(false);
    expect(listedInPermissionTables({ ...base, analyticsAccess: "N" })).toBe(false);
    expect(listedInPermissionTables({ ...base, status: "deactivated" })).toBe(false);
  });
});

describe("canSetLevelFor", () => {
  const actor = { id: "a" };
  it("a manager sets another non-owner's level", () => expect(canSetLevelFor(actor, true, { id: "b", analyticsOwner: false })).toBe(true));
  it("never their own level", () => expect(canSetLevelFor(actor, true, { id: "a", analyticsOwner: false })).toBe(false));
  it("never an owner's level", () => expect(canSetLevelFor(actor, true, { id: "b", analyticsOwner: true })).toBe(false));
  it("nobody without Manage", () => expect(canSetLevelFor(actor, false, { id: "b", analyticsOwner: false })).toBe(false));
});

// ---------------------------------------------------------------- modules (F-44)

/** The Revenera seed: Read-only is described for these five modules and no other. */
const OFFERED: Record<Module, readonly ModuleLevel[]> = {
  product_admin: ["none", "full"],
  user_management: ["none", "read_only", "full"],
  reporting: ["none", "full"],
  reachout: ["none", "read_only", "full"],
  developer: ["none", "read_only", "full"],
  license_key_management: ["none", "read_only", "full"],
  license_key_filtering: ["none", "full"],
  quota_usage: ["none", "full"],
  billing: ["none", "read_only", "full"],
  reporting_api: ["none", "full"],
};

describe("module levels offered", () => {
  it("there are exactly the ten modules of the seed, in its order", () => {
    expect(MODULE_KEYS).toEqual([
      "product_admin",
      "user_management",
      "reporting",
      "reachout",
      "developer",
      "license_key_management",
      "license_key_filtering",
      "quota_usage",
      "billing",
      "reporting_api",
    ]);
  });

  it.each(MODULE_KEYS)("%s offers the seed's levels", (module) => {
    expect([...moduleLevelsFor(module)]).toEqual(OFFERED[module]);
    for (const level of MODULE_LEVELS) expect(isModuleLevelOffered(module, level)).toBe(OFFERED[module].includes(level));
  });
});

describe("effectiveModuleLevel", () => {
  const user = { analyticsOwner: false };
  it("is what was granted, None by default", () => {
    expect(effectiveModuleLevel(user, { billing: "read_only" }, "billing")).toBe("read_only");
    expect(effectiveModuleLevel(user, { billing: "read_only" }, "reporting")).toBe("none");
  });
  it.each(MODULE_KEYS)("owners have %s in full", (module) => expect(effectiveModuleLevel({ analyticsOwner: true }, {}, module)).toBe("full"));
  it.each(MODULE_KEYS)("Product Administrator (full) has %s in full", (module) =>
    expect(effectiveModuleLevel(user, { product_admin: "full", billing: "read_only" }, module)).toBe("full"),
  );
});

describe("canGrantModule: no escalation through the grid", () => {
  const owner = { id: "owner", analyticsOwner: true };
  const admin = { id: "admin", analyticsOwner: false };
  const target = { id: "t", analyticsOwner: false };
  const adminGrants: ModuleGrants = { user_management: "full", reporting: "full", billing: "read_only" };

  it("an owner may set every offered level, and no level a module does not offer", () => {
    for (const module of MODULE_KEYS)
      for (const level of MODULE_LEVELS) expect(canGrantModule(owner, {}, target, module, level)).toBe(OFFERED[module].includes(level));
  });

  it("User Management Read-only grants nothing", () => {
    for (const module of MODULE_KEYS) expect(canGrantModule(admin, { user_management: "read_only", reporting: "full" }, target, module, "none")).toBe(false);
  });

  it("User Management Full grants up to the granter's own level", () => {
    expect(canGrantModule(admin, adminGrants, target, "reporting", "full")).toBe(true);
    expect(canGrantModule(admin, adminGrants, target, "billing", "read_only")).toBe(true);
    expect(canGrantModule(admin, adminGrants, target, "billing", "full")).toBe(false);
    expect(canGrantModule(admin, adminGrants, target, "developer", "read_only")).toBe(false);
    expect(canGrantModule(admin, adminGrants, target, "developer", "none")).toBe(true);
  });

  it("only owners grant Product Administrator and User Management", () => {
    expect(canGrantModule(admin, adminGrants, target, "product_admin", "full")).toBe(false);
    expect(canGrantModule(admin, adminGrants, target, "user_management", "read_only")).toBe(false);
    expect(canGrantModule(admin, { product_admin: "full" }, target, "user_management", "full")).toBe(false);
    expect(canGrantModule(owner, {}, target, "user_management", "full")).toBe(true);
  });

  it("a Product Administrator (every module full) grants any other module in full", () => {
    expect(canGrantModule(admin, { product_admin: "full" }, target, "billing", "full")).toBe(true);
  });

  it("never one's own grid, never an owner's (for non-owners)", () => {
    expect(canGrantModule(admin, adminGrants, { id: "admin", analyticsOwner: false }, "reporting", "none")).toBe(false);
    expect(canGrantModule(admin, adminGrants, { id: "o2", analyticsOwner: true }, "reporting", "full")).toBe(false);
  });

  it("canGrantModules checks only changed cells and names the first refused module", () => {
    const before: ModuleGrants = { product_admin: "full", billing: "full" };
    expect(canGrantModules(admin, adminGrants, target, before, { ...before, reporting: "full" })).toEqual({ ok: true });
    expect(canGrantModules(admin, adminGrants, target, before, { ...before, billing: "read_only", reporting: "full" })).toEqual({ ok: true });
    expect(canGrantModules(admin, adminGrants, target, before, { ...before, quota_usage: "full" })).toEqual({ ok: false, module: "quota_usage" });
    expect(canGrantModules(admin, adminGrants, target, before, { billing: "full" })).toEqual({ ok: false, module: "product_admin" });
  });
});
