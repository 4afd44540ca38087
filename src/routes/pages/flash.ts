// Flash messages (issue 8): after a change made by a plain form post, the page
// the browser is redirected to (post/redirect/get) says what happened:
// "Saved.", "Invitation sent to …". The text travels in a short-lived cookie
// set on the 303 and is shown, then cleared, by the next full page the layout
// renders. It never comes from the URL, so nobody can link to a portal page
// that displays a message of their own making.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env";
import { clearCookie, readCookie, writeCookie } from "../../lib/cookies";

/** HttpOnly, Secure, SameSite=Lax, Path=/ (src/lib/cookies.ts); the __Host- prefix keeps other hosts from setting it. */
export const FLASH_COOKIE = "__Host-flash";
/** Long enough to survive the redirect, short enough that a message never shows up on a later visit. */
const FLASH_MAX_AGE_SECONDS = 60;
const FLASH_MAX_CHARS = 300;

/** Said after every way of signing out (the sign-out button, "sign out everywhere"). */
export const SIGNED_OUT = "You are signed out.";

/** Redirect (303) to `location`, whose page then shows `message`. */
export function seeOther(c: Context, location: string, message: string): Response {
  writeCookie(c, FLASH_COOKIE, message.slice(0, FLASH_MAX_CHARS), FLASH_MAX_AGE_SECONDS);
  return c.redirect(location, 303);
}

/**
 * Reads the flash a previous redirect set into c.var.flash for the layout, and
 * clears it once a full HTML page has been answered. htmx fragments and other
 * redirects leave it for the page that follows.
 */
export const flashMessages = createMiddleware<AppEnv>(async (c, next) => {
  const message = readCookie(c, FLASH_COOKIE);
  if (!message) return next();
  c.set("flash", message.slice(0, FLASH_MAX_CHARS));
  await next();
  const isFullPage = !c.req.header("hx-request") && (c.res.headers.get("content-type") ?? "").startsWith("text/html") && !(c.res.status >= 300 && c.res.status < 400);
  if (isFullPage) clearCookie(c, FLASH_COOKIE);
});
