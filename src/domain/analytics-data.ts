// F-45: what collection accepts and how reports read it, as data. Shared by
// the collect endpoint, the Developer settings (allowed events), Quota Usage
// and the report pages.

/** A hit of type "visit" counts as a visit; every other allowed type counts as an event. */
export const VISIT_EVENT = "visit";
/** Accepted when a workspace's Developer settings have not narrowed the list. */
export const DEFAULT_EVENT_TYPES = [VISIT_EVENT, "pageview", "click", "download", "form_submit", "custom"] as const;
/** Event type names: lower-case letters, digits and underscores, as Developer settings accept them. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
/** F-44 Quota Usage: events a workspace may collect per calendar month (UTC) unless its settings say otherwise. */
export const DEFAULT_MONTHLY_EVENT_QUOTA = 100_000;

/** F-43: a meta site's saved dashboard: which of its sites are shown, over how many days. */
export interface MetaSiteDashboard {
  siteIds: string[];
  days: number;
}
export const DASHBOARD_DAYS = [7, 30, 90, 365] as const;
export const DEFAULT_DASHBOARD_DAYS = 30;

/** The saved dashboard, keeping only sites still in the meta site; absent or unreadable → every member, 30 days. */
export function readDashboard(json: string | null, memberIds: readonly string[]): MetaSiteDashboard {
  try {
    const parsed = json ? (JSON.parse(json) as Partial<MetaSiteDashboard>) : {};
    const wanted = Array.isArray(parsed.siteIds) ? parsed.siteIds.filter((id) => memberIds.includes(id)) : [...memberIds];
    const days = DASHBOARD_DAYS.includes(parsed.days as never) ? parsed.days! : DEFAULT_DASHBOARD_DAYS;
    return { siteIds: wanted, days };
  } catch {
    return { siteIds: [...memberIds], days: DEFAULT_DASHBOARD_DAYS };
  }
}

/** F-43: a segment narrows a meta site's reports to some of its sites. */
export interface SegmentDefinition {
  siteIds: string[];
}

export function readSegment(json: string, memberIds: readonly string[]): SegmentDefinition {
  try {
    const parsed = JSON.parse(json) as Partial<SegmentDefinition>;
    return { siteIds: Array.isArray(parsed.siteIds) ? parsed.siteIds.filter((id) => memberIds.includes(id)) : [] };
  } catch {
    return { siteIds: [] };
  }
}

// ---------------------------------------------------------------- days and ranges (F-45)

export const DAY_MS = 86_400_000;
/** A report covers at most a year, leap day included. */
export const MAX_REPORT_DAYS = 366;
export const DEFAULT_REPORT_DAYS = 30;
/** The range shortcuts the report pages offer, in days ending today. */
export const REPORT_PRESETS = [7, 30, 90] as const;
/** Collection accepts hits sent late (offline clients, retries) up to this age … */
export const HIT_MAX_AGE_MS = 48 * 60 * 60 * 1000;
/** … and this far ahead of the server's clock (client clocks drift). */
export const HIT_MAX_AHEAD_MS = 5 * 60 * 1000;

/**
 * Hits one sender (address) may send to one site per period: wrangler.toml's
 * COLLECT_LIMITER binding enforces it, test/node/wrangler-config.test.ts keeps
 * the two equal, and a refused hit is told to wait the period (Retry-After).
 */
export const COLLECT_LIMIT = { hits: 60, periodSeconds: 10 } as const;

export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC calendar day (YYYY-MM-DD) of a timestamp in milliseconds: the day a hit is counted on. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A real calendar day written YYYY-MM-DD ("2024-02-30" is not one). */
export function isDay(value: string): boolean {
  if (!DAY_PATTERN.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && utcDay(ms) === value;
}

export const addDays = (day: string, n: number) => utcDay(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);

/** Days from `from` to `to`, both included; inclusive count, 0 when `to` is before `from`. */
export const dayCount = (from: string, to: string) => Math.max(0, Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1);

/** Every day from `from` to `to`, both included; empty when `to` is before `from`. */
export function daysInRange(from: string, to: string): string[] {
  const days: string[] = [];
  for (let i = 0, n = dayCount(from, to); i < n; i++) days.push(addDays(from, i));
  return days;
}

export interface DailyCounts {
  day: string;
  visits: number;
  events: number;
}
export interface Totals {
  visits: number;
  events: number;
}

/**
 * One row per day of the range, in order: days without data count zero, so
 * charts and exports show the gaps instead of joining the days around them.
 * Rows outside the range are ignored; rows of the same day are added up.
 */
export function fillDays(from: string, to: string, rows: readonly DailyCounts[]): DailyCounts[] {
  const byDay = new Map<string, DailyCounts>();
  for (const r of rows) {
    const seen = byDay.get(r.day);
    byDay.set(r.day, seen ? { day: r.day, visits: seen.visits + r.visits, events: seen.events + r.events } : { ...r });
  }
  return daysInRange(from, to).map((day) => {
    const r = byDay.get(day);
    return { day, visits: r?.visits ?? 0, events: r?.events ?? 0 };
  });
}

export const totalsOf = (rows: readonly Totals[]): Totals =>
  rows.reduce((sum, r) => ({ visits: sum.visits + r.visits, events: sum.events + r.events }), { visits: 0, events: 0 });

export type ReportRange = { ok: true; from: string; to: string } | { ok: false; fields: Record<string, string> };

/**
 * The days a report covers. Absent bounds default to the `defaultDays` ending
 * today (UTC), or ending on `to`; a lone `from` runs to today. Refuses a
 * malformed day, `to` before `from`, and more than MAX_REPORT_DAYS.
 */
export function resolveRange(input: { from?: string; to?: string }, now: number, defaultDays: number = DEFAULT_REPORT_DAYS): ReportRange {
  const fields: Record<string, string> = {};
  for (const key of ["from", "to"] as const) {
    const value = input[key];
    if (value !== undefined && !isDay(value)) fields[key] = "Use a date written YYYY-MM-DD.";
  }
  if (Object.keys(fields).length) return { ok: false, fields };
  const to = input.to ?? utcDay(now);
  const from = input.from ?? addDays(to, -(Math.max(1, defaultDays) - 1));
  if (from > to) return { ok: false, fields: { to: "The end date cannot be before the start date." } };
  if (dayCount(from, to) > MAX_REPORT_DAYS) return { ok: false, fields: { from: `A report covers at most ${MAX_REPORT_DAYS} days.` } };
  return { ok: true, from, to };
}

/** The range of the `days` days ending on the day of `now`: the presets' links. */
export const lastDays = (days: number, now: number) => ({ from: addDays(utcDay(now), -(days - 1)), to: utcDay(now) });

/** Why collection refuses a hit's time, or null when it is inside the accepted window. */
export function hitTimeProblem(at: number, now: number): string | null {
  if (at < now - HIT_MAX_AGE_MS) return "The hit is more than 48 hours old.";
  if (at > now + HIT_MAX_AHEAD_MS) return "The hit is more than 5 minutes in the future.";
  return null;
}
