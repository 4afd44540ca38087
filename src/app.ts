// createApp(): headers → deps → session → CSRF → one route group per area → onError.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { AppError } from "./lib/errors";
import { csrfMiddleware } from "./middleware/csrf";
import { depsMiddleware } from "./middleware/deps";
import { noStore, securityHeaders } from "./middleware/security-headers";
import { isHoldNotConfirmed } from "./db/held-check";
import { mustAnswerAgain } from "./middleware/hold";
import { sessionMiddleware } from "./middleware/session";
import { accessReviewsApi } from "./routes/api/access-reviews";
import { analyticsApi } from "./routes/api/analytics";
import { auditApi } from "./routes/api/audit";
import { collectApi } from "./routes/api/collect";
import { partnerDashboardApi, partnersApi } from "./routes/api/partners";
import { openapiApi } from "./routes/api/openapi";
import { reportsApi } from "./routes/api/reports";
import { tokensApi } from "./routes/api/tokens";
import { authApi } from "./routes/api/auth";
import { meApi } from "./routes/api/me";
import { companiesApi, plansApi } from "./routes/api/companies";
import { invitationsApi } from "./routes/api/invitations";
import { jobsApi } from "./routes/api/jobs";
import { orgsApi } from "./routes/api/orgs";
import { requestsApi } from "./routes/api/requests";
import { usersApi } from "./routes/api/users";
import { apiDocsPages } from "./routes/pages/api-docs";
import { accessReviewPages } from "./routes/pages/access-review";
import { analyticsPages } from "./routes/pages/analytics";
import { auditPages } from "./routes/pages/audit";
import { partnerDashboardPages, partnerPages } from "./routes/pages/partners";
import { authPages } from "./routes/pages/auth";
import { companyPages } from "./routes/pages/companies";
import { devMailPages } from "./routes/pages/dev-mail";
import { renderErrorPage } from "./routes/pages/errors";
import { flashMessages } from "./routes/pages/flash";
import { jobPages } from "./routes/pages/jobs";
import { keepAccountPages } from "./routes/pages/keep-account";
import { portalPages } from "./routes/pages/portal";
import { invitationPages, requestPages, userPages } from "./routes/pages/users";
import { layout } from "../views/layout";

export const MAX_API_BODY_BYTES = 1024 * 1024;

export function createApp() {
  const app = new Hono<AppEnv>();

  app.get("/healthz", (c) => c.text("ok"));

  // The layout is registered before the guards so their errors render as full pages too.
  app.use(...securityHeaders, noStore, depsMiddleware, layout, flashMessages, sessionMiddleware, csrfMiddleware);

  // Sub-apps are mounted at their own prefix, so a guard registered with
  // .use() inside one only ever covers that area.
  const api = new Hono<AppEnv>();
  // No JSON input is anywhere near this (the largest, a bulk-invite CSV, is 100,000 characters):
  // a bigger body is refused before anything reads it into memory.
  api.use(
    bodyLimit({
      maxSize: MAX_API_BODY_BYTES,
      onError: () => {
        throw new AppError("PAYLOAD_TOO_LARGE", `Send at most ${MAX_API_BODY_BYTES / 1024 / 1024} MB.`);
      },
    }),
  );
  api.route("/", authApi);
  api.route("/me", meApi);
  api.route("/orgs", orgsApi);
  api.route("/users", usersApi);
  api.route("/invitations", invitationsApi);
  api.route("/requests", requestsApi);
  api.route("/companies", companiesApi);
  api.route("/plans", plansApi);
  api.route("/audit", auditApi);
  api.route("/jobs", jobsApi);
  api.route("/access-reviews", accessReviewsApi);
  api.route("/analytics", analyticsApi);
  api.route("/collect", collectApi);
  api.route("/reports", reportsApi);
  api.route("/tokens", tokensApi);
  api.route("/partners", partnersApi);
  api.route("/partner-dashboard", partnerDashboardApi);
  api.route("/openapi.json", openapiApi);
  app.route("/api/v1", api);

  app.route("/", authPages);
  app.route("/", portalPages);
  app.route("/users", userPages);
  app.route("/invitations", invitationPages);
  app.route("/requests", requestPages);
  app.route("/companies", companyPages);
  app.route("/audit", auditPages);
  app.route("/jobs", jobPages);
  app.route("/access-review", accessReviewPages);
  app.route("/analytics", analyticsPages);
  app.route("/partners", partnerPages);
  app.route("/partner-dashboard", partnerDashboardPages);
  app.route("/dev", devMailPages);
  app.route("/keep-account", keepAccountPages);
  app.route("/api/docs", apiDocsPages);

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/")) return c.json(new AppError("NOT_FOUND", "No such endpoint.").toJSON(), 404);
    return renderErrorPage(c, 404, "There is nothing at this address.");
  });

  app.onError((err, c) => {
    // This answer is thrown away (see below); nothing to log or show.
    if (isHoldNotConfirmed(err)) return c.body(null, 500);
    const error = toAppError(err);
    if (error.status >= 500) console.error(err);
    if (error.retryAfter) c.header("Retry-After", String(error.retryAfter));
    if (error.code === "UNAUTHENTICATED" && c.req.header("hx-request")) c.header("HX-Redirect", "/login");
    if (c.req.path.startsWith("/api/")) return c.json(error.toJSON(), error.status);
    return renderErrorPage(c, error.status, error.message);
  });

  // A GET that acted on a held session or token D1 did not confirm is answered
  // again, this time reading it first (middleware/hold.ts). Overriding
  // fetch covers app.request() too, which calls it.
  const answer = app.fetch;
  app.fetch = async (request, ...rest) => {
    const response = await answer(request, ...rest);
    if (!mustAnswerAgain(request)) return response;
    await response.body?.cancel();
    return answer(request, ...rest);
  };

  return app;
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own 4xx, e.g. a body that is not valid JSON.
    return new AppError(err.status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : "BAD_REQUEST", err.message || "The request could not be read.");
  }
  return new AppError("INTERNAL", "Something went wrong on our side. Please try again.");
}
