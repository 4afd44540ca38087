// F-09 response headers: a nonce-based CSP with no inline script, no framing,
// HSTS, nosniff, and no caching of anything the Worker renders.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env";

const POLICY: [directive: string, sources: string][] = [
  ["default-src", "'self'"],
  ["script-src", "'self'"],
  ["style-src", "'self'"],
  ["img-src", "'self' data:"],
  ["connect-src", "'self'"],
  ["form-action", "'self'"],
  ["object-src", "'none'"],
  ["base-uri", "'none'"],
  ["frame-ancestors", "'none'"],
];

const policyWith = (scriptNonce?: string) =>
  POLICY.map(([directive, sources]) => `${directive} ${directive === "script-src" && scriptNonce ? `${sources} 'nonce-${scriptNonce}'` : sources}`).join("; ");
const POLICY_WITHOUT_NONCE = policyWith();

/**
 * The nonce of this response's <script> tags, made on first use, so only a
 * full page has one. Hono's NONCE made a nonce and rebuilt the whole policy
 * through its callbacks before every route, JSON answers, fragments and
 * redirects included; here the policy text is built once per isolate.
 */
export function cspNonce(c: Context<AppEnv>): string {
  let nonce = c.get("cspNonce");
  if (!nonce) {
    nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    c.set("cspNonce", nonce);
  }
  return nonce;
}

/** The CSP, set after the route, with the nonce when the response used one; a CSP a route set itself stays. */
const contentSecurityPolicy = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.headers.has("Content-Security-Policy")) return;
  const nonce = c.get("cspNonce");
  c.res.headers.set("Content-Security-Policy", nonce ? policyWith(nonce) : POLICY_WITHOUT_NONCE);
});

const staticHeaders = secureHeaders({
  strictTransportSecurity: "max-age=63072000; includeSubDomains",
  xContentTypeOptions: "nosniff",
  xFrameOptions: "DENY",
  referrerPolicy: "same-origin",
  crossOriginOpenerPolicy: "same-origin",
  crossOriginResourcePolicy: "same-origin",
  permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
  // Runs after the route: keep a stricter header a route set itself (noReferrer below).
  overwrite: false,
});

export const securityHeaders = [staticHeaders, contentSecurityPolicy] as const;

export const noStore = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
});

/** Pages whose URL carries a secret token must not leak it through Referer (F-09). */
export const noReferrer = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.res.headers.set("Referrer-Policy", "no-referrer");
  c.res.headers.set("Cache-Control", "no-store");
});
