// F-42 tags through HTTP: View reads them, Edit adds and changes drafts but
// cannot publish, Edit & publish publishes (but cannot manage permissions),
// an edit after publishing leaves unpublished changes, validation, the page's
// htmx Publish, and isolation from another organization's tags.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { analyticsTags } from "../../src/db/schema";
import { makeSite } from "../helpers/analytics";
import { call, getPage, makeTag, ok, postForm, sharedWorkspace, siteWithLevels } from "../helpers/analytics-workspace";
import { auditOf, db, expectError } from "../helpers/fixtures";

const workspace = sharedWorkspace();

type TagJson = { id: string; siteId: string; name: string; code: string; publishedCode: string | null; status: string; unpublishedChanges: boolean; publishedAt: string | null; publishedBy: string | null };

const tagRow = async (id: string) => (await db().select().from(analyticsTags).where(eq(analyticsTags.id, id)))[0];

describe("tags at each site level", () => {
  it("View lists tags but cannot add, edit or publish one (403)", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const tag = await makeTag(site.id, { name: "Pixel" });
    const { items } = await ok<{ items: TagJson[] }>(call("GET", `/sites/${site.id}/tags`, w.view.cookie));
    expect(items.map((t) => t.name)).toEqual(["Pixel"]);
    await expectError(await call("POST", `/sites/${site.id}/tags`, w.view.cookie, { name: "New" }), 403, "forbidden");
    await expectError(await call("PATCH", `/tags/${tag.id}`, w.view.cookie, { code: "x" }), 403, "forbidden");
    await expectError(await call("POST", `/tags/${tag.id}/publish`, w.view.cookie), 403, "forbidden");
    expect((await tagRow(tag.id))?.status).toBe("draft");
  });

  it("No access sees no tag: the site's tags and each tag answer 404", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const tag = await makeTag(site.id);
    await expectError(await call("GET", `/sites/${site.id}/tags`, w.none.cookie), 404, "not_found");
    await expectError(await call("GET", `/tags/${tag.id}`, w.none.cookie), 404, "not_found");
    await expectError(await call("PATCH", `/tags/${tag.id}`, w.none.cookie, { name: "X" }), 404, "not_found");
    await expectError(await call("POST", `/tags/${tag.id}/publish`, w.none.cookie), 404, "not_found");
  });

  it("Edit adds a draft and changes it (audited) but cannot publish (403)", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const { tag } = await ok<{ tag: TagJson }>(call("POST", `/sites/${site.id}/tags`, w.edit.cookie, { name: "Analytics", code: "track()" }), 201);
    expect(tag).toMatchObject({ siteId: site.id, name: "Analytics", code: "track()", status: "draft", publishedCode: null, unpublishedChanges: false });
    expect(await auditOf(tag.id, "analytics.tag.created")).toHaveLength(1);
    const { tag: edited } = await ok<{ tag: TagJson }>(call("PATCH", `/tags/${tag.id}`, w.edit.cookie, { code: "track('v2')" }));
    expect(edited).toMatchObject({ code: "track('v2')", status: "draft" });
    expect(await auditOf(tag.id, "analytics.tag.updated")).toHaveLength(1);
    await expectError(await call("POST", `/tags/${tag.id}/publish`, w.edit.cookie), 403, "forbidden");
    expect((await tagRow(tag.id))?.publishedCode).toBeNull();
  });

  it("Edit & publish publishes the draft (audited); publishing again is 409; a later edit leaves unpublished changes", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const tag = await makeTag(site.id, { code: "v1()" });
    const { tag: published } = await ok<{ tag: TagJson }>(call("POST", `/tags/${tag.id}/publish`, w.editPublish.cookie));
    expect(published).toMatchObject({ status: "published", publishedCode: "v1()", publishedBy: w.editPublish.user.id, unpublishedChanges: false });
    expect(published.publishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const [audit] = await auditOf(tag.id, "analytics.tag.published");
    expect(JSON.parse(audit!.before!)).toEqual({ status: "draft", publishedCode: null });
    expect(JSON.parse(audit!.after!)).toEqual({ status: "published", publishedCode: "v1()" });

    const again = await expectError(await call("POST", `/tags/${tag.id}/publish`, w.editPublish.cookie), 409, "conflict");
    expect(again.message).toMatch(/no unpublished changes/);

    const { tag: draft } = await ok<{ tag: TagJson }>(call("PATCH", `/tags/${tag.id}`, w.edit.cookie, { code: "v2()" }));
    expect(draft).toMatchObject({ status: "draft", code: "v2()", publishedCode: "v1()", unpublishedChanges: true });
    const { tag: live } = await ok<{ tag: TagJson }>(call("POST", `/tags/${tag.id}/publish`, w.manage.cookie));
    expect(live).toMatchObject({ status: "published", publishedCode: "v2()", publishedBy: w.manage.user.id });
  });

  it("Edit & publish cannot manage the site's permissions (403)", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    await expectError(await call("PUT", `/sites/${site.id}/permissions/${w.view.user.id}`, w.editPublish.cookie, { level: "edit" }), 403, "forbidden");
  });

  it("an owner without any grant does everything on tags", async () => {
    const w = await workspace();
    const site = await makeSite(w.orgId);
    const { tag } = await ok<{ tag: TagJson }>(call("POST", `/sites/${site.id}/tags`, w.owner.cookie, { name: "Owner tag" }), 201);
    await ok(call("POST", `/tags/${tag.id}/publish`, w.owner.cookie));
  });

  it("bad input answers 422 naming the field", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const tag = await makeTag(site.id);
    const cases: [string, string, unknown, string][] = [
      ["POST", `/sites/${site.id}/tags`, {}, "name"],
      ["POST", `/sites/${site.id}/tags`, { name: "" }, "name"],
      ["POST", `/sites/${site.id}/tags`, { name: "X", code: "x".repeat(20_001) }, "code"],
      ["POST", `/sites/${site.id}/tags`, { name: "X", code: 5 }, "code"],
      ["PATCH", `/tags/${tag.id}`, {}, "body"],
      ["PATCH", `/tags/${tag.id}`, { status: "published" }, "status"],
    ];
    for (const [method, path, body, field] of cases) {
      const error = await expectError(await call(method, path, w.edit.cookie, body), 422, "validation_failed");
      expect(Object.keys(error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    expect((await tagRow(tag.id))?.status).toBe("draft");
  });
});

describe("another organization's tags", () => {
  it("answer 404 on every tag route and stay unchanged", async () => {
    const w = await workspace();
    const foreignSite = await makeSite(w.foreignOrgId);
    const tag = await makeTag(foreignSite.id, { name: "Foreign tag", code: "theirs()" });
    for (const [method, path, body] of [
      ["GET", `/tags/${tag.id}`],
      ["PATCH", `/tags/${tag.id}`, { code: "ours()" }],
      ["POST", `/tags/${tag.id}/publish`],
      ["GET", `/sites/${foreignSite.id}/tags`],
      ["POST", `/sites/${foreignSite.id}/tags`, { name: "Planted" }],
    ] as [string, string, unknown?][])
      await expectError(await call(method, path, w.owner.cookie, body), 404, "not_found");
    expect(await tagRow(tag.id)).toMatchObject({ code: "theirs()", status: "draft", publishedCode: null });
    expect(await db().select().from(analyticsTags).where(eq(analyticsTags.siteId, foreignSite.id))).toHaveLength(1);
  });
});

describe("tag pages", () => {
  it("Edit sees the edit forms but no Publish button; Edit & publish sees Publish", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const tag = await makeTag(site.id);
    const edit = await getPage(`/analytics/sites/${site.id}`, w.edit.cookie);
    expect(edit.html).toContain(`action="/analytics/tags/${tag.id}"`);
    expect(edit.html).not.toContain(`/analytics/tags/${tag.id}/publish`);
    const view = await getPage(`/analytics/sites/${site.id}`, w.view.cookie);
    expect(view.html).not.toContain(`action="/analytics/tags/${tag.id}"`);
    const pub = await getPage(`/analytics/sites/${site.id}`, w.editPublish.cookie);
    expect(pub.html).toContain(`/analytics/tags/${tag.id}/publish`);
  });

  it("Publish through htmx answers the tag's row, now published", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const tag = await makeTag(site.id);
    const res = await postForm(`/analytics/tags/${tag.id}/publish`, w.editPublish.cookie, {}, { hx: true });
    expect(res.status).toBe(200);
    expect(res.html).toContain(`id="tag-${tag.id}"`);
    expect(res.html).toContain("Published.");
    expect((await tagRow(tag.id))?.status).toBe("published");
  });

  it("a tag edit form with an empty name re-renders the site page (422) keeping the typed code", async () => {
    const w = await workspace();
    const site = await siteWithLevels(w);
    const tag = await makeTag(site.id, { name: "Keep", code: "old()" });
    const res = await postForm(`/analytics/tags/${tag.id}`, w.edit.cookie, { name: "", code: "typed()" });
    expect(res.status).toBe(422);
    expect(res.html).toContain("typed()");
    expect(await tagRow(tag.id)).toMatchObject({ name: "Keep", code: "old()" });
    const saved = await postForm(`/analytics/tags/${tag.id}`, w.edit.cookie, { name: "Kept", code: "new()" });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`/analytics/sites/${site.id}#tag-${tag.id}`);
    expect(saved.flash).toBe("Tag saved as a draft: publish it to make it live.");
  });
});
