// F-40/F-43: meta sites group sites of the same workspace. Owners create and
// delete them and choose their sites; Manage renames; Edit saves the dashboard
// and edits segments; View sees them. Tenant scope is in every query.
import { and, asc, count, eq, inArray, isNotNull, sql } from "drizzle-orm";
import * as z from "zod";
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
import { DASHBOARD_DAYS, readDashboard, readSegment, type MetaSiteDashboard, type SegmentDefinition } from "../domain/analytics-data";
import { guardChanged, guardNot, insertChunks, isGuardAbort } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { inOwnMetaSites, metaSiteAccess, metaSiteAccessFrom, metaSiteAccessQuery, metaSiteMembersQuery, requireMetaSite, requireOwner } from "./analytics-context";
import { analyticsName } from "./analytics-names";
import type { ListWorkspaceInput } from "./analytics-sites";
import { auditInsert } from "./audit";

// ---------------------------------------------------------------- inputs

/** D1 binds at most 100 values per statement; the membership checks bind every id. */
export const MAX_SITES_PER_META_SITE = 90;

const siteIdList = (min: number) =>
  z
    .array(z.string({ error: "Site ids are strings." }).min(1).max(40), { error: "Send a list of site ids." })
    .min(min, "Choose at least one site.")
    .max(MAX_SITES_PER_META_SITE, `Choose at most ${MAX_SITES_PER_META_SITE} sites.`)
    .transform((ids) => [...new Set(ids)]);

export const CreateMetaSiteInput = z.strictObject({ name: analyticsName, siteIds: siteIdList(1) });
export type CreateMetaSiteInput = z.infer<typeof CreateMetaSiteInput>;

export const UpdateMetaSiteInput = z
  .strictObject({ name: analyticsName.optional(), siteIds: siteIdList(1).optional() })
  .refine((v) => v.name !== undefined || v.siteIds !== undefined, "Send name or siteIds.");
export type UpdateMetaSiteInput = z.infer<typeof UpdateMetaSiteInput>;

export const DashboardInput = z.strictObject({
  siteIds: siteIdList(1),
  days: z
    .number({ error: `Choose ${DASHBOARD_DAYS.join(", ")} days.` })
    .refine((d) => (DASHBOARD_DAYS as readonly number[]).includes(d), `Choose ${DASHBOARD_DAYS.join(", ")} days.`),
});
export type DashboardInput = z.infer<typeof DashboardInput>;

export const SegmentInput = z.strictObject({ name: analyticsName, siteIds: siteIdList(1) });
export type SegmentInput = z.infer<typeof SegmentInput>;

export const UpdateSegmentInput = z
  .strictObject({ name: analyticsName.optional(), siteIds: siteIdList(1).optional() })
  .refine((v) => v.name !== undefined || v.siteIds !== undefined, "Send name or siteIds.");
export type UpdateSegmentInput = z.infer<typeof UpdateSegmentInput>;

// ---------------------------------------------------------------- shapes

type MetaSiteRow = typeof analyticsMetaSites.$inferSelect;
type SegmentRow = typeof analyticsSegments.$inferSelect;
const iso = (ms: number) => new Date(ms).toISOString();

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

export const toPublicSegment = (s: SegmentRow, memberIds: readonly string[]) => ({
  id: s.id,
  metaSiteId: s.metaSiteId,
  name: s.name,
  siteIds: readSegment(s.definition, memberIds).siteIds,
  createdBy: s.createdBy,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});
export type PublicSegment = ReturnType<typeof toPublicSegment>;

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

function assertMembers(memberIds: readonly string[], siteIds: string[], what: string) {
  if (siteIds.some((id) => !memberIds.includes(id))) throw validationError({ siteIds: `Choose ${what} among this meta site's sites.` });
}

const metaSiteForbidden = (level: MetaSiteLevel, action: MetaSiteAction) =>
  new AppError("FORBIDDEN", `${META_SITE_ACTIONS[action].label} needs a higher level than ${META_SITE_LEVEL_LABELS[level]} on this meta site.`);

const memberInserts = (deps: Deps, metaSiteId: string, siteIds: string[]) =>
  siteIds.length ? insertChunks(deps.db, analyticsMetaSiteMembers, siteIds.map((siteId) => ({ metaSiteId, siteId }))) : [];

const META_NOT_FOUND = () => new AppError("NOT_FOUND", "Meta site/app not found.");

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
  const offset = (input.page - 1) * input.pageSize;
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
  return { items: metaSiteItemsFrom(actor, rows, members), page: { number: input.page, size: input.pageSize, total: total?.n ?? 0 } };
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
  await assertOwnSites(deps, actor, input.siteIds);
  const now = deps.now();
  const row: MetaSiteRow = { id: newId(), orgId: actor.orgId, name: input.name, dashboard: null, createdAt: now, updatedAt: now };
  try {
    await deps.db.batch([
      deps.db.insert(analyticsMetaSites).values(row),
      guardOwnSites(deps.db, actor, input.siteIds),
      ...memberInserts(deps, row.id, input.siteIds),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.meta_site.created", targetType: "analytics_meta_site", targetId: row.id, after: { name: row.name, siteIds: input.siteIds } }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw validationError({ siteIds: "A chosen site was deleted meanwhile. Choose again." });
    throw e;
  }
  return { metaSite: toPublicMetaSite(row, input.siteIds, "manage") };
}

/** Renaming needs Manage; choosing the grouped sites is for owners (OWNER_ACTIONS.changeMetaSiteMembers). */
export async function updateMetaSite(deps: Deps, actor: Actor, metaSiteId: string, input: UpdateMetaSiteInput) {
  const { metaSite: before, siteIds: beforeIds, level } = await metaSiteAccess(deps, actor, metaSiteId);
  const rename = input.name !== undefined && input.name !== before.name;
  const regroup = input.siteIds !== undefined && (input.siteIds.length !== beforeIds.length || input.siteIds.some((id) => !beforeIds.includes(id)));
  if (input.name !== undefined && !metaSiteLevelAllows(level, "viewSettings")) throw metaSiteForbidden(level, "viewSettings");
  if (input.siteIds !== undefined) requireOwner(actor, "choose which sites a meta site groups");
  if (!rename && !regroup) return { metaSite: toPublicMetaSite(before, beforeIds, level), changed: false };
  if (regroup) await assertOwnSites(deps, actor, input.siteIds!);

  const name = rename ? input.name! : before.name;
  const siteIds = regroup ? input.siteIds! : beforeIds;
  const scope = and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId));
  const updatedAt = deps.now();
  try {
    await deps.db.batch([
      deps.db.update(analyticsMetaSites).set({ name, updatedAt }).where(scope),
      guardChanged(deps.db),
      ...(regroup
        ? [
            guardOwnSites(deps.db, actor, siteIds),
            deps.db.delete(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId)),
            ...memberInserts(deps, metaSiteId, siteIds),
          ]
        : []),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.meta_site.updated",
        targetType: "analytics_meta_site",
        targetId: metaSiteId,
        before: { name: before.name, ...(regroup ? { siteIds: beforeIds } : {}) },
        after: { name, ...(regroup ? { siteIds } : {}) },
      }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("CONFLICT", "The meta site or one of the chosen sites was changed meanwhile. Reload and try again.");
    throw e;
  }
  return { metaSite: toPublicMetaSite({ ...before, name, updatedAt }, siteIds, level), changed: true };
}

/** F-41: owners delete a meta site; its memberships, permissions and segments go with it (the sites stay). */
export async function deleteMetaSite(deps: Deps, actor: Actor, metaSiteId: string) {
  requireOwner(actor, "delete a meta site or app");
  const { metaSite, siteIds } = await metaSiteAccess(deps, actor, metaSiteId);
  try {
    await deps.db.batch([
      deps.db.delete(analyticsMetaSites).where(and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId))),
      guardChanged(deps.db),
      deps.db.delete(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId)),
      deps.db.delete(analyticsMetaSitePermissions).where(eq(analyticsMetaSitePermissions.metaSiteId, metaSiteId)),
      deps.db.delete(analyticsSegments).where(eq(analyticsSegments.metaSiteId, metaSiteId)),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.meta_site.deleted", targetType: "analytics_meta_site", targetId: metaSiteId, before: { name: metaSite.name, siteIds } }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw META_NOT_FOUND();
    throw e;
  }
}

/** F-43: Edit and above save which of the grouped sites the dashboard shows, over how many days. */
export async function saveDashboard(deps: Deps, actor: Actor, metaSiteId: string, input: DashboardInput) {
  const { metaSite, siteIds } = await requireMetaSite(deps, actor, metaSiteId, "editDashboard");
  assertMembers(siteIds, input.siteIds, "the dashboard's sites");
  const before = readDashboard(metaSite.dashboard, siteIds);
  const dashboard: MetaSiteDashboard = { siteIds: input.siteIds, days: input.days };
  const [[updated]] = await deps.db.batch([
    deps.db
      .update(analyticsMetaSites)
      .set({ dashboard: JSON.stringify(dashboard), updatedAt: deps.now() })
      .where(and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId)))
      .returning(),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.meta_site.dashboard_changed", targetType: "analytics_meta_site", targetId: metaSiteId, before, after: dashboard }),
  ]);
  if (!updated) throw META_NOT_FOUND();
  return { dashboard: readDashboard(updated.dashboard, siteIds) };
}

// ---------------------------------------------------------------- segments (F-43)

/** A meta site's segments by name (own workspace only), for a batch that checks the caller's level before using them. */
export const segmentsQuery = (db: Db, actor: Actor, metaSiteId: string) =>
  db
    .select()
    .from(analyticsSegments)
    .where(and(eq(analyticsSegments.metaSiteId, metaSiteId), inOwnMetaSites(actor, analyticsSegments.metaSiteId)))
    .orderBy(sql`lower(${analyticsSegments.name})`, asc(analyticsSegments.id));

export async function listSegments(deps: Deps, actor: Actor, metaSiteId: string) {
  const db = deps.db;
  const [access, members, rows] = await db.batch([metaSiteAccessQuery(db, actor, metaSiteId), metaSiteMembersQuery(db, actor, metaSiteId), segmentsQuery(db, actor, metaSiteId)]);
  const { siteIds } = metaSiteAccessFrom(actor, access, members, "viewSegments");
  return { items: rows.map((s) => toPublicSegment(s, siteIds)) };
}

export async function createSegment(deps: Deps, actor: Actor, metaSiteId: string, input: SegmentInput) {
  const { siteIds } = await requireMetaSite(deps, actor, metaSiteId, "editSegments");
  assertMembers(siteIds, input.siteIds, "the segment's sites");
  const now = deps.now();
  const definition: SegmentDefinition = { siteIds: input.siteIds };
  const row: SegmentRow = { id: newId(), metaSiteId, name: input.name, definition: JSON.stringify(definition), createdBy: actor.id, createdAt: now, updatedAt: now };
  await deps.db.batch([
    deps.db.insert(analyticsSegments).values(row),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.segment.created", targetType: "analytics_segment", targetId: row.id, after: { metaSiteId, name: row.name, ...definition } }),
  ]);
  return { segment: toPublicSegment(row, siteIds) };
}

const SEGMENT_NOT_FOUND = () => new AppError("NOT_FOUND", "Segment not found.");

/** The segment (own workspace only) with the caller's access to its meta site. */
async function requireSegment(deps: Deps, actor: Actor, segmentId: string, action: MetaSiteAction) {
  const [row] = await deps.db
    .select({ segment: analyticsSegments })
    .from(analyticsSegments)
    .innerJoin(analyticsMetaSites, eq(analyticsMetaSites.id, analyticsSegments.metaSiteId))
    .where(and(eq(analyticsSegments.id, segmentId), eq(analyticsMetaSites.orgId, actor.orgId)));
  if (!row) throw SEGMENT_NOT_FOUND();
  const access = await requireMetaSite(deps, actor, row.segment.metaSiteId, action).catch((e) => {
    throw e instanceof AppError && e.code === "NOT_FOUND" ? SEGMENT_NOT_FOUND() : e;
  });
  return { segment: row.segment, ...access };
}

export async function getSegment(deps: Deps, actor: Actor, segmentId: string) {
  const { segment, siteIds } = await requireSegment(deps, actor, segmentId, "viewSegments");
  return { segment: toPublicSegment(segment, siteIds) };
}

export async function updateSegment(deps: Deps, actor: Actor, segmentId: string, input: UpdateSegmentInput) {
  const { segment: before, siteIds: memberIds } = await requireSegment(deps, actor, segmentId, "editSegments");
  if (input.siteIds) assertMembers(memberIds, input.siteIds, "the segment's sites");
  const beforeDef = readSegment(before.definition, memberIds);
  const after = { name: input.name ?? before.name, siteIds: input.siteIds ?? beforeDef.siteIds };
  const [[updated]] = await deps.db.batch([
    deps.db
      .update(analyticsSegments)
      .set({ name: after.name, definition: JSON.stringify({ siteIds: after.siteIds } satisfies SegmentDefinition), updatedAt: deps.now() })
      .where(eq(analyticsSegments.id, segmentId))
      .returning(),
    auditInsert(deps, {
      actorId: actor.id,
      orgId: actor.orgId,
      action: "analytics.segment.updated",
      targetType: "analytics_segment",
      targetId: segmentId,
      before: { name: before.name, siteIds: beforeDef.siteIds },
      after,
    }),
  ]);
  if (!updated) throw SEGMENT_NOT_FOUND();
  return { segment: toPublicSegment(updated, memberIds) };
}

export async function deleteSegment(deps: Deps, actor: Actor, segmentId: string) {
  const { segment, siteIds: memberIds } = await requireSegment(deps, actor, segmentId, "editSegments");
  try {
    await deps.db.batch([
      deps.db.delete(analyticsSegments).where(eq(analyticsSegments.id, segmentId)),
      guardChanged(deps.db),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.segment.deleted",
        targetType: "analytics_segment",
        targetId: segmentId,
        before: { metaSiteId: segment.metaSiteId, name: segment.name, siteIds: readSegment(segment.definition, memberIds).siteIds },
      }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw SEGMENT_NOT_FOUND();
    throw e;
  }
  return { segment: toPublicSegment(segment, memberIds) };
}
