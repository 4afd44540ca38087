// F-44 through HTTP: the analytics users list and each user's module grid.
// User Management Read-only sees without changing (PUT 403); Full changes
// others' grids within its own levels; only owners grant Product
// Administrator and User Management; validation 422 names the module; one
// batch replaces the rows with audit and mail; pages render the grid from the
// same data; another organization's users are 404.
import { describe, expect, it } from "vitest";
import { MODULE_KEYS, MODULES } from "../../src/domain/analytics";
import { grantModules, makeAnalyticsUser } from "../helpers/analytics";
import { call, getPage, moduleRowsOf, ok, postForm, sharedWorkspace } from "../helpers/analytics-workspace";
import { auditOf, expectError, mailTo, makeUser, signIn } from "../helpers/fixtures";

const workspace = sharedWorkspace();

/** The workspace plus a User Management Read-only viewer and a Full administrator (with Reporting full, Billing read-only). */
let admins: Promise<{ viewer: { id: string; cookie: string }; admin: { id: string; cookie: string } }> | undefined;
const userAdmins = () =>
  (admins ??= (async () => {
    const w = await workspace();
    const [viewer, admin] = await Promise.all([makeAnalyticsUser({ orgId: w.orgId, name: "Uma Readonly" }), makeAnalyticsUser({ orgId: w.orgId, name: "Ulf Full" })]);
    await grantModules(viewer.id, { user_management: "read_only" });
    await grantModules(admin.id, { user_management: "full", reporting: "full", billing: "read_only" });
    return { viewer: { id: viewer.id, cookie: await signIn(viewer) }, admin: { id: admin.id, cookie: await signIn(admin) } };
  })());

/** A fresh analytics user of the workspace to change. */
const target = async () => makeAnalyticsUser({ orgId: (await workspace()).orgId, name: "Tom Target" });

type UsersJson = { items: { id: string; analyticsOwner: boolean; analyticsAccess: string; modules: Record<string, string>; effective: Record<string, string> }[] };
type GridJson = { user: { id: string }; modules: Record<string, string>; effective: Record<string, string>; grantable: Record<string, string[]> };

describe("the analytics users list", () => {
  it("needs User Management: without it 403; Read-only and owners see the org's AA ≠ N users with owner flag and modules", async () => {
    const w = await workspace();
    const { viewer } = await userAdmins();
    await expectError(await call("GET", "/users", w.view.cookie), 403, "forbidden");
    for (const cookie of [viewer.cookie, w.owner.cookie]) {
      const { items } = await ok<UsersJson>(call("GET", "/users?pageSize=100", cookie));
      const ids = items.map((u) => u.id);
      expect(ids).toContain(w.invited.id);
      expect(ids).not.toContain(w.noAccess.id);
      expect(ids).not.toContain(w.foreignUser.id);
      expect(items.find((u) => u.id === w.owner.user.id)).toMatchObject({ analyticsOwner: true, effective: { billing: "full" } });
      expect(items.find((u) => u.id === viewer.id)?.modules).toMatchObject({ user_management: "read_only", reporting: "none" });
      expect(Object.keys(items[0]!.modules)).toEqual(MODULE_KEYS);
    }
  });

  it("a user reads their own grid without User Management, not someone else's (403)", async () => {
    const w = await workspace();
    const own = await ok<GridJson>(call("GET", `/users/${w.view.user.id}/modules`, w.view.cookie));
    expect(Object.keys(own.modules)).toEqual(MODULE_KEYS);
    expect(Object.values(own.grantable).flat()).toEqual([]);
    await expectError(await call("GET", `/users/${w.edit.user.id}/modules`, w.view.cookie), 403, "forbidden");
  });
});

describe("changing a grid", () => {
  it("User Management Read-only sees a grid but cannot change it (403), nothing written", async () => {
    const { viewer } = await userAdmins();
    const t = await target();
    const grid = await ok<GridJson>(call("GET", `/users/${t.id}/modules`, viewer.cookie));
    expect(Object.values(grid.grantable).flat()).toEqual([]);
    await expectError(await call("PUT", `/users/${t.id}/modules`, viewer.cookie, { reporting: "full" }), 403, "forbidden");
    expect(await moduleRowsOf(t.id)).toEqual({});
  });

  it("an owner sets a full grid: rows replaced in one batch, audited before/after, the user mailed", async () => {
    const w = await workspace();
    const t = await target();
    await grantModules(t.id, { reachout: "full" });
    const full = Object.fromEntries(MODULE_KEYS.map((m) => [m, "none"]));
    const body = { ...full, reporting: "full", billing: "read_only", product_admin: "full" };
    const res = await ok<{ user: { modules: Record<string, string> }; changed: boolean }>(call("PUT", `/users/${t.id}/modules`, w.owner.cookie, body));
    expect(res.changed).toBe(true);
    expect(res.user.modules).toEqual(body);
    expect(await moduleRowsOf(t.id)).toEqual({ reporting: "full", billing: "read_only", product_admin: "full" });
    const [audit] = await auditOf(t.id, "analytics.modules.changed");
    expect(JSON.parse(audit!.before!)).toMatchObject({ reachout: "full", reporting: "none" });
    expect(JSON.parse(audit!.after!)).toEqual(body);
    const [mail] = await mailTo(t.email);
    expect(mail?.text).toContain("Reporting: None → Full");
    expect(mail?.text).toContain("ReachOut: Full → None");
  });

  it("a partial map changes only the modules named", async () => {
    const w = await workspace();
    const t = await target();
    await grantModules(t.id, { developer: "read_only", quota_usage: "full" });
    await ok(call("PUT", `/users/${t.id}/modules`, w.owner.cookie, { developer: "full" }));
    expect(await moduleRowsOf(t.id)).toEqual({ developer: "full", quota_usage: "full" });
    const again = await ok<{ changed: boolean }>(call("PUT", `/users/${t.id}/modules`, w.owner.cookie, { developer: "full" }));
    expect(again.changed).toBe(false);
    expect(await auditOf(t.id, "analytics.modules.changed")).toHaveLength(1);
  });

  it("User Management Full grants up to its own levels, never above (403 naming the module)", async () => {
    const { admin } = await userAdmins();
    const t = await target();
    await ok(call("PUT", `/users/${t.id}/modules`, admin.cookie, { reporting: "full", billing: "read_only" }));
    expect(await moduleRowsOf(t.id)).toEqual({ reporting: "full", billing: "read_only" });
    const above = await expectError(await call("PUT", `/users/${t.id}/modules`, admin.cookie, { billing: "full" }), 403, "forbidden");
    expect(above.message).toContain(MODULES.billing.label);
    const never = await expectError(await call("PUT", `/users/${t.id}/modules`, admin.cookie, { developer: "read_only" }), 403, "forbidden");
    expect(never.message).toContain(MODULES.developer.label);
    expect(await moduleRowsOf(t.id)).toEqual({ reporting: "full", billing: "read_only" });
  });

  it("only owners grant Product Administrator and User Management; nobody but an owner changes their own grid or an owner's", async () => {
    const w = await workspace();
    const { admin } = await userAdmins();
    const t = await target();
    const pa = await expectError(await call("PUT", `/users/${t.id}/modules`, admin.cookie, { product_admin: "full" }), 403, "forbidden");
    expect(pa.message).toContain(MODULES.product_admin.label);
    const um = await expectError(await call("PUT", `/users/${t.id}/modules`, admin.cookie, { user_management: "read_only" }), 403, "forbidden");
    expect(um.message).toContain(MODULES.user_management.label);
    await expectError(await call("PUT", `/users/${admin.id}/modules`, admin.cookie, { reporting: "none" }), 403, "forbidden");
    await expectError(await call("PUT", `/users/${w.secondOwner.id}/modules`, admin.cookie, { reporting: "full" }), 403, "forbidden");
    await ok(call("PUT", `/users/${t.id}/modules`, w.owner.cookie, { user_management: "full" }));
    expect(await moduleRowsOf(t.id)).toEqual({ user_management: "full" });
  });

  it("levels are validated per module: 422 names the field", async () => {
    const w = await workspace();
    const t = await target();
    const cases: [unknown, string][] = [
      [{ reporting: "read_only" }, "reporting"],
      [{ product_admin: "read_only" }, "product_admin"],
      [{ billing: "admin" }, "billing"],
      [{ analytics: "full" }, "analytics"],
      [{}, "body"],
    ];
    for (const [body, field] of cases) {
      const error = await expectError(await call("PUT", `/users/${t.id}/modules`, w.owner.cookie, body), 422, "validation_failed");
      expect(Object.keys(error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    expect(await moduleRowsOf(t.id)).toEqual({});
  });

  it("a user without analytics access cannot be given modules (409); another organization's user is 404", async () => {
    const w = await workspace();
    await expectError(await call("PUT", `/users/${w.noAccess.id}/modules`, w.owner.cookie, { reporting: "full" }), 409, "conflict");
    await expectError(await call("PUT", `/users/${w.foreignUser.id}/modules`, w.owner.cookie, { reporting: "full" }), 404, "not_found");
    await expectError(await call("GET", `/users/${w.foreignUser.id}/modules`, w.owner.cookie), 404, "not_found");
    expect(await moduleRowsOf(w.foreignUser.id)).toEqual({});
    await expectError(await call("GET", `/users/${w.owner.user.id}/modules`, w.foreignOwner.cookie), 404, "not_found");
    expect((await getPage(`/analytics/users/${w.foreignUser.id}`, w.owner.cookie)).status).toBe(404);
    expect((await postForm(`/analytics/users/${w.foreignUser.id}`, w.owner.cookie, { reporting: "full" })).status).toBe(404);
  });

  it("Product Administrator (full) gives every module effectively, and counts as User Management Full for others' grids", async () => {
    const w = await workspace();
    const pa = await makeAnalyticsUser({ orgId: w.orgId });
    await grantModules(pa.id, { product_admin: "full" });
    const cookie = await signIn(pa);
    const own = await ok<GridJson>(call("GET", `/users/${pa.id}/modules`, cookie));
    expect(Object.values(own.effective).every((l) => l === "full")).toBe(true);
    const t = await target();
    await ok(call("PUT", `/users/${t.id}/modules`, cookie, { billing: "full" }));
    await expectError(await call("PUT", `/users/${t.id}/modules`, cookie, { product_admin: "full" }), 403, "forbidden");
  });
});

describe("pages", () => {
  it("Read-only viewers see the users table and a disabled grid without Save", async () => {
    const { viewer } = await userAdmins();
    const t = await target();
    const list = await getPage("/analytics/users", viewer.cookie);
    expect(list.status).toBe(200);
    expect(list.html).toContain(`href="/analytics/users/${t.id}"`);
    const grid = await getPage(`/analytics/users/${t.id}`, viewer.cookie);
    expect(grid.status).toBe(200);
    expect(grid.html).toMatch(/<fieldset disabled=""/);
    expect(grid.html).not.toContain(">Save</button>");
    const post = await postForm(`/analytics/users/${t.id}`, viewer.cookie, { reporting: "full" });
    expect(post.status).toBe(403);
    expect(await moduleRowsOf(t.id)).toEqual({});
  });

  it("the grid has one row per module, radios only for offered levels, cells the viewer cannot grant disabled", async () => {
    const { admin } = await userAdmins();
    const t = await target();
    const { html } = await getPage(`/analytics/users/${t.id}`, admin.cookie);
    for (const m of MODULE_KEYS) {
      expect(html).toContain(MODULES[m].label);
      expect(html.includes(`id="m-${m}-read_only"`), m).toBe(MODULES[m].readOnly);
    }
    const radio = (m: string, l: string) => html.match(new RegExp(`<input[^>]*id="m-${m}-${l}"[^>]*>`))![0];
    expect(radio("reporting", "full")).not.toContain("disabled");
    expect(radio("billing", "read_only")).not.toContain("disabled");
    expect(radio("billing", "full")).toContain("disabled");
    expect(radio("product_admin", "full")).toContain("disabled");
    expect(html).toContain(">Save</button>");
  });

  it("an owner saves the grid through the form; an unoffered level re-renders with the error (422)", async () => {
    const w = await workspace();
    const t = await target();
    const bad = await postForm(`/analytics/users/${t.id}`, w.owner.cookie, { reporting: "read_only" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("Reporting offers None, Full.");
    const good = await postForm(`/analytics/users/${t.id}`, w.owner.cookie, { reporting: "full", billing: "read_only" });
    expect(good.status).toBe(303);
    expect(await moduleRowsOf(t.id)).toEqual({ reporting: "full", billing: "read_only" });
  });

  it("the overview links to module pages only when the module can be read", async () => {
    const w = await workspace();
    const { viewer } = await userAdmins();
    const plain = await getPage("/analytics", w.view.cookie);
    expect(plain.html).not.toContain('href="/analytics/users"');
    expect(plain.html).not.toContain('href="/analytics/billing"');
    expect(plain.html).not.toContain('href="/analytics/blocks"');
    const umViewer = await getPage("/analytics", viewer.cookie);
    expect(umViewer.html).toContain('href="/analytics/users"');
    expect(umViewer.html).not.toContain('href="/analytics/billing"');
    const owner = await getPage("/analytics", w.owner.cookie);
    for (const href of ["/analytics/users", "/analytics/settings", "/analytics/billing", "/analytics/license-keys", "/analytics/campaigns", "/analytics/quota", "/analytics/blocks"])
      expect(owner.html).toContain(`href="${href}"`);
    const billingOnly = await makeUser({ orgId: w.orgId, analyticsAccess: "Y" });
    await grantModules(billingOnly.id, { billing: "read_only" });
    const billing = await getPage("/analytics", await signIn(billingOnly));
    expect(billing.html).toContain('href="/analytics/billing"');
    expect(billing.html).not.toContain('href="/analytics/blocks"');
  });
});
