// Deny by default: routes behind these guards need a completed sign-in (2FA done).
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import type { Actor } from "../domain/actor";
import { AppError } from "../lib/errors";

export const requireApiSession = createMiddleware<AppEnv & { Variables: { actor: Actor } }>(async (c, next) => {
  if (!c.var.actor) throw new AppError("UNAUTHENTICATED", "Sign in first.");
  await next();
});

export const requirePageSession = createMiddleware<AppEnv & { Variables: { actor: Actor } }>(async (c, next) => {
  if (c.var.actor) return next();
  const here = new URL(c.req.url);
  const login = `/login?next=${encodeURIComponent(here.pathname + here.search)}`;
  // htmx and form posts get a 401 (onError adds HX-Redirect for htmx); only a GET is redirected.
  if (c.req.method !== "GET" || c.req.header("hx-request")) throw new AppError("UNAUTHENTICATED", "Your session has ended. Sign in again.");
  return c.redirect(login, 303);
});
