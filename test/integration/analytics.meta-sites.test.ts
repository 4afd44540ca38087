// F-40/F-41/F-43 through HTTP: meta sites group sites of one workspace;
// owners create, regroup and delete them; Manage renames and sets levels;
// Edit saves the dashboard and edits segments; View sees them; No access is
// 404. Validation, pages, and isolation from another organization.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { analyticsMetaSiteMembers, analyticsMetaSitePermissions, analyticsMetaSites, analyticsSegments } from "../../src/db/schema";
import { META_SITE_ACTIONS, META_SITE_LEVEL_LABELS } from "../../src/domain/analytics";
import { makeMetaSite, makeSite } from "../helpers/analytics";
import { call, escaped, getPage, metaSiteLevelOf, metaSiteWithLevels, ok, postForm, sharedWorkspace } from "../helpers/analytics-workspace";
import { auditOf, db, expectError, mailTo } from "../helpers/fixtures";
import { newId } from "../../src/lib/ids";

const workspace = sharedWorkspace();

type MetaJson = { id: string; name: string; siteIds: string[]; level: string };
type Detail = MetaJson & { sites: { id: string; name: string }[]; dashboard: { siteIds: string[]; days: number } };
type SegmentJson = { id: string; metaSiteId: string; name: string; siteIds: string[] };

const membersOf = async (metaSiteId: string) =>
  (await db().select().from(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId))).map((m) => m.siteId).sort();

async function fixture() {
  const w = await workspace();
  const [a, b, c] = await Promise.all([makeSite(w.orgId, { name: "Alpha" }), makeSite(w.orgId, { name: "Beta" }), makeSite(w.orgId, { name: "Gamma" })]);
  const meta = await metaSiteWithLevels(w, [a.id, b.id], { name: `Group ${newId().slice(0, 5)}` });
  return { w, a, b, c, meta };
}

async function makeSegment(metaSiteId: string, siteIds: string[], name = "Seg") {
  const now = Date.now();
  const row = { id: newId(), metaSiteId, name, definition: JSON.stringify({ siteIds }), createdBy: null, createdAt: now, updatedAt: now };
  await db().insert(analyticsSegments).values(row);
  return row;
}

describe("creating, regrouping and deleting meta sites", () => {
  it("an owner creates one over sites of the workspace (201, audited); Manage cannot (403)", async () => {
    const { w, a, c } = await fixture();
    const { metaSite } = await ok<{ metaSite: MetaJson }>(call("POST", "/meta-sites", w.owner.cookie, { name: "All shops", siteIds: [a.id, c.id, a.id] }), 201);
    expect(metaSite).toMatchObject({ name: "All shops", level: "manage" });
    expect(await membersOf(metaSite.id)).toEqual([a.id, c.id].sort());
    expect(await auditOf(metaSite.id, "analytics.meta_site.created")).toHaveLength(1);
    await expectError(await call("POST", "/meta-sites", w.manage.cookie, { name: "Nope", siteIds: [a.id] }), 403, "forbidden");
  });

  it("a site of another workspace, an unknown id or no site at all is 422 on siteIds, and nothing is created", async () => {
    const { w, a } = await fixture();
    const foreign = await makeSite(w.foreignOrgId);
    const before = (await db().select().from(analyticsMetaSites).where(eq(analyticsMetaSites.orgId, w.orgId))).length;
    for (const siteIds of [[a.id, foreign.id], ["nope"], []]) {
      const error = await expectError(await call("POST", "/meta-sites", w.owner.cookie, { name: "Mixed", siteIds }), 422, "validation_failed");
      expect(Object.keys(error.fields ?? {})).toContain("siteIds");
    }
    const error = await expectError(await call("POST", "/meta-sites", w.owner.cookie, { siteIds: [a.id] }), 422, "validation_failed");
    expect(Object.keys(error.fields ?? {})).toContain("name");
    expect((await db().select().from(analyticsMetaSites).where(eq(analyticsMetaSites.orgId, w.orgId))).length).toBe(before);
  });

  it("Manage renames (audited) but cannot regroup (403); Edit cannot rename (403); an owner regroups", async () => {
    const { w, a, b, c, meta } = await fixture();
    const { metaSite } = await ok<{ metaSite: MetaJson }>(call("PATCH", `/meta-sites/${meta.id}`, w.manage.cookie, { name: "Renamed" }));
    expect(metaSite.name).toBe("Renamed");
    expect(await auditOf(meta.id, "analytics.meta_site.updated")).toHaveLength(1);
    await expectError(await call("PATCH", `/meta-sites/${meta.id}`, w.manage.cookie, { siteIds: [c.id] }), 403, "forbidden");
    await expectError(await call("PATCH", `/meta-sites/${meta.id}`, w.edit.cookie, { name: "Edit's name" }), 403, "forbidden");
    expect(await membersOf(meta.id)).toEqual([a.id, b.id].sort());
    await ok(call("PATCH", `/meta-sites/${meta.id}`, w.owner.cookie, { siteIds: [b.id, c.id] }));
    expect(await membersOf(meta.id)).toEqual([b.id, c.id].sort());
    const foreign = await makeSite(w.foreignOrgId);
    await expectError(await call("PATCH", `/meta-sites/${meta.id}`, w.owner.cookie, { siteIds: [foreign.id] }), 422, "validation_failed");
    await expectError(await call("PATCH", `/meta-sites/${meta.id}`, w.owner.cookie, {}), 422, "validation_failed");
  });

  it("only an owner deletes: memberships, permissions and segments go too; the sites stay", async () => {
    const { w, a, meta } = await fixture();
    await makeSegment(meta.id, [a.id]);
    await expectError(await call("DELETE", `/meta-sites/${meta.id}`, w.manage.cookie), 403, "forbidden");
    expect((await call("DELETE", `/meta-sites/${meta.id}`, w.owner.cookie)).status).toBe(204);
    expect(await membersOf(meta.id)).toEqual([]);
    expect(await db().select().from(analyticsMetaSitePermissions).where(eq(analyticsMetaSitePermissions.metaSiteId, meta.id))).toHaveLength(0);
    expect(await db().select().from(analyticsSegments).where(eq(analyticsSegments.metaSiteId, meta.id))).toHaveLength(0);
    expect(await auditOf(meta.id, "analytics.meta_site.deleted")).toHaveLength(1);
    await ok(call("GET", `/sites/${a.id}`, w.owner.cookie));
  });
});

describe("seeing meta sites at each level", () => {
  it("each level lists it with that level; No access does not see it and gets 404 everywhere", async () => {
    const { w, meta, a } = await fixture();
    const seg = await makeSegment(meta.id, [a.id]);
    for (const [who, level] of [["owner", "manage"], ["manage", "manage"], ["edit", "edit"], ["view", "view"]] as const) {
      const { items } = await ok<{ items: MetaJson[] }>(call("GET", "/meta-sites?pageSize=100", w[who].cookie));
      expect(items.find((m) => m.id === meta.id)?.level, who).toBe(level);
    }
    const { items } = await ok<{ items: MetaJson[] }>(call("GET", "/meta-sites?pageSize=100", w.none.cookie));
    expect(items.some((m) => m.id === meta.id)).toBe(false);
    for (const [method, path, body] of [
      ["GET", `/meta-sites/${meta.id}`],
      ["PATCH", `/meta-sites/${meta.id}`, { name: "X" }],
      ["GET", `/meta-sites/${meta.id}/permissions`],
      ["PUT", `/meta-sites/${meta.id}/permissions/${w.view.user.id}`, { level: "edit" }],
      ["PUT", `/meta-sites/${meta.id}/dashboard`, { siteIds: [a.id], days: 7 }],
      ["GET", `/meta-sites/${meta.id}/segments`],
      ["POST", `/meta-sites/${meta.id}/segments`, { name: "X", siteIds: [a.id] }],
      ["PATCH", `/segments/${seg.id}`, { name: "X" }],
      ["DELETE", `/segments/${seg.id}`],
    ] as [string, string, unknown?][])
      await expectError(await call(method, path, w.none.cookie, body), 404, "not_found");
  });
});

describe("dashboard", () => {
  it("View reads it (every member, 30 days by default) but cannot save it (403); Edit saves it (audited)", async () => {
    const { w, a, b, meta } = await fixture();
    const { metaSite } = await ok<{ metaSite: Detail }>(call("GET", `/meta-sites/${meta.id}`, w.view.cookie));
    expect(metaSite.dashboard.days).toBe(30);
    expect([...metaSite.dashboard.siteIds].sort()).toEqual([a.id, b.id].sort());
    expect(metaSite.sites.map((s) => s.name).sort()).toEqual(["Alpha", "Beta"]);
    await expectError(await call("PUT", `/meta-sites/${meta.id}/dashboard`, w.view.cookie, { siteIds: [a.id], days: 7 }), 403, "forbidden");
    const saved = await ok<{ dashboard: { siteIds: string[]; days: number } }>(call("PUT", `/meta-sites/${meta.id}/dashboard`, w.edit.cookie, { siteIds: [b.id], days: 90 }));
    expect(saved.dashboard).toEqual({ siteIds: [b.id], days: 90 });
    const [row] = await db().select().from(analyticsMetaSites).where(eq(analyticsMetaSites.id, meta.id));
    expect(JSON.parse(row!.dashboard!)).toEqual({ siteIds: [b.id], days: 90 });
    expect(await auditOf(meta.id, "analytics.meta_site.dashboard_changed")).toHaveLength(1);
    expect((await ok<{ metaSite: Detail }>(call("GET", `/meta-sites/${meta.id}`, w.view.cookie))).metaSite.dashboard).toEqual({ siteIds: [b.id], days: 90 });
  });

  it("a site outside the meta site or a period not offered is 422", async () => {
    const { w, a, c, meta } = await fixture();
    const notMember = await expectError(await call("PUT", `/meta-sites/${meta.id}/dashboard`, w.edit.cookie, { siteIds: [a.id, c.id], days: 30 }), 422, "validation_failed");
    expect(Object.keys(notMember.fields ?? {})).toEqual(["siteIds"]);
    const days = await expectError(await call("PUT", `/meta-sites/${meta.id}/dashboard`, w.edit.cookie, { siteIds: [a.id], days: 10 }), 422, "validation_failed");
    expect(Object.keys(days.fields ?? {})).toEqual(["days"]);
  });
});

describe("segments", () => {
  it("View lists them but cannot add, change or delete (403); Edit can (audited)", async () => {
    const { w, a, b, meta } = await fixture();
    const existing = await makeSegment(meta.id, [a.id], "Existing");
    const { items } = await ok<{ items: SegmentJson[] }>(call("GET", `/meta-sites/${meta.id}/segments`, w.view.cookie));
    expect(items.map((s) => s.name)).toEqual(["Existing"]);
    await expectError(await call("POST", `/meta-sites/${meta.id}/segments`, w.view.cookie, { name: "X", siteIds: [a.id] }), 403, "forbidden");
    await expectError(await call("PATCH", `/segments/${existing.id}`, w.view.cookie, { name: "X" }), 403, "forbidden");
    await expectError(await call("DELETE", `/segments/${existing.id}`, w.view.cookie), 403, "forbidden");

    const { segment } = await ok<{ segment: SegmentJson }>(call("POST", `/meta-sites/${meta.id}/segments`, w.edit.cookie, { name: "Beta only", siteIds: [b.id] }), 201);
    expect(segment).toMatchObject({ metaSiteId: meta.id, name: "Beta only", siteIds: [b.id] });
    const { segment: changed } = await ok<{ segment: SegmentJson }>(call("PATCH", `/segments/${segment.id}`, w.edit.cookie, { siteIds: [a.id, b.id] }));
    expect([...changed.siteIds].sort()).toEqual([a.id, b.id].sort());
    expect((await call("DELETE", `/segments/${segment.id}`, w.edit.cookie)).status).toBe(204);
    for (const action of ["created", "updated", "deleted"]) expect(await auditOf(segment.id, `analytics.segment.${action}`), action).toHaveLength(1);
  });

  it("a segment over a site outside the meta site, or without a name, is 422", async () => {
    const { w, a, c, meta } = await fixture();
    const outside = await expectError(await call("POST", `/meta-sites/${meta.id}/segments`, w.edit.cookie, { name: "X", siteIds: [c.id] }), 422, "validation_failed");
    expect(Object.keys(outside.fields ?? {})).toEqual(["siteIds"]);
    const noName = await expectError(await call("POST", `/meta-sites/${meta.id}/segments`, w.edit.cookie, { siteIds: [a.id] }), 422, "validation_failed");
    expect(Object.keys(noName.fields ?? {})).toEqual(["name"]);
  });
});

describe("meta-site permissions", () => {
  it("Edit cannot see or set them (403); Manage lists users (owners not listed) and sets a level (audited, mailed)", async () => {
    const { w, meta } = await fixture();
    await expectError(await call("GET", `/meta-sites/${meta.id}/permissions`, w.edit.cookie), 403, "forbidden");
    await expectError(await call("PUT", `/meta-sites/${meta.id}/permissions/${w.none.user.id}`, w.edit.cookie, { level: "view" }), 403, "forbidden");
    const { items } = await ok<{ items: { user: { id: string }; level: string }[] }>(call("GET", `/meta-sites/${meta.id}/permissions`, w.manage.cookie));
    const ids = items.map((i) => i.user.id);
    expect(ids).not.toContain(w.owner.user.id);
    expect(ids).not.toContain(w.secondOwner.id);
    expect(ids).not.toContain(w.noAccess.id);
    expect(items.find((i) => i.user.id === w.edit.user.id)?.level).toBe("edit");

    await ok(call("PUT", `/meta-sites/${meta.id}/permissions/${w.none.user.id}`, w.manage.cookie, { level: "view" }));
    expect(await metaSiteLevelOf(meta.id, w.none.user.id)).toBe("view");
    const [audit] = await auditOf(meta.id, "analytics.meta_site_permission.changed");
    expect(JSON.parse(audit!.after!)).toEqual({ userId: w.none.user.id, level: "view" });
    const mails = (await mailTo(w.none.user.email)).filter((m) => m.subject.includes(meta.name));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(`to ${META_SITE_LEVEL_LABELS.view}`);

    await ok(call("PUT", `/meta-sites/${meta.id}/permissions/${w.none.user.id}`, w.manage.cookie, { level: "none" }));
    expect(await metaSiteLevelOf(meta.id, w.none.user.id)).toBe("none");
  });

  it("edit_publish is not a meta-site level (422); owners and AA = N are 409; another org's user 404", async () => {
    const { w, meta } = await fixture();
    await expectError(await call("PUT", `/meta-sites/${meta.id}/permissions/${w.none.user.id}`, w.manage.cookie, { level: "edit_publish" }), 422, "validation_failed");
    await expectError(await call("PUT", `/meta-sites/${meta.id}/permissions/${w.secondOwner.id}`, w.manage.cookie, { level: "view" }), 409, "conflict");
    await expectError(await call("PUT", `/meta-sites/${meta.id}/permissions/${w.noAccess.id}`, w.manage.cookie, { level: "view" }), 409, "conflict");
    await expectError(await call("PUT", `/meta-sites/${meta.id}/permissions/${w.foreignUser.id}`, w.manage.cookie, { level: "view" }), 404, "not_found");
  });
});

describe("another organization's meta site", () => {
  it("is not listed and answers 404 on every route, with nothing changed", async () => {
    const w = await workspace();
    const fs = await makeSite(w.foreignOrgId);
    const foreign = await makeMetaSite(w.foreignOrgId, [fs.id], { name: "Foreign group" });
    const seg = await makeSegment(foreign.id, [fs.id], "Foreign seg");
    const { items } = await ok<{ items: MetaJson[] }>(call("GET", "/meta-sites?pageSize=100", w.owner.cookie));
    expect(items.some((m) => m.id === foreign.id)).toBe(false);
    for (const [method, path, body] of [
      ["GET", `/meta-sites/${foreign.id}`],
      ["PATCH", `/meta-sites/${foreign.id}`, { name: "Hijacked" }],
      ["DELETE", `/meta-sites/${foreign.id}`],
      ["GET", `/meta-sites/${foreign.id}/permissions`],
      ["PUT", `/meta-sites/${foreign.id}/permissions/${w.foreignUser.id}`, { level: "manage" }],
      ["PUT", `/meta-sites/${foreign.id}/dashboard`, { siteIds: [fs.id], days: 7 }],
      ["GET", `/meta-sites/${foreign.id}/segments`],
      ["POST", `/meta-sites/${foreign.id}/segments`, { name: "X", siteIds: [fs.id] }],
      ["PATCH", `/segments/${seg.id}`, { name: "Hijacked" }],
      ["DELETE", `/segments/${seg.id}`],
    ] as [string, string, unknown?][])
      await expectError(await call(method, path, w.owner.cookie, body), 404, "not_found");
    expect((await getPage(`/analytics/meta-sites/${foreign.id}`, w.owner.cookie)).status).toBe(404);
    for (const path of [`/analytics/meta-sites/${foreign.id}`, `/analytics/meta-sites/${foreign.id}/delete`, `/analytics/meta-sites/${foreign.id}/dashboard`, `/analytics/segments/${seg.id}/delete`])
      expect((await postForm(path, w.owner.cookie, { name: "Hijacked", days: "7", [`site:${fs.id}`]: "on" })).status, path).toBe(404);
    const [row] = await db().select().from(analyticsMetaSites).where(eq(analyticsMetaSites.id, foreign.id));
    expect(row).toMatchObject({ name: "Foreign group", dashboard: null });
    expect(await db().select().from(analyticsSegments).where(eq(analyticsSegments.id, seg.id))).toHaveLength(1);
    expect(await metaSiteLevelOf(foreign.id, w.foreignUser.id)).toBe("none");
    expect(await auditOf(foreign.id)).toHaveLength(0);
  });
});

describe("meta-site pages", () => {
  it("View sees dashboard and segments without forms; Edit the dashboard and segment forms; Manage settings and the permission legend", async () => {
    const { w, meta } = await fixture();
    const view = await getPage(`/analytics/meta-sites/${meta.id}`, w.view.cookie);
    expect(view.status).toBe(200);
    // A level on the meta site is not the Reporting module: no link to a report that would refuse (reports.test.ts).
    expect(view.html).not.toContain(`href="/analytics/meta-sites/${meta.id}/report"`);
    expect((await getPage(`/analytics/meta-sites/${meta.id}`, w.owner.cookie)).html).toContain(`href="/analytics/meta-sites/${meta.id}/report"`);
    expect(view.html).not.toContain(`action="/analytics/meta-sites/${meta.id}/dashboard"`);
    expect(view.html).not.toContain('id="add-segment"');
    const edit = await getPage(`/analytics/meta-sites/${meta.id}`, w.edit.cookie);
    expect(edit.html).toContain(`action="/analytics/meta-sites/${meta.id}/dashboard"`);
    expect(edit.html).toContain('id="add-segment"');
    expect(edit.html).not.toContain(`action="/analytics/meta-sites/${meta.id}"`);
    const manage = await getPage(`/analytics/meta-sites/${meta.id}`, w.manage.cookie);
    expect(manage.html).toContain(`action="/analytics/meta-sites/${meta.id}"`);
    expect(manage.html).toContain('id="permissions"');
    for (const action of Object.values(META_SITE_ACTIONS)) expect(manage.html).toContain(escaped(action.label));
    expect(manage.html).not.toContain(`action="/analytics/meta-sites/${meta.id}/delete"`);
    const owner = await getPage(`/analytics/meta-sites/${meta.id}`, w.owner.cookie);
    expect(owner.html).toContain(`action="/analytics/meta-sites/${meta.id}/delete"`);
    expect((await getPage(`/analytics/meta-sites/${meta.id}`, w.none.cookie)).status).toBe(404);
  });

  it("the owner creates a meta site through the form with site checkboxes; none checked re-renders with the error (422)", async () => {
    const { w, a, b } = await fixture();
    const bad = await postForm("/analytics/meta-sites", w.owner.cookie, { name: "Typed group" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("Choose at least one site.");
    expect(bad.html).toContain('value="Typed group"');
    const good = await postForm("/analytics/meta-sites", w.owner.cookie, { name: "Form group", [`site:${a.id}`]: "on", [`site:${b.id}`]: "on" });
    expect(good.status).toBe(303);
    const id = good.location!.match(/meta-sites\/([^?]+)/)![1]!;
    expect(await membersOf(id)).toEqual([a.id, b.id].sort());
  });

  it("Edit saves the dashboard through the form", async () => {
    const { w, b, meta } = await fixture();
    const res = await postForm(`/analytics/meta-sites/${meta.id}/dashboard`, w.edit.cookie, { [`site:${b.id}`]: "on", days: "7" });
    expect(res.status).toBe(303);
    const { metaSite } = await ok<{ metaSite: Detail }>(call("GET", `/meta-sites/${meta.id}`, w.edit.cookie));
    expect(metaSite.dashboard).toEqual({ siteIds: [b.id], days: 7 });
  });
});
