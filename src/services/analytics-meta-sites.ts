// F-40/F-43: meta sites group sites of the same workspace. Owners create and
// delete them and choose their sites; Manage renames; Edit saves the dashboard
// and edits segments (analytics-segments.ts); View sees them. Tenant scope is
// in every query.
import { and, asc, count, eq, inArray, isNotNull, or, sql, type AnyColumn, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import {
  analyticsMetaSiteMembers,
  analyticsMetaSitePermissions,
  analyticsMetaSites,
  analyticsSegments,
  analyticsSites,
} from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { effectiveMetaSiteLevel, META_SITE_ACTIONS, META_SITE_LEVEL_LABELS, metaSiteLevelAllows, type MetaSiteAction, type MetaSiteLevel } from "../domain/analytics";
import { DASHBOARD_DAYS, DEFAULT_DASHBOARD_DAYS, readDashboard, type MetaSiteDashboard } from "../domain/analytics-data";
import { guardChanged, guardNot, insertChunks, isGuardAbort } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { pageOffset, pageOf } from "../lib/paging";
import { metaSiteAccess, metaSiteAccessFrom, metaSiteAccessQuery, metaSiteAllows, metaSiteMembersQuery, requireMetaSite, requireOwner } from "./analytics-context";
import { analyticsName } from "./analytics-names";
import type { ListWorkspaceInput } from "./analytics-sites";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonObject } from "../lib/sql-json";
import { iso } from "../lib/iso-time";

// ---------------------------------------------------------------- inputs

/** D1 binds at most 100 values per statement; the membership checks bind every id. */
export const MAX_SITES_PER_META_SITE = 90;

/** A list of site ids (deduplicated), at least `min` and at most MAX_SITES_PER_META_SITE. */
export const siteIdList = (min: number) =>
  z.pipe(
    z
      .array(z.string({ error: "Site ids are strings." }).check(z.minLength(1), z.maxLength(40)), { error: "Send a list of site ids." })
      .check(z.minLength(min, "Choose at least one site."), z.maxLength(MAX_SITES_PER_META_SITE, `Choose at most ${MAX_SITES_PER_META_SITE} sites.`)),
    z.transform((ids) => [...new Set(ids)]),
  );

export const CreateMetaSiteInput = z.strictObject({ name: analyticsName, siteIds: siteIdList(1) });
export type CreateMetaSiteInput = z.infer<typeof CreateMetaSiteInput>;

export const UpdateMetaSiteInput = z
  .strictObject({ name: z.optional(analyticsName), siteIds: z.optional(siteIdList(1)) })
  .check(z.refine((v) => v.name !== undefined || v.siteIds !== undefined, "Send name or siteIds."));
export type UpdateMetaSiteInput = z.infer<typeof UpdateMetaSiteInput>;

export const DashboardInput = z.strictObject({
  siteIds: siteIdList(1),
  days: z
    .number({ error: `Choose ${DASHBOARD_DAYS.join(", ")} days.` })
    .check(z.refine((d) => (DASHBOARD_DAYS as readonly number[]).includes(d), `Choose ${DASHBOARD_DAYS.join(", ")} days.`)),
});
export type DashboardInput = z.infer<typeof DashboardInput>;

// ---------------------------------------------------------------- shapes

type MetaSiteRow = typeof analyticsMetaSites.$inferSelect;

export const toPublicMetaSite = (m: MetaSiteRow, siteIds: string[], level: MetaSiteLevel) => ({
  id: m.id,
  name: m.name,
  siteIds,
  /** The caller's effective level (owners: manage). */
  level,
  createdAt: iso(m.createdAt),
  updatedAt: iso(m.updatedAt),
});
export type PublicMetaSite = ReturnType<typeof toPublicMetaSite>;

// ---------------------------------------------------------------- checks

const ownSitesWhere = (actor: Actor, siteIds: string[]) => and(inArray(analyticsSites.id, siteIds), eq(analyticsSites.orgId, actor.orgId));

/** 422 on `siteIds` unless every id is a site of the actor's workspace (another workspace's site is "not found", never "forbidden"). */
async function assertOwnSites(deps: Deps, actor: Actor, siteIds: string[]) {
  const found = await deps.db.select({ id: analyticsSites.id }).from(analyticsSites).where(ownSitesWhere(actor, siteIds));
  if (found.length !== siteIds.length) throw validationError({ siteIds: "Choose sites of this workspace: some of these were not found." });
}

/** Aborts the batch when one of the chosen sites was deleted after the check. */
const guardOwnSites = (db: Db, actor: Actor, siteIds: string[]) =>
  guardNot(db, sql`(${db.select({ n: count() }).from(analyticsSites).where(ownSitesWhere(actor, siteIds))}) <> ${siteIds.length}`);

/** 422 on `siteIds` unless every one of them is among the meta site's sites (`memberIds`). */
export function assertMembers(memberIds: readonly string[], siteIds: string[], what: string) {
  if (siteIds.some((id) => !memberIds.includes(id))) throw validationError({ siteIds: `Choose ${what} among this meta site's sites.` });
}

const metaSiteForbidden = (level: MetaSiteLevel, action: MetaSiteAction) =>
  new AppError("FORBIDDEN", `${META_SITE_ACTIONS[action].label} needs a higher level than ${META_SITE_LEVEL_LABELS[level]} on this meta site.`);

const memberInserts = (deps: Deps, metaSiteId: string, siteIds: string[]) =>
  siteIds.length ? insertChunks(deps.db, analyticsMetaSiteMembers, siteIds.map((siteId) => ({ metaSiteId, siteId }))) : [];

const META_NOT_FOUND = () => new AppError("NOT_FOUND", "Meta site/app not found.");

// ---------------------------------------------------------------- the same reads in SQL
// For writes that check and audit in their own batch (issue 9: no read first).
// `members` is always metaSiteMembersQuery, the query the code reads the
// member ids with, so the SQL sees the same ids in the same order.

export type MembersQuery = ReturnType<typeof metaSiteMembersQuery>;

/** SQL: the member ids as a JSON array (the `siteIds` metaSiteAccessFrom returns). */
const membersJson = (members: MembersQuery) => sql`(SELECT json_group_array(site_id) FROM (${members}))`;
const memberIdsJson = (db: Db, actor: Actor, metaSiteId: string) => membersJson(metaSiteMembersQuery(db, actor, metaSiteId));

/** SQL: every one of `siteIds` (deduplicated) is a member: assertMembers' rule. */
export const allMembers = (members: MembersQuery, siteIds: string[]) =>
  sql`(SELECT count(*) FROM (${members}) WHERE site_id IN (SELECT value FROM json_each(${JSON.stringify(siteIds)}))) = ${siteIds.length}`;

/** SQL: the members are exactly `siteIds` (deduplicated): no regrouping. */
const sameSites = (members: MembersQuery, siteIds: string[]) => sql`((SELECT count(*) FROM (${members})) = ${siteIds.length} AND ${allMembers(members, siteIds)})`;

/** SQL: the text ids of the JSON array at `$.siteIds` of `json` that are members, in order, as a JSON array: the filter of readDashboard/readSegment. */
const memberIdsIn = (json: AnyColumn, members: MembersQuery) =>
  sql`(SELECT json_group_array(value) FROM (SELECT j.value AS value FROM json_each(${json}, '$.siteIds') AS j WHERE j.type = 'text' AND j.value IN (SELECT site_id FROM (${members})) ORDER BY j.key))`;

/** SQL: readSegment(definition, members).siteIds as JSON. */
export const segmentIdsJson = (definition: AnyColumn, members: MembersQuery) =>
  sql`json(CASE WHEN coalesce(json_valid(${definition}), 0) = 0 THEN '[]' WHEN json_type(${definition}, '$.siteIds') = 'array' THEN ${memberIdsIn(definition, members)} ELSE '[]' END)`;

/** SQL: JSON.stringify(readDashboard(dashboard, members)). */
export function dashboardJson(dashboard: AnyColumn, members: MembersQuery) {
  const all = membersJson(members);
  const days = sql.raw(DASHBOARD_DAYS.join(", "));
  const fallback = sql.raw(String(DEFAULT_DASHBOARD_DAYS));
  return sql`(CASE WHEN coalesce(json_valid(${dashboard}), 0) = 0 THEN json_object('siteIds', json(${all}), 'days', ${fallback}) ELSE json_object(
    'siteIds', json(CASE WHEN json_type(${dashboard}, '$.siteIds') = 'array' THEN ${memberIdsIn(dashboard, members)} ELSE ${all} END),
    'days', CASE WHEN json_type(${dashboard}, '$.days') IN ('integer', 'real') AND json_extract(${dashboard}, '$.days') IN (${days}) THEN CAST(json_extract(${dashboard}, '$.days') AS INTEGER) ELSE ${fallback} END
  ) END)`;
}

// ---------------------------------------------------------------- meta sites

/**
 * F-41/F-43: owners see every meta site; others those where they hold at
 * least View. As queries for one batch: the page of meta sites, their count,
 * and the sites of the meta sites on that page (the same page as a subquery).
 */
export function metaSiteListQueries(db: Db, actor: Actor, input: Pick<ListWorkspaceInput, "q" | "page" | "pageSize">) {
  const joined = and(eq(analyticsMetaSitePermissions.metaSiteId, analyticsMetaSites.id), eq(analyticsMetaSitePermissions.userId, actor.id));
  const where = and(
    eq(analyticsMetaSites.orgId, actor.orgId),
    actor.analyticsOwner ? undefined : isNotNull(analyticsMetaSitePermissions.level),
    input.q ? contains(analyticsMetaSites.name, input.q) : undefined,
  );
  const order = [sql`lower(${analyticsMetaSites.name})`, asc(analyticsMetaSites.id)];
  const offset = pageOffset(input);
  const onPage = db.select({ id: analyticsMetaSites.id }).from(analyticsMetaSites).leftJoin(analyticsMetaSitePermissions, joined).where(where).orderBy(...order).limit(input.pageSize).offset(offset);
  return [
    db
      .select({ metaSite: analyticsMetaSites, granted: analyticsMetaSitePermissions.level })
      .from(analyticsMetaSites)
      .leftJoin(analyticsMetaSitePermissions, joined)
      .where(where)
      .orderBy(...order)
      .limit(input.pageSize)
      .offset(offset),
    db.select({ n: count() }).from(analyticsMetaSites).leftJoin(analyticsMetaSitePermissions, joined).where(where),
    db
      .select({ metaSiteId: analyticsMetaSiteMembers.metaSiteId, siteId: analyticsMetaSiteMembers.siteId })
      .from(analyticsMetaSiteMembers)
      .innerJoin(analyticsSites, eq(analyticsSites.id, analyticsMetaSiteMembers.siteId))
      .where(and(inArray(analyticsMetaSiteMembers.metaSiteId, onPage), eq(analyticsSites.orgId, actor.orgId))),
  ] as const;
}

type MetaSiteListRow = { metaSite: MetaSiteRow; granted: MetaSiteLevel | null };
export const metaSiteItemsFrom = (actor: Actor, rows: MetaSiteListRow[], members: { metaSiteId: string; siteId: string }[]) =>
  rows.map((r) =>
    toPublicMetaSite(
      r.metaSite,
      members.filter((m) => m.metaSiteId === r.metaSite.id).map((m) => m.siteId),
      effectiveMetaSiteLevel(actor, r.granted),
    ),
  );

export async function listMetaSites(deps: Deps, actor: Actor, input: ListWorkspaceInput) {
  const [rows, [total], members] = await deps.db.batch(metaSiteListQueries(deps.db, actor, input));
  return { items: metaSiteItemsFrom(actor, rows, members), page: pageOf(input, total) };
}

/** The meta site's sites (id, name, kind; own workspace only) by name, for a batch. */
export const metaSiteSitesQuery = (db: Db, actor: Actor, metaSiteId: string) =>
  db
    .select({ id: analyticsSites.id, name: analyticsSites.name, kind: analyticsSites.kind })
    .from(analyticsSites)
    .where(
      and(
        eq(analyticsSites.orgId, actor.orgId),
        inArray(analyticsSites.id, db.select({ id: analyticsMetaSiteMembers.siteId }).from(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId))),
      ),
    )
    .orderBy(sql`lower(${analyticsSites.name})`, asc(analyticsSites.id));

/** The queries of getMetaSite, for a batch: access, member ids, member sites. */
export const metaSiteDetailQueries = (db: Db, actor: Actor, metaSiteId: string) =>
  [metaSiteAccessQuery(db, actor, metaSiteId), metaSiteMembersQuery(db, actor, metaSiteId), metaSiteSitesQuery(db, actor, metaSiteId)] as const;

/** Evaluates metaSiteDetailQueries' rows: 404/403 as requireMetaSite(…, "viewDashboard"), then the detail. */
export function metaSiteDetailFrom(
  actor: Actor,
  [access, members, sites]: readonly [Awaited<ReturnType<typeof metaSiteAccessQuery>>, { siteId: string }[], Awaited<ReturnType<typeof metaSiteSitesQuery>>],
) {
  const { metaSite, siteIds, level } = metaSiteAccessFrom(actor, access, members, "viewDashboard");
  return { ...toPublicMetaSite(metaSite, siteIds, level), sites, dashboard: readDashboard(metaSite.dashboard, siteIds) };
}

/** One meta site with its sites (names), saved dashboard and the caller's level. */
export async function getMetaSite(deps: Deps, actor: Actor, metaSiteId: string) {
  const rows = await deps.db.batch(metaSiteDetailQueries(deps.db, actor, metaSiteId));
  return { metaSite: metaSiteDetailFrom(actor, rows) };
}
export type MetaSiteDetail = Awaited<ReturnType<typeof getMetaSite>>["metaSite"];

/** F-41: owners add meta sites, grouping sites of their own workspace. */
export async function createMetaSite(deps: Deps, actor: Actor, input: CreateMetaSiteInput) {
  requireOwner(actor, "add a meta site or app");
  const now = deps.now();
  const row: MetaSiteRow = { id: newId(), orgId: actor.orgId, name: input.name, dashboard: null, createdAt: now, updatedAt: now };
  try {
    // The chosen sites are checked in the insert's batch: no read first.
    await deps.db.batch([
      guardOwnSites(deps.db, actor, input.siteIds),
      deps.db.insert(analyticsMetaSites).values(row),
      ...memberInserts(deps, row.id, input.siteIds),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.meta_site.created", targetType: "analytics_meta_site", targetId: row.id, after: { name: row.name, siteIds: input.siteIds } }),
    ]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: the 422 of a site that is not the workspace's; found after all, it was deleted and is back (or the check raced).
    await assertOwnSites(deps, actor, input.siteIds);
    throw validationError({ siteIds: "A chosen site was deleted meanwhile. Choose again." });
  }
  return { metaSite: toPublicMetaSite(row, input.siteIds, "manage") };
}

/** What an update of the meta site as read changes; 403 as F-43 says. Nothing to change: both false. */
function metaSiteUpdatePlan(actor: Actor, before: MetaSiteRow, beforeIds: string[], level: MetaSiteLevel, input: UpdateMetaSiteInput) {
  const rename = input.name !== undefined && input.name !== before.name;
  const regroup = input.siteIds !== undefined && (input.siteIds.length !== beforeIds.length || input.siteIds.some((id) => !beforeIds.includes(id)));
  if (input.name !== undefined && !metaSiteLevelAllows(level, "viewSettings")) throw metaSiteForbidden(level, "viewSettings");
  if (input.siteIds !== undefined) requireOwner(actor, "choose which sites a meta site groups");
  return { rename, regroup };
}

/** Renaming needs Manage; choosing the grouped sites is for owners (OWNER_ACTIONS.changeMetaSiteMembers). */
export async function updateMetaSite(deps: Deps, actor: Actor, metaSiteId: string, input: UpdateMetaSiteInput) {
  const db = deps.db;
  // Why nothing was written: 404/403/422 as before; an unchanged meta site is the idempotent answer; else it changed meanwhile.
  const explain = async () => {
    const { metaSite: before, siteIds: beforeIds, level } = await metaSiteAccess(deps, actor, metaSiteId);
    const { rename, regroup } = metaSiteUpdatePlan(actor, before, beforeIds, level, input);
    if (!rename && !regroup) return { metaSite: toPublicMetaSite(before, beforeIds, level), changed: false };
    if (regroup) await assertOwnSites(deps, actor, input.siteIds!);
    throw new AppError("CONFLICT", "The meta site or one of the chosen sites was changed meanwhile. Reload and try again.");
  };
  // Regrouping is for owners: anyone else is refused, after the 404 the read gives first.
  if (input.siteIds !== undefined && !actor.analyticsOwner) return explain();

  // metaSiteUpdatePlan's rule as SQL over the meta site as it is: the caller's level, a new name, another set of sites.
  const scope = and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId));
  const rename = input.name !== undefined ? sql`${analyticsMetaSites.name} IS NOT ${input.name}` : undefined;
  const regroup = input.siteIds !== undefined ? sql`NOT ${sameSites(metaSiteMembersQuery(db, actor, metaSiteId), input.siteIds)}` : undefined;
  const target = and(scope, input.name !== undefined ? metaSiteAllows(actor, analyticsMetaSites.id, "viewSettings") : undefined, or(rename, regroup));
  const name = input.name ?? analyticsMetaSites.name;
  const beforeIds = sql`json(${memberIdsJson(db, actor, metaSiteId)})`;
  const afterIds = sql`json(${JSON.stringify(input.siteIds ?? [])})`;
  const onRegroup = (withSites: SQL, without: SQL) => (regroup ? sql`CASE WHEN ${regroup} THEN ${withSites} ELSE ${without} END` : without);
  const updatedAt = deps.now();
  try {
    // One batch: the meta site as read (for the answer), the audit row reading it before the change, the change.
    const [access, members, , [updated]] = await db.batch([
      metaSiteAccessQuery(db, actor, metaSiteId),
      metaSiteMembersQuery(db, actor, metaSiteId),
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.meta_site.updated",
          targetType: "analytics_meta_site",
          targetId: metaSiteId,
          before: onRegroup(jsonObject({ name: analyticsMetaSites.name, siteIds: beforeIds }), jsonObject({ name: analyticsMetaSites.name })),
          after: onRegroup(jsonObject({ name, siteIds: afterIds }), jsonObject({ name })),
        },
        sql`FROM ${analyticsMetaSites} WHERE ${target}`,
      ),
      db
        .update(analyticsMetaSites)
        .set({ ...(input.name !== undefined ? { name: input.name } : {}), updatedAt })
        .where(target)
        .returning(),
      guardChanged(db),
      // The same set of sites written again is no change.
      ...(input.siteIds !== undefined
        ? [
            guardOwnSites(db, actor, input.siteIds),
            db.delete(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId)),
            ...memberInserts(deps, metaSiteId, input.siteIds),
          ]
        : []),
    ]);
    const { metaSite: before, siteIds: idsBefore, level } = metaSiteAccessFrom(actor, access, members);
    const plan = metaSiteUpdatePlan(actor, before, idsBefore, level, input);
    return { metaSite: toPublicMetaSite(updated!, plan.regroup ? input.siteIds! : idsBefore, level), changed: true };
  } catch (e) {
    if (isGuardAbort(e)) return explain();
    throw e;
  }
}

/** F-41: owners delete a meta site; its memberships, permissions and segments go with it (the sites stay). */
export async function deleteMetaSite(deps: Deps, actor: Actor, metaSiteId: string) {
  requireOwner(actor, "delete a meta site or app");
  const db = deps.db;
  const own = and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId));
  try {
    // The audit row reads the meta site and its sites before the delete, in the same batch: no read first.
    await db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.meta_site.deleted",
          targetType: "analytics_meta_site",
          targetId: metaSiteId,
          before: jsonObject({ name: analyticsMetaSites.name, siteIds: sql`json(${memberIdsJson(db, actor, metaSiteId)})` }),
        },
        sql`FROM ${analyticsMetaSites} WHERE ${own}`,
      ),
      db.delete(analyticsMetaSites).where(own),
      guardChanged(db),
      db.delete(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId)),
      db.delete(analyticsMetaSitePermissions).where(eq(analyticsMetaSitePermissions.metaSiteId, metaSiteId)),
      db.delete(analyticsSegments).where(eq(analyticsSegments.metaSiteId, metaSiteId)),
    ]);
  } catch (e) {
    // An owner sees every meta site of the workspace: absent is the only refusal.
    if (isGuardAbort(e)) throw META_NOT_FOUND();
    throw e;
  }
}

/** F-43: Edit and above save which of the grouped sites the dashboard shows, over how many days. */
export async function saveDashboard(deps: Deps, actor: Actor, metaSiteId: string, input: DashboardInput) {
  const db = deps.db;
  const dashboard: MetaSiteDashboard = { siteIds: input.siteIds, days: input.days };
  // The level and the chosen sites (all of them the meta site's) are checked in the update's WHERE.
  const target = and(
    eq(analyticsMetaSites.id, metaSiteId),
    eq(analyticsMetaSites.orgId, actor.orgId),
    metaSiteAllows(actor, analyticsMetaSites.id, "editDashboard"),
    allMembers(metaSiteMembersQuery(db, actor, metaSiteId), input.siteIds),
  );
  try {
    // The audit row reads the dashboard before the update, in the same batch: no read first.
    await db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.meta_site.dashboard_changed",
          targetType: "analytics_meta_site",
          targetId: metaSiteId,
          before: dashboardJson(analyticsMetaSites.dashboard, metaSiteMembersQuery(db, actor, metaSiteId)),
          after: dashboard,
        },
        sql`FROM ${analyticsMetaSites} WHERE ${target}`,
      ),
      db.update(analyticsMetaSites).set({ dashboard: JSON.stringify(dashboard), updatedAt: deps.now() }).where(target),
      guardChanged(db),
    ]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: 404/403/422 as before; else the meta site changed meanwhile.
    const { siteIds } = await requireMetaSite(deps, actor, metaSiteId, "editDashboard");
    assertMembers(siteIds, input.siteIds, "the dashboard's sites");
    throw new AppError("CONFLICT", "The meta site was changed meanwhile. Reload and try again.");
  }
  // readDashboard of what was saved: every chosen site is a member (checked above).
  return { dashboard: readDashboard(JSON.stringify(dashboard), input.siteIds) };
}
