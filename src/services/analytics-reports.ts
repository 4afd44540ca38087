// F-45 reports (pages, CSV and the Reporting API, F-52): daily visits and
// events of a site, or summed over a meta site's sites. Who may read: the
// site/meta-site level (analytics.ts SITE_ACTIONS / META_SITE_ACTIONS), plus the
// Reporting module for the browser or the Reporting API module for a token,
// plus License Key Filtering to filter by license key. The counters are read
// with GROUP BY day over a set of site ids bound as ONE JSON parameter, so a
// meta site with any number of sites costs the same one query.
import { and, asc, between, eq, sql, type AnyColumn } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { analyticsDailyStats, analyticsSegments, analyticsSites } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { canUseModule, metaSiteLevelAllows, type ModuleGrants } from "../domain/analytics";
import {
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
import { requireMetaSite, requireModule, requireSite } from "./analytics-context";

// ---------------------------------------------------------------- input

/** Query strings and GET forms send "" for an untouched field: that means "not given". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());
const day = z.string().trim().refine(isDay, "Use a date written YYYY-MM-DD.");

export const ReportQuery = z.object({
  from: optional(day),
  to: optional(day),
  licenseKey: optional(z.string().trim().max(100, "Use at most 100 characters.")),
  format: optional(z.enum(["json", "csv"], { error: "Use format=json or format=csv." })),
});
export type ReportQuery = z.infer<typeof ReportQuery>;

export const MetaReportQuery = ReportQuery.extend({
  segment: optional(z.string().trim().max(64, "Choose a segment of this meta site.")),
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
 * again keeps the rule in one place for every caller).
 */
function requireReportingModule(deps: Deps, actor: Actor, via: ReportingVia): Promise<ModuleGrants> {
  const grants = requireModule(deps, actor, via === "token" ? "reporting_api" : "reporting", "write");
  // Awaited after the site check, so that an unknown site answers 404 first; never left unhandled meanwhile.
  grants.catch(() => undefined);
  return grants;
}

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

/** Site ids as one bound JSON array: D1 caps bound parameters at 100 per statement. */
const siteIn = (column: AnyColumn, ids: readonly string[]) =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

function statsScope(ids: readonly string[], from: string, to: string, licenseKey: string | null) {
  return and(
    siteIn(analyticsDailyStats.siteId, ids),
    between(analyticsDailyStats.day, from, to),
    licenseKey === null ? undefined : eq(analyticsDailyStats.licenseKey, licenseKey),
  );
}

const sumOf = (column: AnyColumn, alias: string) =>
  sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number).as(alias);

/** Per day over `ids` (every license key unless filtered). */
const dailyQuery = (db: Db, ids: readonly string[], from: string, to: string, licenseKey: string | null) =>
  db
    .select({ day: analyticsDailyStats.day, visits: sumOf(analyticsDailyStats.visits, "visits"), events: sumOf(analyticsDailyStats.events, "events") })
    .from(analyticsDailyStats)
    .where(statsScope(ids, from, to, licenseKey))
    .groupBy(analyticsDailyStats.day);

// ---------------------------------------------------------------- site

async function loadSiteReport(deps: Deps, actor: Actor, siteId: string, input: SiteReportInput, via: ReportingVia) {
  const grantsPromise = requireReportingModule(deps, actor, via);
  const { site } = await requireSite(deps, actor, siteId, "viewReports");
  const grants = await grantsPromise;
  const licenseKey = licenseKeyFilter(actor, grants, input.licenseKey);
  const { from, to } = rangeOrThrow(input, deps.now(), DEFAULT_REPORT_DAYS);
  const rows = fillDays(from, to, await dailyQuery(deps.db, [site.id], from, to, licenseKey));
  const report: SiteReport = { site: { id: site.id, name: site.name }, from, to, licenseKey, rows, totals: totalsOf(rows) };
  return { report, canFilterByLicenseKey: canFilterByLicenseKey(actor, grants) };
}

export async function siteReport(deps: Deps, actor: Actor, siteId: string, input: SiteReportInput, via: ReportingVia): Promise<SiteReport> {
  return (await loadSiteReport(deps, actor, siteId, input, via)).report;
}

export const siteReportPage = (deps: Deps, actor: Actor, siteId: string, input: SiteReportInput): Promise<{ report: SiteReport } & ReportPageExtras> =>
  loadSiteReport(deps, actor, siteId, input, "session");

// ---------------------------------------------------------------- meta site

async function loadMetaSiteReport(
  deps: Deps,
  actor: Actor,
  metaSiteId: string,
  input: MetaSiteReportInput,
  via: ReportingVia,
  options: { export?: boolean; charts?: boolean },
): Promise<MetaSiteReportPage> {
  const grantsPromise = requireReportingModule(deps, actor, via);
  const access = await requireMetaSite(deps, actor, metaSiteId, options.export ? "exportReports" : "viewReports");
  const grants = await grantsPromise;
  const licenseKey = licenseKeyFilter(actor, grants, input.licenseKey);
  const dashboard = readDashboard(access.metaSite.dashboard, access.siteIds);
  const { from, to } = rangeOrThrow(input, deps.now(), dashboard.days);

  const canSeeSegments = metaSiteLevelAllows(access.level, "viewSegments");
  if (input.segmentId !== undefined && !canSeeSegments) throw new AppError("FORBIDDEN", "Seeing segments needs a higher level on this meta site.");
  const segmentRows = canSeeSegments
    ? await deps.db
        .select({ id: analyticsSegments.id, name: analyticsSegments.name, definition: analyticsSegments.definition })
        .from(analyticsSegments)
        .where(eq(analyticsSegments.metaSiteId, access.metaSite.id))
        .orderBy(asc(analyticsSegments.name))
    : [];
  const segmentRow = input.segmentId === undefined ? undefined : segmentRows.find((s) => s.id === input.segmentId);
  if (input.segmentId !== undefined && !segmentRow) throw validationError({ segment: "Choose a segment of this meta site." });
  const siteIds = segmentRow ? readSegment(segmentRow.definition, access.siteIds).siteIds : access.siteIds;
  const chartIds = options.charts ? dashboard.siteIds.filter((id) => siteIds.includes(id)) : [];

  const db = deps.db;
  const [daily, perSite, perSiteDaily] = await db.batch([
    dailyQuery(db, siteIds, from, to, licenseKey),
    db
      .select({ id: analyticsSites.id, name: analyticsSites.name, visits: sumOf(analyticsDailyStats.visits, "visits"), events: sumOf(analyticsDailyStats.events, "events") })
      .from(analyticsSites)
      .leftJoin(
        analyticsDailyStats,
        and(
          eq(analyticsDailyStats.siteId, analyticsSites.id),
          between(analyticsDailyStats.day, from, to),
          licenseKey === null ? undefined : eq(analyticsDailyStats.licenseKey, licenseKey),
        ),
      )
      .where(and(siteIn(analyticsSites.id, siteIds), eq(analyticsSites.orgId, actor.orgId)))
      .groupBy(analyticsSites.id)
      .orderBy(asc(analyticsSites.name), asc(analyticsSites.id)),
    db
      .select({
        siteId: analyticsDailyStats.siteId,
        day: analyticsDailyStats.day,
        visits: sumOf(analyticsDailyStats.visits, "visits"),
        events: sumOf(analyticsDailyStats.events, "events"),
      })
      .from(analyticsDailyStats)
      .where(statsScope(chartIds, from, to, licenseKey))
      .groupBy(analyticsDailyStats.siteId, analyticsDailyStats.day),
  ]);

  const rows = fillDays(from, to, daily);
  const names = new Map(perSite.map((s) => [s.id, s.name]));
  const report: MetaSiteReport = {
    metaSite: { id: access.metaSite.id, name: access.metaSite.name },
    from,
    to,
    licenseKey,
    segment: segmentRow ? { id: segmentRow.id, name: segmentRow.name } : null,
    rows,
    totals: totalsOf(rows),
    perSite: perSite.map((s) => ({ site: { id: s.id, name: s.name }, totals: { visits: s.visits, events: s.events } })),
    segments: segmentRows.map((s) => ({ id: s.id, name: s.name })),
  };
  const siteCharts = chartIds
    .filter((id) => names.has(id))
    .map((id) => {
      const siteRows = fillDays(
        from,
        to,
        perSiteDaily.filter((r) => r.siteId === id),
      );
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
