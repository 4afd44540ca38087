// Resolves the session cookie to an actor on every request (F-07). A cookie
// that no longer maps to a live session is cleared.
import { createMiddleware } from "hono/factory";
import { checkWithFirstRead } from "../db/held-check";
import type { AppEnv } from "../env";
import { clearCookie, readCookie, SESSION_COOKIE } from "../lib/cookies";
import { heldSession, loadSession } from "../services/sessions";

/** Requests whose held session D1 did not confirm: the app answers them again, reading the session first. */
const readSessionFirst = new WeakSet<Request>();

/** Whether this request's answer must be thrown away and the request answered again (see createApp). */
export const mustAnswerAgain = (request: Request) => readSessionFirst.has(request);

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
  if (secret && (c.req.method === "GET" || c.req.method === "HEAD") && !readSessionFirst.has(c.req.raw)) {
    const held = await heldSession(c.var.deps, secret);
    if (held) {
      const hold = checkWithFirstRead(c.env.DB, held.check);
      c.set("deps", { ...c.var.deps, db: hold.db });
      c.set("actor", held.actor);
      c.set("session", held.session);
      await next();
      if (!(await hold.confirmed())) readSessionFirst.add(c.req.raw);
      return;
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
