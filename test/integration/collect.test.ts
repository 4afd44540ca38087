// F-45 POST /api/v1/collect: public, cross-origin, one upsert per hit into the
// day's counters; refusals explained (404 unknown key, 403 blocked or
// organization terminated, 422 type or time or body, 429 too many from one
// sender to one site).
import { SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { analyticsBlocks, analyticsDailyStats, analyticsSettings, organizations } from "../../src/db/schema";
import { COLLECT_LIMIT, HIT_MAX_AGE_MS, utcDay } from "../../src/domain/analytics-data";
import { newId } from "../../src/lib/ids";
import { makeSite } from "../helpers/analytics";
import { db, expectError, makeOrg, ORIGIN } from "../helpers/fixtures";

const HOUR = 3_600_000;

function hit(body: unknown, options: { headers?: Record<string, string>; raw?: string } = {}) {
  return SELF.fetch(`${ORIGIN}/api/v1/collect`, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: options.raw ?? JSON.stringify(body),
  });
}

const statsOf = (siteId: string) => db().select().from(analyticsDailyStats).where(eq(analyticsDailyStats.siteId, siteId)).orderBy(analyticsDailyStats.day, analyticsDailyStats.licenseKey);

async function newSite() {
  const org = await makeOrg();
  return { org, site: await makeSite(org.id) };
}

async function block(orgId: string, kind: "ip" | "client", value: string) {
  await db().insert(analyticsBlocks).values({ id: newId(), orgId, kind, value, createdAt: Date.now() });
}

async function allowEvents(orgId: string, types: string[] | null) {
  await db()
    .insert(analyticsSettings)
    .values({ orgId, allowedEvents: types === null ? null : JSON.stringify(types), updatedAt: Date.now() });
}

describe("recording hits", () => {
  it("counts a visit on the hit's UTC day, with no session and open CORS (204)", async () => {
    const { site } = await newSite();
    const at = new Date(Date.now() - 2 * HOUR).toISOString();
    const res = await hit({ siteKey: site.siteKey, type: "visit", at });
    expect(res.status, await res.text()).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(await statsOf(site.id)).toEqual([{ siteId: site.id, day: utcDay(Date.parse(at)), licenseKey: "", visits: 1, events: 0 }]);
  });

  it("counts a time sent with an offset on its UTC day", async () => {
    const { site } = await newSite();
    const instant = Date.now() - 30 * HOUR;
    // The same instant written in UTC−05:00: the wall-clock day may differ from the UTC day.
    const at = new Date(instant - 5 * HOUR).toISOString().replace("Z", "-05:00");
    expect((await hit({ siteKey: site.siteKey, type: "visit", at })).status).toBe(204);
    const [row] = await statsOf(site.id);
    expect(row?.day).toBe(utcDay(instant));
  });

  it("counts any other allowed type as an event, not a visit", async () => {
    const { site } = await newSite();
    expect((await hit({ siteKey: site.siteKey, type: "click" })).status).toBe(204);
    expect(await statsOf(site.id)).toEqual([{ siteId: site.id, day: utcDay(Date.now()), licenseKey: "", visits: 0, events: 1 }]);
  });

  it("adds up hits of the same day in one row", async () => {
    const { site } = await newSite();
    const at = new Date(Date.now() - HOUR).toISOString();
    for (const type of ["visit", "visit", "pageview", "visit", "download"]) {
      expect((await hit({ siteKey: site.siteKey, type, at })).status).toBe(204);
    }
    expect(await statsOf(site.id)).toEqual([{ siteId: site.id, day: utcDay(Date.parse(at)), licenseKey: "", visits: 3, events: 2 }]);
  });

  it("keeps a row per license key and per day", async () => {
    const { site } = await newSite();
    const today = new Date(Date.now() - 60_000).toISOString();
    const earlier = new Date(Date.now() - 47 * HOUR).toISOString();
    await hit({ siteKey: site.siteKey, type: "visit", at: today, licenseKey: "LK-1" });
    await hit({ siteKey: site.siteKey, type: "visit", at: today, licenseKey: "LK-1" });
    await hit({ siteKey: site.siteKey, type: "visit", at: today });
    await hit({ siteKey: site.siteKey, type: "visit", at: earlier, licenseKey: "LK-1" });
    const rows = await statsOf(site.id);
    const find = (day: string, licenseKey: string) => rows.find((r) => r.day === day && r.licenseKey === licenseKey)?.visits;
    // 47 hours apart: always two different UTC days.
    expect(find(utcDay(Date.parse(today)), "LK-1")).toBe(2);
    expect(find(utcDay(Date.parse(today)), "")).toBe(1);
    expect(find(utcDay(Date.parse(earlier)), "LK-1")).toBe(1);
    expect(rows).toHaveLength(3);
  });

  it("accepts a call from any Origin (tracked sites are elsewhere)", async () => {
    const { site } = await newSite();
    const res = await hit({ siteKey: site.siteKey, type: "visit" }, { headers: { origin: "https://shop.example.net", "sec-fetch-site": "cross-site" } });
    expect(res.status, await res.text()).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("accepts a text/plain body, as navigator.sendBeacon sends it", async () => {
    const { site } = await newSite();
    const res = await hit({ siteKey: site.siteKey, type: "visit" }, { headers: { "content-type": "text/plain;charset=UTF-8", origin: "https://shop.example.net" } });
    expect(res.status, await res.text()).toBe(204);
    expect((await statsOf(site.id))[0]?.visits).toBe(1);
  });

  it("answers the CORS preflight for any origin, without credentials", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/v1/collect`, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example.net", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toBe("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toBe("content-type");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });
});

describe("refusals", () => {
  it("answers 404 for an unknown site key, with CORS so the page can read it", async () => {
    const res = await hit({ siteKey: "sk_no_such_site", type: "visit" });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    await expectError(res, 404, "not_found");
  });

  it("refuses hits to a site of a terminated organization (403), and writes nothing", async () => {
    const { org, site } = await newSite();
    expect((await hit({ siteKey: site.siteKey, type: "visit" })).status).toBe(204);
    await db().update(organizations).set({ status: "terminated" }).where(eq(organizations.id, org.id));
    const error = await expectError(await hit({ siteKey: site.siteKey, type: "visit" }), 403, "forbidden");
    expect(error.message).toMatch(/terminated/);
    expect((await statsOf(site.id)).map((r) => r.visits)).toEqual([1]);
  });

  it("refuses a blocked IP address of the site's workspace (403), and writes nothing", async () => {
    const { org, site } = await newSite();
    await block(org.id, "ip", "203.0.113.7");
    await expectError(await hit({ siteKey: site.siteKey, type: "visit" }, { headers: { "cf-connecting-ip": "203.0.113.7" } }), 403, "forbidden");
    expect(await statsOf(site.id)).toEqual([]);
    expect((await hit({ siteKey: site.siteKey, type: "visit" }, { headers: { "cf-connecting-ip": "203.0.113.8" } })).status).toBe(204);
  });

  it("matches a blocked IPv6 address however the sender's address is spelled", async () => {
    const { org, site } = await newSite();
    // Stored as the Product Administrator's block page stores it: canonical, lower case.
    await block(org.id, "ip", "2001:db8::1");
    await expectError(await hit({ siteKey: site.siteKey, type: "visit" }, { headers: { "cf-connecting-ip": "2001:0DB8:0:0:0:0:0:1" } }), 403, "forbidden");
    expect(await statsOf(site.id)).toEqual([]);
  });

  it("refuses a blocked client id (403), and writes nothing", async () => {
    const { org, site } = await newSite();
    await block(org.id, "client", "bot-42");
    await expectError(await hit({ siteKey: site.siteKey, type: "visit", clientId: "bot-42" }), 403, "forbidden");
    expect(await statsOf(site.id)).toEqual([]);
    expect((await hit({ siteKey: site.siteKey, type: "visit", clientId: "person-1" })).status).toBe(204);
  });

  it("applies a workspace's blocks to its own sites only", async () => {
    const { org } = await newSite();
    const other = await newSite();
    await block(org.id, "ip", "198.51.100.1");
    await block(org.id, "client", "shared-client");
    const res = await hit({ siteKey: other.site.siteKey, type: "visit", clientId: "shared-client" }, { headers: { "cf-connecting-ip": "198.51.100.1" } });
    expect(res.status, await res.text()).toBe(204);
  });

  it("refuses a type the workspace's settings do not allow (422 on type), and accepts one they add", async () => {
    const { org, site } = await newSite();
    await allowEvents(org.id, ["visit", "signup"]);
    const error = await expectError(await hit({ siteKey: site.siteKey, type: "click" }), 422, "validation_failed");
    expect(error.fields?.type).toBeDefined();
    expect((await hit({ siteKey: site.siteKey, type: "signup" })).status).toBe(204);
    expect(await statsOf(site.id)).toEqual([{ siteId: site.id, day: utcDay(Date.now()), licenseKey: "", visits: 0, events: 1 }]);
  });

  it("uses the default types when the workspace has no list", async () => {
    const { org, site } = await newSite();
    await allowEvents(org.id, null);
    expect((await hit({ siteKey: site.siteKey, type: "pageview" })).status).toBe(204);
    expect((await hit({ siteKey: site.siteKey, type: "form_submit" })).status).toBe(204);
    const error = await expectError(await hit({ siteKey: site.siteKey, type: "signup" }), 422, "validation_failed");
    expect(error.fields?.type).toBeDefined();
  });

  it("uses the default types when the workspace has no settings row at all", async () => {
    const { site } = await newSite();
    expect((await hit({ siteKey: site.siteKey, type: "custom" })).status).toBe(204);
    await expectError(await hit({ siteKey: site.siteKey, type: "signup" }), 422, "validation_failed");
  });

  it.each([
    ["no site key", { type: "visit" }, "siteKey"],
    ["no type", { siteKey: "sk_x" }, "type"],
    ["a type with capitals", { siteKey: "sk_x", type: "Click" }, "type"],
    ["a type with spaces", { siteKey: "sk_x", type: "add to cart" }, "type"],
    ["a type longer than 40", { siteKey: "sk_x", type: `a${"b".repeat(40)}` }, "type"],
    ["a time that is not ISO-8601", { siteKey: "sk_x", type: "visit", at: "yesterday" }, "at"],
    ["a client id over 100 characters", { siteKey: "sk_x", type: "visit", clientId: "c".repeat(101) }, "clientId"],
    ["a license key over 100 characters", { siteKey: "sk_x", type: "visit", licenseKey: "k".repeat(101) }, "licenseKey"],
    ["a number as type", { siteKey: "sk_x", type: 5 }, "type"],
  ])("refuses %s (422 on the field)", async (_label, body, field) => {
    const error = await expectError(await hit(body), 422, "validation_failed");
    expect(error.fields?.[field], JSON.stringify(error)).toBeDefined();
  });

  it("refuses a body that is not JSON, or not an object (422)", async () => {
    expect((await expectError(await hit(null, { raw: "siteKey=x&type=visit" }), 422, "validation_failed")).fields?.body).toBeDefined();
    expect((await expectError(await hit(["visit"]), 422, "validation_failed")).fields).toBeDefined();
  });

  it("refuses a body larger than 2 KB (422 on body)", async () => {
    const { site } = await newSite();
    const error = await expectError(await hit({ siteKey: site.siteKey, type: "visit", padding: "x".repeat(3000) }), 422, "validation_failed");
    expect(error.fields?.body).toMatch(/2048/);
    expect(await statsOf(site.id)).toEqual([]);
  });

  it("refuses a content type other than JSON or text (415)", async () => {
    const { site } = await newSite();
    const res = await hit(null, { raw: `siteKey=${site.siteKey}&type=visit`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    await expectError(res, 415, "unsupported_media_type");
  });

  it("refuses a hit older than 48 hours or more than 5 minutes ahead (422 on at)", async () => {
    const { site } = await newSite();
    const old = new Date(Date.now() - HIT_MAX_AGE_MS - 60_000).toISOString();
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
    expect((await expectError(await hit({ siteKey: site.siteKey, type: "visit", at: old }), 422, "validation_failed")).fields?.at).toMatch(/48 hours/);
    expect((await expectError(await hit({ siteKey: site.siteKey, type: "visit", at: ahead }), 422, "validation_failed")).fields?.at).toMatch(/future/);
    expect(await statsOf(site.id)).toEqual([]);
  });

  it("keeps unknown extra fields from refusing a hit", async () => {
    const { site } = await newSite();
    expect((await hit({ siteKey: site.siteKey, type: "visit", url: "https://shop.example.net/" })).status).toBe(204);
  });
});

// Each test may first wait up to half a period for a fresh window (below), so
// the default 5 s limit would fail it whenever that wait is long.
describe("rate limit per site and sender", { timeout: COLLECT_LIMIT.periodSeconds * 1000 + 15_000 }, () => {
  const { hits, periodSeconds } = COLLECT_LIMIT;
  const from = (ip: string) => ({ headers: { "cf-connecting-ip": ip } });

  /**
   * The limiter counts in windows aligned to the clock. Starting near the end
   * of one would let the hits below spill into the next window, whose fresh
   * count would accept them; so start early in a window.
   */
  async function startOfWindow() {
    const left = periodSeconds * 1000 - (Date.now() % (periodSeconds * 1000));
    if (left < (periodSeconds * 1000) / 2) await new Promise((resolve) => setTimeout(resolve, left + 50));
  }

  it(`accepts ${hits} hits per period from one address to one site, then answers 429 with Retry-After and records nothing more`, async () => {
    const { site } = await newSite();
    await startOfWindow();
    for (let i = 0; i < hits; i++) {
      const res = await hit({ siteKey: site.siteKey, type: "visit" }, from("203.0.113.20"));
      expect(res.status, `hit ${i + 1}`).toBe(204);
    }
    const refused = await hit({ siteKey: site.siteKey, type: "visit" }, from("203.0.113.20"));
    expect(refused.headers.get("retry-after")).toBe(String(periodSeconds));
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    // A tracked page on another origin may read it: CORS does not safelist Retry-After.
    expect(refused.headers.get("access-control-expose-headers")).toBe("Retry-After");
    const error = await expectError(refused, 429, "rate_limited");
    expect(error.message).toContain(`${hits} every ${periodSeconds} seconds`);
    expect(await statsOf(site.id)).toEqual([expect.objectContaining({ visits: hits, events: 0 })]);
  });

  it("keeps counting another address to the same site, and the same address to another site", async () => {
    const { site } = await newSite();
    const { site: otherSite } = await newSite();
    await startOfWindow();
    for (let i = 0; i < hits; i++) await hit({ siteKey: site.siteKey, type: "visit" }, from("203.0.113.21"));
    await expectError(await hit({ siteKey: site.siteKey, type: "visit" }, from("203.0.113.21")), 429, "rate_limited");
    expect((await hit({ siteKey: site.siteKey, type: "visit" }, from("203.0.113.22"))).status).toBe(204);
    expect((await hit({ siteKey: otherSite.siteKey, type: "visit" }, from("203.0.113.21"))).status).toBe(204);
    expect(await statsOf(site.id)).toEqual([expect.objectContaining({ visits: hits + 1 })]);
  });
});
