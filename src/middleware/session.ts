// Resolves the session cookie to an actor on every request (F-07). A cookie
// that no longer maps to a live session is cleared.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { clearCookie, readCookie, SESSION_COOKIE } from "../lib/cookies";
import { loadSession } from "../services/sessions";

export const sessionMiddleware = createMiddleware<AppEnv>(async (c, next) => {
  const secret = readCookie(c, SESSION_COOKIE);
  if (secret) {
    const loaded = await loadSession(c.var.deps, secret);
    if (loaded) {
      c.set("actor", loaded.actor);
      c.set("session", loaded.session);
    } else {
      clearCookie(c, SESSION_COOKIE);
    }
  }
  await next();
});
