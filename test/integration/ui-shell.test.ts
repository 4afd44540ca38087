// The page shell (issue 8, points 3 and 4): a viewport for phones, assets
// under content-hashed URLs cached for a year, streamed HTML, a navigation
// that links only what the account may open, and flash messages after a
// change made by a plain form post.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FLASH_COOKIE } from "../../src/routes/pages/flash";
import { ASSET_URLS } from "../../views/asset-urls";
import { makeAnalyticsUser } from "../helpers/analytics";
import { makeOperator, makeOrg, makeUser, ORIGIN, signIn } from "../helpers/fixtures";
import { csrfFrom, formPost, page } from "../helpers/portal";
import { elements, pageHtml } from "../helpers/ui";
import headersFile from "../../public/_headers?raw";
import favicon from "../../public/favicon.svg?raw";
import appJs from "../../public/js/app.js?raw";
import htmxJs from "../../public/vendor/htmx.min.js?raw";

/**
 * Every main section a navigation could link to; what an account may open
 * answers 200. (/analytics/accept opens for anyone and is linked only while
 * an Analytics invitation waits; checked on its own.)
 */
const SECTIONS = [
  "/",
  "/orgs",
  "/users",
  "/invitations",
  "/companies",
  "/analytics",
  "/partners",
  "/partner-dashboard",
  "/requests",
  "/access-review",
  "/access-review/status",
  "/audit",
  "/jobs",
  "/account",
];

/** The sections the header links: the main navigation, and the account under the signed-in person's name. */
const navLinks = async (html: string) => (await elements(html, "header nav[aria-label=Main] a, header .who a")).map((a) => a.attrs.href!);

describe("every page's head", () => {
  it("has a viewport for narrow screens, and links CSS, htmx and app.js under content-hashed /build/ URLs with the nonce", async () => {
    const user = await makeUser({ orgId: (await makeOrg()).id });
    const res = await page("/account", await signIn(user));
    expect(res.status).toBe(200);
    const html = await res.text();
    const [viewport] = await elements(html, "meta[name=viewport]");
    expect(viewport?.attrs.content).toBe("width=device-width, initial-scale=1");

    const [css] = await elements(html, "link[rel=stylesheet]");
    expect(css?.attrs.href).toMatch(/^\/build\/app\.[0-9a-f]{12}\.css$/);
    const scripts = await elements(html, "script");
    expect(scripts.map((s) => s.attrs.src)).toEqual([ASSET_URLS["htmx.min.js"], ASSET_URLS["app.js"]]);
    for (const s of scripts) {
      expect(s.attrs.src).toMatch(/^\/build\/[\w.]+\.[0-9a-f]{12}\.js$/);
      expect(s.attrs.nonce).toBeTruthy();
    }
    expect(Object.values(ASSET_URLS)).toContain(css!.attrs.href);
  });

  it("is streamed, and stays compressible (no Content-Encoding: identity)", async () => {
    const res = await SELF.fetch(`${ORIGIN}/login`, { headers: { cookie: await signIn(await makeUser()) }, redirect: "manual" });
    // A signed-in account is sent on from /login; an anonymous one gets the page.
    const anon = await SELF.fetch(`${ORIGIN}/forgot-password`);
    expect(res.status).toBe(303);
    expect(anon.status).toBe(200);
    expect(anon.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(anon.headers.get("content-encoding")).toBeNull();
    expect(anon.headers.get("content-length")).toBeNull();
    expect(await anon.text()).toMatch(/^<!DOCTYPE html><html lang="en">[\s\S]*<\/html>$/);
  });
});

/**
 * Sources scripts/copy-assets.mjs hashes, read as the build read them. (Not
 * app.css: vitest hands CSS imports over empty, even ?raw; it goes through the
 * same code path as these.)
 */
const SOURCES = { "app.js": appJs, "htmx.min.js": htmxJs, "favicon.svg": favicon } as const;

async function contentHash(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 12);
}

describe("static assets", () => {
  it.each(Object.keys(SOURCES) as (keyof typeof SOURCES)[])("%s is linked under the hash of its current content, in /build/", async (name) => {
    const hash = await contentHash(SOURCES[name]);
    expect(ASSET_URLS[name]).toBe(`/build/${name.replace(/(\.[^.]+)$/, `.${hash}$1`)}`);
  });

  it("public/_headers gives everything under /build/ Cache-Control: public, max-age=31536000, immutable, and nothing else", () => {
    const rules = headersFile
      .split("\n")
      .filter((line) => line.trim() && !line.trim().startsWith("#"))
      .map((line) => line.trimEnd());
    expect(rules).toEqual(["/build/*", "  Cache-Control: public, max-age=31536000, immutable"]);
  });
});

describe("navigation", () => {
  const cases: [string, () => Promise<{ id: string; cookie: string }>][] = [
    ["an operator", async () => signed(makeOperator())],
    ["a Partner Manager", async () => signed(makeUser({ orgId: (await makeOrg({ kind: "partner" })).id, role: "partner_manager" }))],
    ["a Regular user of a partner", async () => signed(makeUser({ orgId: (await makeOrg({ kind: "partner" })).id, role: "regular" }))],
    ["a Read-only user invited to Analytics", async () => signed(makeUser({ orgId: (await makeOrg({ kind: "partner" })).id, role: "read_only", analyticsAccess: "I" }))],
    ["a customer's user with Analytics access", async () => signed(makeAnalyticsUser({ orgId: (await makeOrg({ kind: "customer", channelPartner: false })).id, role: "regular" }))],
  ];

  it.each(cases)("links for %s exactly the sections that open (200) for that account", async (_who, make) => {
    const { cookie } = await make();
    const links = (await navLinks(await pageHtml("/account", cookie))).filter((href) => href !== "/analytics/accept");
    expect(links.length).toBeGreaterThan(2);
    const opens: string[] = [];
    for (const path of SECTIONS) if ((await page(path, cookie)).status === 200) opens.push(path);
    expect([...links].sort()).toEqual([...opens].sort());
  });

  it("links Analytics to the acceptance page while an invitation waits (AA = I), and not at all without access (AA = N)", async () => {
    const orgId = (await makeOrg({ kind: "partner" })).id;
    const invited = await signed(makeUser({ orgId, analyticsAccess: "I" }));
    const none = await signed(makeUser({ orgId, analyticsAccess: "N" }));
    expect(await navLinks(await pageHtml("/", invited.cookie))).toContain("/analytics/accept");
    expect((await page("/analytics/accept", invited.cookie)).status).toBe(200);
    expect((await navLinks(await pageHtml("/", none.cookie))).filter((href) => href.startsWith("/analytics"))).toEqual([]);
  });

  it("marks the current section with aria-current=page, and folds into a <details> menu that opens without JavaScript", async () => {
    const { cookie } = await signed(makeUser({ orgId: (await makeOrg({ kind: "partner" })).id, role: "partner_manager" }));
    const html = await pageHtml("/users?q=someone", cookie);
    const current = await elements(html, "nav[aria-label=Main] a[aria-current=page]");
    expect(current.map((a) => a.attrs.href)).toEqual(["/users"]);
    expect(await elements(html, "header details.menu > summary")).toHaveLength(1);
    expect(await elements(html, "header details.menu nav[aria-label=Main]")).toHaveLength(1);
  });

  it("links the account by the person's name and role, outside the sections, marked current on /account", async () => {
    const user = await makeUser({ orgId: (await makeOrg({ kind: "partner" })).id, role: "partner_manager", name: "Pat Manager" });
    const { cookie } = await signed(Promise.resolve(user));
    const sections = async (path: string) => (await elements(await pageHtml(path, cookie), "nav[aria-label=Main] a")).map((a) => a.attrs.href);
    expect(await sections("/")).not.toContain("/account");
    const [onHome] = await elements(await pageHtml("/", cookie), "header .who a[href='/account']");
    expect(onHome?.text).toMatch(/^Pat Manager\s+Partner Manager$/);
    expect(onHome?.attrs.title).toBe(`Your account: ${user.email}`);
    expect(onHome?.attrs["aria-current"]).toBeUndefined();
    const [onAccount] = await elements(await pageHtml("/account", cookie), "header .who a[href='/account']");
    expect(onAccount?.attrs["aria-current"]).toBe("page");
  });

  it("is not shown before sign-in", async () => {
    await makeUser();
    const html = await (await SELF.fetch(`${ORIGIN}/login`)).text();
    expect(await elements(html, "nav[aria-label=Main]")).toHaveLength(0);
  });
});

describe("flash messages", () => {
  async function operatorAndOrg() {
    const org = await makeOrg({ name: "Flash Partner" });
    const { cookie } = await signed(makeOperator());
    return { org, cookie, token: await csrfFrom(`/orgs/${org.id}`, cookie) };
  }

  const flashCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith(`${FLASH_COOKIE}=`));

  it("a plain form post that changes something redirects (303) with a short-lived HttpOnly, Secure, SameSite=Lax cookie", async () => {
    const { org, cookie, token } = await operatorAndOrg();
    const res = await formPost(`/orgs/${org.id}`, { name: "Flash Partner Renamed", channelPartner: "on" }, { cookie, token });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/orgs/${org.id}`);
    const set = flashCookie(res);
    expect(set).toBeDefined();
    expect(set).toMatch(/; Max-Age=60\b/);
    expect(set).toMatch(/; Path=\//);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; Secure/);
    expect(set).toMatch(/; SameSite=Lax/);
  });

  it("the page after the redirect shows the message in the flash area once, then clears it", async () => {
    const { org, cookie, token } = await operatorAndOrg();
    const posted = await formPost(`/orgs/${org.id}/terminate`, {}, { cookie, token });
    const flash = flashCookie(posted)!.split(";")[0]!;

    const next = await page(`/orgs/${org.id}`, `${cookie}; ${flash}`);
    expect(next.status).toBe(200);
    const [area] = await elements(await next.text(), "#flash");
    expect(area?.text).toBe("Organization terminated: its users can no longer sign in.");
    expect(await elements(await pageHtml(`/orgs/${org.id}`, `${cookie}; ${flash}`), "#flash [role=status]")).toHaveLength(1);
    expect(flashCookie(next)).toMatch(/^__Host-flash=; Max-Age=0/);
  });

  it("an htmx request or a redirect in between leaves the message for the next full page", async () => {
    const { org, cookie, token } = await operatorAndOrg();
    const flash = flashCookie(await formPost(`/orgs/${org.id}/terminate`, {}, { cookie, token }))!.split(";")[0]!;
    const fragment = await SELF.fetch(`${ORIGIN}/orgs/${org.id}`, { headers: { cookie: `${cookie}; ${flash}`, "hx-request": "true" } });
    expect(flashCookie(fragment)).toBeUndefined();
    const redirected = await page("/users", `${cookie}; ${flash}`); // an operator is sent on to /orgs
    expect(redirected.status).toBe(303);
    expect(flashCookie(redirected)).toBeUndefined();
  });

  it("without a flash cookie the flash area is empty, and the live region for htmx outcomes is there from the start", async () => {
    const { org, cookie } = await operatorAndOrg();
    const html = await pageHtml(`/orgs/${org.id}?flash=Your+account+is+locked`, cookie);
    const [area] = await elements(html, "#flash");
    expect(area?.text).toBe("");
    const [live] = await elements(html, "#announce");
    expect(live?.attrs["aria-live"]).toBe("polite");
  });

  it("no page says what a link's query asks it to: ?notice= shows nothing, on the sign-in page or behind it", async () => {
    const { cookie } = await operatorAndOrg();
    for (const [path, who] of [["/login?notice=signed_out", ""], ["/orgs?notice=created&created=1", cookie], ["/jobs?notice=resent", cookie]] as const) {
      const html = await pageHtml(path, who);
      expect((await elements(html, "#flash"))[0]?.text, path).toBe("");
      expect(await elements(html, "main .notice.success"), path).toHaveLength(0);
    }
  });

  it("signing out one session without JavaScript says so on the account page", async () => {
    const user = await makeUser({ orgId: (await makeOrg()).id });
    const cookie = await signIn(user);
    await signIn(user); // a second session, which this browser may sign out
    const token = await csrfFrom("/account", cookie);
    const html = await pageHtml("/account", cookie);
    const revoke = (await elements(html, "form[action^='/account/sessions/'][action$='/revoke']")).map((f) => f.attrs.action!);
    expect(revoke.length).toBeGreaterThan(0);
    const res = await formPost(revoke[0]!, {}, { cookie, token });
    expect(res.status).toBe(303);
    const flash = flashCookie(res)!.split(";")[0]!;
    const [area] = await elements(await pageHtml("/account", `${cookie}; ${flash}`), "#flash");
    expect(area?.text).toBe("Session signed out.");
  });
});

async function signed(user: ReturnType<typeof makeUser>) {
  const u = await user;
  return { id: u.id, cookie: await signIn(u) };
}
