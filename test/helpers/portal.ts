// Helpers for the partner-portal tests (users, invitations, requests): page
// forms posted as a browser does, error assertions, D1 snapshots.
import { SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { users } from "../../src/db/schema";
import { FLASH_COOKIE } from "../../src/routes/pages/flash";
import { cookieFrom, db, makeOrg, makeUser, ORIGIN, signIn, type TestUser } from "./fixtures";

export async function userRow(id: string) {
  const [row] = await db().select().from(users).where(eq(users.id, id));
  return row!;
}

/** A partner organization with a signed-in Partner Manager. */
export async function partnerOrg(options: { channelPartner?: boolean } = {}) {
  const org = await makeOrg({ channelPartner: options.channelPartner ?? true });
  const manager = await makeUser({ orgId: org.id, role: "partner_manager" });
  return { org, manager, cookie: await signIn(manager) };
}

/** A signed-in user of the given role in `orgId`. */
export async function signedIn(orgId: string, role: TestUser["role"], overrides: Parameters<typeof makeUser>[0] = {}) {
  const user = await makeUser({ orgId, role, ...overrides });
  return { user, cookie: await signIn(user) };
}

/** GET a page with the session cookie. */
export function page(path: string, cookie: string) {
  return SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: "manual" });
}

/** The message a redirect left for the page after it (src/routes/pages/flash.ts), or undefined. */
export function flashOf(res: Response): string | undefined {
  const pair = cookieFrom(res, FLASH_COOKIE);
  return pair === undefined ? undefined : decodeURIComponent(pair.slice(FLASH_COOKIE.length + 1));
}

/** The page a redirect leads to, asked for as a browser would: with the session and the flash cookie the redirect set. */
export function followRedirect(res: Response, cookie = "") {
  const location = res.headers.get("location");
  expect(location, "a redirect's Location").toBeTruthy();
  return page(location!, [cookie, cookieFrom(res, FLASH_COOKIE)].filter(Boolean).join("; "));
}

/** The CSRF token the page embeds in its forms (bound to the session). */
export async function csrfFrom(path: string, cookie: string) {
  const res = await page(path, cookie);
  expect(res.status).toBe(200);
  const token = (await res.text()).match(/name="_csrf" value="([^"]+)"/)?.[1];
  expect(token, `a _csrf field on ${path}`).toBeDefined();
  return token!;
}

export interface FormPostOptions {
  cookie: string;
  token: string;
  htmx?: boolean;
  files?: Record<string, File>;
}

/**
 * A form post as the browser sends it: urlencoded (or multipart with files),
 * same-origin, with the page's CSRF token; `htmx` adds the headers htmx sends.
 */
export function formRequest(fields: Record<string, string>, options: FormPostOptions) {
  const headers: Record<string, string> = { cookie: options.cookie, origin: ORIGIN };
  if (options.htmx) {
    headers["hx-request"] = "true";
    headers["x-csrf-token"] = options.token;
  }
  let body: BodyInit;
  if (options.files) {
    const form = new FormData();
    form.append("_csrf", options.token);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const [k, f] of Object.entries(options.files)) form.append(k, f);
    body = form;
  } else {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.htmx ? fields : { _csrf: options.token, ...fields }).toString();
  }
  return { method: "POST", headers, body, redirect: "manual" } satisfies RequestInit;
}

export function formPost(path: string, fields: Record<string, string>, options: FormPostOptions) {
  return SELF.fetch(`${ORIGIN}${path}`, formRequest(fields, options));
}
