// Roles and the F-11 permission matrix, as data. Services enforce it with
// can(); the users page renders the same table; unit tests walk every cell.
export const PORTAL_ROLES = ["read_only", "regular", "partner_manager"] as const;
export const ROLES = [...PORTAL_ROLES, "operator"] as const;
export type PortalRole = (typeof PORTAL_ROLES)[number];
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  read_only: "Read-only User",
  regular: "Regular User",
  partner_manager: "Partner Manager",
  operator: "Operator",
};

/**
 * F-11, in the seed's order. Operators appear in no company column: they run
 * the portal (organizations, accounts, requests), not a partner's customers;
 * they may administer portal users of every organization.
 */
export const PORTAL_PERMISSIONS = {
  exportHandouts: { label: "Export handouts", roles: ["read_only", "regular", "partner_manager"] },
  manageCompanies: { label: "Add/edit/terminate company", roles: ["regular", "partner_manager"] },
  manageEulUsers: { label: "Add/disable EUL user", roles: ["regular", "partner_manager"] },
  manageTeamVmrs: { label: "Add/deactivate Team VMR", roles: ["regular", "partner_manager"] },
  manageEndpoints: { label: "Add/disable endpoint subscription", roles: ["regular", "partner_manager"] },
  manageDomains: { label: "Add/terminate domain hosting", roles: ["regular", "partner_manager"] },
  managePortalUsers: { label: "Add/activate/deactivate/re-invite portal users", roles: ["partner_manager", "operator"] },
  changeUserRoles: { label: "Change portal user role", roles: ["partner_manager", "operator"] },
} as const satisfies Record<string, { label: string; roles: readonly Role[] }>;
export type PortalPermission = keyof typeof PORTAL_PERMISSIONS;
export const PERMISSION_KEYS = Object.keys(PORTAL_PERMISSIONS) as PortalPermission[];

interface Subject {
  role: Role;
  orgId: string;
}

export const can = (actor: { role: Role }, permission: PortalPermission): boolean =>
  (PORTAL_PERMISSIONS[permission].roles as readonly Role[]).includes(actor.role);

export const isOperator = (actor: { role: Role }) => actor.role === "operator";

/**
 * F-06, F-14: operators administer every account; a Partner Manager administers
 * the accounts of their own organization (re-invite, (de)activate, reset 2FA).
 */
export function canAdministerUser(actor: Subject, target: Subject): boolean {
  if (!can(actor, "managePortalUsers")) return false;
  return isOperator(actor) || (actor.orgId === target.orgId && MANAGER_ADMINISTRABLE_ROLES.includes(target.role));
}

/** The roles of the accounts a Partner Manager administers (their organization's): never an operator's. */
export const MANAGER_ADMINISTRABLE_ROLES: readonly Role[] = PORTAL_ROLES;

/** F-50: Partner Managers read their organization's audit log; operators read every organization's. */
export const canReadAuditLog = (actor: { role: Role }) => actor.role === "partner_manager" || isOperator(actor);

/** F-02: only operators onboard organizations. */
export const canOnboardOrganizations = isOperator;

/** F-15: Purchaser only for Regular users and Partner Managers. */
export const PURCHASER_ROLES: readonly Role[] = ["regular", "partner_manager"];
/** F-22: Analytics Administrator only for Partner Managers. */
export const ANALYTICS_ADMIN_ROLES: readonly Role[] = ["partner_manager"];

export const SECONDARY_ROLES = {
  purchaser: { label: "Purchaser (P)", roles: PURCHASER_ROLES },
  analytics_admin: { label: "Analytics Administrator (AAA)", roles: ANALYTICS_ADMIN_ROLES },
} as const;
export type SecondaryRole = keyof typeof SECONDARY_ROLES;

export const secondaryRoleAllowed = (kind: SecondaryRole, role: Role) => SECONDARY_ROLES[kind].roles.includes(role);

/**
 * F-15/F-22: a role change keeps a secondary role only where the new role
 * allows it. Returns the flags after the change and which were removed.
 */
export function secondaryRolesAfterRoleChange(user: { purchaser: boolean; analyticsAdmin: boolean }, newRole: Role) {
  const purchaser = user.purchaser && secondaryRoleAllowed("purchaser", newRole);
  const analyticsAdmin = user.analyticsAdmin && secondaryRoleAllowed("analytics_admin", newRole);
  const removed: SecondaryRole[] = [];
  if (user.purchaser && !purchaser) removed.push("purchaser");
  if (user.analyticsAdmin && !analyticsAdmin) removed.push("analytics_admin");
  return { purchaser, analyticsAdmin, removed };
}

/** What the F-14 rule counts as an "active" Partner Manager: only an account that can sign in and act (also used in SQL). */
export const ACTIVE_MANAGER = { role: "partner_manager", status: "active" } as const;
export const isActiveManager = (u: { role: Role; status: string }) => u.role === ACTIVE_MANAGER.role && u.status === ACTIVE_MANAGER.status;

/** F-14 binds Partner Managers only; operators may remove an organization's last manager. */
export const lastManagerRuleApplies = (actor: { role: Role }) => actor.role === "partner_manager";

/**
 * F-14: a Partner Manager cannot demote or deactivate the last active Partner
 * Manager of an organization (operators can, e.g. when a partner leaves).
 * `otherActiveManagers` counts the organization's active Partner Managers
 * other than the target. When a Partner Manager acts, they are themselves an
 * active manager, so this binds when they demote themselves, or when two
 * managers remove each other at the same moment (the batch guard re-checks).
 */
export function breaksLastManagerRule(
  actor: { role: Role },
  before: { role: Role; status: string },
  after: { role: Role; status: string },
  otherActiveManagers: number,
): boolean {
  return lastManagerRuleApplies(actor) && isActiveManager(before) && !isActiveManager(after) && otherActiveManagers === 0;
}

/**
 * Whether a change to `after` can break the F-14 rule at all, i.e. would if
 * the target were an active manager with no other beside it. A batch then
 * checks the real target and the other managers in SQL (lastManagerGuard).
 */
export function lastManagerRuleMayBind(actor: { role: Role }, after: { role: Role; status: string }): boolean {
  return breaksLastManagerRule(actor, ACTIVE_MANAGER, after, 0);
}

export const LAST_MANAGER_MESSAGE =
  "This is the last active Partner Manager of the organization. Make another user Partner Manager first, or ask an operator.";

/** F-16: a Partner Manager asks for Purchaser or AAA for a user of their organization; operators decide. */
export const canRequestSecondaryRole = (actor: { role: Role }) => actor.role === "partner_manager";
export const canDecideRequests = isOperator;

/** "Read-only User", "read_only", "read-only", "Partner manager" … → the role key; null when it is no portal role. */
export function parsePortalRole(text: string): PortalRole | null {
  const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, " ").replace(/ user$/, "");
  const wanted = norm(text);
  if (!wanted) return null;
  return PORTAL_ROLES.find((r) => norm(r) === wanted || norm(ROLE_LABELS[r]) === wanted) ?? null;
}

/** What the F-15/F-22 rule says, as a sentence for error messages and the requests page. */
export function secondaryRoleRule(kind: SecondaryRole): string {
  return kind === "purchaser"
    ? "Purchaser (P) can only be given to Regular Users and Partner Managers."
    : "Analytics Administrator (AAA) can only be given to Partner Managers.";
}
