// F-93 access review, as pure rules: when a review is due and overdue, when
// the quarterly schedule starts one, who may run, act on and read reviews, and
// what a "change" decision may ask of the existing user services.
import type { Actor } from "./actor";
import { canAdministerAnalyticsAccess, type AnalyticsAccess } from "./analytics";
import { isOperator, ROLE_LABELS, secondaryRoleAllowed, secondaryRoleRule, type PortalRole, type Role, type SecondaryRole } from "./roles";

const DAY_MS = 86_400_000;
/** A review is due this long after it starts. */
export const REVIEW_DUE_DAYS = 14;
/** An open review older than this gets its one reminder. */
export const REVIEW_REMINDER_DAYS = 7;

export const dueAt = (startedAt: number) => startedAt + REVIEW_DUE_DAYS * DAY_MS;
/** The latest start time of an open review that is due its reminder at `now`. */
export const reminderCutoff = (now: number) => now - REVIEW_REMINDER_DAYS * DAY_MS;
export const isOverdue = (review: { status: ReviewStatus; dueAt: number }, now: number) => review.status === "open" && review.dueAt < now;

/** Months (0-based, UTC) on whose first day a quarter begins. */
const QUARTER_MONTHS = [0, 3, 6, 9];

/** The first day (UTC) of January, April, July or October: the day the quarterly reviews start. */
export function isQuarterStart(ms: number): boolean {
  const d = new Date(ms);
  return d.getUTCDate() === 1 && QUARTER_MONTHS.includes(d.getUTCMonth());
}

export const REVIEW_STATUSES = ["open", "completed"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export const DECISIONS = ["pending", "confirmed", "changed", "deactivated"] as const;
export type Decision = (typeof DECISIONS)[number];
export const DECISION_LABELS: Record<Decision, string> = {
  pending: "To decide",
  confirmed: "Confirmed",
  changed: "Changed",
  deactivated: "Deactivated",
};

/** Organizations whose users are reviewed: the vendor's operators run the portal and have no review. */
export const REVIEWED_ORG_KINDS = ["partner", "customer"] as const;

/** Starts a review and decides its items: a Partner Manager, for their own organization only. */
export const canRunAccessReview = (actor: Pick<Actor, "role" | "orgKind">) =>
  actor.role === "partner_manager" && (REVIEWED_ORG_KINDS as readonly string[]).includes(actor.orgKind);

/** Reads a review: its organization's Partner Managers, and operators for every organization. */
export const canReadAccessReview = (actor: Pick<Actor, "role" | "orgKind" | "orgId">, reviewOrgId: string) =>
  isOperator(actor) || (canRunAccessReview(actor) && actor.orgId === reviewOrgId);

/** The completion view across organizations. */
export const canReadReviewStatus = (actor: Pick<Actor, "role">) => isOperator(actor);

// ---------------------------------------------------------------- what a "change" may ask

/** What a decision of "change" asks for; each part is done by the service that owns it. */
export interface ChangeRequest {
  role?: PortalRole;
  /** "N": revoke analytics access (F-24). Granting goes through an invitation (F-23), not a review. */
  analyticsAccess?: "N";
  /** Ask operators for Purchaser (F-15/F-16): a Partner Manager cannot grant it. */
  purchaser?: true;
  /** Ask operators for Analytics Administrator (F-16/F-22). */
  analyticsAdmin?: true;
}

export type ChangeStep = { kind: "role"; role: PortalRole } | { kind: "revoke_analytics" } | { kind: "request"; secondary: SecondaryRole };

export interface ReviewedUser {
  name: string;
  role: Role;
  purchaser: boolean;
  analyticsAccess: AnalyticsAccess;
  analyticsAdmin: boolean;
}

/**
 * The steps a change asks for, each taken to be a real change, in
 * planChange's order: the plan when the user's current state agrees. A batch
 * built from it refuses any step that is not (same role, nothing to revoke,
 * role already held); planChange on the current state then says why.
 */
export function stepsAsked(change: ChangeRequest): ChangeStep[] {
  const steps: ChangeStep[] = [];
  if (change.role !== undefined) steps.push({ kind: "role", role: change.role });
  if (change.analyticsAccess === "N") steps.push({ kind: "revoke_analytics" });
  if (change.purchaser) steps.push({ kind: "request", secondary: "purchaser" });
  if (change.analyticsAdmin) steps.push({ kind: "request", secondary: "analytics_admin" });
  return steps;
}

/**
 * The steps a change decision takes, in order (the role first: what may be
 * requested depends on the role after it), or field errors when it asks for
 * nothing new or for what the rules forbid. The last-Partner-Manager rule
 * (F-14) needs the organization's other managers, so the role change's guard
 * (roleChangeStatements) enforces it in the batch.
 */
export function planChange(
  actor: Pick<Actor, "role" | "analyticsAdmin" | "orgId">,
  user: ReviewedUser & { orgId: string },
  change: ChangeRequest,
): { steps: ChangeStep[] } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const steps: ChangeStep[] = [];
  const roleAfter = change.role ?? user.role;
  if (change.role !== undefined && change.role !== user.role) steps.push({ kind: "role", role: change.role });
  if (change.analyticsAccess === "N") {
    if (!canAdministerAnalyticsAccess(actor, actor.orgId, user.orgId)) errors.analyticsAccess = "Only an Analytics Administrator (AAA) of the organization can revoke analytics access.";
    else if (user.analyticsAccess === "N") errors.analyticsAccess = `${user.name} has no analytics access to revoke.`;
    else steps.push({ kind: "revoke_analytics" });
  }
  const requests: [SecondaryRole, boolean | undefined, boolean][] = [
    ["purchaser", change.purchaser, user.purchaser],
    ["analytics_admin", change.analyticsAdmin, user.analyticsAdmin],
  ];
  for (const [secondary, wanted, held] of requests) {
    if (!wanted) continue;
    const field = secondary === "purchaser" ? "purchaser" : "analyticsAdmin";
    if (!secondaryRoleAllowed(secondary, roleAfter)) errors[field] = `${secondaryRoleRule(secondary)} ${user.name} would be a ${ROLE_LABELS[roleAfter]}.`;
    else if (held) errors[field] = `${user.name} already has it.`;
    else steps.push({ kind: "request", secondary });
  }
  if (Object.keys(errors).length) return { errors };
  if (!steps.length) {
    return {
      errors: {
        role:
          change.role !== undefined
            ? `${user.name} is already a ${ROLE_LABELS[user.role]}. Choose another role, or confirm the user as they are.`
            : "Choose what to change: a new role, revoking analytics access, or a request for Purchaser or Analytics Administrator.",
      },
    };
  }
  return { steps };
}

/** The progress of a review: how many items have each decision. */
export type DecisionCounts = Record<Decision, number> & { deleted: number; total: number };

/**
 * Counts decisions. An account deleted (F-46) before anyone decided on it
 * counts as "deleted": there is nothing left to decide, so it does not hold
 * up completion.
 */
export function countDecisions(items: readonly { decision: Decision; deleted: boolean }[]): DecisionCounts {
  const counts: DecisionCounts = { pending: 0, confirmed: 0, changed: 0, deactivated: 0, deleted: 0, total: items.length };
  for (const item of items) counts[item.deleted && item.decision === "pending" ? "deleted" : item.decision]++;
  return counts;
}

/** Why a review cannot be completed yet, or null when it can. */
export function completionProblem(review: { status: ReviewStatus }, pending: number): string | null {
  if (review.status !== "open") return "This access review is already completed.";
  if (pending > 0) return `${pending} ${pending === 1 ? "user still needs" : "users still need"} a decision. Decide each, or confirm all remaining, then complete the review.`;
  return null;
}
