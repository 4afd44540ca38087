// F-45 collection: tracked sites post one hit per visit or event. It is the
// hottest path of the product, so the happy path is ONE statement: an upsert
// into the day's counters whose SELECT resolves the site by its public key and
// applies the workspace's blocks and allowed event types. Only when that
// statement changed nothing does a second read find out why, to answer with
// the right error. Before it, the rate limiter (a binding, not D1) refuses a
// sender that floods one site.
import { eq, sql, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import { analyticsBlocks, analyticsDailyStats, analyticsSettings, analyticsSites, organizations } from "../db/schema";
import type { Deps } from "../deps";
import { COLLECT_LIMIT, DEFAULT_EVENT_TYPES, EVENT_TYPE_PATTERN, hitTimeProblem, utcDay, VISIT_EVENT } from "../domain/analytics-data";
import { canonicalIp } from "../domain/analytics-features";
import { AppError, validationError } from "../lib/errors";

/**
 * Unknown keys are dropped rather than refused: tracking snippets already in
 * the wild may send more than this version reads, and losing their hits helps no one.
 */
export const CollectInput = z.object({
  siteKey: z.string({ error: "Send the site's key." }).check(z.trim(), z.minLength(1, "Send the site's key."), z.maxLength(100, "Use at most 100 characters.")),
  type: z
    .string({ error: "Send the event type." })
    .check(
      z.maxLength(40, "Use lower-case letters, digits and underscores, starting with a letter (at most 40)."),
      z.regex(EVENT_TYPE_PATTERN, "Use lower-case letters, digits and underscores, starting with a letter (at most 40)."),
    ),
  at: z.optional(
    z.iso
      .datetime({ offset: true, error: "Use an ISO-8601 time, e.g. 2024-05-01T12:00:00Z." })
      .check(z.maxLength(40, "Use an ISO-8601 time, e.g. 2024-05-01T12:00:00Z.")),
  ),
  clientId: z.optional(
    z
      .string({ error: "Send the client id as text." })
      .check(z.trim(), z.minLength(1, "Leave clientId out or send a value."), z.maxLength(100, "Use at most 100 characters.")),
  ),
  licenseKey: z.optional(z.string({ error: "Send the license key as text." }).check(z.trim(), z.maxLength(100, "Use at most 100 characters."))),
});
export type CollectInput = z.infer<typeof CollectInput>;

/** True (1) when the site's workspace blocks the sender's IP address or client id. */
function blockedSql(ip: string | null, clientId: string | undefined): SQL {
  const blocked = (kind: "ip" | "client", value: string) =>
    sql`EXISTS (SELECT 1 FROM ${analyticsBlocks} WHERE ${analyticsBlocks.orgId} = ${analyticsSites.orgId} AND ${analyticsBlocks.kind} = ${kind} AND ${analyticsBlocks.value} = ${value})`;
  const checks = [ip ? blocked("ip", ip) : null, clientId ? blocked("client", clientId) : null].filter((c): c is SQL => c !== null);
  return checks.length ? sql`(${sql.join(checks, sql` OR `)})` : sql`0`;
}

/**
 * True (1) when the workspace accepts `type`: its Developer settings' list, or
 * the defaults while it has none (or an unreadable one).
 */
function typeAllowedSql(type: string): SQL {
  const list = analyticsSettings.allowedEvents;
  const defaults = sql.join(
    DEFAULT_EVENT_TYPES.map((t) => sql`${t}`),
    sql`, `,
  );
  return sql`(CASE WHEN ${list} IS NULL OR NOT json_valid(${list}) THEN ${type} IN (${defaults})
    ELSE EXISTS (SELECT 1 FROM json_each(${list}) AS allowed WHERE allowed.value = ${type}) END)`;
}

/**
 * Records one hit; throws RATE_LIMITED (too many from this sender for this
 * site), NOT_FOUND (unknown key), FORBIDDEN (blocked, or the organization
 * terminated) or VALIDATION_FAILED (time, type).
 */
export async function collect(deps: Deps, input: CollectInput): Promise<void> {
  const now = deps.now();
  const at = input.at === undefined ? now : Date.parse(input.at);
  const timeProblem = hitTimeProblem(at, now);
  if (timeProblem) throw validationError({ at: timeProblem });
  // Before D1: a flood from one sender costs no writes. Keyed by the site too,
  // so a busy sender on one tracked site does not lose its hits on another.
  const { success } = await deps.collectLimiter.limit({ key: `${input.siteKey}\n${deps.ip ?? ""}` });
  if (!success) {
    throw new AppError("RATE_LIMITED", `Too many hits from this address for this site: at most ${COLLECT_LIMIT.hits} every ${COLLECT_LIMIT.periodSeconds} seconds.`, undefined, COLLECT_LIMIT.periodSeconds);
  }

  const isVisit = input.type === VISIT_EVENT ? 1 : 0;
  // Blocks are stored in canonical form (Product Administrator), so the sender's address is compared in that form too.
  const blocked = blockedSql(deps.ip ? (canonicalIp(deps.ip) ?? deps.ip) : null, input.clientId);
  const allowed = typeAllowedSql(input.type);
  const siteWithSettings = sql`${analyticsSites} JOIN ${organizations} ON ${organizations.id} = ${analyticsSites.orgId} LEFT JOIN ${analyticsSettings} ON ${analyticsSettings.orgId} = ${analyticsSites.orgId}`;
  // A terminated organization's workspace is closed: its snippets may still be out there, but it collects nothing more.
  const open = sql`${organizations.status} = 'active'`;
  const stats = analyticsDailyStats;

  // The WHERE also settles SQLite's parsing ambiguity between a join's ON and the upsert's ON CONFLICT.
  const upsert = sql`INSERT INTO ${stats} (${sql.identifier(stats.siteId.name)}, ${sql.identifier(stats.day.name)}, ${sql.identifier(stats.licenseKey.name)}, ${sql.identifier(stats.visits.name)}, ${sql.identifier(stats.events.name)})
    SELECT ${analyticsSites.id}, ${utcDay(at)}, ${input.licenseKey ?? ""}, ${isVisit}, ${1 - isVisit}
    FROM ${siteWithSettings}
    WHERE ${analyticsSites.siteKey} = ${input.siteKey} AND ${open} AND NOT ${blocked} AND ${allowed}
    ON CONFLICT (${sql.identifier(stats.siteId.name)}, ${sql.identifier(stats.day.name)}, ${sql.identifier(stats.licenseKey.name)}) DO UPDATE SET
      ${sql.identifier(stats.visits.name)} = ${stats.visits} + excluded.${sql.identifier(stats.visits.name)},
      ${sql.identifier(stats.events.name)} = ${stats.events} + excluded.${sql.identifier(stats.events.name)}`;

  // A second attempt only when the explanation finds nothing wrong: a block or
  // setting changed between the two statements, and the hit deserves the newer answer.
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = await deps.db.run(upsert);
    if ((result.meta.changes ?? 0) > 0) return;

    const [why] = await deps.db
      .select({ open: sql<number>`${open}`, blocked: sql<number>`${blocked}`, allowed: sql<number>`${allowed}` })
      .from(analyticsSites)
      .innerJoin(organizations, eq(organizations.id, analyticsSites.orgId))
      .leftJoin(analyticsSettings, eq(analyticsSettings.orgId, analyticsSites.orgId))
      .where(eq(analyticsSites.siteKey, input.siteKey))
      .limit(1);
    if (!why) throw new AppError("NOT_FOUND", "No site or app has this key.");
    if (!why.open) throw new AppError("FORBIDDEN", "This site's workspace is closed: its organization was terminated.");
    if (why.blocked) throw new AppError("FORBIDDEN", "This site's workspace blocks hits from this client or address.");
    if (!why.allowed) throw validationError({ type: `This site's workspace does not accept events of type "${input.type}".` });
  }
  throw new AppError("CONFLICT", "The hit could not be recorded. Send it again.");
}
