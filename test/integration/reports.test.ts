// F-45 reports through the browser's session: /api/v1/reports (JSON and CSV)
// and the /analytics report pages. Who may read (site and meta-site levels,
// Reporting module, License Key Filtering), zero-filled days, range rules,
// meta-site sums, segments and the saved dashboard.
import { describe, expect, it } from "vitest";
import { analyticsSegments } from "../../src/db/schema";
import { addDays, utcDay } from "../../src/domain/analytics-data";
import { newId } from "../../src/lib/ids";
import { grantMetaSite, grantModules, grantSite, makeAnalyticsUser, makeMetaSite, makeSite, seedStats } from "../helpers/analytics";
import { api, db, expectError, makeOrg, signIn } from "../helpers/fixtures";
import { page } from "../helpers/portal";
import { elements, pageHtml } from "../helpers/ui";

const RANGE = "from=2024-03-01&to=2024-03-05";

interface Report {
  site?: { id: string; name: string };
  metaSite?: { id: string; name: string };
  from: string;
  to: string;
  licenseKey: string | null;
  segment?: { id: string; name: string } | null;
  rows: { day: string; visits: number; events: number }[];
  totals: { visits: number; events: number };
  perSite?: { site: { id: string; name: string }; totals: { visits: number; events: number } }[];
  segments?: { id: string; name: string }[];
}

async function makeWorld() {
  const org = await makeOrg();
  const otherOrg = await makeOrg();
  const site1 = await makeSite(org.id, { name: "Alpha shop" });
  const site2 = await makeSite(org.id, { name: "Beta blog" });
  const site3 = await makeSite(org.id, { name: "Gamma app", kind: "app" });
  const foreignSite = await makeSite(otherOrg.id, { name: "Foreign site" });
  await seedStats(site1.id, [
    { day: "2024-02-29", visits: 100, events: 100 },
    { day: "2024-03-01", visits: 2, events: 5 },
    { day: "2024-03-01", visits: 1, events: 1, licenseKey: "LK-1" },
    { day: "2024-03-03", visits: 4, events: 0 },
    { day: "2024-03-06", visits: 100, events: 100 },
  ]);
  await seedStats(site2.id, [{ day: "2024-03-02", visits: 10, events: 1 }]);
  await seedStats(site3.id, [{ day: "2024-03-05", visits: 20, events: 30, licenseKey: "LK-1" }]);
  await seedStats(foreignSite.id, [{ day: "2024-03-02", visits: 999, events: 999 }]);

  const meta = await makeMetaSite(org.id, [site1.id, site2.id, site3.id], {
    name: "All properties",
    dashboard: JSON.stringify({ siteIds: [site2.id, site3.id, foreignSite.id], days: 7 }),
  });
  const otherMeta = await makeMetaSite(org.id, [site1.id], { name: "Just alpha" });
  const now = Date.now();
  const segment = { id: newId(), metaSiteId: meta.id, name: "Web only", definition: JSON.stringify({ siteIds: [site1.id, site2.id, foreignSite.id] }), createdAt: now, updatedAt: now };
  const otherSegment = { id: newId(), metaSiteId: otherMeta.id, name: "Other", definition: JSON.stringify({ siteIds: [site1.id] }), createdAt: now, updatedAt: now };
  await db().insert(analyticsSegments).values([segment, otherSegment]);

  const viewer = await makeAnalyticsUser({ orgId: org.id });
  await grantSite(site1.id, viewer.id, "view");
  await grantModules(viewer.id, { reporting: "full" });

  const filterer = await makeAnalyticsUser({ orgId: org.id });
  await grantSite(site1.id, filterer.id, "view");
  await grantMetaSite(meta.id, filterer.id, "view");
  await grantModules(filterer.id, { reporting: "full", license_key_filtering: "full" });

  const noSiteAccess = await makeAnalyticsUser({ orgId: org.id });
  await grantModules(noSiteAccess.id, { reporting: "full" });

  const noModule = await makeAnalyticsUser({ orgId: org.id });
  await grantSite(site1.id, noModule.id, "manage");
  await grantMetaSite(meta.id, noModule.id, "manage");
  await grantModules(noModule.id, { reporting_api: "full" });

  const metaViewer = await makeAnalyticsUser({ orgId: org.id });
  await grantMetaSite(meta.id, metaViewer.id, "view");
  await grantModules(metaViewer.id, { reporting: "full" });

  const foreignOwner = await makeAnalyticsUser({ orgId: otherOrg.id, analyticsOwner: true, role: "partner_manager" });
  const invited = await makeAnalyticsUser({ orgId: org.id, analyticsAccess: "N", analyticsOwner: true });

  const [viewerC, filtererC, noSiteAccessC, noModuleC, metaViewerC, foreignOwnerC, invitedC] = await Promise.all(
    [viewer, filterer, noSiteAccess, noModule, metaViewer, foreignOwner, invited].map((u) => signIn(u)),
  );
  return {
    site1,
    site2,
    site3,
    foreignSite,
    meta,
    otherMeta,
    segment,
    otherSegment,
    cookies: { viewer: viewerC!, filterer: filtererC!, noSiteAccess: noSiteAccessC!, noModule: noModuleC!, metaViewer: metaViewerC!, foreignOwner: foreignOwnerC!, noAnalytics: invitedC! },
  };
}

let world: ReturnType<typeof makeWorld> | undefined;
/** One workspace per file, made on first use; tests only read it. */
const setup = () => (world ??= makeWorld());

async function json(res: Response): Promise<Report> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Report;
}

describe("site report (JSON)", () => {
  it("lists every day of the range, zeros filled, summed over license keys", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}`, { cookie: w.cookies.viewer }));
    expect(report).toEqual({
      site: { id: w.site1.id, name: "Alpha shop" },
      from: "2024-03-01",
      to: "2024-03-05",
      licenseKey: null,
      rows: [
        { day: "2024-03-01", visits: 3, events: 6 },
        { day: "2024-03-02", visits: 0, events: 0 },
        { day: "2024-03-03", visits: 4, events: 0 },
        { day: "2024-03-04", visits: 0, events: 0 },
        { day: "2024-03-05", visits: 0, events: 0 },
      ],
      totals: { visits: 7, events: 6 },
    });
  });

  it("defaults to the last 30 days ending today (UTC)", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/sites/${w.site1.id}`, { cookie: w.cookies.viewer }));
    const today = utcDay(Date.now());
    expect(report.to).toBe(today);
    expect(report.from).toBe(addDays(today, -29));
    expect(report.rows).toHaveLength(30);
  });

  it("answers a single day when from = to", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/sites/${w.site1.id}?from=2024-03-03&to=2024-03-03`, { cookie: w.cookies.viewer }));
    expect(report.rows).toEqual([{ day: "2024-03-03", visits: 4, events: 0 }]);
  });

  it.each([
    ["an end before the start", "from=2024-03-05&to=2024-03-01", "to"],
    ["more than 366 days", "from=2023-01-01&to=2024-01-02", "from"],
    ["a day that does not exist", "from=2024-02-30&to=2024-03-05", "from"],
    ["a date in another format", "from=03/01/2024", "from"],
    ["an unknown format", "format=xml", "format"],
  ])("refuses %s (422 on the field)", async (_label, query, field) => {
    const w = await setup();
    const error = await expectError(await api(`/api/v1/reports/sites/${w.site1.id}?${query}`, { cookie: w.cookies.viewer }), 422, "validation_failed");
    expect(error.fields?.[field], JSON.stringify(error)).toBeDefined();
  });

  it("accepts exactly 366 days", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/sites/${w.site1.id}?from=2024-01-01&to=2024-12-31`, { cookie: w.cookies.viewer }));
    expect(report.rows).toHaveLength(366);
    expect(report.totals).toEqual({ visits: 207, events: 206 });
  });
});

describe("site report (CSV)", () => {
  it("exports day,visits,events for every day as an attachment", async () => {
    const w = await setup();
    const res = await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}&format=csv`, { cookie: w.cookies.viewer });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="alpha-shop-2024-03-01-2024-03-05.csv"');
    expect(body).toBe("day,visits,events\r\n2024-03-01,3,6\r\n2024-03-02,0,0\r\n2024-03-03,4,0\r\n2024-03-04,0,0\r\n2024-03-05,0,0\r\n");
  });
});

describe("who may read a site's report", () => {
  it("asks for a sign-in or a token without either (401)", async () => {
    const w = await setup();
    await expectError(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}`), 401, "unauthenticated");
  });

  it("refuses a session without Analytics Access = Y, even an owner's (403)", async () => {
    const w = await setup();
    await expectError(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}`, { cookie: w.cookies.noAnalytics }), 403, "forbidden");
  });

  it("answers 404 to a user with No access on the site", async () => {
    const w = await setup();
    await expectError(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}`, { cookie: w.cookies.noSiteAccess }), 404, "not_found");
  });

  it("answers 404 for another organization's site, even to that user's own workspace owner", async () => {
    const w = await setup();
    await expectError(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}`, { cookie: w.cookies.foreignOwner }), 404, "not_found");
    await expectError(await api(`/api/v1/reports/sites/${w.foreignSite.id}?${RANGE}`, { cookie: w.cookies.viewer }), 404, "not_found");
  });

  it("answers 404 for a site id that does not exist", async () => {
    const w = await setup();
    await expectError(await api(`/api/v1/reports/sites/${newId()}?${RANGE}`, { cookie: w.cookies.viewer }), 404, "not_found");
  });

  it("needs the Reporting module in the browser, even with Manage and the Reporting API module (403)", async () => {
    const w = await setup();
    const error = await expectError(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}`, { cookie: w.cookies.noModule }), 403, "forbidden");
    expect(error.message).toMatch(/Reporting module/);
  });

  it("refuses a license key filter without the License Key Filtering module (403)", async () => {
    const w = await setup();
    const error = await expectError(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}&licenseKey=LK-1`, { cookie: w.cookies.viewer }), 403, "forbidden");
    expect(error.message).toMatch(/License Key Filtering/);
  });

  it("filters by license key with the License Key Filtering module", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/sites/${w.site1.id}?${RANGE}&licenseKey=LK-1`, { cookie: w.cookies.filterer }));
    expect(report.licenseKey).toBe("LK-1");
    expect(report.rows[0]).toEqual({ day: "2024-03-01", visits: 1, events: 1 });
    expect(report.totals).toEqual({ visits: 1, events: 1 });
  });
});

describe("meta site report", () => {
  it("sums the member sites per day and totals each site", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}`, { cookie: w.cookies.metaViewer }));
    expect(report.metaSite).toEqual({ id: w.meta.id, name: "All properties" });
    expect(report.segment).toBeNull();
    expect(report.rows).toEqual([
      { day: "2024-03-01", visits: 3, events: 6 },
      { day: "2024-03-02", visits: 10, events: 1 },
      { day: "2024-03-03", visits: 4, events: 0 },
      { day: "2024-03-04", visits: 0, events: 0 },
      { day: "2024-03-05", visits: 20, events: 30 },
    ]);
    expect(report.totals).toEqual({ visits: 37, events: 37 });
    expect(report.perSite).toEqual([
      { site: { id: w.site1.id, name: "Alpha shop" }, totals: { visits: 7, events: 6 } },
      { site: { id: w.site2.id, name: "Beta blog" }, totals: { visits: 10, events: 1 } },
      { site: { id: w.site3.id, name: "Gamma app" }, totals: { visits: 20, events: 30 } },
    ]);
    expect(report.segments).toEqual([{ id: w.segment.id, name: "Web only" }]);
  });

  it("narrows to a segment's sites, never to a site outside the meta site", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}&segment=${w.segment.id}`, { cookie: w.cookies.metaViewer }));
    expect(report.segment).toEqual({ id: w.segment.id, name: "Web only" });
    expect(report.perSite?.map((s) => s.site.id)).toEqual([w.site1.id, w.site2.id]);
    expect(report.totals).toEqual({ visits: 17, events: 7 });
    expect(report.rows[1]).toEqual({ day: "2024-03-02", visits: 10, events: 1 });
  });

  it("refuses a segment of another meta site (422 on segment)", async () => {
    const w = await setup();
    const error = await expectError(
      await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}&segment=${w.otherSegment.id}`, { cookie: w.cookies.metaViewer }),
      422,
      "validation_failed",
    );
    expect(error.fields?.segment).toBeDefined();
  });

  it("takes its default range from the saved dashboard (7 days)", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/meta-sites/${w.meta.id}`, { cookie: w.cookies.metaViewer }));
    expect(report.rows).toHaveLength(7);
    expect(report.to).toBe(utcDay(Date.now()));
  });

  it("filters the sums by license key with the License Key Filtering module, and refuses it without", async () => {
    const w = await setup();
    const report = await json(await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}&licenseKey=LK-1`, { cookie: w.cookies.filterer }));
    expect(report.totals).toEqual({ visits: 21, events: 31 });
    expect(report.perSite?.find((s) => s.site.id === w.site2.id)?.totals).toEqual({ visits: 0, events: 0 });
    await expectError(await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}&licenseKey=LK-1`, { cookie: w.cookies.metaViewer }), 403, "forbidden");
  });

  it("exports the sums as CSV", async () => {
    const w = await setup();
    const res = await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}&format=csv`, { cookie: w.cookies.metaViewer });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(body.split("\r\n").slice(0, 3)).toEqual(["day,visits,events", "2024-03-01,3,6", "2024-03-02,10,1"]);
  });

  it("answers 404 without a level on the meta site (site access does not count), and to another organization", async () => {
    const w = await setup();
    await expectError(await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}`, { cookie: w.cookies.viewer }), 404, "not_found");
    await expectError(await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}`, { cookie: w.cookies.foreignOwner }), 404, "not_found");
  });

  it("needs the Reporting module in the browser (403)", async () => {
    const w = await setup();
    await expectError(await api(`/api/v1/reports/meta-sites/${w.meta.id}?${RANGE}`, { cookie: w.cookies.noModule }), 403, "forbidden");
  });
});

describe("report pages", () => {
  it("render the range form, totals, an SVG chart, the daily table and the CSV link", async () => {
    const w = await setup();
    const res = await page(`/analytics/sites/${w.site1.id}/report?${RANGE}`, w.cookies.viewer);
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(html).toContain("Report: Alpha shop");
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="chart-site-title chart-site-desc"/);
    expect(html).toContain('<title id="chart-site-title">');
    expect(html).toMatch(/<table class="report-table">/);
    expect(html).toMatch(/<time datetime="2024-03-04">2024-03-04<\/time><\/th><td>0<\/td><td>0<\/td>/);
    expect(html).toContain(`href="/api/v1/reports/sites/${w.site1.id}?from=2024-03-01&amp;to=2024-03-05&amp;format=csv"`);
    // The CSV link comes with the totals, before the chart and a daily table that may run to 90 rows.
    expect(html.indexOf("Download CSV")).toBeGreaterThan(html.indexOf('class="report-totals"'));
    expect(html.indexOf("Download CSV")).toBeLessThan(html.indexOf("<svg"));
    expect(html).toMatch(/name="from"[^>]*value="2024-03-01"/);
    expect(html).toContain("Last 7 days");
    expect(html).not.toContain('name="licenseKey"');
    expect(html).not.toMatch(/ style=/);
  });

  it("offer the license key filter only with the License Key Filtering module", async () => {
    const w = await setup();
    const html = await (await page(`/analytics/sites/${w.site1.id}/report?${RANGE}&licenseKey=LK-1`, w.cookies.filterer)).text();
    expect(html).toMatch(/name="licenseKey"[^>]*value="LK-1"/);
    expect(html).toContain("licenseKey=LK-1&amp;format=csv");
  });

  it("show a bad range's errors next to the fields, keeping what was typed (422)", async () => {
    const w = await setup();
    const res = await page(`/analytics/sites/${w.site1.id}/report?from=2024-03-09&to=2024-03-01`, w.cookies.viewer);
    const html = await res.text();
    expect(res.status).toBe(422);
    expect(html).toContain("The end date cannot be before the start date.");
    expect(html).toMatch(/name="from"[^>]*value="2024-03-09"/);
    expect(html).toMatch(/name="to"[^>]*value="2024-03-01"/);
    expect(html).not.toContain("<svg");
  });

  it("are linked from the site and meta site pages only for a user with the Reporting module, who can open them", async () => {
    const w = await setup();
    const reportLinks = async (path: string, cookie: string) => (await elements(await pageHtml(path, cookie), "main a[href$='/report']")).map((a) => a.attrs.href);
    const siteReport = `/analytics/sites/${w.site1.id}/report`;
    const metaReport = `/analytics/meta-sites/${w.meta.id}/report`;

    expect(await reportLinks(`/analytics/sites/${w.site1.id}`, w.cookies.viewer)).toEqual([siteReport]);
    expect((await page(siteReport, w.cookies.viewer)).status).toBe(200);
    expect(await reportLinks(`/analytics/meta-sites/${w.meta.id}`, w.cookies.metaViewer)).toEqual([metaReport, metaReport]);
    expect((await page(metaReport, w.cookies.metaViewer)).status).toBe(200);

    // Manage on both, but only the Reporting API module: the pages say why there is no link.
    for (const path of [`/analytics/sites/${w.site1.id}`, `/analytics/meta-sites/${w.meta.id}`]) {
      const html = await pageHtml(path, w.cookies.noModule);
      expect(await reportLinks(path, w.cookies.noModule)).toEqual([]);
      expect(html).toContain("reports need the Reporting module");
    }
  });

  it("refuse a user without the Reporting module (403) or without a level (404)", async () => {
    const w = await setup();
    expect((await page(`/analytics/sites/${w.site1.id}/report`, w.cookies.noModule)).status).toBe(403);
    expect((await page(`/analytics/sites/${w.site1.id}/report`, w.cookies.noSiteAccess)).status).toBe(404);
    expect((await page(`/analytics/sites/${w.site1.id}/report`, w.cookies.foreignOwner)).status).toBe(404);
  });

  it("show a meta site's sum chart and one small chart per site its dashboard names, with the segment picker", async () => {
    const w = await setup();
    const res = await page(`/analytics/meta-sites/${w.meta.id}/report?${RANGE}`, w.cookies.metaViewer);
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(html).toContain('id="chart-meta"');
    // The dashboard names site2 and site3 (and a foreign site, dropped): exactly two small charts, no chart for site1.
    expect(html.match(/<svg id="chart-dash-\d+"/g)).toHaveLength(2);
    expect(html).toMatch(/<h3 id="dash-0-heading">Beta blog<\/h3>/);
    expect(html).toMatch(/<h3 id="dash-1-heading">Gamma app<\/h3>/);
    expect(html).not.toMatch(/<h3[^>]*>Alpha shop<\/h3>/);
    expect(html).not.toContain("Foreign site");
    expect(html).toMatch(/<option value="" selected="">All sites<\/option>/);
    expect(html).toContain(`<option value="${w.segment.id}">Web only</option>`);
    expect(html).toContain(`href="/api/v1/reports/meta-sites/${w.meta.id}?from=2024-03-01&amp;to=2024-03-05&amp;format=csv"`);
  });

  it("keep only the dashboard's sites that are in the chosen segment", async () => {
    const w = await setup();
    const html = await (await page(`/analytics/meta-sites/${w.meta.id}/report?${RANGE}&segment=${w.segment.id}`, w.cookies.metaViewer)).text();
    expect(html.match(/<svg id="chart-dash-\d+"/g)).toHaveLength(1);
    expect(html).toMatch(/<h3 id="dash-0-heading">Beta blog<\/h3>/);
    expect(html).toMatch(new RegExp(`<option value="${w.segment.id}" selected="">Web only</option>`));
  });

  it("use the dashboard's range (7 days) when none is given", async () => {
    const w = await setup();
    const html = await (await page(`/analytics/meta-sites/${w.meta.id}/report`, w.cookies.metaViewer)).text();
    const today = utcDay(Date.now());
    expect(html).toMatch(new RegExp(`name="from"[^>]*value="${addDays(today, -6)}"`));
    expect(html).toMatch(/<a href="[^"]*" aria-current="true" class="current">Last 7 days<\/a>/);
  });
});
