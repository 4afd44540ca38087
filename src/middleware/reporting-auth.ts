// /api/v1/reports/*: a personal API token (Bearer, F-52) or the browser's
// session (F-25). No other route reads the Authorization header, so a token
// works here and nowhere else.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import type { Actor } from "../domain/actor";
import { hasAnalyticsAccess } from "../domain/analytics";
import { AppError } from "../lib/errors";
import { authenticateApiToken, heldApiToken, tokenKeyOf } from "../services/api-token-auth";
import { actOnHold, mayActOnHold } from "./hold";
import { NO_ANALYTICS_ACCESS } from "./require-analytics";

export type ReportingVia = "token" | "session";
export type ReportingEnv = AppEnv & { Variables: { actor: Actor; reportingVia: ReportingVia } };

export const reportingAuth = createMiddleware<ReportingEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const key = token ? await tokenKeyOf(token) : null;
    // Like a session: a GET may act on the token this isolate accepted within the minute while D1 checks it again.
    const held = key !== null && !c.var.actor && mayActOnHold(c) ? await heldApiToken(c.var.deps, key) : null;
    if (held) {
      return actOnHold(c, next, held.check, () => {
        c.set("actor", held.actor);
        c.set("reportingVia", "token");
      });
    }
    const auth = key === null ? null : await authenticateApiToken(c.var.deps, key);
    if (!auth) {
      c.header("WWW-Authenticate", 'Bearer realm="reports", error="invalid_token"');
      throw new AppError("UNAUTHENTICATED", "The API token is not valid, has expired or was revoked, or its account may no longer use the Reporting API.");
    }
    c.set("actor", auth.actor);
    c.set("reportingVia", "token");
    return next();
  }
  const actor = c.var.actor;
  if (!actor) throw new AppError("UNAUTHENTICATED", "Send a personal API token as Authorization: Bearer <token>, or sign in.");
  if (!hasAnalyticsAccess(actor)) throw new AppError("FORBIDDEN", NO_ANALYTICS_ACCESS);
  c.set("reportingVia", "session");
  return next();
});
