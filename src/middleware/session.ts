// Resolves the session cookie to an actor on every request (F-07). A cookie
// that no longer maps to a live session is cleared.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { clearCookie, readCookie, SESSION_COOKIE } from "../lib/cookies";
import { heldSession, loadSession } from "../services/sessions";
import { actOnHold, mayActOnHold } from "./hold";

/**
 * The routes that verify the account's own password or authenticator code.
 * Their session read brings the stored credentials along (the same row, so no
 * round trip of its own); no other request loads them.
 */
export const VERIFIES_OWN_CREDENTIALS: ReadonlySet<string> = new Set([
  "POST /api/v1/me/password",
  "POST /account/password",
  "POST /api/v1/me/recovery-codes",
  "POST /account/recovery-codes",
]);

export const sessionMiddleware = createMiddleware<AppEnv>(async (c, next) => {
  const secret = readCookie(c, SESSION_COOKIE);
  // A GET or HEAD only reads, so it may act on the session this isolate holds
  // while D1 confirms it in the handler's first batch.
  if (secret && mayActOnHold(c)) {
    const held = await heldSession(c.var.deps, secret);
    if (held) {
      return actOnHold(c, next, held.check, () => {
        c.set("actor", held.actor);
        c.set("session", held.session);
      });
    }
  }
  if (secret) {
    const loaded = await loadSession(c.var.deps, secret, { credentials: VERIFIES_OWN_CREDENTIALS.has(`${c.req.method} ${c.req.path}`) });
    if (loaded) {
      c.set("actor", loaded.actor);
      c.set("session", loaded.session);
      if (loaded.credentials) c.set("credentials", loaded.credentials);
    } else {
      clearCookie(c, SESSION_COOKIE);
    }
  }
  await next();
});
