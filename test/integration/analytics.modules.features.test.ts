// F-44 module features behind the guards: blocks and data deletion (Product
// Administrator), Quota Usage numbers, Developer settings and the AES key,
// Billing, the license key registry and ReachOut campaign rules — through the
// API and the pages.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { analyticsSettings, auditEvents } from "../../src/db/schema";
import { DEFAULT_EVENT_TYPES, DEFAULT_MONTHLY_EVENT_QUOTA } from "../../src/domain/analytics-data";
import { utcMonth } from "../../src/domain/analytics-features";
import { DEV_SECRETS } from "../../src/lib/config";
import { decryptSecret } from "../../src/lib/crypto";
import { eq } from "drizzle-orm";
import { makeSite, seedStats } from "../helpers/analytics";
import { auditByAction, campaignRow, lazyTeam, licenseKeyRow, makeCampaign, makeLicenseKey, otherOrg, settingsRow, statDays, type Member } from "../helpers/analytics-modules";
import { api, auditOf, db, expectError, ORIGIN } from "../helpers/fixtures";
import { flashOf, page } from "../helpers/portal";

const A = "/api/v1/analytics";
let serial = 0;
const unique = () => ++serial;

/** A workspace whose owner acts, for "the same value in another workspace" checks. */
const elsewhere = lazyTeam({ owner: "owner" });

const json = async <T,>(res: Response, status = 200): Promise<T> => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
};

const csrfCache = new Map<string, Promise<string>>();
const csrf = (cookie: string) => {
  if (!csrfCache.has(cookie)) csrfCache.set(cookie, page("/account", cookie).then(async (r) => (await r.text()).match(/name="_csrf" value="([^"]+)"/)![1]!));
  return csrfCache.get(cookie)!;
};

async function post(path: string, who: Member, fields: Record<string, string>, options: { hx?: boolean } = {}) {
  const token = await csrf(who.cookie);
  const res = await SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: {
      cookie: who.cookie,
      origin: ORIGIN,
      "content-type": "application/x-www-form-urlencoded",
      ...(options.hx ? { "hx-request": "true", "x-csrf-token": token } : {}),
    },
    body: new URLSearchParams(options.hx ? fields : { _csrf: token, ...fields }).toString(),
    redirect: "manual",
  });
  return { status: res.status, html: await res.text(), location: res.headers.get("location"), flash: flashOf(res), headers: res.headers };
}

// ---------------------------------------------------------------- blocks

describe("blocking clients and IP addresses", () => {
  const workspace = lazyTeam({ admin: { product_admin: "full" } });

  it("an IP block must be a valid IPv4 or IPv6 address (422 with the field)", async () => {
    const { orgId, admin } = await workspace();
    for (const value of ["999.1.1.1", "10.0.0", "2001:db8:::1", "not-an-ip", "01.2.3.4"]) {
      const error = await expectError(await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "ip", value } }), 422, "validation_failed");
      expect(error.fields?.value, value).toMatch(/valid IPv4 or IPv6/);
    }
    await expectError(await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "browser", value: "x" } }), 422, "validation_failed");
    await expectError(await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "client", value: "has spaces" } }), 422, "validation_failed");
    expect(await auditByAction(orgId, "analytics.block.created")).toHaveLength(0);
  });

  it("IPv6 is stored in its one canonical spelling, so the same address typed differently is a duplicate (409)", async () => {
    const { orgId, admin } = await workspace();
    const created = await json<{ block: { id: string; value: string } }>(
      await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "ip", value: "2001:0DB8:0000:0000:0000:0000:0000:0001" } }),
      201,
    );
    expect(created.block.value).toBe("2001:db8::1");
    const dup = await expectError(await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "ip", value: "2001:db8::0:1" } }), 409, "conflict");
    expect(dup.fields?.value).toBe("Already blocked.");
    const [audit] = await auditOf(created.block.id, "analytics.block.created");
    expect(JSON.parse(audit!.after!)).toEqual({ kind: "ip", value: "2001:db8::1" });
    expect(audit!.orgId).toBe(orgId);
  });

  it("a client and an IPv4 address are blocked once; another workspace may block the same value", async () => {
    const { admin } = await workspace();
    expect((await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "client", value: "client-42" } })).status).toBe(201);
    await expectError(await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "client", value: "client-42" } }), 409, "conflict");
    expect((await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "ip", value: " 192.0.2.10 " } })).status).toBe(201);
    await expectError(await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "ip", value: "192.0.2.10" } }), 409, "conflict");

        expect((await api(`${A}/blocks`, { cookie: (await elsewhere()).owner.cookie, body: { kind: "client", value: "client-42" } })).status).toBe(201);
  });

  it("removing a block is audited, and removing it again answers 404", async () => {
    const { admin } = await workspace();
    const { block } = await json<{ block: { id: string } }>(await api(`${A}/blocks`, { cookie: admin.cookie, body: { kind: "client", value: `gone-${unique()}` } }), 201);
    expect((await api(`${A}/blocks/${block.id}`, { method: "DELETE", cookie: admin.cookie })).status).toBe(204);
    await expectError(await api(`${A}/blocks/${block.id}`, { method: "DELETE", cookie: admin.cookie }), 404, "not_found");
    expect(await auditOf(block.id, "analytics.block.removed")).toHaveLength(1);
  });

  it("the page adds a block, keeps the typed value on an error, and asks before unblocking or deleting data", async () => {
    const { orgId, admin } = await workspace();
    const site = await makeSite(orgId, { name: "Has data" });
    const bad = await post("/analytics/blocks", admin, { kind: "ip", value: "300.300.300.300" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain('value="300.300.300.300"');
    expect(bad.html).toContain("Enter a valid IPv4 or IPv6 address");

    const ok = await post("/analytics/blocks", admin, { kind: "ip", value: "198.51.100.77" });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe("/analytics/blocks");
    expect(ok.flash).toBe("Blocked. Collection refuses it from now on.");
    const html = await (await page("/analytics/blocks", admin.cookie)).text();
    expect(html).toContain("198.51.100.77");
    expect(html).toMatch(/data-confirm="Unblock 198\.51\.100\.77\?/);
    expect(html).toMatch(/id="delete-data"[^>]*data-confirm="Delete the collected data/);
    expect(html).toContain(`<option value="${site.id}">Has data</option>`);
  });
});

describe("deleting collected data", () => {
  const workspace = lazyTeam({ admin: { product_admin: "full" } });
  const DAYS = ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"];

  it("removes only that site's rows inside the range (both ends included) and audits range and count", async () => {
    const { orgId, admin } = await workspace();
    const [site, sibling] = [await makeSite(orgId), await makeSite(orgId)];
    await seedStats(site.id, [...DAYS.map((day) => ({ day, visits: 1, events: 2 })), { day: "2025-01-03", visits: 4, events: 4, licenseKey: "LK-1" }]);
    await seedStats(sibling.id, DAYS.map((day) => ({ day, visits: 1, events: 1 })));

    const res = await api(`${A}/sites/${site.id}/data?from=2025-01-02&to=2025-01-04`, { method: "DELETE", cookie: admin.cookie });
    expect(await json(res)).toEqual({ deleted: 4 });
    expect(await statDays(site.id)).toEqual(["2025-01-01", "2025-01-05"]);
    expect(await statDays(sibling.id)).toEqual(DAYS);

    const [audit] = await auditOf(site.id, "analytics.data.deleted");
    expect(JSON.parse(audit!.after!)).toMatchObject({ from: "2025-01-02", to: "2025-01-04", deleted: 4 });
  });

  it("a range that ends before it starts, or a day that does not exist, is refused (422)", async () => {
    const { orgId, admin } = await workspace();
    const site = await makeSite(orgId);
    await seedStats(site.id, [{ day: "2025-02-10", visits: 1, events: 1 }]);
    const reversed = await expectError(await api(`${A}/sites/${site.id}/data?from=2025-02-11&to=2025-02-01`, { method: "DELETE", cookie: admin.cookie }), 422, "validation_failed");
    expect(reversed.fields?.to).toBeDefined();
    const impossible = await expectError(await api(`${A}/sites/${site.id}/data?from=2025-02-30&to=2025-03-01`, { method: "DELETE", cookie: admin.cookie }), 422, "validation_failed");
    expect(impossible.fields?.from).toBeDefined();
    await expectError(await api(`${A}/sites/${site.id}/data`, { method: "DELETE", cookie: admin.cookie }), 422, "validation_failed");
    expect(await statDays(site.id)).toEqual(["2025-02-10"]);
  });

  it("a site that does not exist answers 404", async () => {
    const { admin } = await workspace();
    await expectError(await api(`${A}/sites/nope/data?from=2025-01-01&to=2025-01-02`, { method: "DELETE", cookie: admin.cookie }), 404, "not_found");
  });

  it("the page's delete form removes the data and reports the count", async () => {
    const { orgId, admin } = await workspace();
    const site = await makeSite(orgId, { name: `Deletable ${unique()}` });
    await seedStats(site.id, [{ day: "2025-06-01", visits: 1, events: 1 }, { day: "2025-06-02", visits: 1, events: 1 }]);
    const missing = await post("/analytics/blocks/delete-data", admin, { siteId: "", from: "2025-06-01", to: "2025-06-30" });
    expect(missing.status).toBe(422);
    expect(missing.html).toContain("Choose a site or app.");
    expect(missing.html).toContain('value="2025-06-30"');

    const done = await post("/analytics/blocks/delete-data", admin, { siteId: site.id, from: "2025-06-01", to: "2025-06-30" });
    expect(done.status).toBe(303);
    expect(done.location).toBe("/analytics/blocks");
    expect(done.flash).toBe("Deleted 2 daily records of collected data.");
    expect(await statDays(site.id)).toEqual([]);
  });
});

// ---------------------------------------------------------------- quota

describe("quota usage", () => {
  const workspace = lazyTeam({ viewer: { quota_usage: "full" } });
  const ownQuota = lazyTeam({ viewer: { quota_usage: "full" } });

  it("counts this UTC month's visits and events per site in one answer, leaving other months and workspaces out", async () => {
    const { orgId, viewer } = await workspace();
    const now = Date.now();
    const months = [utcMonth(now - 40 * 86_400_000).month, utcMonth(now).month, utcMonth(now + 40 * 86_400_000).month];
    const [alpha, beta, idle] = [await makeSite(orgId, { name: "Alpha" }), await makeSite(orgId, { name: "Beta" }), await makeSite(orgId, { name: "Idle" })];
    // Distinct numbers per month: whichever month the server is in when it answers, the expectation follows it.
    for (const [i, month] of months.entries()) {
      await seedStats(alpha.id, [
        { day: `${month}-01`, visits: 10 * (i + 1), events: 100 * (i + 1) },
        { day: `${month}-15`, visits: 1, events: 5, licenseKey: "LK-A" },
      ]);
      await seedStats(beta.id, [{ day: `${month}-28`, visits: 2 * (i + 1), events: 20 * (i + 1) }]);
    }
    const foreign = await makeSite((await otherOrg()).id);
    await seedStats(foreign.id, months.map((m) => ({ day: `${m}-02`, visits: 999, events: 999 })));

    const quota = await json<{ month: string; quota: number; used: { visits: number; events: number; total: number }; perSite: { siteId: string; name: string; visits: number; events: number }[]; percent: number }>(
      await api(`${A}/quota`, { cookie: viewer.cookie }),
    );
    const i = months.indexOf(quota.month);
    expect(i, `answered month ${quota.month}`).toBeGreaterThanOrEqual(0);
    const n = i + 1;
    expect(quota.perSite).toEqual([
      { siteId: alpha.id, name: "Alpha", visits: 10 * n + 1, events: 100 * n + 5 },
      { siteId: beta.id, name: "Beta", visits: 2 * n, events: 20 * n },
      { siteId: idle.id, name: "Idle", visits: 0, events: 0 },
    ]);
    const visits = 12 * n + 1;
    const events = 120 * n + 5;
    expect(quota.used).toEqual({ visits, events, total: visits + events });
    expect(quota.quota).toBe(DEFAULT_MONTHLY_EVENT_QUOTA);
    expect(quota.percent).toBe(Math.round(((visits + events) / DEFAULT_MONTHLY_EVENT_QUOTA) * 1000) / 10);
  });

  it("uses the workspace's own monthly quota when it has one, and the page shows a meter and the sites", async () => {
    const { orgId, viewer } = await ownQuota();
    const site = await makeSite(orgId, { name: "Gamma" });
    // The same numbers in the months around now, so the answer does not depend on the month it is computed in.
    const now = Date.now();
    const months = [utcMonth(now - 40 * 86_400_000).month, utcMonth(now).month, utcMonth(now + 40 * 86_400_000).month];
    await seedStats(site.id, months.map((m) => ({ day: `${m}-10`, visits: 10, events: 40 })));
    await db().insert(analyticsSettings).values({ orgId, monthlyEventQuota: 200, updatedAt: Date.now() });

    const quota = await json<{ quota: number; used: { total: number }; percent: number }>(await api(`${A}/quota`, { cookie: viewer.cookie }));
    expect(quota).toMatchObject({ quota: 200, used: { total: 50 }, percent: 25 });

    const html = await (await page("/analytics/quota", viewer.cookie)).text();
    expect(html).toMatch(/<meter[^>]*max="200"[^>]*value="50"|<meter[^>]*value="50"[^>]*max="200"/);
    expect(html).toContain("Gamma");
    expect(html).toContain("(25%)");
  });
});

// ---------------------------------------------------------------- developer

type DeveloperAnswer = { developer: { callHomeUrl: string | null; allowedEvents: string[]; usesDefaultEvents: boolean; aesKey: { set: boolean; setAt: string | null } } };

describe("developer settings", () => {
  const workspace = lazyTeam({ dev: { developer: "full" }, reader: { developer: "read_only" } });

  it("a new workspace has no call-home URL, the default events and no AES key", async () => {
    const { reader } = await workspace();
    const { developer } = await json<DeveloperAnswer>(await api(`${A}/settings/developer`, { cookie: reader.cookie }));
    expect(developer).toMatchObject({ callHomeUrl: null, allowedEvents: [...DEFAULT_EVENT_TYPES], usesDefaultEvents: true, aesKey: { set: false, setAt: null } });
  });

  it("allowed events must include \"visit\", match the event type pattern and number 1–30 (422 on allowedEvents)", async () => {
    const { orgId, dev } = await workspace();
    const put = (body: unknown) => api(`${A}/settings/developer`, { method: "PUT", cookie: dev.cookie, body });
    for (const allowedEvents of [["click", "download"], ["visit", "Bad-Type"], [], ["visit", ...Array.from({ length: 30 }, (_, i) => `e${i}`)], "visit"]) {
      const error = await expectError(await put({ allowedEvents }), 422, "validation_failed");
      expect(Object.keys(error.fields ?? {}), JSON.stringify(allowedEvents)).toEqual(["allowedEvents"]);
    }
    expect((await expectError(await put({ allowedEvents: ["click"] }), 422, "validation_failed")).fields?.allowedEvents).toContain('"visit"');
    await expectError(await put({ callHomeUrl: "ftp://example.com" }), 422, "validation_failed");
    await expectError(await put({ callHomeUrl: "https://example.com", extra: 1 }), 422, "validation_failed");
    expect(await auditByAction(orgId, "analytics.settings.developer.changed")).toHaveLength(0);
  });

  it("saving narrows the events, is audited with before and after, and null goes back to the defaults", async () => {
    const { orgId, dev } = await workspace();
    const put = (body: unknown) => api(`${A}/settings/developer`, { method: "PUT", cookie: dev.cookie, body });
    const saved = await json<DeveloperAnswer>(await put({ callHomeUrl: "https://product.example.com/ping", allowedEvents: ["visit", "click", "click"] }));
    expect(saved.developer).toMatchObject({ callHomeUrl: "https://product.example.com/ping", allowedEvents: ["visit", "click"], usesDefaultEvents: false });
    expect(JSON.parse((await settingsRow(orgId))!.allowedEvents!)).toEqual(["visit", "click"]);
    const [audit] = await auditByAction(orgId, "analytics.settings.developer.changed");
    expect(JSON.parse(audit!.before!)).toEqual({ callHomeUrl: null, allowedEvents: null });
    expect(JSON.parse(audit!.after!)).toEqual({ callHomeUrl: "https://product.example.com/ping", allowedEvents: ["visit", "click"] });

    const reset = await json<DeveloperAnswer>(await put({ callHomeUrl: null, allowedEvents: null }));
    expect(reset.developer).toMatchObject({ callHomeUrl: null, allowedEvents: [...DEFAULT_EVENT_TYPES], usesDefaultEvents: true });
    expect((await settingsRow(orgId))!.allowedEvents).toBeNull();
  });

  it("the AES key is answered once, stored only encrypted, and never written to the audit log", async () => {
    const { orgId, dev, reader } = await workspace();
    const first = await json<{ aesKey: string; setAt: string }>(await api(`${A}/settings/developer/aes-key`, { method: "POST", cookie: dev.cookie }), 201);
    expect(first.aesKey).toMatch(/^[0-9a-f]{64}$/);

    const stored = (await settingsRow(orgId))!.aesKeyEnc!;
    expect(stored).not.toContain(first.aesKey);
    expect(await decryptSecret(stored, DEV_SECRETS.TOTP_ENCRYPTION_KEY)).toBe(first.aesKey);

    const readBack = await api(`${A}/settings/developer`, { cookie: reader.cookie });
    const text = await readBack.clone().text();
    expect(text).not.toContain(first.aesKey);
    expect(((await readBack.json()) as DeveloperAnswer).developer.aesKey).toEqual({ set: true, setAt: first.setAt });
    expect(await (await page("/analytics/settings", dev.cookie)).text()).not.toContain(first.aesKey);

    const second = await json<{ aesKey: string }>(await api(`${A}/settings/developer/aes-key`, { method: "POST", cookie: dev.cookie }), 201);
    expect(second.aesKey).not.toBe(first.aesKey);
    expect(await decryptSecret((await settingsRow(orgId))!.aesKeyEnc!, DEV_SECRETS.TOTP_ENCRYPTION_KEY)).toBe(second.aesKey);

    const audits = await db().select().from(auditEvents).where(eq(auditEvents.orgId, orgId));
    expect(audits.filter((a) => a.action === "analytics.settings.developer.aes_key.generated")).toHaveLength(2);
    for (const a of audits) {
      expect(`${a.before}${a.after}`).not.toContain(first.aesKey);
      expect(`${a.before}${a.after}`).not.toContain(second.aesKey);
    }
  });

  it("the settings page shows a new key once and keeps typed values on an error", async () => {
    const { dev } = await workspace();
    const generated = await post("/analytics/settings/aes-key", dev, {});
    expect(generated.status).toBe(200);
    const key = generated.html.match(/id="new-aes-key">([0-9a-f]{64})</)?.[1];
    expect(key).toBeDefined();
    expect(await (await page("/analytics/settings", dev.cookie)).text()).not.toContain(key!);

    const bad = await post("/analytics/settings", dev, { callHomeUrl: "https://example.com/x", allowedEvents: "click\ndownload" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("click\ndownload");
    expect(bad.html).toContain('value="https://example.com/x"');
    expect(bad.html).toContain("must include");

    const ok = await post("/analytics/settings", dev, { callHomeUrl: "", allowedEvents: "visit, pageview\nclick" });
    expect(ok.status).toBe(303);
    const { developer } = await json<DeveloperAnswer>(await api(`${A}/settings/developer`, { cookie: dev.cookie }));
    expect(developer.allowedEvents).toEqual(["visit", "pageview", "click"]);
  });
});

// ---------------------------------------------------------------- billing

describe("billing details", () => {
  const workspace = lazyTeam({ biller: { billing: "full" } });
  const valid = { billingName: "Acme Ltd", billingEmail: "Billing@Acme.example ", billingAddress: "1 Road\nTown", vatId: "gb 123 4567 89" };

  it("the billing email must be a valid address (422 on billingEmail); a VAT ID starts with a country code", async () => {
    const { orgId, biller } = await workspace();
    const put = (body: unknown) => api(`${A}/billing`, { method: "PUT", cookie: biller.cookie, body });
    expect((await expectError(await put({ ...valid, billingEmail: "not-an-email" }), 422, "validation_failed")).fields?.billingEmail).toBeDefined();
    expect((await expectError(await put({ ...valid, billingEmail: undefined }), 422, "validation_failed")).fields?.billingEmail).toBeDefined();
    expect((await expectError(await put({ ...valid, billingName: "  " }), 422, "validation_failed")).fields?.billingName).toBeDefined();
    expect((await expectError(await put({ ...valid, vatId: "123" }), 422, "validation_failed")).fields?.vatId).toBeDefined();
    expect(await auditByAction(orgId, "analytics.billing.changed")).toHaveLength(0);
  });

  it("saving stores the details (email normalized) and audits before and after", async () => {
    const { orgId, biller } = await workspace();
    const { billing } = await json<{ billing: Record<string, string | null> }>(await api(`${A}/billing`, { method: "PUT", cookie: biller.cookie, body: valid }));
    expect(billing).toEqual({ billingName: "Acme Ltd", billingEmail: "billing@acme.example", billingAddress: "1 Road\nTown", vatId: "GB 123 4567 89" });
    const [audit] = await auditByAction(orgId, "analytics.billing.changed");
    expect(JSON.parse(audit!.before!)).toEqual({ billingName: null, billingEmail: null, billingAddress: null, vatId: null });
    expect(JSON.parse(audit!.after!)).toEqual(billing);

    // Saving the same again changes nothing and adds no audit entry.
    await json(await api(`${A}/billing`, { method: "PUT", cookie: biller.cookie, body: valid }));
    expect(await auditByAction(orgId, "analytics.billing.changed")).toHaveLength(1);
  });

  it("the billing form shows the error next to the email and keeps what was typed", async () => {
    const { biller } = await workspace();
    const res = await post("/analytics/billing", biller, { billingName: "Typed Name", billingEmail: "broken@", billingAddress: "Typed address", vatId: "" });
    expect(res.status).toBe(422);
    expect(res.html).toContain('value="Typed Name"');
    expect(res.html).toContain('value="broken@"');
    expect(res.html).toContain("Typed address");
    expect(res.html).toMatch(/id="f-billing-email-error"[^>]*>Enter a valid email address/);
  });
});

// ---------------------------------------------------------------- license keys

describe("the license key registry", () => {
  const workspace = lazyTeam({ keys: { license_key_management: "full" } });

  it("a key is 8–64 letters, digits and dashes (422) and unique in the workspace (409), not across workspaces", async () => {
    const { orgId, keys } = await workspace();
    const add = (body: unknown, cookie = keys.cookie) => api(`${A}/license-keys`, { cookie, body });
    for (const key of ["SHORT", "has space in it", "UNDER_SCORE_KEY", "X".repeat(65)]) {
      expect((await expectError(await add({ key, label: "L" }), 422, "validation_failed")).fields?.key, key).toBeDefined();
    }
    expect((await expectError(await add({ key: "ABCD-1234-EFGH" }), 422, "validation_failed")).fields?.label).toBeDefined();
    const { licenseKey } = await json<{ licenseKey: { id: string; status: string } }>(await add({ key: "ABCD-1234-EFGH", label: "Main" }), 201);
    expect(licenseKey.status).toBe("active");
    const dup = await expectError(await add({ key: "ABCD-1234-EFGH", label: "Again" }), 409, "conflict");
    expect(dup.fields?.key).toBeDefined();
    expect(await auditByAction(orgId, "analytics.license_key.created")).toHaveLength(1);

        expect((await add({ key: "ABCD-1234-EFGH", label: "Theirs" }, (await elsewhere()).owner.cookie)).status).toBe(201);
  });

  it("relabel, revoke and reactivate are audited; an empty change is refused (422)", async () => {
    const { orgId, keys } = await workspace();
    const key = await makeLicenseKey(orgId, { label: "Before" });
    const patch = (body: unknown) => api(`${A}/license-keys/${key.id}`, { method: "PATCH", cookie: keys.cookie, body });
    await expectError(await patch({}), 422, "validation_failed");
    await expectError(await patch({ status: "deleted" }), 422, "validation_failed");
    expect((await json<{ licenseKey: { label: string; status: string } }>(await patch({ label: "After", status: "revoked" }))).licenseKey).toMatchObject({ label: "After", status: "revoked" });
    expect((await json<{ licenseKey: { status: string } }>(await patch({ status: "active" }))).licenseKey.status).toBe("active");
    const audits = await auditOf(key.id, "analytics.license_key.changed");
    expect(audits.map((a) => JSON.parse(a.after!).status).sort()).toEqual(["active", "revoked"]);
    expect(audits.some((a) => JSON.parse(a.before!).label === "Before")).toBe(true);
  });

  it("the page revokes from the row with htmx and deletes after a confirmation", async () => {
    const { orgId, keys } = await workspace();
    const key = await makeLicenseKey(orgId);
    const html = await (await page("/analytics/license-keys", keys.cookie)).text();
    expect(html).toContain(`data-confirm="Delete ${key.key} from the registry?`);

    const revoked = await post(`/analytics/license-keys/${key.id}`, keys, { status: "revoked" }, { hx: true });
    expect(revoked.status).toBe(200);
    expect(revoked.html).toMatch(new RegExp(`^<tr id="license-key-${key.id}"`));
    expect(revoked.html).toContain("Revoked.");
    expect((await licenseKeyRow(key.id))!.status).toBe("revoked");

    const emptyLabel = await post(`/analytics/license-keys/${key.id}`, keys, { label: "" }, { hx: true });
    expect(emptyLabel.status).toBe(422);
    expect(emptyLabel.headers.get("x-swap-error")).toBe("row");
    expect(emptyLabel.html).toContain("Enter a label.");

    const deleted = await post(`/analytics/license-keys/${key.id}/delete`, keys, {});
    expect(deleted.status).toBe(303);
    expect(await licenseKeyRow(key.id)).toBeNull();
    expect(await auditOf(key.id, "analytics.license_key.deleted")).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- campaigns

describe("ReachOut campaigns", () => {
  const workspace = lazyTeam({ marketer: { reachout: "full" } });
  type CampaignAnswer = { campaign: { id: string; name: string; status: string } };

  it("a campaign starts as a draft, can start and end; an active one cannot go back to draft (409)", async () => {
    const { marketer } = await workspace();
    const cookie = marketer.cookie;
    const { campaign } = await json<CampaignAnswer>(await api(`${A}/campaigns`, { cookie, body: { name: "Launch", message: "Version 2 is out" } }), 201);
    expect(campaign.status).toBe("draft");
    const patch = (body: unknown) => api(`${A}/campaigns/${campaign.id}`, { method: "PATCH", cookie, body });
    expect((await json<CampaignAnswer>(await patch({ status: "active" }))).campaign.status).toBe("active");
    await expectError(await patch({ status: "draft" }), 409, "conflict");
    expect((await json<CampaignAnswer>(await patch({ name: "Launch (edited)" }))).campaign.name).toBe("Launch (edited)");
    expect((await json<CampaignAnswer>(await patch({ status: "ended" }))).campaign.status).toBe("ended");
    const changes = await auditOf(campaign.id, "analytics.campaign.changed");
    expect(changes).toHaveLength(3);
    expect(changes.some((a) => JSON.parse(a.before!).status === "active" && JSON.parse(a.after!).status === "ended")).toBe(true);
  });

  it("an ended campaign is final: any change, and deleting it, answer 409", async () => {
    const { orgId, marketer } = await workspace();
    const ended = await makeCampaign(orgId, { status: "ended", name: "Old" });
    const cookie = marketer.cookie;
    for (const body of [{ name: "Renamed" }, { message: "New text" }, { status: "active" }, { status: "draft" }]) {
      await expectError(await api(`${A}/campaigns/${ended.id}`, { method: "PATCH", cookie, body }), 409, "conflict");
    }
    await expectError(await api(`${A}/campaigns/${ended.id}`, { method: "DELETE", cookie }), 409, "conflict");
    expect(await campaignRow(ended.id)).toMatchObject({ name: "Old", status: "ended" });
    expect(await auditOf(ended.id)).toHaveLength(0);
  });

  it("only drafts are deleted; an active campaign stays (409)", async () => {
    const { orgId, marketer } = await workspace();
    const [draft, active] = [await makeCampaign(orgId), await makeCampaign(orgId, { status: "active" })];
    const cookie = marketer.cookie;
    await expectError(await api(`${A}/campaigns/${active.id}`, { method: "DELETE", cookie }), 409, "conflict");
    expect(await campaignRow(active.id)).not.toBeNull();
    expect((await api(`${A}/campaigns/${draft.id}`, { method: "DELETE", cookie })).status).toBe(204);
    expect(await campaignRow(draft.id)).toBeNull();
    expect(await auditOf(draft.id, "analytics.campaign.deleted")).toHaveLength(1);
  });

  it("name and message are required (422 with fields), and the page keeps what was typed", async () => {
    const { marketer } = await workspace();
    const error = await expectError(await api(`${A}/campaigns`, { cookie: marketer.cookie, body: { name: " ", message: "" } }), 422, "validation_failed");
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(["message", "name"]);
    const res = await post("/analytics/campaigns", marketer, { name: "Typed campaign", message: "" });
    expect(res.status).toBe(422);
    expect(res.html).toContain('value="Typed campaign"');
    expect(res.html).toContain("Enter the message.");
  });

  it("the row's edit form saves name and message, and on an error reopens with what was typed", async () => {
    const { orgId, marketer } = await workspace();
    const campaign = await makeCampaign(orgId, { name: `Editable ${unique()}` });
    const bad = await post(`/analytics/campaigns/${campaign.id}`, marketer, { name: "Kept name", message: "" });
    expect(bad.status).toBe(422);
    expect(bad.html).toMatch(/<details class="edit-campaign" open/);
    expect(bad.html).toContain('value="Kept name"');
    expect(bad.html).toContain("Enter the message.");

    const ok = await post(`/analytics/campaigns/${campaign.id}`, marketer, { name: "Edited name", message: "Edited message" });
    expect(ok.status).toBe(303);
    expect(await campaignRow(campaign.id)).toMatchObject({ name: "Edited name", message: "Edited message", status: "draft" });
  });

  it("the page starts a draft with htmx, answers a refused end of an ended campaign inside its row, and confirms ending", async () => {
    const { orgId, marketer } = await workspace();
    const draft = await makeCampaign(orgId, { name: `Row ${unique()}` });
    const html = await (await page("/analytics/campaigns", marketer.cookie)).text();
    expect(html).toContain(`data-confirm="End ${draft.name}?`);

    const started = await post(`/analytics/campaigns/${draft.id}/status`, marketer, { status: "active" }, { hx: true });
    expect(started.status).toBe(200);
    expect(started.html).toContain("Started.");
    expect((await campaignRow(draft.id))!.status).toBe("active");

    const ended = await makeCampaign(orgId, { status: "ended" });
    const refused = await post(`/analytics/campaigns/${ended.id}/status`, marketer, { status: "active" }, { hx: true });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("x-swap-error")).toBe("row");
    expect(refused.html).toMatch(new RegExp(`^<tr id="campaign-${ended.id}"`));
    expect(refused.html).toContain("cannot be changed");
  });
});
