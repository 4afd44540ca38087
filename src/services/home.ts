// The home page's "needs your attention": what waits on the signed-in person,
// their own account first (an analytics invitation to accept, recovery codes
// running out), then the lists they look after, counted by the same queries
// as the totals of those lists, all in one batch. Each list is counted only
// for someone whose role may see it.
import type { Deps } from "../deps";
import { canReadReviewStatus, canRunAccessReview } from "../domain/access-review";
import type { Actor } from "../domain/actor";
import { can, canDecideRequests, canRequestSecondaryRole, isOperator } from "../domain/roles";
import { unusedRecoveryCodesQuery } from "./account";
import { overdueReviewCountQuery, pendingDecisionCountQuery } from "./access-review-status";
import { invitationCountQuery } from "./invitation-admin";
import { deadLetterCountQuery } from "./job-runs";
import { requestCountQuery } from "./role-requests";

export const ATTENTION_KEYS = [
  "analyticsInvitation",
  "recoveryCodesLow",
  "reviewDecisions",
  "invitationsPending",
  "invitationsExpired",
  "requestsPending",
  "reviewsOverdue",
  "mailUndelivered",
] as const;
export type AttentionKey = (typeof ATTENTION_KEYS)[number];

export interface Attention {
  key: AttentionKey;
  count: number;
  /** Where to deal with it: the list filtered to what is counted, or the page of the task. */
  href: string;
}

/** With this many unused recovery codes or fewer, the home page suggests new ones (ten come with each set). */
const LOW_RECOVERY_CODES = 2;

/** What waits on the actor now, in the order the home page lists it; [] when nothing does. */
export async function homeAttention(deps: Deps, actor: Actor): Promise<Attention[]> {
  const lists = [
    ...(canRunAccessReview(actor) ? [{ key: "reviewDecisions", href: "/access-review", query: pendingDecisionCountQuery(deps, actor) } as const] : []),
    // Operators reach invitations through each organization's page, not a list of their own.
    ...(can(actor, "managePortalUsers") && !isOperator(actor)
      ? [
          { key: "invitationsPending", href: "/invitations?state=pending", query: invitationCountQuery(deps, actor, "pending") } as const,
          { key: "invitationsExpired", href: "/invitations?state=expired", query: invitationCountQuery(deps, actor, "expired") } as const,
        ]
      : []),
    ...(canRequestSecondaryRole(actor) || canDecideRequests(actor)
      ? [{ key: "requestsPending", href: "/requests?status=pending", query: requestCountQuery(deps, actor, "pending") } as const]
      : []),
    ...(canReadReviewStatus(actor) ? [{ key: "reviewsOverdue", href: "/access-review/status?state=overdue", query: overdueReviewCountQuery(deps, actor) } as const] : []),
    ...(isOperator(actor) ? [{ key: "mailUndelivered", href: "/jobs#dead-letters", query: deadLetterCountQuery(deps, actor) } as const] : []),
  ];
  const [[codes], ...listCounts] = await deps.db.batch([unusedRecoveryCodesQuery(deps, actor), ...lists.map((l) => l.query)]);
  const codesLeft = codes?.n ?? 0;
  return [
    // The invitation is on the actor already: nothing to count.
    ...(actor.analyticsAccess === "I" ? [{ key: "analyticsInvitation", href: "/analytics/accept", count: 1 } as const] : []),
    ...(codesLeft <= LOW_RECOVERY_CODES ? [{ key: "recoveryCodesLow", href: "/account#recovery-codes", count: codesLeft } as const] : []),
    ...lists.map((l, i) => ({ key: l.key, href: l.href, count: listCounts[i]?.[0]?.n ?? 0 })).filter((l) => l.count > 0),
  ];
}
