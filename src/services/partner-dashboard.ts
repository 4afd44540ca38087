// F-65 partner dashboard: for the signed-in partner user, every customer whose
// grant to them currently holds, with aggregated statistics and licensed
// capacity. The set of customers is one sub-select (the user's valid grants)
// that every query filters by, so nothing of a customer without a valid grant
// is read; the whole dashboard is one batch of grouped queries, however many
// customers there are. Prices are never selected.
import { and, asc, count, countDistinct, desc, eq, gte, inArray, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { analyticsDailyStats, analyticsSites, companyPlans, organizations, partnerGrants } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { PLAN_CATALOG, type PlanKey } from "../domain/license-plans";
import { canUsePartnerDashboard, grantHoldsSql, statsWindow } from "../domain/partner-access";
import { AppError } from "../lib/errors";
import { iso } from "../lib/iso-time";

export interface TrendPoint {
  day: string;
  visits: number;
  events: number;
}
export interface CustomerStats {
  sites: number;
  visits30d: number;
  events30d: number;
  visitsPrev30d: number;
  eventsPrev30d: number;
  /** The last 30 UTC days, oldest first, zero-filled. */
  trend: TrendPoint[];
  /** Sites with at least one visit or event in the last 30 days. */
  activeSites30d: number;
}
export interface CapacityItem {
  plan: string;
  label: string;
  seats: number;
  status: "active" | "expired";
  renewsAt: string;
}
export interface CustomerInsights {
  org: { id: string; name: string };
  grantedAt: string;
  expiresAt: string | null;
  stats: CustomerStats;
  capacity: CapacityItem[];
}

function assertDashboard(actor: Actor) {
  if (!canUsePartnerDashboard(actor)) throw new AppError("FORBIDDEN", "The partner dashboard belongs to users of partner organizations.");
}

const customerNotFound = () => new AppError("NOT_FOUND", "Customer not found.");

/** The actor's grants that hold now, optionally for one customer: the tenant scope of every query below. */
const validGrantsWhere = (actor: Actor, now: number, customerOrgId?: string) =>
  and(eq(partnerGrants.partnerUserId, actor.id), grantHoldsSql(now), customerOrgId === undefined ? undefined : eq(partnerGrants.customerOrgId, customerOrgId));

const visibleCustomerIds = (db: Db, actor: Actor, now: number, customerOrgId?: string) =>
  db.select({ id: partnerGrants.customerOrgId }).from(partnerGrants).where(validGrantsWhere(actor, now, customerOrgId));

const total = (column: typeof analyticsDailyStats.visits | typeof analyticsDailyStats.events, alias: string) =>
  sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number).as(alias);

/** The statements for the customers' cards: grants, site counts, daily totals (60 days), active sites, plans. */
function insightStatements(db: Db, actor: Actor, now: number, customerOrgId?: string) {
  const w = statsWindow(now);
  const customers = visibleCustomerIds(db, actor, now, customerOrgId);
  const siteOfCustomer = and(eq(analyticsSites.id, analyticsDailyStats.siteId), inArray(analyticsSites.orgId, customers));
  return [
    db
      .select({ id: organizations.id, name: organizations.name, grantedAt: partnerGrants.createdAt, expiresAt: partnerGrants.expiresAt })
      .from(partnerGrants)
      .innerJoin(organizations, eq(organizations.id, partnerGrants.customerOrgId))
      .where(validGrantsWhere(actor, now, customerOrgId))
      .orderBy(sql`lower(${organizations.name})`, organizations.id),
    db
      .select({ orgId: analyticsSites.orgId, sites: count().as("sites") })
      .from(analyticsSites)
      .where(inArray(analyticsSites.orgId, customers))
      .groupBy(analyticsSites.orgId),
    db
      .select({ orgId: analyticsSites.orgId, day: analyticsDailyStats.day, visits: total(analyticsDailyStats.visits, "visits"), events: total(analyticsDailyStats.events, "events") })
      .from(analyticsDailyStats)
      .innerJoin(analyticsSites, siteOfCustomer)
      .where(and(gte(analyticsDailyStats.day, w.prevFrom), lte(analyticsDailyStats.day, w.to)))
      .groupBy(analyticsSites.orgId, analyticsDailyStats.day),
    db
      .select({ orgId: analyticsSites.orgId, active: countDistinct(analyticsDailyStats.siteId).as("active") })
      .from(analyticsDailyStats)
      .innerJoin(analyticsSites, siteOfCustomer)
      .where(and(gte(analyticsDailyStats.day, w.from), lte(analyticsDailyStats.day, w.to), or(sql`${analyticsDailyStats.visits} > 0`, sql`${analyticsDailyStats.events} > 0`)))
      .groupBy(analyticsSites.orgId),
    // F-33: capacity without any price column.
    db
      .select({ companyId: companyPlans.companyId, plan: companyPlans.plan, seats: companyPlans.seats, status: companyPlans.status, renewsAt: companyPlans.renewsAt })
      .from(companyPlans)
      .where(inArray(companyPlans.companyId, customers))
      .orderBy(asc(companyPlans.status), asc(companyPlans.renewsAt), asc(companyPlans.id)),
  ] as const;
}

type Rows<T> = T extends PromiseLike<infer R> ? R : never;
type Statements = ReturnType<typeof insightStatements>;
type RowsOf<T> = { -readonly [K in keyof T]: Rows<T[K]> };
type InsightRows = RowsOf<Statements>;

/** Folds the grouped rows into one card per customer (pure; no query per customer). */
function assemble(now: number, [customers, siteCounts, daily, active, plans]: InsightRows): CustomerInsights[] {
  const w = statsWindow(now);
  const sitesBy = new Map(siteCounts.map((r) => [r.orgId, r.sites]));
  const activeBy = new Map(active.map((r) => [r.orgId, r.active]));
  const dailyBy = new Map<string, Map<string, { visits: number; events: number }>>();
  for (const r of daily) {
    const days = dailyBy.get(r.orgId) ?? new Map();
    days.set(r.day, { visits: r.visits, events: r.events });
    dailyBy.set(r.orgId, days);
  }
  const plansBy = new Map<string, CapacityItem[]>();
  for (const p of plans) {
    const list = plansBy.get(p.companyId) ?? [];
    list.push({ plan: p.plan, label: PLAN_CATALOG[p.plan as PlanKey]?.label ?? p.plan, seats: p.seats, status: p.status, renewsAt: new Date(p.renewsAt).toISOString() });
    plansBy.set(p.companyId, list);
  }
  return customers.map((c) => {
    const days = dailyBy.get(c.id) ?? new Map<string, { visits: number; events: number }>();
    const trend = w.days.map((day) => ({ day, visits: days.get(day)?.visits ?? 0, events: days.get(day)?.events ?? 0 }));
    let visitsPrev30d = 0;
    let eventsPrev30d = 0;
    for (const [day, v] of days) {
      if (day >= w.prevFrom && day <= w.prevTo) {
        visitsPrev30d += v.visits;
        eventsPrev30d += v.events;
      }
    }
    return {
      org: { id: c.id, name: c.name },
      grantedAt: new Date(c.grantedAt).toISOString(),
      expiresAt: iso(c.expiresAt),
      stats: {
        sites: sitesBy.get(c.id) ?? 0,
        visits30d: trend.reduce((sum, t) => sum + t.visits, 0),
        events30d: trend.reduce((sum, t) => sum + t.events, 0),
        visitsPrev30d,
        eventsPrev30d,
        trend,
        activeSites30d: activeBy.get(c.id) ?? 0,
      },
      capacity: plansBy.get(c.id) ?? [],
    };
  });
}

/** F-65: every customer whose grant to the actor holds now, with its statistics and capacity. */
export async function partnerDashboard(deps: Deps, actor: Actor) {
  assertDashboard(actor);
  const now = deps.now();
  const [a, b, c, d, e] = insightStatements(deps.db, actor, now);
  const rows = await deps.db.batch([a, b, c, d, e]);
  const w = statsWindow(now);
  return { window: { from: w.from, to: w.to }, customers: assemble(now, rows) };
}

export interface SiteTotals {
  id: string;
  name: string;
  kind: "site" | "app";
  visits30d: number;
  events30d: number;
}

/** F-65: one customer's card plus per-site totals for the last 30 days; 404 without a valid grant, like a customer that does not exist. */
export async function partnerCustomer(deps: Deps, actor: Actor, customerOrgId: string) {
  assertDashboard(actor);
  const now = deps.now();
  const w = statsWindow(now);
  const db = deps.db;
  const [a, b, c, d, e] = insightStatements(db, actor, now, customerOrgId);
  const [ra, rb, rc, rd, re, sites] = await db.batch([
    a,
    b,
    c,
    d,
    e,
    db
      .select({ id: analyticsSites.id, name: analyticsSites.name, kind: analyticsSites.kind, visits30d: total(analyticsDailyStats.visits, "visits_30d"), events30d: total(analyticsDailyStats.events, "events_30d") })
      .from(analyticsSites)
      .leftJoin(analyticsDailyStats, and(eq(analyticsDailyStats.siteId, analyticsSites.id), gte(analyticsDailyStats.day, w.from), lte(analyticsDailyStats.day, w.to)))
      .where(inArray(analyticsSites.orgId, visibleCustomerIds(db, actor, now, customerOrgId)))
      .groupBy(analyticsSites.id)
      .orderBy(desc(sql`visits_30d`), sql`lower(${analyticsSites.name})`, analyticsSites.id),
  ]);
  const [customer] = assemble(now, [ra, rb, rc, rd, re]);
  if (!customer) throw customerNotFound();
  return { window: { from: w.from, to: w.to }, customer, sites: sites as SiteTotals[] };
}
