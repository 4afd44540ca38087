// F-21…F-25, F-41…F-44: who may do what inside analytics, as data. Services
// enforce it with these functions; the permission pages render the same
// tables; unit tests walk every level × action.
import type { Actor } from "./actor";

// ---------------------------------------------------------------- access (F-21…F-25)

export const ANALYTICS_ACCESS = ["N", "I", "Y"] as const;
export type AnalyticsAccess = (typeof ANALYTICS_ACCESS)[number];
export const ANALYTICS_ACCESS_LABELS: Record<AnalyticsAccess, string> = {
  N: "No access",
  I: "Invited",
  Y: "Access",
};

/** F-25: the analytics area needs AA = Y (sessions exist only after 2FA, so a session implies it). */
export const hasAnalyticsAccess = (actor: Pick<Actor, "analyticsAccess">) => actor.analyticsAccess === "Y";

/** F-23/F-24: an Analytics Administrator invites or revokes users of the same organization. */
export const canAdministerAnalyticsAccess = (actor: Pick<Actor, "analyticsAdmin" | "role">, actorOrgId: string, targetOrgId: string) =>
  actor.analyticsAdmin && actor.role === "partner_manager" && actorOrgId === targetOrgId;

/** What an AAA can do to a user's AA state; null when nothing applies. */
export function analyticsAccessTransition(action: "invite" | "revoke" | "accept", current: AnalyticsAccess): AnalyticsAccess | null {
  if (action === "invite") return current === "Y" ? null : "I"; // inviting again (I → I) sends a fresh mail
  if (action === "revoke") return current === "N" ? null : "N";
  return current === "I" ? "Y" : null;
}

/** The AA states `action` applies to (analyticsAccessTransition as data, for the WHERE of a write that checks in SQL). */
export const analyticsAccessSources = (action: "invite" | "revoke" | "accept"): AnalyticsAccess[] =>
  ANALYTICS_ACCESS.filter((current) => analyticsAccessTransition(action, current) !== null);

/** F-41: only an active account with analytics access (invited or granted) can be made owner. */
export const OWNER_ELIGIBLE_STATUSES = ["active"] as const;
export const OWNER_ELIGIBLE_ACCESS = ["I", "Y"] as const satisfies readonly AnalyticsAccess[];
export const canBeMadeOwner = (u: { status: string; analyticsAccess: AnalyticsAccess }) =>
  (OWNER_ELIGIBLE_STATUSES as readonly string[]).includes(u.status) && (OWNER_ELIGIBLE_ACCESS as readonly string[]).includes(u.analyticsAccess);

/** F-42…F-44: site, meta-site and module levels are held by accounts with analytics access (invited or granted) that are not deactivated. */
export const RIGHTS_HOLDER_ACCESS = ["I", "Y"] as const satisfies readonly AnalyticsAccess[];
export const RIGHTLESS_STATUSES = ["deactivated"] as const;
export const canHoldAnalyticsRights = (u: { analyticsAccess: AnalyticsAccess; status: string }) =>
  (RIGHTS_HOLDER_ACCESS as readonly string[]).includes(u.analyticsAccess) && !(RIGHTLESS_STATUSES as readonly string[]).includes(u.status);

// ---------------------------------------------------------------- sites and apps (F-42)

/** Ascending: each level includes everything below it. */
export const SITE_LEVELS = ["none", "view", "edit", "edit_publish", "manage"] as const;
export type SiteLevel = (typeof SITE_LEVELS)[number];
export const SITE_LEVEL_LABELS: Record<SiteLevel, string> = {
  none: "No access",
  view: "View",
  edit: "Edit",
  edit_publish: "Edit & publish",
  manage: "Manage",
};

/** F-42, in the seed's words. `min` is the lowest level allowed to do it. */
export const SITE_ACTIONS = {
  view: { label: "See the site/app and its tags", min: "view" },
  viewReports: { label: "See the site's reports and export them (with the Reporting module)", min: "view" },
  edit: { label: "Edit the site/app's settings", min: "edit" },
  editTags: { label: "Add and edit tags (as drafts)", min: "edit" },
  publishTags: { label: "Publish tags", min: "edit_publish" },
  managePermissions: { label: "Manage permissions", min: "manage" },
} as const satisfies Record<string, { label: string; min: SiteLevel }>;
export type SiteAction = keyof typeof SITE_ACTIONS;
export const SITE_ACTION_KEYS = Object.keys(SITE_ACTIONS) as SiteAction[];

// ---------------------------------------------------------------- meta sites (F-43)

export const META_SITE_LEVELS = ["none", "view", "edit", "manage"] as const;
export type MetaSiteLevel = (typeof META_SITE_LEVELS)[number];
export const META_SITE_LEVEL_LABELS: Record<MetaSiteLevel, string> = {
  none: "No access",
  view: "View",
  edit: "Edit",
  manage: "Manage",
};

/** F-43: dashboards, reports, export and segments of the grouped sites, as the seed lists them. */
export const META_SITE_ACTIONS = {
  viewDashboard: { label: "See dashboards", min: "view" },
  viewReports: { label: "See every report", min: "view" },
  exportReports: { label: "Export a report", min: "view" },
  viewSegments: { label: "See segments", min: "view" },
  editDashboard: { label: "Edit dashboards", min: "edit" },
  editSegments: { label: "Add and edit segments", min: "edit" },
  viewSettings: { label: "See and rename the meta site's settings", min: "manage" },
  managePermissions: { label: "Assign permissions to users", min: "manage" },
} as const satisfies Record<string, { label: string; min: MetaSiteLevel }>;
export type MetaSiteAction = keyof typeof META_SITE_ACTIONS;
export const META_SITE_ACTION_KEYS = Object.keys(META_SITE_ACTIONS) as MetaSiteAction[];

// ---------------------------------------------------------------- owner (F-41)

/**
 * F-41: the owner has unlimited access in the workspace; these belong to
 * owners alone (Manage "can't add a site/app or new user").
 */
export const OWNER_ACTIONS = {
  createSite: "Add a site/app",
  deleteSite: "Delete a site/app",
  createMetaSite: "Add a meta site/app",
  deleteMetaSite: "Delete a meta site/app",
  changeMetaSiteMembers: "Choose which sites a meta site groups",
  setOwner: "Make another user owner, or remove that",
} as const;
export type OwnerAction = keyof typeof OWNER_ACTIONS;

/** The subject of every level check: owner flag plus what was granted to them (absent = none). */
export interface AnalyticsSubject {
  analyticsOwner: boolean;
}

const rank = <L extends string>(levels: readonly L[], level: L) => levels.indexOf(level);

/** F-41/F-42: owners act as Manage on every site; everyone else has what was granted, default No access. */
export const effectiveSiteLevel = (subject: AnalyticsSubject, granted: SiteLevel | null | undefined): SiteLevel =>
  subject.analyticsOwner ? "manage" : (granted ?? "none");

export const effectiveMetaSiteLevel = (subject: AnalyticsSubject, granted: MetaSiteLevel | null | undefined): MetaSiteLevel =>
  subject.analyticsOwner ? "manage" : (granted ?? "none");

export const siteLevelAllows = (level: SiteLevel, action: SiteAction) => rank(SITE_LEVELS, level) >= rank(SITE_LEVELS, SITE_ACTIONS[action].min);

export const metaSiteLevelAllows = (level: MetaSiteLevel, action: MetaSiteAction) =>
  rank(META_SITE_LEVELS, level) >= rank(META_SITE_LEVELS, META_SITE_ACTIONS[action].min);

export const canOnSite = (subject: AnalyticsSubject, granted: SiteLevel | null | undefined, action: SiteAction) =>
  siteLevelAllows(effectiveSiteLevel(subject, granted), action);

export const canOnMetaSite = (subject: AnalyticsSubject, granted: MetaSiteLevel | null | undefined, action: MetaSiteAction) =>
  metaSiteLevelAllows(effectiveMetaSiteLevel(subject, granted), action);

export const canOwnerAction = (subject: AnalyticsSubject, _action: OwnerAction) => subject.analyticsOwner;

/**
 * F-41/F-42: permission tables list users who can hold a level (AA invited or
 * granted) and are not owners; owners are not listed and cannot be given one.
 */
export const listedInPermissionTables = (u: { analyticsOwner: boolean; analyticsAccess: AnalyticsAccess; status: string }) =>
  !u.analyticsOwner && canHoldAnalyticsRights(u);

// ---------------------------------------------------------------- modules (F-44)

export const MODULE_LEVELS = ["none", "read_only", "full"] as const;
export type ModuleLevel = (typeof MODULE_LEVELS)[number];
export const MODULE_LEVEL_LABELS: Record<ModuleLevel, string> = { none: "None", read_only: "Read-only", full: "Full" };

/** F-44, in the seed's order; `readOnly` marks the modules the seed offers a Read-only level for. */
export const MODULES = {
  product_admin: {
    label: "Product Administrator",
    readOnly: false,
    description: "Full access to the product, including deleting data and blocking clients / IP addresses.",
  },
  user_management: {
    label: "User Management",
    readOnly: true,
    description: "View the analytics users; Full also changes their module permissions. Read-only views without changing.",
  },
  reporting: { label: "Reporting", readOnly: false, description: "All reporting and analytics pages, including exported data." },
  reachout: { label: "ReachOut", readOnly: true, description: "Manage ReachOut campaigns. Read-only views campaign details without changing them." },
  developer: {
    label: "Developer",
    readOnly: true,
    description: "Product configuration: call-home URL, AES key, allowed events. Read-only views the settings without changing them.",
  },
  license_key_management: {
    label: "License Key Management",
    readOnly: true,
    description: "The license key registry: add, update and delete keys. Read-only views the keys only.",
  },
  license_key_filtering: { label: "License Key Filtering", readOnly: false, description: "Filter reports by license key." },
  quota_usage: { label: "Quota Usage", readOnly: false, description: "View the quota usage information." },
  billing: {
    label: "Billing",
    readOnly: true,
    description: "View and change billing details. Read-only views billing without changing it.",
  },
  reporting_api: { label: "Reporting API", readOnly: false, description: "Reports and analytics data through the Web API (personal API tokens)." },
} as const satisfies Record<string, { label: string; readOnly: boolean; description: string }>;
export type Module = keyof typeof MODULES;
export const MODULE_KEYS = Object.keys(MODULES) as Module[];
export type ModuleGrants = Partial<Record<Module, ModuleLevel>>;

/** The levels a module's grid cell offers: Read-only only where the seed has it. */
export const moduleLevelsFor = (module: Module): readonly ModuleLevel[] => (MODULES[module].readOnly ? MODULE_LEVELS : ["none", "full"]);

export const isModuleLevelOffered = (module: Module, level: ModuleLevel) => moduleLevelsFor(module).includes(level);

/** Owners and Product Administrators have every module in full ("full access to the product"). */
export function effectiveModuleLevel(subject: AnalyticsSubject, grants: ModuleGrants, module: Module): ModuleLevel {
  if (subject.analyticsOwner || grants.product_admin === "full") return "full";
  return grants[module] ?? "none";
}

/** "read": see the module's pages; "write": change anything in them. */
export const moduleAllows = (level: ModuleLevel, need: "read" | "write") => (need === "read" ? level !== "none" : level === "full");

export const canUseModule = (subject: AnalyticsSubject, grants: ModuleGrants, module: Module, need: "read" | "write") =>
  moduleAllows(effectiveModuleLevel(subject, grants, module), need);

/** F-44, F-45: reports open in the browser with the Reporting module, to a personal API token with the Reporting API module (Full: neither has Read-only). */
export const reportingModule = (via: "session" | "token"): Module => (via === "token" ? "reporting_api" : "reporting");

/** Whether the report pages open for this user: what the pages' Report links follow. */
export const canOpenReportPages = (subject: AnalyticsSubject, grants: ModuleGrants) => canUseModule(subject, grants, reportingModule("session"), "write");

/** Modules whose grant lets a non-owner raise other people's rights: only owners hand them out. */
export const OWNER_GRANTED_MODULES: readonly Module[] = ["product_admin", "user_management"];

/**
 * F-44: who may set `module` to `level` for `target`. Owners may set any cell.
 * A user with User Management in full may edit other users' grids, never their
 * own, never an owner's, never the owner-granted modules, and never above their
 * own effective level (no escalation through the grid).
 */
export function canGrantModule(
  actor: AnalyticsSubject & { id: string },
  actorGrants: ModuleGrants,
  target: { id: string; analyticsOwner: boolean },
  module: Module,
  level: ModuleLevel,
): boolean {
  if (!isModuleLevelOffered(module, level)) return false;
  if (actor.analyticsOwner) return true;
  if (!canUseModule(actor, actorGrants, "user_management", "write")) return false;
  if (target.id === actor.id || target.analyticsOwner) return false;
  if (OWNER_GRANTED_MODULES.includes(module)) return false;
  return rank(MODULE_LEVELS, level) <= rank(MODULE_LEVELS, effectiveModuleLevel(actor, actorGrants, module));
}

/** A whole grid change is allowed when every changed cell is (unchanged cells need no right). */
export function canGrantModules(
  actor: AnalyticsSubject & { id: string },
  actorGrants: ModuleGrants,
  target: { id: string; analyticsOwner: boolean },
  before: ModuleGrants,
  after: ModuleGrants,
): { ok: true } | { ok: false; module: Module } {
  for (const module of MODULE_KEYS) {
    const from = before[module] ?? "none";
    const to = after[module] ?? "none";
    if (from !== to && !canGrantModule(actor, actorGrants, target, module, to)) return { ok: false, module };
  }
  return { ok: true };
}

/**
 * F-42/F-43: who may set another user's level on a site or meta site: Manage
 * (or owner), never on themselves, never on an owner.
 */
export const canSetLevelFor = (actor: { id: string }, actorCanManage: boolean, target: { id: string; analyticsOwner: boolean }) =>
  actorCanManage && actor.id !== target.id && !target.analyticsOwner;
