// F-44 Quota Usage: what the workspace collected this calendar month (UTC)
// against its monthly quota, in total and per site. Every collected hit counts
// against the quota: visits and other events alike.
import { and, asc, eq, gte, lt, sql } from "drizzle-orm";
import { analyticsDailyStats, analyticsSites } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { DEFAULT_MONTHLY_EVENT_QUOTA } from "../domain/analytics-data";
import { quotaPercent, utcMonth } from "../domain/analytics-features";
import { requireModule } from "./analytics-context";
import { settingsQuery } from "./analytics-settings";

export async function getQuota(deps: Deps, actor: Actor) {
  requireModule(actor, "quota_usage", "read");
  const { month, firstDay, nextMonthFirstDay } = utcMonth(deps.now());
  const [[settings], sites] = await deps.db.batch([
    settingsQuery(deps.db, actor.orgId),
    // One grouped query; the month is in the join so sites with nothing collected are listed with zeros.
    deps.db
      .select({
        siteId: analyticsSites.id,
        name: analyticsSites.name,
        visits: sql<number>`coalesce(sum(${analyticsDailyStats.visits}), 0)`.mapWith(Number),
        events: sql<number>`coalesce(sum(${analyticsDailyStats.events}), 0)`.mapWith(Number),
      })
      .from(analyticsSites)
      .leftJoin(
        analyticsDailyStats,
        and(eq(analyticsDailyStats.siteId, analyticsSites.id), gte(analyticsDailyStats.day, firstDay), lt(analyticsDailyStats.day, nextMonthFirstDay)),
      )
      .where(eq(analyticsSites.orgId, actor.orgId))
      .groupBy(analyticsSites.id)
      .orderBy(sql`lower(${analyticsSites.name})`, asc(analyticsSites.id)),
  ]);
  const quota = settings?.monthlyEventQuota ?? DEFAULT_MONTHLY_EVENT_QUOTA;
  const perSite = sites.map((s) => ({ siteId: s.siteId, name: s.name, events: Number(s.events), visits: Number(s.visits) }));
  const visits = perSite.reduce((sum, s) => sum + s.visits, 0);
  const events = perSite.reduce((sum, s) => sum + s.events, 0);
  const total = visits + events;
  return { month, quota, used: { visits, events, total }, perSite, percent: quotaPercent(total, quota) };
}
export type Quota = Awaited<ReturnType<typeof getQuota>>;
