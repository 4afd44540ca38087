// What the analytics rules need about the caller, read once per use case:
// module grants, and a site or meta site with the caller's level on it. The
// tenant scope (the caller's organization) is in every query; a site the
// caller may not see at all answers 404, like one of another organization.
import { and, eq, inArray, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { analyticsMetaSiteMembers, analyticsMetaSitePermissions, analyticsMetaSites, analyticsModulePermissions, analyticsSitePermissions, analyticsSites } from "../db/schema";
import type { Db } from "../db/client";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  canOnMetaSite,
  canOnSite,
  canUseModule,
  effectiveMetaSiteLevel,
  effectiveSiteLevel,
  META_SITE_ACTIONS,
  META_SITE_LEVEL_LABELS,
  META_SITE_LEVELS,
  metaSiteLevelAllows,
  MODULES,
  SITE_ACTIONS,
  SITE_LEVEL_LABELS,
  SITE_LEVELS,
  siteLevelAllows,
  type MetaSiteAction,
  type Module,
  type ModuleGrants,
  type SiteAction,
  type SiteLevel,
} from "../domain/analytics";
import { AppError } from "../lib/errors";

/** A user's module grants, as a query that can join a batch. */
export const moduleGrantsQuery = (db: Db, userId: string | SQL) =>
  db
    .select({ module: analyticsModulePermissions.module, level: analyticsModulePermissions.level })
    .from(analyticsModulePermissions)
    .where(eq(analyticsModulePermissions.userId, userId));

export const moduleGrantsFrom = (rows: { module: string; level: string }[]): ModuleGrants =>
  Object.fromEntries(rows.filter((r) => r.module in MODULES).map((r) => [r.module, r.level])) as ModuleGrants;

/**
 * F-44: refuses unless the caller's module level allows `need`; returns the
 * caller's grants for further checks. The grants came with the session's
 * account read, so this costs no round trip.
 */
export function requireModule(actor: Actor, module: Module, need: "read" | "write"): ModuleGrants {
  if (!canUseModule(actor, actor.modules, module, need)) {
    const level = need === "read" && MODULES[module].readOnly ? "Read-only or Full" : "Full";
    throw new AppError("FORBIDDEN", `This needs the ${MODULES[module].label} module (${level}).`);
  }
  return actor.modules;
}

const SITE_NOT_FOUND = () => new AppError("NOT_FOUND", "Site or app not found.");
const META_NOT_FOUND = () => new AppError("NOT_FOUND", "Meta site/app not found.");

// Every check below comes in two halves, so that a read use case can put the
// access query into the same db.batch() as its data queries (one D1 round
// trip) and evaluate access before it uses or returns any of that data: a
// query that can join a batch, and a pure evaluation of its rows.

/** SQL: `column` holds the id of a site of the caller's workspace (the tenant scope of a query read before the access check). */
export const inOwnSites = (actor: Actor, column: AnyColumn) =>
  sql`${column} IN (SELECT ${analyticsSites.id} FROM ${analyticsSites} WHERE ${analyticsSites.orgId} = ${actor.orgId})`;

/** SQL: `column` holds the id of a meta site of the caller's workspace. */
export const inOwnMetaSites = (actor: Actor, column: AnyColumn) =>
  sql`${column} IN (SELECT ${analyticsMetaSites.id} FROM ${analyticsMetaSites} WHERE ${analyticsMetaSites.orgId} = ${actor.orgId})`;

/** The caller's effective level from their grant row; 404 (`notFound`) when there is no row or No access, 403 when it does not allow `action`. */
export function siteLevelOf(actor: Actor, row: { granted: SiteLevel | null } | undefined, action?: SiteAction, notFound = SITE_NOT_FOUND): SiteLevel {
  const level = effectiveSiteLevel(actor, row?.granted);
  if (!row || level === "none") throw notFound();
  if (action && !siteLevelAllows(level, action)) {
    throw new AppError("FORBIDDEN", `${SITE_ACTIONS[action].label} needs a higher level than ${SITE_LEVEL_LABELS[level]} on this site.`);
  }
  return level;
}

/** The site (own workspace only) and the caller's grant on it. `siteId` may be a subquery (e.g. a tag's site). */
export const siteAccessQuery = (db: Db, actor: Actor, siteId: string | SQL) =>
  db
    .select({ site: analyticsSites, granted: analyticsSitePermissions.level })
    .from(analyticsSites)
    .leftJoin(analyticsSitePermissions, and(eq(analyticsSitePermissions.siteId, analyticsSites.id), eq(analyticsSitePermissions.userId, actor.id)))
    .where(and(eq(analyticsSites.id, siteId), eq(analyticsSites.orgId, actor.orgId)));

/**
 * SQL: `siteId` (a column or a value) is a site of the caller's workspace on
 * which the caller may do `action` — siteLevelOf's rule as a condition, for
 * the WHERE of a write that checks access in its own batch (issue 9). The
 * levels come from canOnSite, so the rule stays in one place.
 */
export function siteAllows(actor: Actor, siteId: AnyColumn | string, action: SiteAction): SQL {
  const own = sql`${siteId} IN (SELECT ${analyticsSites.id} FROM ${analyticsSites} WHERE ${analyticsSites.orgId} = ${actor.orgId})`;
  // An owner acts as Manage everywhere, whatever was granted.
  if (canOnSite(actor, null, action)) return own;
  const levels = SITE_LEVELS.filter((level) => canOnSite(actor, level, action));
  if (levels.length === 0) return sql`0`;
  return sql`(${own} AND EXISTS (SELECT 1 FROM ${analyticsSitePermissions} WHERE ${analyticsSitePermissions.siteId} = ${siteId} AND ${analyticsSitePermissions.userId} = ${actor.id} AND ${inArray(analyticsSitePermissions.level, levels as never)}))`;
}

type SiteAccessRow = Awaited<ReturnType<typeof siteAccessQuery>>[number];

/** siteAccessQuery's rows evaluated: the site and the caller's level; 404 when absent or No access, 403 when `action` needs more. */
export function siteAccessFrom(actor: Actor, rows: SiteAccessRow[], action?: SiteAction) {
  const [row] = rows;
  const level = siteLevelOf(actor, row, action);
  return { site: row!.site, level };
}

/** The site (own workspace only) and the caller's effective level on it; 404 when absent or No access. */
export async function siteAccess(deps: Pick<Deps, "db">, actor: Actor, siteId: string) {
  return siteAccessFrom(actor, await siteAccessQuery(deps.db, actor, siteId));
}

/** siteAccess, then 403 unless the level allows `action`. */
export async function requireSite(deps: Pick<Deps, "db">, actor: Actor, siteId: string, action: SiteAction) {
  return siteAccessFrom(actor, await siteAccessQuery(deps.db, actor, siteId), action);
}

/** The meta site (own workspace only) and the caller's grant on it. */
export const metaSiteAccessQuery = (db: Db, actor: Actor, metaSiteId: string | SQL) =>
  db
    .select({ metaSite: analyticsMetaSites, granted: analyticsMetaSitePermissions.level })
    .from(analyticsMetaSites)
    .leftJoin(
      analyticsMetaSitePermissions,
      and(eq(analyticsMetaSitePermissions.metaSiteId, analyticsMetaSites.id), eq(analyticsMetaSitePermissions.userId, actor.id)),
    )
    .where(and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId)));

/**
 * SQL: `metaSiteId` (a column or a value) is a meta site of the caller's
 * workspace on which the caller may do `action` — metaSiteAccessFrom's rule as
 * a condition, for the WHERE of a write that checks access in its own batch
 * (issue 9). The levels come from canOnMetaSite, so the rule stays in one place.
 */
export function metaSiteAllows(actor: Actor, metaSiteId: AnyColumn | SQL | string, action: MetaSiteAction): SQL {
  const own = sql`${metaSiteId} IN (SELECT ${analyticsMetaSites.id} FROM ${analyticsMetaSites} WHERE ${analyticsMetaSites.orgId} = ${actor.orgId})`;
  // An owner acts as Manage everywhere, whatever was granted.
  if (canOnMetaSite(actor, null, action)) return own;
  const levels = META_SITE_LEVELS.filter((level) => canOnMetaSite(actor, level, action));
  if (levels.length === 0) return sql`0`;
  return sql`(${own} AND EXISTS (SELECT 1 FROM ${analyticsMetaSitePermissions} WHERE ${analyticsMetaSitePermissions.metaSiteId} = ${metaSiteId} AND ${analyticsMetaSitePermissions.userId} = ${actor.id} AND ${inArray(analyticsMetaSitePermissions.level, levels as never)}))`;
}

/** The ids of the meta site's sites (own workspace only). `metaSiteId` may be a subquery (e.g. a segment's meta site). */
export const metaSiteMembersQuery = (db: Db, actor: Actor, metaSiteId: string | SQL) =>
  db
    .select({ siteId: analyticsMetaSiteMembers.siteId })
    .from(analyticsMetaSiteMembers)
    .innerJoin(analyticsSites, eq(analyticsSites.id, analyticsMetaSiteMembers.siteId))
    .where(and(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId), eq(analyticsSites.orgId, actor.orgId)));

type MetaSiteAccessRow = Awaited<ReturnType<typeof metaSiteAccessQuery>>[number];

/** The rows of metaSiteAccessQuery and metaSiteMembersQuery evaluated; 404 when absent or No access, 403 when `action` needs more. */
export function metaSiteAccessFrom(actor: Actor, rows: MetaSiteAccessRow[], members: { siteId: string }[], action?: MetaSiteAction) {
  const [row] = rows;
  const level = effectiveMetaSiteLevel(actor, row?.granted);
  if (!row || level === "none") throw META_NOT_FOUND();
  if (action && !metaSiteLevelAllows(level, action)) {
    throw new AppError(
      "FORBIDDEN",
      `${META_SITE_ACTIONS[action].label} needs a higher level than ${META_SITE_LEVEL_LABELS[level]} on this meta site.`,
    );
  }
  return { metaSite: row.metaSite, siteIds: members.map((m) => m.siteId), level };
}

/** The meta site (own workspace only), its member site ids and the caller's effective level; 404 when absent or No access. */
export async function metaSiteAccess(deps: Pick<Deps, "db">, actor: Actor, metaSiteId: string) {
  const [rows, members] = await deps.db.batch([metaSiteAccessQuery(deps.db, actor, metaSiteId), metaSiteMembersQuery(deps.db, actor, metaSiteId)]);
  return metaSiteAccessFrom(actor, rows, members);
}

export async function requireMetaSite(deps: Pick<Deps, "db">, actor: Actor, metaSiteId: string, action: MetaSiteAction) {
  const [rows, members] = await deps.db.batch([metaSiteAccessQuery(deps.db, actor, metaSiteId), metaSiteMembersQuery(deps.db, actor, metaSiteId)]);
  return metaSiteAccessFrom(actor, rows, members, action);
}

/** F-41: owner-only actions. */
export function requireOwner(actor: Actor, what: string) {
  if (!actor.analyticsOwner) throw new AppError("FORBIDDEN", `Only an owner of the analytics workspace can ${what}.`);
}
