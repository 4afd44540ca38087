// F-45 reports (pages, CSV and the Reporting API, F-52): daily visits and
// events of a site, or summed over a meta site's sites. Who may read: the
// site/meta-site level (analytics.ts SITE_ACTIONS / META_SITE_ACTIONS), plus the
// Reporting module for the browser or the Reporting API module for a token,
// plus License Key Filtering to filter by license key. The counters are read
// with GROUP BY day (and site, for a meta site) over the sites chosen by a
// subquery, so a meta site with any number of sites costs the same one query.
import { and, asc, between, eq, inArray, sql, type AnyColumn, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import { analyticsDailyStats, analyticsMetaSiteMembers, analyticsSegments, analyticsSites } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { canUseModule, metaSiteLevelAllows, reportingModule, type ModuleGrants } from "../domain/analytics";
import {
  DASHBOARD_DAYS,
  DEFAULT_REPORT_DAYS,
  fillDays,
  isDay,
  readDashboard,
  readSegment,
  resolveRange,
  totalsOf,
  type DailyCounts,
  type MetaSiteDashboard,
  type Totals,
} from "../domain/analytics-data";
import { toCsv } from "../lib/csv";
import { AppError, validationError } from "../lib/errors";
import type { ReportingVia } from "../middleware/reporting-auth";
import {
  inOwnMetaSites,
  inOwnSites,
  metaSiteAccessFrom,
  metaSiteAccessQuery,
  metaSiteMembersQuery,
  requireModule,
  siteAccessFrom,
  siteAccessQuery,
} from "./analytics-context";

// ---------------------------------------------------------------- input

const day = z.string().check(z.trim(), z.maxLength(10, "Use a date written YYYY-MM-DD."), z.refine(isDay, "Use a date written YYYY-MM-DD."));

export const ReportQuery = z.object({
  from: z.blankable(day),
  to: z.blankable(day),
  licenseKey: z.blankable(z.string().check(z.trim(), z.maxLength(100, "Use at most 100 characters."))),
  format: z.blankable(z.enum(["json", "csv"], { error: "Use format=json or format=csv." })),
});
export type ReportQuery = z.infer<typeof ReportQuery>;

export const MetaReportQuery = z.extend(ReportQuery, {
  segment: z.blankable(z.string().check(z.trim(), z.maxLength(64, "Choose a segment of this meta site."))),
});
export type MetaReportQuery = z.infer<typeof MetaReportQuery>;

export interface SiteReportInput {
  from?: string;
  to?: string;
  licenseKey?: string;
}
export interface MetaSiteReportInput extends SiteReportInput {
  segmentId?: string;
}

// ---------------------------------------------------------------- output

export interface NamedRef {
  id: string;
  name: string;
}

export interface SiteReport {
  site: NamedRef;
  from: string;
  to: string;
  /** The license key the rows are filtered by; null = every key added up. */
  licenseKey: string | null;
  rows: DailyCounts[];
  totals: Totals;
}

export interface MetaSiteReport {
  metaSite: NamedRef;
  from: string;
  to: string;
  licenseKey: string | null;
  /** The segment that narrowed the sites; null = every site of the meta site. */
  segment: NamedRef | null;
  /** Per day, summed over the reported sites. */
  rows: DailyCounts[];
  totals: Totals;
  /** Each reported site's totals over the range. */
  perSite: { site: NamedRef; totals: Totals }[];
  /** The meta site's segments, for choosing one. */
  segments: NamedRef[];
}

/** What the report pages show besides the report itself. */
export interface ReportPageExtras {
  canFilterByLicenseKey: boolean;
}
export interface MetaSiteReportPage extends ReportPageExtras {
  report: MetaSiteReport;
  dashboard: MetaSiteDashboard;
  /** Daily rows of the dashboard's sites (within the segment), one small chart each. */
  siteCharts: { site: NamedRef; rows: DailyCounts[]; totals: Totals }[];
}

// ---------------------------------------------------------------- rules

/**
 * F-44: the browser needs the Reporting module; a personal API token the
 * Reporting API module (its authentication already checked it; checking here
 * again keeps the rule in one place for every caller). Called after the site
 * check, so that an unknown site answers 404 first.
 */
const requireReportingModule = (actor: Actor, via: ReportingVia): ModuleGrants =>
  requireModule(actor, reportingModule(via), "write");

const canFilterByLicenseKey = (actor: Actor, grants: ModuleGrants) => canUseModule(actor, grants, "license_key_filtering", "write");

function licenseKeyFilter(actor: Actor, grants: ModuleGrants, licenseKey: string | undefined): string | null {
  if (licenseKey === undefined) return null;
  if (!canFilterByLicenseKey(actor, grants)) throw new AppError("FORBIDDEN", "Filtering reports by license key needs the License Key Filtering module.");
  return licenseKey;
}

function rangeOrThrow(input: SiteReportInput, now: number, defaultDays: number) {
  const range = resolveRange(input, now, defaultDays);
  if (!range.ok) throw validationError(range.fields);
  return range;
}

// ---------------------------------------------------------------- queries

// Each report reads everything in ONE batch with the caller's access query and
// evaluates the access, modules and range before it uses a row. The stats
// queries carry the tenant scope themselves (sites of the caller's workspace),
// so nothing of another organization is read even before the checks.

/** A validated range, or null when the input's range is invalid: then no stats are read and the answer is 422 after the checks. */
type StatsRange = { from: string; to: string } | null;

const rangeOrNull = (input: SiteReportInput, now: number, defaultDays: number): StatsRange => {
  const range = resolveRange(input, now, defaultDays);
  return range.ok ? { from: range.from, to: range.to } : null;
};

function statsScope(actor: Actor, sites: SQL, range: StatsRange, licenseKey: string | undefined) {
  return and(
    sites,
    inOwnSites(actor, analyticsDailyStats.siteId),
    range ? between(analyticsDailyStats.day, range.from, range.to) : sql`0`,
    licenseKey === undefined ? undefined : eq(analyticsDailyStats.licenseKey, licenseKey),
  );
}

const sumOf = (column: AnyColumn, alias: string) =>
  sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number).as(alias);

/** Per day of one site (every license key unless filtered). */
const siteDailyQuery = (db: Db, actor: Actor, siteId: string, range: StatsRange, licenseKey: string | undefined) =>
  db
    .select({ day: analyticsDailyStats.day, visits: sumOf(analyticsDailyStats.visits, "visits"), events: sumOf(analyticsDailyStats.events, "events") })
    .from(analyticsDailyStats)
    .where(statsScope(actor, eq(analyticsDailyStats.siteId, siteId), range, licenseKey))
    .groupBy(analyticsDailyStats.day);

/**
 * Per site and day, for every site of the meta site: which of them a report
 * adds up (segment) and shows (dashboard) is decided in JS once the meta site
 * and the caller's level are known, so this query needs neither.
 */
const metaSiteDailyQuery = (db: Db, actor: Actor, metaSiteId: string, range: StatsRange, licenseKey: string | undefined) =>
  db
    .select({
      siteId: analyticsDailyStats.siteId,
      day: analyticsDailyStats.day,
      visits: sumOf(analyticsDailyStats.visits, "visits"),
      events: sumOf(analyticsDailyStats.events, "events"),
    })
    .from(analyticsDailyStats)
    .where(
      statsScope(
        actor,
        inArray(analyticsDailyStats.siteId, db.select({ id: analyticsMetaSiteMembers.siteId }).from(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId))),
        range,
        licenseKey,
      ),
    )
    .groupBy(analyticsDailyStats.siteId, analyticsDailyStats.day);

/** The meta site's sites (own workspace only), by name: the order of `perSite`. */
const memberSitesQuery = (db: Db, actor: Actor, metaSiteId: string) =>
  db
    .select({ id: analyticsSites.id, name: analyticsSites.name })
    .from(analyticsSites)
    .where(
      and(
        eq(analyticsSites.orgId, actor.orgId),
        inArray(analyticsSites.id, db.select({ id: analyticsMetaSiteMembers.siteId }).from(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId))),
      ),
    )
    .orderBy(asc(analyticsSites.name), asc(analyticsSites.id));

const segmentChoicesQuery = (db: Db, actor: Actor, metaSiteId: string) =>
  db
    .select({ id: analyticsSegments.id, name: analyticsSegments.name, definition: analyticsSegments.definition })
    .from(analyticsSegments)
    .where(and(eq(analyticsSegments.metaSiteId, metaSiteId), inOwnMetaSites(actor, analyticsSegments.metaSiteId)))
    .orderBy(asc(analyticsSegments.name));

// ---------------------------------------------------------------- site

async function loadSiteReport(deps: Deps, actor: Actor, siteId: string, input: SiteReportInput, via: ReportingVia) {
  const db = deps.db;
  const now = deps.now();
  const [access, daily] = await db.batch([
    siteAccessQuery(db, actor, siteId),
    siteDailyQuery(db, actor, siteId, rangeOrNull(input, now, DEFAULT_REPORT_DAYS), input.licenseKey),
  ]);
  const { site } = siteAccessFrom(actor, access, "viewReports");
  const grants = requireReportingModule(actor, via);
  const licenseKey = licenseKeyFilter(actor, grants, input.licenseKey);
  const { from, to } = rangeOrThrow(input, now, DEFAULT_REPORT_DAYS);
  const rows = fillDays(from, to, daily);
  const report: SiteReport = { site: { id: site.id, name: site.name }, from, to, licenseKey, rows, totals: totalsOf(rows) };
  return { report, canFilterByLicenseKey: canFilterByLicenseKey(actor, grants) };
}

export async function siteReport(deps: Deps, actor: Actor, siteId: string, input: SiteReportInput, via: ReportingVia): Promise<SiteReport> {
  return (await loadSiteReport(deps, actor, siteId, input, via)).report;
}

export const siteReportPage = (deps: Deps, actor: Actor, siteId: string, input: SiteReportInput): Promise<{ report: SiteReport } & ReportPageExtras> =>
  loadSiteReport(deps, actor, siteId, input, "session");

// ---------------------------------------------------------------- meta site

/** Without `from`, the range is the dashboard's days, unknown before the batch: read the most it can be, trim once known. */
const WIDEST_DASHBOARD_DAYS = Math.max(...DASHBOARD_DAYS);

async function loadMetaSiteReport(
  deps: Deps,
  actor: Actor,
  metaSiteId: string,
  input: MetaSiteReportInput,
  via: ReportingVia,
  options: { export?: boolean; charts?: boolean },
): Promise<MetaSiteReportPage> {
  const db = deps.db;
  const now = deps.now();
  const [accessRows, members, segmentChoices, memberSites, stats] = await db.batch([
    metaSiteAccessQuery(db, actor, metaSiteId),
    metaSiteMembersQuery(db, actor, metaSiteId),
    segmentChoicesQuery(db, actor, metaSiteId),
    memberSitesQuery(db, actor, metaSiteId),
    metaSiteDailyQuery(db, actor, metaSiteId, rangeOrNull(input, now, WIDEST_DASHBOARD_DAYS), input.licenseKey),
  ]);
  const access = metaSiteAccessFrom(actor, accessRows, members, options.export ? "exportReports" : "viewReports");
  const grants = requireReportingModule(actor, via);
  const licenseKey = licenseKeyFilter(actor, grants, input.licenseKey);
  const dashboard = readDashboard(access.metaSite.dashboard, access.siteIds);
  const { from, to } = rangeOrThrow(input, now, dashboard.days);

  const canSeeSegments = metaSiteLevelAllows(access.level, "viewSegments");
  if (input.segmentId !== undefined && !canSeeSegments) throw new AppError("FORBIDDEN", "Seeing segments needs a higher level on this meta site.");
  const segmentRows = canSeeSegments ? segmentChoices : [];
  const segmentRow = input.segmentId === undefined ? undefined : segmentRows.find((s) => s.id === input.segmentId);
  if (input.segmentId !== undefined && !segmentRow) throw validationError({ segment: "Choose a segment of this meta site." });
  const siteIds = new Set(segmentRow ? readSegment(segmentRow.definition, access.siteIds).siteIds : access.siteIds);
  const chartIds = options.charts ? dashboard.siteIds.filter((id) => siteIds.has(id)) : [];

  const inRange = stats.filter((r) => r.day >= from && r.day <= to);
  const rowsOf = (ids: Set<string>) => fillDays(from, to, inRange.filter((r) => ids.has(r.siteId)));
  const rows = rowsOf(siteIds);
  const reported = memberSites.filter((s) => siteIds.has(s.id));
  const names = new Map(reported.map((s) => [s.id, s.name]));
  const report: MetaSiteReport = {
    metaSite: { id: access.metaSite.id, name: access.metaSite.name },
    from,
    to,
    licenseKey,
    segment: segmentRow ? { id: segmentRow.id, name: segmentRow.name } : null,
    rows,
    totals: totalsOf(rows),
    perSite: reported.map((s) => ({ site: { id: s.id, name: s.name }, totals: totalsOf(inRange.filter((r) => r.siteId === s.id)) })),
    segments: segmentRows.map((s) => ({ id: s.id, name: s.name })),
  };
  const siteCharts = chartIds
    .filter((id) => names.has(id))
    .map((id) => {
      const siteRows = rowsOf(new Set([id]));
      return { site: { id, name: names.get(id)! }, rows: siteRows, totals: totalsOf(siteRows) };
    });
  return { report, dashboard, siteCharts, canFilterByLicenseKey: canFilterByLicenseKey(actor, grants) };
}

export async function metaSiteReport(
  deps: Deps,
  actor: Actor,
  metaSiteId: string,
  input: MetaSiteReportInput,
  via: ReportingVia,
  options: { export?: boolean } = {},
): Promise<MetaSiteReport> {
  return (await loadMetaSiteReport(deps, actor, metaSiteId, input, via, options)).report;
}

export const metaSiteReportPage = (deps: Deps, actor: Actor, metaSiteId: string, input: MetaSiteReportInput) =>
  loadMetaSiteReport(deps, actor, metaSiteId, input, "session", { charts: true });

// ---------------------------------------------------------------- CSV

export const REPORT_CSV_HEADER = ["day", "visits", "events"];

export const reportCsv = (report: { rows: DailyCounts[] }) =>
  toCsv(
    REPORT_CSV_HEADER,
    report.rows.map((r) => [r.day, r.visits, r.events]),
  );

export const reportFilename = (name: string, report: { from: string; to: string }) =>
  `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "report"}-${report.from}-${report.to}.csv`;
