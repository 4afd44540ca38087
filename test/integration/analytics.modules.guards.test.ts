// F-44: each module guards its real pages and endpoints. For every area:
// None is refused (403) on reads and writes, Read-only (where the seed offers
// it) reads but every write is refused, Full writes and each write is audited,
// owners and Product Administrators pass everything, a Full grant of another
// module opens nothing, the page shows forms only to Full, and another
// organization's ids answer 404.
import { describe, expect, it } from "vitest";
import { MODULES } from "../../src/domain/analytics";
import { makeSite, seedStats } from "../helpers/analytics";
import {
  AREA_MODULES,
  auditByAction,
  blockRow,
  campaignRow,
  licenseKeyRow,
  makeBlock,
  makeCampaign,
  makeLicenseKey,
  otherOrg,
  READ_ONLY_AREAS,
  sharedWorkspace,
  statDays,
  type AreaModule,
  type Member,
} from "../helpers/analytics-modules";
import { api, expectError } from "../helpers/fixtures";
import { page } from "../helpers/portal";

const workspace = sharedWorkspace();
const A = "/api/v1/analytics";

interface Call {
  method: string;
  path: string;
  body?: unknown;
}
interface Write {
  call: Call;
  status: number;
  /** The audit action a successful write leaves in the workspace. */
  action: string;
}

let serial = 0;
const unique = () => ++serial;

interface Area {
  page: string;
  /** Present on the page only with the module in full. */
  formAction: string;
  reads: Call[];
  /** Fresh writes on rows of `orgId` (every call makes its own targets). */
  writes: (orgId: string) => Promise<Write[]>;
}

const AREAS: Record<AreaModule, Area> = {
  product_admin: {
    page: "/analytics/blocks",
    formAction: 'action="/analytics/blocks"',
    reads: [{ method: "GET", path: `${A}/blocks` }],
    writes: async (orgId) => {
      const block = await makeBlock(orgId, { kind: "ip", value: `203.0.113.${unique()}` });
      const site = await makeSite(orgId);
      await seedStats(site.id, [{ day: "2020-01-02", visits: 1, events: 1 }]);
      return [
        { call: { method: "POST", path: `${A}/blocks`, body: { kind: "client", value: `client-${unique()}` } }, status: 201, action: "analytics.block.created" },
        { call: { method: "DELETE", path: `${A}/blocks/${block.id}` }, status: 204, action: "analytics.block.removed" },
        { call: { method: "DELETE", path: `${A}/sites/${site.id}/data?from=2020-01-01&to=2020-01-31` }, status: 200, action: "analytics.data.deleted" },
      ];
    },
  },
  developer: {
    page: "/analytics/settings",
    formAction: 'action="/analytics/settings"',
    reads: [{ method: "GET", path: `${A}/settings/developer` }],
    writes: async () => [
      {
        call: { method: "PUT", path: `${A}/settings/developer`, body: { callHomeUrl: `https://example.com/call-home/${unique()}`, allowedEvents: ["visit", "click"] } },
        status: 200,
        action: "analytics.settings.developer.changed",
      },
      { call: { method: "POST", path: `${A}/settings/developer/aes-key` }, status: 201, action: "analytics.settings.developer.aes_key.generated" },
    ],
  },
  quota_usage: {
    page: "/analytics/quota",
    // Quota Usage only views: no form for anyone.
    formAction: 'action="/analytics/quota"',
    reads: [{ method: "GET", path: `${A}/quota` }],
    writes: async () => [],
  },
  billing: {
    page: "/analytics/billing",
    formAction: 'action="/analytics/billing"',
    reads: [{ method: "GET", path: `${A}/billing` }],
    writes: async () => [
      {
        call: { method: "PUT", path: `${A}/billing`, body: { billingName: `Billed ${unique()}`, billingEmail: "billing@example.com", billingAddress: "1 Main St\nSpringfield" } },
        status: 200,
        action: "analytics.billing.changed",
      },
    ],
  },
  license_key_management: {
    page: "/analytics/license-keys",
    formAction: 'action="/analytics/license-keys',
    reads: [{ method: "GET", path: `${A}/license-keys` }],
    writes: async (orgId) => {
      const [a, b] = [await makeLicenseKey(orgId), await makeLicenseKey(orgId)];
      return [
        { call: { method: "POST", path: `${A}/license-keys`, body: { key: `NEW-KEY-${unique()}-X`, label: "New" } }, status: 201, action: "analytics.license_key.created" },
        { call: { method: "PATCH", path: `${A}/license-keys/${a.id}`, body: { status: "revoked" } }, status: 200, action: "analytics.license_key.changed" },
        { call: { method: "DELETE", path: `${A}/license-keys/${b.id}` }, status: 204, action: "analytics.license_key.deleted" },
      ];
    },
  },
  reachout: {
    page: "/analytics/campaigns",
    formAction: 'action="/analytics/campaigns',
    reads: [{ method: "GET", path: `${A}/campaigns` }],
    writes: async (orgId) => {
      const [a, b] = [await makeCampaign(orgId), await makeCampaign(orgId)];
      return [
        { call: { method: "POST", path: `${A}/campaigns`, body: { name: `Spring ${unique()}`, message: "Upgrade today" } }, status: 201, action: "analytics.campaign.created" },
        { call: { method: "PATCH", path: `${A}/campaigns/${a.id}`, body: { status: "active" } }, status: 200, action: "analytics.campaign.changed" },
        { call: { method: "DELETE", path: `${A}/campaigns/${b.id}` }, status: 204, action: "analytics.campaign.deleted" },
      ];
    },
  },
};

const send = (who: Member, call: Call) => api(call.path, { method: call.method, body: call.body, cookie: who.cookie });
const auditCount = async (orgId: string, action: string) => (await auditByAction(orgId, action)).length;

async function expectReadsPass(who: Member, area: Area) {
  for (const call of area.reads) {
    const res = await send(who, call);
    expect(res.status, `${call.method} ${call.path}: ${await res.clone().text()}`).toBe(200);
  }
}

async function expectWritesRefused(who: Member, orgId: string, area: Area) {
  for (const write of await area.writes(orgId)) {
    const before = await auditCount(orgId, write.action);
    await expectError(await send(who, write.call), 403, "forbidden");
    expect(await auditCount(orgId, write.action), `${write.call.method} ${write.call.path} left no audit entry`).toBe(before);
  }
}

async function expectWritesPass(who: Member, orgId: string, area: Area) {
  for (const write of await area.writes(orgId)) {
    const before = await auditCount(orgId, write.action);
    const res = await send(who, write.call);
    expect(res.status, `${write.call.method} ${write.call.path}: ${await res.clone().text()}`).toBe(write.status);
    expect(await auditCount(orgId, write.action), `${write.action} audited`).toBe(before + 1);
  }
}

describe.each(AREA_MODULES)("the %s module", (module) => {
  const area = AREAS[module];
  const label = MODULES[module].label;

  it(`a user without ${label} is refused every read and write (403)`, async () => {
    const ws = await workspace();
    for (const call of area.reads) await expectError(await send(ws.none, call), 403, "forbidden");
    await expectWritesRefused(ws.none, ws.orgId, area);
    expect((await page(area.page, ws.none.cookie)).status).toBe(403);
  });

  it(`Full grants of the other modules (Product Administrator aside) do not open ${label} (403)`, async () => {
    const ws = await workspace();
    for (const other of AREA_MODULES.filter((m) => m !== module && m !== "product_admin")) {
      for (const call of area.reads) await expectError(await send(ws.full[other], call), 403, "forbidden");
    }
  });

  it(`${label} in full reads, and every write works and is audited`, async () => {
    const ws = await workspace();
    await expectReadsPass(ws.full[module], area);
    await expectWritesPass(ws.full[module], ws.orgId, area);
  });

  it(`an owner and a Product Administrator have ${label} in full`, async () => {
    const ws = await workspace();
    for (const who of [ws.owner, ws.full.product_admin]) {
      await expectReadsPass(who, area);
      await expectWritesPass(who, ws.orgId, area);
    }
  });

  it(`the ${area.page} page shows its forms only with ${label} in full`, async () => {
    const ws = await workspace();
    const res = await page(area.page, ws.full[module].cookie);
    const html = await res.text();
    expect(res.status).toBe(200);
    if (module === "quota_usage") expect(html).toContain("<meter");
    else expect(html).toContain(area.formAction);
  });
});

describe.each(READ_ONLY_AREAS)("the %s module at Read-only", (module) => {
  const area = AREAS[module];
  const label = MODULES[module].label;

  it(`${label} read-only reads, and every write is refused (403) and changes nothing`, async () => {
    const ws = await workspace();
    await expectReadsPass(ws.readOnly[module], area);
    await expectWritesRefused(ws.readOnly[module], ws.orgId, area);
  });

  it(`${label} read-only sees the page without any form`, async () => {
    const ws = await workspace();
    const res = await page(area.page, ws.readOnly[module].cookie);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("at Read-only");
    // The search form is a GET; nothing on the page posts anywhere in /analytics.
    expect(html).not.toContain('method="post" action="/analytics/');
    expect(html).not.toContain('hx-post="/analytics/');
  });
});

describe("named cases from the seed", () => {
  it("Billing read-only sees billing without changing it", async () => {
    const ws = await workspace();
    const name = `Acme Billing ${unique()}`;
    const saved = await api(`${A}/billing`, {
      method: "PUT",
      cookie: ws.full.billing.cookie,
      body: { billingName: name, billingEmail: "ap@acme.example", billingAddress: "Road 1", vatId: "DE123456789" },
    });
    expect(saved.status).toBe(200);

    const res = await api(`${A}/billing`, { cookie: ws.readOnly.billing.cookie });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { billing: { billingName: string } }).billing.billingName).toBe(name);
    await expectError(await api(`${A}/billing`, { method: "PUT", cookie: ws.readOnly.billing.cookie, body: { billingName: "Mine", billingEmail: "x@example.com", billingAddress: "Elsewhere" } }), 403, "forbidden");
    const html = await (await page("/analytics/billing", ws.readOnly.billing.cookie)).text();
    expect(html).toContain(name);
    expect(html).toContain("ap@acme.example");
    expect(html).not.toContain('id="billing-form"');
  });

  it("ReachOut read-only sees campaign details without changing them", async () => {
    const ws = await workspace();
    const campaign = await makeCampaign(ws.orgId, { name: `Visible ${unique()}`, message: "Details for read-only" });
    const html = await (await page("/analytics/campaigns", ws.readOnly.reachout.cookie)).text();
    expect(html).toContain(campaign.name);
    expect(html).toContain("Details for read-only");
    await expectError(await api(`${A}/campaigns/${campaign.id}`, { method: "PATCH", cookie: ws.readOnly.reachout.cookie, body: { name: "Changed" } }), 403, "forbidden");
    expect((await campaignRow(campaign.id))!.name).toBe(campaign.name);
  });
});

describe("another organization's ids answer 404 and stay untouched", () => {
  it("blocks, license keys and campaigns of another workspace are not found, even for an owner", async () => {
    const ws = await workspace();
    const other = await otherOrg();
    const [block, key, campaign] = [await makeBlock(other.id), await makeLicenseKey(other.id), await makeCampaign(other.id)];
    const cookie = ws.owner.cookie;
    await expectError(await api(`${A}/blocks/${block.id}`, { method: "DELETE", cookie }), 404, "not_found");
    await expectError(await api(`${A}/license-keys/${key.id}`, { cookie }), 404, "not_found");
    await expectError(await api(`${A}/license-keys/${key.id}`, { method: "PATCH", cookie, body: { status: "revoked" } }), 404, "not_found");
    await expectError(await api(`${A}/license-keys/${key.id}`, { method: "DELETE", cookie }), 404, "not_found");
    await expectError(await api(`${A}/campaigns/${campaign.id}`, { cookie }), 404, "not_found");
    await expectError(await api(`${A}/campaigns/${campaign.id}`, { method: "PATCH", cookie, body: { status: "ended" } }), 404, "not_found");
    await expectError(await api(`${A}/campaigns/${campaign.id}`, { method: "DELETE", cookie }), 404, "not_found");
    expect(await blockRow(block.id)).not.toBeNull();
    expect((await licenseKeyRow(key.id))!.status).toBe("active");
    expect((await campaignRow(campaign.id))!.status).toBe("draft");
  });

  it("deleting data of another workspace's site answers 404 and deletes nothing", async () => {
    const ws = await workspace();
    const other = await otherOrg();
    const site = await makeSite(other.id);
    await seedStats(site.id, [{ day: "2024-03-01", visits: 5, events: 9 }]);
    await expectError(await api(`${A}/sites/${site.id}/data?from=2024-01-01&to=2024-12-31`, { method: "DELETE", cookie: ws.full.product_admin.cookie }), 404, "not_found");
    expect(await statDays(site.id)).toEqual(["2024-03-01"]);
  });

  it("lists show only the caller's workspace", async () => {
    const ws = await workspace();
    const other = await otherOrg();
    const [block, key, campaign] = [await makeBlock(other.id, { kind: "client", value: `foreign-${unique()}` }), await makeLicenseKey(other.id), await makeCampaign(other.id)];
    const cookie = ws.owner.cookie;
    const ids = async (path: string) => ((await (await api(`${A}${path}?pageSize=100`, { cookie })).json()) as { items: { id: string }[] }).items.map((i) => i.id);
    expect(await ids("/blocks")).not.toContain(block.id);
    expect(await ids("/license-keys")).not.toContain(key.id);
    expect(await ids("/campaigns")).not.toContain(campaign.id);
    const searched = await (await page(`/analytics/license-keys?q=${key.key}`, cookie)).text();
    expect(searched).toContain("No license key matches this search.");
    expect(searched).not.toContain(`license-key-${key.id}`);
  });
});
