// F-93 access review: Partner Managers start, decide and complete their
// organization's review; operators read any review and the status across
// organizations. Each handler is one service call.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { jsonBody, queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import {
  completeReview,
  confirmAllRemaining,
  decide,
  DecideInput,
  getCurrentReview,
  getReview,
  startReview,
} from "../../services/access-reviews";
import { ListReviewStatusInput, listReviewStatus } from "../../services/access-review-status";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const accessReviewsApi = new Hono<Authed>();
accessReviewsApi.use(requireApiSession);

// The fixed paths before /:id.
accessReviewsApi.get("/status", queryParams(ListReviewStatusInput), async (c) => c.json(await listReviewStatus(c.var.deps, c.var.actor, c.req.valid("query"))));
accessReviewsApi.get("/current", async (c) => c.json(await getCurrentReview(c.var.deps, c.var.actor)));
accessReviewsApi.post("/", async (c) => c.json(await startReview(c.var.deps, c.var.actor), 201));
accessReviewsApi.get("/:id", async (c) => c.json(await getReview(c.var.deps, c.var.actor, c.req.param("id"))));
accessReviewsApi.post("/:id/items/:userId", jsonBody(DecideInput), async (c) =>
  c.json(await decide(c.var.deps, c.var.actor, c.req.param("id"), c.req.param("userId"), c.req.valid("json"))),
);
accessReviewsApi.post("/:id/confirm-remaining", async (c) => c.json(await confirmAllRemaining(c.var.deps, c.var.actor, c.req.param("id"))));
accessReviewsApi.post("/:id/complete", async (c) => c.json(await completeReview(c.var.deps, c.var.actor, c.req.param("id"))));
