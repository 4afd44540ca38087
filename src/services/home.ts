// The home page's "needs your attention": how much waits on the signed-in
// person in each list they look after, counted by the same queries as the
// totals of those lists, in one batch. Each count is asked only of someone
// whose role may see that list.
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { canReadReviewStatus, canRunAccessReview } from "../domain/access-review";
import { can, canDecideRequests, canRequestSecondaryRole, isOperator } from "../domain/roles";
import { overdueReviewCountQuery, pendingDecisionCountQuery } from "./access-reviews";
import { invitationCountQuery } from "./invitation-admin";
import { deadLetterCountQuery } from "./job-runs";
import { requestCountQuery } from "./role-requests";

export const ATTENTION_KEYS = ["reviewDecisions", "invitationsPending", "invitationsExpired", "requestsPending", "reviewsOverdue", "mailUndelivered"] as const;
export type AttentionKey = (typeof ATTENTION_KEYS)[number];

export interface Attention {
  key: AttentionKey;
  count: number;
  /** The list, filtered to what is counted. */
  href: string;
}

/** What the actor may be asked to look at, each with its count; [] for someone who looks after none of these lists. */
export async function homeAttention(deps: Deps, actor: Actor): Promise<Attention[]> {
  const asked = [
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
  const [first, ...rest] = asked;
  if (!first) return [];
  const counts = await deps.db.batch([first.query, ...rest.map((a) => a.query)]);
  return asked.map((a, i) => ({ key: a.key, href: a.href, count: counts[i]?.[0]?.n ?? 0 }));
}
