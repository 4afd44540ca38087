// Page-side helpers of the audit coverage walk: load the page a form lives on
// as a browser does (asserting the form is really there, taking its CSRF
// token the way the form or htmx sends it) and keep the cookies a signed-out
// browser collects. The audit assertions are the shared ones in audit-scenarios.ts.
import { expect } from "vitest";
import { page } from "./portal";

/** How the page sends the post: a plain form (the `_csrf` field) or htmx (the `X-CSRF-Token` header from `hx-headers`). */
export type Via = "form" | "htmx";

/** A cookie header with the `name=value` pairs of a response's Set-Cookie lines added (or replaced). */
export function withCookies(cookie: string, res: Response): string {
  const jar = new Map(
    cookie
      .split(/;\s*/)
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair] as const),
  );
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const name = pair!.slice(0, pair!.indexOf("="));
    if (pair!.length > name.length + 1) jar.set(name, pair!);
    else jar.delete(name);
  }
  return [...jar.values()].join("; ");
}

const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/**
 * The page (GET `pagePath`, or an answer already in hand) must hold the form
 * or htmx button that posts to `action`; returns the CSRF token that form
 * sends, and the cookies the browser holds after loading it (a signed-out
 * browser gets its pre-login CSRF cookie here).
 */
export async function formOnPage(source: string | Response, cookie: string, action: string, via: Via) {
  const res = typeof source === "string" ? await page(source, cookie) : source;
  const html = await res.text();
  expect(res.status, `${typeof source === "string" ? source : "the page"}: ${html.slice(0, 300)}`).toBe(200);
  const marker = via === "htmx" ? `hx-post="${action}"` : `action="${action}"`;
  expect(html, `the page offers ${marker}`).toContain(marker);
  let token: string | undefined;
  if (via === "htmx") {
    const headers = html.match(/hx-headers="([^"]*)"/)?.[1];
    token = headers ? (JSON.parse(unescapeHtml(headers)) as Record<string, string>)["X-CSRF-Token"] : undefined;
  } else {
    token = html.match(/name="_csrf" value="([^"]+)"/)?.[1];
  }
  expect(token, `a CSRF token for ${via} posts on the page`).toBeTruthy();
  return { token: token!, cookie: withCookies(cookie, res) };
}

/** A route pattern as Hono registered it ("POST /users/:id/role") as a RegExp over concrete paths. */
export function routeMatcher(route: string): RegExp {
  const pattern = route.slice(route.indexOf(" ") + 1);
  return new RegExp(`^${pattern.replace(/:[A-Za-z]+/g, "[^/?#]+")}(?:[?#].*)?$`);
}
