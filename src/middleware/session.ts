// Resolves the session cookie to an actor on every request (F-07). A cookie
// that no longer maps to a live session is cleared.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { clearCookie, readCookie, SESSION_COOKIE } from "../lib/cookies";
import { heldSession, loadSessionByKey, sessionKeyOf } from "../services/sessions";
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
  if (!secret) return next();
  const key = await sessionKeyOf(secret);
  // A GET or HEAD only reads, so it may act on the session this isolate holds
  // while D1 confirms it in the handler's first batch.
  const held = key !== null && mayActOnHold(c) ? await heldSession(c.var.deps, key) : null;
  if (held) {
    return actOnHold(c, next, held.check, () => {
      c.set("actor", held.actor);
      c.set("session", held.session);
    });
  }
  const loaded = key === null ? null : await loadSessionByKey(c.var.deps, key, { credentials: VERIFIES_OWN_CREDENTIALS.has(`${c.req.method} ${c.req.path}`) });
  if (loaded) {
    c.set("actor", loaded.actor);
    c.set("session", loaded.session);
    if (loaded.credentials) c.set("credentials", loaded.credentials);
  } else {
    clearCookie(c, SESSION_COOKIE);
  }
  await next();
});
