// F-09 CSRF defence, in layers:
//  1. any state-changing request with a foreign Origin (or Sec-Fetch-Site:
//     cross-site) is refused;
//  2. the JSON API only accepts application/json, which a cross-site page
//     cannot send without a CORS preflight that this portal never grants;
//  3. pages need a synchronizer token: the session's, or before sign-in a
//     random cookie value echoed in the form (double submit).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { CSRF_COOKIE, readCookie, SESSION_COOKIE, writeCookie } from "../lib/cookies";
import { timingSafeEqual } from "../lib/crypto";
import { AppError } from "../lib/errors";
import { newSecret } from "../lib/ids";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "x-csrf-token";

const isApi = (path: string) => path.startsWith("/api/");
/**
 * F-45: collection is called by tracked sites on other origins, carries no
 * credentials and changes nothing but counters, so the Origin rule does not apply.
 */
export const CROSS_ORIGIN_PATHS = new Set(["/api/v1/collect"]);

export const csrfMiddleware = createMiddleware<AppEnv>(async (c, next) => {
  const api = isApi(c.req.path);
  let token = c.var.session?.csrf ?? readCookie(c, CSRF_COOKIE);
  if (!token && !api) {
    token = newSecret();
    writeCookie(c, CSRF_COOKIE, token);
  }
  c.set("csrfToken", token ?? "");
  if (SAFE.has(c.req.method) || CROSS_ORIGIN_PATHS.has(c.req.path)) return next();

  const origin = c.req.header("origin");
  // A form on a page served with Referrer-Policy: no-referrer (/activate, /reset-password) is posted
  // with `Origin: null` by the browser itself; Sec-Fetch-Site still says whether it came from here.
  const sameOriginNull = origin === "null" && c.req.header("sec-fetch-site") === "same-origin";
  if ((origin && origin !== c.var.deps.config.origin && !sameOriginNull) || c.req.header("sec-fetch-site") === "cross-site") {
    throw new AppError("FORBIDDEN", "Cross-origin requests are not allowed.");
  }
  if (api) {
    // Bearer clients are not a CSRF target: a browser never attaches that header on its own.
    const contentType = c.req.header("content-type") ?? "";
    if (!c.req.header("authorization") && !/^application\/json\b/i.test(contentType)) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send JSON with Content-Type: application/json.");
    }
    return next();
  }
  const sent = c.req.header(CSRF_HEADER) ?? (await formField(c));
  if (!token || !sent || !timingSafeEqual(sent, token)) {
    // A form from a session that has since ended: say so (401, htmx is sent to the login page) rather than a bare 403.
    if (readCookie(c, SESSION_COOKIE) && !c.var.session) throw new AppError("UNAUTHENTICATED", "Your session has ended. Sign in again.");
    throw new AppError("FORBIDDEN", "This form has expired. Reload the page and try again.");
  }
  return next();
});

/** The token from a urlencoded or multipart body; Hono caches the parsed body for the route. */
async function formField(c: Context<AppEnv>): Promise<string | undefined> {
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(c.req.header("content-type") ?? "")) return undefined;
  const value = await c.req.parseBody().then((body) => body[CSRF_FIELD], () => undefined);
  return typeof value === "string" ? value : undefined;
}
