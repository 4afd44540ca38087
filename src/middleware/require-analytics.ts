// F-25: the analytics area needs a completed sign-in (sessions exist only
// after 2FA) and Analytics Access = Y. The actor is re-read from D1 on every
// request, so a revoke or deactivation takes effect on the next request.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import type { Actor } from "../domain/actor";
import { hasAnalyticsAccess } from "../domain/analytics";
import { AppError } from "../lib/errors";
import { requireApiSession, requirePageSession } from "./require-auth";

type Authed = AppEnv & { Variables: { actor: Actor } };

export const NO_ANALYTICS_ACCESS = "You have no analytics access. Ask your Analytics Administrator to invite you.";
export const ANALYTICS_INVITED = "Accept your analytics invitation first (Analytics → Accept invitation).";

const refusal = (actor: Actor) => new AppError("FORBIDDEN", actor.analyticsAccess === "I" ? ANALYTICS_INVITED : NO_ANALYTICS_ACCESS);

const analyticsOnly = createMiddleware<Authed>(async (c, next) => {
  if (!hasAnalyticsAccess(c.var.actor)) throw refusal(c.var.actor);
  await next();
});

export const requireAnalyticsApi = [requireApiSession, analyticsOnly] as const;

export const requireAnalyticsPage = [
  requirePageSession,
  createMiddleware<Authed>(async (c, next) => {
    // An invited user landing on any analytics page is shown where to accept.
    if (c.var.actor.analyticsAccess === "I" && c.req.method === "GET") return c.redirect("/analytics/accept", 303);
    await next();
  }),
  analyticsOnly,
] as const;
