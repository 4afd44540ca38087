// Access review pages (F-93), the same services as /api/v1/access-reviews.
// Row decisions answer the swapped row (htmx) with an HX-Trigger that reloads
// the progress box; without JavaScript every form posts and redirects back.
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { RequestContext } from "hono/jsx-renderer";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { canRunAccessReview } from "../../domain/access-review";
import { isOperator, ROLE_LABELS, SECONDARY_ROLES } from "../../domain/roles";
import { AppError } from "../../lib/errors";
import { fieldsFromZod } from "../../lib/validate";
import { requirePageSession } from "../../middleware/require-auth";
import {
  completeReview,
  confirmAllRemaining,
  decide,
  DecideInput,
  getCurrentReview,
  getReview,
  getReviewItem,
  startReview,
  type DecideResult,
} from "../../services/access-reviews";
import { ListReviewStatusInput, listReviewStatus } from "../../services/access-review-status";
import { seeOther } from "./flash";
import { AccessReviewPage, REVIEW_CHANGED_EVENT, ReviewItemRow, ReviewPage, ReviewProgress, ReviewStatusPage } from "../../../views/access-review";

type Authed = AppEnv & { Variables: { actor: Actor } };
type C = Context<Authed>;

export const accessReviewPages = new Hono<Authed>();
accessReviewPages.use(requirePageSession);

const isHtmx = (c: C) => Boolean(c.req.header("hx-request"));
const fragment = (c: C, node: Child, status = 200) => c.html(<RequestContext.Provider value={c}>{node}</RequestContext.Provider>, status as 200);
const isShowable = (e: unknown): e is AppError => e instanceof AppError && e.status < 500 && e.code !== "UNAUTHENTICATED";

async function renderCurrent(c: C, extra: { error?: string } = {}) {
  const current = await getCurrentReview(c.var.deps, c.var.actor);
  return c.render(<AccessReviewPage current={current} actorId={c.var.actor.id} error={extra.error} />, { title: "Access review" });
}

/** A refused form post without JavaScript: the review page again with the reason, and the refusal's status. */
async function refusedPage(c: C, e: unknown) {
  if (!isShowable(e) || !canRunAccessReview(c.var.actor)) throw e;
  c.status(e.status as 400);
  return renderCurrent(c, { error: e.message });
}

accessReviewPages.get("/", (c) => {
  if (isOperator(c.var.actor)) return c.redirect("/access-review/status", 303);
  return renderCurrent(c);
});

accessReviewPages.post("/", async (c) => {
  try {
    await startReview(c.var.deps, c.var.actor);
    return seeOther(c, "/access-review", "Access review started. Decide each user, then complete the review.");
  } catch (e) {
    return refusedPage(c, e);
  }
});

/** Operators: every organization's review state. */
accessReviewPages.get("/status", async (c) => {
  const parsed = ListReviewStatusInput.safeParse(c.req.query());
  const filter = parsed.success ? parsed.data : ListReviewStatusInput.parse({});
  const error = parsed.success ? undefined : `The filter was not understood: ${Object.values(fieldsFromZod(parsed.error)).join(" ")}`;
  const { items, page } = await listReviewStatus(c.var.deps, c.var.actor, filter);
  return c.render(<ReviewStatusPage rows={items} page={page} filter={{ q: filter.q, state: filter.state }} error={error} />, { title: "Access reviews" });
});

const editableFor = (actor: Actor, review: { status: string; org: { id: string } }) =>
  canRunAccessReview(actor) && review.status === "open" && review.org.id === actor.orgId;

accessReviewPages.get("/:id", async (c) => {
  const { actor } = c.var;
  const detail = await getReview(c.var.deps, actor, c.req.param("id"));
  // Back to the section it was opened from, named as the navigation names it.
  const back = isOperator(actor) ? { href: "/access-review/status", label: "Access reviews" } : { href: "/access-review", label: "Access review" };
  return c.render(<ReviewPage detail={detail} editable={editableFor(actor, detail.review)} actorId={actor.id} back={back} />, {
    title: `Access review of ${detail.review.org.name}`,
  });
});

/** The progress box alone, reloaded after each row action. */
accessReviewPages.get("/:id/progress", async (c) => {
  const { review, counts } = await getReview(c.var.deps, c.var.actor, c.req.param("id"));
  return fragment(c, <ReviewProgress review={review} counts={counts} editable={editableFor(c.var.actor, review)} />);
});

/** What a row says after its decision. */
function resultMessage(action: string, r: DecideResult): string {
  if (action === "confirm") return "Confirmed as is.";
  if (action === "deactivate") return "Deactivated; their sessions and partner access ended.";
  const role = r.item.user ? ROLE_LABELS[r.item.user.role] : "";
  const removed = r.removed.length ? ` Removed: ${r.removed.map((k) => SECONDARY_ROLES[k].label).join(", ")}.` : "";
  return `Role changed to ${role}.${removed}`;
}

const DECISIONS = { confirm: "confirm", role: "change", deactivate: "deactivate" } as const;

for (const [action, decision] of Object.entries(DECISIONS)) {
  accessReviewPages.post(`/:id/items/:userId/${action}`, async (c) => {
    const { deps, actor } = c.var;
    const reviewId = c.req.param("id");
    const userId = c.req.param("userId");
    try {
      const body = decision === "change" ? { decision, role: (await c.req.parseBody()).role } : { decision };
      const parsed = DecideInput.safeParse(body);
      if (!parsed.success) throw new AppError("VALIDATION_FAILED", "Choose Read-only User, Regular User or Partner Manager.", fieldsFromZod(parsed.error));
      const result = await decide(deps, actor, reviewId, userId, parsed.data);
      if (!isHtmx(c)) return seeOther(c, "/access-review", `${result.item.user?.name ?? "User"}: ${resultMessage(action, result)}`);
      c.header("HX-Trigger", REVIEW_CHANGED_EVENT);
      return fragment(c, <ReviewItemRow reviewId={reviewId} orgKind={result.review.org.kind} item={result.item} editable self={userId === actor.id} message={resultMessage(action, result)} />);
    } catch (e) {
      if (!isHtmx(c) || !isShowable(e)) return refusedPage(c, e);
      // The row as it is now, the reason inside it; an item we cannot show stays an error notice.
      const current = await getReviewItem(deps, actor, reviewId, userId).catch(() => null);
      if (!current) throw e;
      c.header("X-Swap-Error", "row");
      c.header("HX-Trigger", REVIEW_CHANGED_EVENT);
      return fragment(
        c,
        <ReviewItemRow reviewId={reviewId} orgKind={current.review.org.kind} item={current.item} editable={editableFor(actor, current.review)} self={userId === actor.id} message={e.message} error />,
        e.status,
      );
    }
  });
}

accessReviewPages.post("/:id/confirm-remaining", async (c) => {
  try {
    await confirmAllRemaining(c.var.deps, c.var.actor, c.req.param("id"));
    return seeOther(c, "/access-review", "Every remaining user was confirmed as they are.");
  } catch (e) {
    return refusedPage(c, e);
  }
});

accessReviewPages.post("/:id/complete", async (c) => {
  try {
    await completeReview(c.var.deps, c.var.actor, c.req.param("id"));
    return seeOther(c, "/access-review", "Access review completed. The outcome is in the audit log.");
  } catch (e) {
    return refusedPage(c, e);
  }
});
