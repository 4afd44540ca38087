// Roles and who may administer which accounts. The full F-11 matrix of portal
// permissions grows here as data; services and pages both read it.
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

interface Subject {
  role: Role;
  orgId: string;
}

export const isOperator = (actor: Subject) => actor.role === "operator";

/**
 * F-06, F-14: operators administer every account; a Partner Manager administers
 * the accounts of their own organization (re-invite, (de)activate, reset 2FA).
 */
export function canAdministerUser(actor: Subject, target: Subject): boolean {
  if (isOperator(actor)) return true;
  return actor.role === "partner_manager" && actor.orgId === target.orgId && target.role !== "operator";
}

/** F-02: only operators onboard organizations. */
export const canOnboardOrganizations = isOperator;
