// Workspace fixtures: one organization with an owner and one signed-in user
// per level to hand out (levels are granted per test on that test's own site
// or meta site), users who cannot hold a level, and another organization
// with its own owner and data for isolation checks. Signed in once per file.
import { SELF } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { expect } from "vitest";
import { analyticsMetaSitePermissions, analyticsModulePermissions, analyticsSitePermissions, analyticsTags } from "../../src/db/schema";
import type { MetaSiteLevel, SiteLevel } from "../../src/domain/analytics";
import { newId } from "../../src/lib/ids";
import { grantMetaSite, grantSite, makeAnalyticsUser, makeMetaSite, makeSite } from "./analytics";
import { api, db, makeOrg, makeUser, ORIGIN, signIn, type TestUser } from "./fixtures";
import { flashOf } from "./portal";

export interface Member {
  user: TestUser;
  cookie: string;
}

const member = async (user: Promise<TestUser>): Promise<Member> => {
  const u = await user;
  return { user: u, cookie: await signIn(u) };
};

export async function makeWorkspace() {
  const org = await makeOrg();
  const foreignOrg = await makeOrg();
  const [owner, manage, editPublish, edit, view, none, foreignOwner] = await Promise.all([
    member(makeAnalyticsUser({ orgId: org.id, analyticsOwner: true, name: "Olga Owner" })),
    member(makeAnalyticsUser({ orgId: org.id, name: "Max Manage" })),
    member(makeAnalyticsUser({ orgId: org.id, name: "Pia Publish" })),
    member(makeAnalyticsUser({ orgId: org.id, name: "Eddie Edit" })),
    member(makeAnalyticsUser({ orgId: org.id, name: "Vera View" })),
    member(makeAnalyticsUser({ orgId: org.id, name: "Nora None" })),
    member(makeAnalyticsUser({ orgId: foreignOrg.id, analyticsOwner: true, name: "Fritz Foreign" })),
  ]);
  const [secondOwner, invited, noAccess, foreignUser] = await Promise.all([
    makeAnalyticsUser({ orgId: org.id, analyticsOwner: true, name: "Otto Owner" }),
    makeUser({ orgId: org.id, analyticsAccess: "I", name: "Ines Invited" }),
    makeUser({ orgId: org.id, analyticsAccess: "N", name: "Nick Noaccess" }),
    makeAnalyticsUser({ orgId: foreignOrg.id, name: "Frida Foreign" }),
  ]);
  return { orgId: org.id, foreignOrgId: foreignOrg.id, owner, manage, editPublish, edit, view, none, foreignOwner, secondOwner, invited, noAccess, foreignUser };
}
export type Workspace = Awaited<ReturnType<typeof makeWorkspace>>;

/** One workspace per test file, made on first use; tests work on their own sites. */
export function sharedWorkspace() {
  let ws: Promise<Workspace> | undefined;
  return () => (ws ??= makeWorkspace());
}

/** A fresh site of the workspace with manage / edit_publish / edit / view granted to the matching users. */
export async function siteWithLevels(w: Workspace, overrides: Parameters<typeof makeSite>[1] = {}) {
  const site = await makeSite(w.orgId, overrides);
  await Promise.all([
    grantSite(site.id, w.manage.user.id, "manage"),
    grantSite(site.id, w.editPublish.user.id, "edit_publish"),
    grantSite(site.id, w.edit.user.id, "edit"),
    grantSite(site.id, w.view.user.id, "view"),
  ]);
  return site;
}

/** A fresh meta site over `siteIds` with manage / edit / view granted (edit_publish does not exist on meta sites). */
export async function metaSiteWithLevels(w: Workspace, siteIds: string[], overrides: Parameters<typeof makeMetaSite>[2] = {}) {
  const meta = await makeMetaSite(w.orgId, siteIds, overrides);
  await Promise.all([grantMetaSite(meta.id, w.manage.user.id, "manage"), grantMetaSite(meta.id, w.edit.user.id, "edit"), grantMetaSite(meta.id, w.view.user.id, "view")]);
  return meta;
}

export async function makeTag(siteId: string, overrides: Partial<typeof analyticsTags.$inferInsert> = {}) {
  const now = Date.now();
  const tag = { id: newId(), siteId, name: `Tag ${newId().slice(0, 4)}`, code: "console.log(1)", status: "draft" as const, createdAt: now, updatedAt: now, ...overrides };
  await db().insert(analyticsTags).values(tag);
  return tag;
}

export async function siteLevelOf(siteId: string, userId: string): Promise<SiteLevel> {
  const [row] = await db().select().from(analyticsSitePermissions).where(and(eq(analyticsSitePermissions.siteId, siteId), eq(analyticsSitePermissions.userId, userId)));
  return row?.level ?? "none";
}

export async function metaSiteLevelOf(metaSiteId: string, userId: string): Promise<MetaSiteLevel> {
  const [row] = await db()
    .select()
    .from(analyticsMetaSitePermissions)
    .where(and(eq(analyticsMetaSitePermissions.metaSiteId, metaSiteId), eq(analyticsMetaSitePermissions.userId, userId)));
  return row?.level ?? "none";
}

export async function moduleRowsOf(userId: string) {
  const rows = await db().select().from(analyticsModulePermissions).where(eq(analyticsModulePermissions.userId, userId));
  return Object.fromEntries(rows.map((r) => [r.module, r.level]));
}

/** JSON body of a successful call, asserting its status. */
export async function ok<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : {}) as T;
}

/** A JSON call with a session. */
export const call = (method: string, path: string, cookie: string, body?: unknown) => api(`/api/v1/analytics${path}`, { method, cookie, body });

// ---------------------------------------------------------------- pages

export async function getPage(path: string, cookie: string) {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: res.status, html: await res.text(), location: res.headers.get("location") };
}

const csrfCache = new Map<string, Promise<string>>();
/** The session's CSRF token, as every page embeds it. */
export const csrfOf = (cookie: string) => {
  if (!csrfCache.has(cookie)) csrfCache.set(cookie, getPage("/account", cookie).then((p) => p.html.match(/name="_csrf" value="([^"]+)"/)![1]!));
  return csrfCache.get(cookie)!;
};

/** A form post as a browser sends it (urlencoded, same origin, CSRF field); `hx` adds htmx's headers. */
export async function postForm(path: string, cookie: string, fields: Record<string, string> | [string, string][], options: { hx?: boolean } = {}) {
  const token = await csrfOf(cookie);
  const params = new URLSearchParams(fields);
  if (!options.hx) params.append("_csrf", token);
  const res = await SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: {
      cookie,
      origin: ORIGIN,
      "content-type": "application/x-www-form-urlencoded",
      ...(options.hx ? { "hx-request": "true", "x-csrf-token": token } : {}),
    },
    body: params.toString(),
    redirect: "manual",
  });
  return { status: res.status, html: await res.text(), location: res.headers.get("location"), flash: flashOf(res), headers: res.headers };
}

/** Text as hono/jsx escapes it in HTML. */
export const escaped = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
