// Cookie names and flags (F-07). The __Host- prefix makes browsers refuse the
// cookie unless it is Secure, host-only and Path=/.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

export const SESSION_COOKIE = "__Host-session";
/** Pre-sign-in CSRF token for the forms shown before any session exists (double submit). */
export const CSRF_COOKIE = "__Host-csrf";
/** The password step's challenge id while the browser is on the TOTP page. */
export const CHALLENGE_COOKIE = "__Host-challenge";

const flags = { path: "/", secure: true, httpOnly: true, sameSite: "Lax" } as const;

export const readCookie = (c: Context, name: string) => getCookie(c, name);

/** Without maxAge the cookie lasts for the browser session; the server-side record decides validity anyway. */
export function writeCookie(c: Context, name: string, value: string, maxAgeSeconds?: number) {
  setCookie(c, name, value, maxAgeSeconds ? { ...flags, maxAge: maxAgeSeconds } : flags);
}

export const clearCookie = (c: Context, name: string) => deleteCookie(c, name, flags);
