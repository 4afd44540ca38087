// F-40…F-42 through HTTP: sites and apps, who sees and changes them at each
// level, owner-only create and delete, the site permission table (owners not
// listed, "none" deletes the row, audit and mail), validation, the pages, and
// isolation from another organization's workspace.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { analyticsDailyStats, analyticsMetaSiteMembers, analyticsSitePermissions, analyticsSites, analyticsTags } from "../../src/db/schema";
import { SITE_ACTIONS, SITE_LEVEL_LABELS } from "../../src/domain/analytics";
import { COLLECT_LIMIT } from "../../src/domain/analytics-data";
import { grantSite, makeMetaSite, makeSite, seedStats } from "../helpers/analytics";
import { call, escaped, getPage, makeTag, ok, postForm, sharedWorkspace, siteLevelOf, siteWithLevels } from "../helpers/analytics-workspace";
import { auditOf, db, expectError, mailTo, makeUser, signIn } from "../helpers/fixtures";

const workspace = sharedWorkspace();

type SiteJson = { id: string; name: string; kind: string; url: string | null; siteKey: string; level: string };

describe("the AA = Y guard", () => {
  it("an invited (AA = I) and a no-access (AA = N) user get 403 on /api/v1/analytics/sites", async () => {
    const w = await workspace();
    for (const analyticsAccess of ["I", "N"] as const) {
      const user = await makeUser({ orgId: w.orgId, analyticsAccess });
      const cookie = await signIn(user);
      await expectError(await call("GET", "/sites", cookie), 403, "forbidden");
      await expectError(await call("POST", "/sites", cookie, { name: "X", kind: "site" }), 403, "forbidden");
    }
  });
});

describe("creating and deleting sites (owners only)", () => {
  it("an owner adds a site: 201, a unique public sk_ key, audit analytics.site.created", async () => {
    const w = await workspace();
    const a = await ok<{ site: SiteJson }>(call("POST", "/sites", w.owner.cookie, { name: "Shop", kind: "site", url: "https://shop.example.com" }), 201);
    const b = await ok<{ site: SiteJson }>(call("POST", "/sites", w.owner.cookie, { name: "Mobile", kind: "app" }), 201);
    expect(a.site).toMatchObject({ name: "Shop", kind: "site", url: "https://shop.example.com", level: "manage" });
    expect(a.site.siteKey).toMatch(/^sk_[A-Za-z0-9_-]{20,}$/);
    expect(b.site.siteKey).not.toBe(a.site.siteKey);
    expect(b.site.url).toBeNull();
    const [audit] = await auditOf(a.site.id, "analytics.site.created");
    expect(audit?.actorId).toBe(w.owner.user.id);
  });

  it("Manage cannot add a site (403) nor delete one (403)", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    await expectError(await call("POST", "/sites", w.manage.cookie, { name: "Nope", kind: "site" }), 403, "forbidden");
    await expectError(await call("DELETE", `/sites/${site.id}`, w.manage.cookie), 403, "forbidden");
    expect(await db().select().from(analyticsSites).where(eq(analyticsSites.id, site.id))).toHaveLength(1);
  });

  it("bad input answers 422 naming the field", async () => {
    const w = await workspace();
    const cases: [unknown, string][] = [
      [{ kind: "site" }, "name"],
      [{ name: "  ", kind: "site" }, "name"],
      [{ name: "X", kind: "page" }, "kind"],
      [{ name: "X", kind: "site", url: "ftp://example.com" }, "url"],
      [{ name: "X", kind: "site", url: "not a url" }, "url"],
      [{ name: "X", kind: "site", extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const error = await expectError(await call("POST", "/sites", w.owner.cookie, body), 422, "validation_failed");
      expect(Object.keys(error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
  });

  it("deleting removes, in one batch, its permissions, tags, meta-site memberships and daily stats", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const keep = await makeSite(w.orgId);
    await makeTag(site.id);
    const meta = await makeMetaSite(w.orgId, [site.id, keep.id]);
    await seedStats(site.id, [{ day: "2026-01-01", visits: 3, events: 5 }]);
    const res = await call("DELETE", `/sites/${site.id}`, w.owner.cookie);
    expect(res.status).toBe(204);
    expect(await db().select().from(analyticsSites).where(eq(analyticsSites.id, site.id))).toHaveLength(0);
    expect(await db().select().from(analyticsSitePermissions).where(eq(analyticsSitePermissions.siteId, site.id))).toHaveLength(0);
    expect(await db().select().from(analyticsTags).where(eq(analyticsTags.siteId, site.id))).toHaveLength(0);
    expect(await db().select().from(analyticsDailyStats).where(eq(analyticsDailyStats.siteId, site.id))).toHaveLength(0);
    const members = await db().select().from(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, meta.id));
    expect(members.map((m) => m.siteId)).toEqual([keep.id]);
    expect(await auditOf(site.id, "analytics.site.deleted")).toHaveLength(1);
    await expectError(await call("GET", `/sites/${site.id}`, w.owner.cookie), 404, "not_found");
  });
});

describe("seeing sites at each level", () => {
  it("owners see every site with level manage; others only those with a level, with their level; No access sees none", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w, { name: `Listed ${Date.now()}` });
    const ungranted = await makeSite(w.orgId, { name: `Ungranted ${Date.now()}` });
    const list = async (cookie: string) => (await ok<{ items: SiteJson[]; page: { total: number } }>(call("GET", "/sites?pageSize=100", cookie))).items;

    const ownerSees = await list(w.owner.cookie);
    expect(ownerSees.find((s) => s.id === ungranted.id)?.level).toBe("manage");
    expect(ownerSees.find((s) => s.id === site.id)?.level).toBe("manage");

    for (const [who, level] of [["manage", "manage"], ["editPublish", "edit_publish"], ["edit", "edit"], ["view", "view"]] as const) {
      const items = await list(w[who].cookie);
      expect(items.find((s) => s.id === site.id)?.level, who).toBe(level);
      expect(items.some((s) => s.id === ungranted.id), who).toBe(false);
    }
    expect((await list(w.none.cookie)).some((s) => s.id === site.id)).toBe(false);
  });

  it("No access answers 404 on every route of the site, like a site that does not exist", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const calls: [string, string, unknown?][] = [
      ["GET", `/sites/${site.id}`],
      ["PATCH", `/sites/${site.id}`, { name: "X" }],
      ["GET", `/sites/${site.id}/permissions`],
      ["PUT", `/sites/${site.id}/permissions/${w.view.user.id}`, { level: "edit" }],
      ["GET", `/sites/${site.id}/tags`],
      ["POST", `/sites/${site.id}/tags`, { name: "X" }],
    ];
    for (const [method, path, body] of calls) await expectError(await call(method, path, w.none.cookie, body), 404, "not_found");
  });

  it("View reads the site but cannot edit it (403)", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w, { name: "Viewed" });
    expect((await ok<{ site: SiteJson }>(call("GET", `/sites/${site.id}`, w.view.cookie))).site).toMatchObject({ name: "Viewed", level: "view", siteKey: site.siteKey });
    await expectError(await call("PATCH", `/sites/${site.id}`, w.view.cookie, { name: "Hijacked" }), 403, "forbidden");
  });

  it("Edit changes the settings (audited); an emptied address is removed with url: null", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const { site: after } = await ok<{ site: SiteJson }>(call("PATCH", `/sites/${site.id}`, w.edit.cookie, { name: "Renamed", kind: "app", url: null }));
    expect(after).toMatchObject({ name: "Renamed", kind: "app", url: null, level: "edit" });
    const [audit] = await auditOf(site.id, "analytics.site.updated");
    expect(JSON.parse(audit!.before!)).toMatchObject({ name: site.name, kind: "site", url: site.url });
    expect(JSON.parse(audit!.after!)).toMatchObject({ name: "Renamed", kind: "app", url: null });
    await expectError(await call("PATCH", `/sites/${site.id}`, w.edit.cookie, {}), 422, "validation_failed");
    await expectError(await call("PATCH", `/sites/${site.id}`, w.edit.cookie, { url: "javascript:alert(1)" }), 422, "validation_failed");
  });
});

describe("the site permission table", () => {
  it("Edit & publish cannot see or change permissions (403); Manage can", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    await expectError(await call("GET", `/sites/${site.id}/permissions`, w.editPublish.cookie), 403, "forbidden");
    await expectError(await call("PUT", `/sites/${site.id}/permissions/${w.none.user.id}`, w.editPublish.cookie, { level: "view" }), 403, "forbidden");
    await ok(call("GET", `/sites/${site.id}/permissions`, w.manage.cookie));
  });

  it("lists the organization's users who can hold a level, default none; owners and AA = N users are not listed", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const { items } = await ok<{ items: { user: { id: string }; level: string; canChange: boolean }[] }>(call("GET", `/sites/${site.id}/permissions`, w.manage.cookie));
    const level = (id: string) => items.find((i) => i.user.id === id)?.level;
    expect(level(w.view.user.id)).toBe("view");
    expect(level(w.editPublish.user.id)).toBe("edit_publish");
    expect(level(w.none.user.id)).toBe("none");
    expect(level(w.invited.id)).toBe("none");
    for (const unlisted of [w.owner.user.id, w.secondOwner.id, w.noAccess.id, w.foreignUser.id]) expect(level(unlisted)).toBeUndefined();
    expect(items.find((i) => i.user.id === w.manage.user.id)?.canChange).toBe(false);
  });

  it("Manage sets a level: stored, audited with before/after, and the user is mailed; 'none' deletes the row", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w, { name: `Perm site ${Date.now()}` });
    const res = await ok<{ permission: { level: string }; changed: boolean }>(call("PUT", `/sites/${site.id}/permissions/${w.none.user.id}`, w.manage.cookie, { level: "edit" }));
    expect(res).toMatchObject({ permission: { level: "edit" }, changed: true });
    expect(await siteLevelOf(site.id, w.none.user.id)).toBe("edit");
    const audits = await auditOf(site.id, "analytics.site_permission.changed");
    expect(audits).toHaveLength(1);
    expect(JSON.parse(audits[0]!.before!)).toEqual({ userId: w.none.user.id, level: "none" });
    expect(JSON.parse(audits[0]!.after!)).toEqual({ userId: w.none.user.id, level: "edit" });
    const mails = (await mailTo(w.none.user.email)).filter((m) => m.subject.includes(site.name));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(`from ${SITE_LEVEL_LABELS.none} to ${SITE_LEVEL_LABELS.edit}`);

    // The same level again changes nothing and mails nobody.
    expect((await ok<{ changed: boolean }>(call("PUT", `/sites/${site.id}/permissions/${w.none.user.id}`, w.manage.cookie, { level: "edit" }))).changed).toBe(false);
    expect((await mailTo(w.none.user.email)).filter((m) => m.subject.includes(site.name))).toHaveLength(1);

    await ok(call("PUT", `/sites/${site.id}/permissions/${w.none.user.id}`, w.owner.cookie, { level: "none" }));
    const rows = await db().select().from(analyticsSitePermissions).where(eq(analyticsSitePermissions.siteId, site.id));
    expect(rows.some((r) => r.userId === w.none.user.id)).toBe(false);
    expect(await auditOf(site.id, "analytics.site_permission.changed")).toHaveLength(2);
    await expectError(await call("GET", `/sites/${site.id}`, w.none.cookie), 404, "not_found");
  });

  it("an owner or an AA = N user cannot be given a level (409); one's own level cannot be changed (403); another org's user is 404", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const owner = await expectError(await call("PUT", `/sites/${site.id}/permissions/${w.secondOwner.id}`, w.manage.cookie, { level: "view" }), 409, "conflict");
    expect(owner.message).toMatch(/owner/i);
    const noAccess = await expectError(await call("PUT", `/sites/${site.id}/permissions/${w.noAccess.id}`, w.manage.cookie, { level: "view" }), 409, "conflict");
    expect(noAccess.message).toMatch(/no analytics access/i);
    await expectError(await call("PUT", `/sites/${site.id}/permissions/${w.manage.user.id}`, w.manage.cookie, { level: "view" }), 403, "forbidden");
    await expectError(await call("PUT", `/sites/${site.id}/permissions/${w.foreignUser.id}`, w.manage.cookie, { level: "view" }), 404, "not_found");
    await expectError(await call("PUT", `/sites/${site.id}/permissions/${w.none.user.id}`, w.manage.cookie, { level: "admin" }), 422, "validation_failed");
    expect(await siteLevelOf(site.id, w.secondOwner.id)).toBe("none");
    expect(await siteLevelOf(site.id, w.foreignUser.id)).toBe("none");
  });
});

describe("another organization's site", () => {
  it("is not listed, and every route on it answers 404 with nothing changed, even for an owner", async () => {
    const w = await workspace();
    const foreign = await makeSite(w.foreignOrgId, { name: "Foreign site" });
    await grantSite(foreign.id, w.foreignUser.id, "view");
    const tag = await makeTag(foreign.id);
    const items = (await ok<{ items: SiteJson[] }>(call("GET", "/sites?pageSize=100", w.owner.cookie))).items;
    expect(items.some((s) => s.id === foreign.id)).toBe(false);
    const calls: [string, string, unknown?][] = [
      ["GET", `/sites/${foreign.id}`],
      ["PATCH", `/sites/${foreign.id}`, { name: "Hijacked" }],
      ["DELETE", `/sites/${foreign.id}`],
      ["GET", `/sites/${foreign.id}/permissions`],
      ["PUT", `/sites/${foreign.id}/permissions/${w.foreignUser.id}`, { level: "manage" }],
      ["PUT", `/sites/${foreign.id}/permissions/${w.view.user.id}`, { level: "manage" }],
      ["GET", `/sites/${foreign.id}/tags`],
      ["POST", `/sites/${foreign.id}/tags`, { name: "X" }],
      ["GET", `/tags/${tag.id}`],
      ["PATCH", `/tags/${tag.id}`, { name: "X" }],
      ["POST", `/tags/${tag.id}/publish`],
    ];
    for (const [method, path, body] of calls) await expectError(await call(method, path, w.owner.cookie, body), 404, "not_found");
    expect((await getPage(`/analytics/sites/${foreign.id}`, w.owner.cookie)).status).toBe(404);
    for (const path of [`/analytics/sites/${foreign.id}`, `/analytics/sites/${foreign.id}/delete`, `/analytics/tags/${tag.id}/publish`, `/analytics/sites/${foreign.id}/permissions/${w.foreignUser.id}`])
      expect((await postForm(path, w.owner.cookie, { name: "Hijacked", level: "manage" })).status, path).toBe(404);
    const [row] = await db().select().from(analyticsSites).where(eq(analyticsSites.id, foreign.id));
    expect(row?.name).toBe("Foreign site");
    expect(await siteLevelOf(foreign.id, w.foreignUser.id)).toBe("view");
    expect(await siteLevelOf(foreign.id, w.view.user.id)).toBe("none");
    expect(await auditOf(foreign.id)).toHaveLength(0);
  });

  it("the foreign owner's own site stays invisible to our owner, and ours to them", async () => {
    const w = await workspace();
    const ours = await makeSite(w.orgId);
    await expectError(await call("GET", `/sites/${ours.id}`, w.foreignOwner.cookie), 404, "not_found");
    await expectError(await call("DELETE", `/sites/${ours.id}`, w.foreignOwner.cookie), 404, "not_found");
  });
});

describe("pages", () => {
  it("the overview shows an owner the add forms and every site; a View user only their sites, no forms", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w, { name: `Overview site ${Date.now()}` });
    const hidden = await makeSite(w.orgId, { name: `Hidden site ${Date.now()}` });
    const owner = await getPage("/analytics", w.owner.cookie);
    expect(owner.status).toBe(200);
    expect(owner.html).toContain('id="add-site"');
    expect(owner.html).toContain('id="add-meta-site"');
    expect(owner.html).toContain(hidden.name);
    const view = await getPage("/analytics", w.view.cookie);
    expect(view.html).toContain(site.name);
    expect(view.html).not.toContain(hidden.name);
    expect(view.html).not.toContain('id="add-site"');
  });

  it("an owner adds a site through the form; a bad address re-renders with the error and the typed values (422)", async () => {
    const w = await workspace();
    const bad = await postForm("/analytics/sites", w.owner.cookie, { name: "Typed name", kind: "app", url: "ftp://x" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("http:// or https://");
    expect(bad.html).toContain('value="Typed name"');
    const good = await postForm("/analytics/sites", w.owner.cookie, { name: `Form site ${Date.now()}`, kind: "site", url: "" });
    expect(good.status).toBe(303);
    expect(good.location).toMatch(/^\/analytics\/sites\/[^/?]+$/);
    expect(good.flash).toBe("Site added. Add tags and give people a level below.");
    const page = await getPage(good.location!, w.owner.cookie);
    expect(page.html).toContain("/api/v1/collect");
    expect(page.html).toContain(`One address may send ${COLLECT_LIMIT.hits} hits every ${COLLECT_LIMIT.periodSeconds} seconds to this site`);
    expect(page.html).toMatch(/sk_[A-Za-z0-9_-]{20,}/);
  });

  it("the site page shows forms by level: View none, Edit the settings, Manage the permission table with its legend", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const view = await getPage(`/analytics/sites/${site.id}`, w.view.cookie);
    expect(view.status).toBe(200);
    expect(view.html).not.toContain(`action="/analytics/sites/${site.id}"`);
    expect(view.html).not.toContain('id="permissions"');
    // A level on the site is not the Reporting module: no link to a report that would refuse (reports.test.ts).
    expect(view.html).not.toContain(`href="/analytics/sites/${site.id}/report"`);
    expect(view.html).toContain("reports need the Reporting module");
    expect((await getPage(`/analytics/sites/${site.id}`, w.owner.cookie)).html).toContain(`href="/analytics/sites/${site.id}/report"`);
    const edit = await getPage(`/analytics/sites/${site.id}`, w.edit.cookie);
    expect(edit.html).toContain(`action="/analytics/sites/${site.id}"`);
    expect(edit.html).not.toContain('id="permissions"');
    const manage = await getPage(`/analytics/sites/${site.id}`, w.manage.cookie);
    expect(manage.html).toContain('id="permissions"');
    expect(manage.html).toContain(`action="/analytics/sites/${site.id}/permissions/${w.view.user.id}"`);
    for (const action of Object.values(SITE_ACTIONS)) expect(manage.html).toContain(escaped(action.label));
    expect(manage.html).not.toContain(w.owner.user.name);
    expect((await getPage(`/analytics/sites/${site.id}`, w.none.cookie)).status).toBe(404);
  });

  it("a permission row saves through htmx and answers the row with the result", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const res = await postForm(`/analytics/sites/${site.id}/permissions/${w.none.user.id}`, w.manage.cookie, { level: "view" }, { hx: true });
    expect(res.status).toBe(200);
    expect(res.html).toContain(`id="perm-${w.none.user.id}"`);
    expect(res.html).toContain("Saved: View.");
    expect(await siteLevelOf(site.id, w.none.user.id)).toBe("view");
    const refused = await postForm(`/analytics/sites/${site.id}/permissions/${w.none.user.id}`, w.view.cookie, { level: "manage" }, { hx: true });
    expect(refused.status).toBe(403);
    expect(await siteLevelOf(site.id, w.none.user.id)).toBe("view");
  });
});
