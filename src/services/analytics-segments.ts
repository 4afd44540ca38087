// F-43 segments: named subsets of a meta site's sites. Edit on the meta site
// creates, renames and regroups them; View sees them. Each write checks the
// caller's level and the chosen sites in its own batch, as meta sites do.
import { and, asc, eq, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import { analyticsMetaSites, analyticsSegments } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import type { MetaSiteAction } from "../domain/analytics";
import { readSegment, type SegmentDefinition } from "../domain/analytics-data";
import { guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { iso } from "../lib/iso-time";
import { jsonObject } from "../lib/sql-json";
import { inOwnMetaSites, metaSiteAccessFrom, metaSiteAccessQuery, metaSiteAllows, metaSiteMembersQuery, requireMetaSite } from "./analytics-context";
import { allMembers, assertMembers, segmentIdsJson, siteIdList } from "./analytics-meta-sites";
import { analyticsName } from "./analytics-names";
import { auditInsert, auditInsertSelect } from "./audit";

export const SegmentInput = z.strictObject({ name: analyticsName, siteIds: siteIdList(1) });
export type SegmentInput = z.infer<typeof SegmentInput>;

export const UpdateSegmentInput = z
  .strictObject({ name: z.optional(analyticsName), siteIds: z.optional(siteIdList(1)) })
  .check(z.refine((v) => v.name !== undefined || v.siteIds !== undefined, "Send name or siteIds."));
export type UpdateSegmentInput = z.infer<typeof UpdateSegmentInput>;

type SegmentRow = typeof analyticsSegments.$inferSelect;

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
  const db = deps.db;
  const now = deps.now();
  const definition: SegmentDefinition = { siteIds: input.siteIds };
  const row: SegmentRow = { id: newId(), metaSiteId, name: input.name, definition: JSON.stringify(definition), createdBy: actor.id, createdAt: now, updatedAt: now };
  try {
    // The level and the chosen sites (all of them the meta site's) are checked in the insert's batch: no read first.
    await db.batch([
      guardNot(db, sql`NOT (${metaSiteAllows(actor, metaSiteId, "editSegments")} AND ${allMembers(metaSiteMembersQuery(db, actor, metaSiteId), input.siteIds)})`),
      db.insert(analyticsSegments).values(row),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.segment.created", targetType: "analytics_segment", targetId: row.id, after: { metaSiteId, name: row.name, ...definition } }),
    ]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: 404/403/422 as before; else the meta site changed meanwhile.
    const { siteIds } = await requireMetaSite(deps, actor, metaSiteId, "editSegments");
    assertMembers(siteIds, input.siteIds, "the segment's sites");
    throw new AppError("CONFLICT", "The meta site was changed meanwhile. Reload and try again.");
  }
  // Every chosen site is a member (checked above), so they are the segment's sites as read back.
  return { segment: toPublicSegment(row, input.siteIds) };
}

const SEGMENT_NOT_FOUND = () => new AppError("NOT_FOUND", "Segment not found.");

/** The segment (own workspace only), its meta site with the caller's grant, and that meta site's sites: queries for one batch. */
function segmentQueries(db: Db, actor: Actor, segmentId: string) {
  const metaSiteId = sql`(SELECT ${analyticsSegments.metaSiteId} FROM ${analyticsSegments} WHERE ${analyticsSegments.id} = ${segmentId})`;
  return [
    db
      .select({ segment: analyticsSegments })
      .from(analyticsSegments)
      .innerJoin(analyticsMetaSites, eq(analyticsMetaSites.id, analyticsSegments.metaSiteId))
      .where(and(eq(analyticsSegments.id, segmentId), eq(analyticsMetaSites.orgId, actor.orgId))),
    metaSiteAccessQuery(db, actor, metaSiteId),
    metaSiteMembersQuery(db, actor, metaSiteId),
  ] as const;
}

/** segmentQueries' rows evaluated: 404 when the segment is absent or its meta site hidden, 403 when `action` needs more. */
function segmentFrom(
  actor: Actor,
  [rows, access, members]: [{ segment: SegmentRow }[], Awaited<ReturnType<typeof metaSiteAccessQuery>>, { siteId: string }[]],
  action: MetaSiteAction,
) {
  const [row] = rows;
  if (!row) throw SEGMENT_NOT_FOUND();
  try {
    return { segment: row.segment, ...metaSiteAccessFrom(actor, access, members, action) };
  } catch (e) {
    throw e instanceof AppError && e.code === "NOT_FOUND" ? SEGMENT_NOT_FOUND() : e;
  }
}

/** The segment (own workspace only) with the caller's access to its meta site. */
async function requireSegment(deps: Deps, actor: Actor, segmentId: string, action: MetaSiteAction) {
  const [rows, access, members] = await deps.db.batch(segmentQueries(deps.db, actor, segmentId));
  return segmentFrom(actor, [rows, access, members], action);
}

export async function getSegment(deps: Deps, actor: Actor, segmentId: string) {
  const { segment, siteIds } = await requireSegment(deps, actor, segmentId, "viewSegments");
  return { segment: toPublicSegment(segment, siteIds) };
}

/** SQL: the segment, if the caller may edit its meta site's segments (own workspace only): the WHERE of a write that checks access in its batch. */
const segmentEditable = (actor: Actor, segmentId: string) => and(eq(analyticsSegments.id, segmentId), metaSiteAllows(actor, analyticsSegments.metaSiteId, "editSegments"));

/** The sites of the segment's meta site, for SQL over the segment's row. */
const segmentMembers = (db: Db, actor: Actor) => metaSiteMembersQuery(db, actor, sql`${analyticsSegments.metaSiteId}`);

const segmentChangedMeanwhile = () => new AppError("CONFLICT", "This segment was changed meanwhile. Reload and try again.");

export async function updateSegment(deps: Deps, actor: Actor, segmentId: string, input: UpdateSegmentInput) {
  const db = deps.db;
  const target = and(segmentEditable(actor, segmentId), input.siteIds ? allMembers(segmentMembers(db, actor), input.siteIds) : undefined);
  // readSegment of the stored definition, in SQL; the new list is written as JSON.stringify would.
  const beforeIds = segmentIdsJson(analyticsSegments.definition, segmentMembers(db, actor));
  const afterIds = input.siteIds ? sql`json(${JSON.stringify(input.siteIds)})` : beforeIds;
  const definition = input.siteIds ? JSON.stringify({ siteIds: input.siteIds } satisfies SegmentDefinition) : sql`json_object('siteIds', ${beforeIds})`;
  // One batch: the segment as read (for the refusals), the audit row reading it before the update, the update.
  const [rows, access, members, , [updated]] = await db.batch([
    ...segmentQueries(db, actor, segmentId),
    auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.segment.updated",
        targetType: "analytics_segment",
        targetId: segmentId,
        before: jsonObject({ name: analyticsSegments.name, siteIds: beforeIds }),
        after: jsonObject({ name: input.name ?? analyticsSegments.name, siteIds: afterIds }),
      },
      sql`FROM ${analyticsSegments} WHERE ${target}`,
    ),
    db
      .update(analyticsSegments)
      .set({ ...(input.name !== undefined ? { name: input.name } : {}), definition, updatedAt: deps.now() })
      .where(target)
      .returning(),
  ]);
  // The read saw the segment as the writes did: a refusal here means nothing was written (the same rules in SQL).
  const { siteIds: memberIds } = segmentFrom(actor, [rows, access, members], "editSegments");
  if (input.siteIds) assertMembers(memberIds, input.siteIds, "the segment's sites");
  if (!updated) throw segmentChangedMeanwhile();
  return { segment: toPublicSegment(updated, memberIds) };
}

export async function deleteSegment(deps: Deps, actor: Actor, segmentId: string) {
  const db = deps.db;
  const target = segmentEditable(actor, segmentId);
  // One batch: the segment as read (for the refusals and the answer), the audit row reading it before the delete, the delete.
  const [rows, access, members, , removed] = await db.batch([
    ...segmentQueries(db, actor, segmentId),
    auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.segment.deleted",
        targetType: "analytics_segment",
        targetId: segmentId,
        before: jsonObject({ metaSiteId: analyticsSegments.metaSiteId, name: analyticsSegments.name, siteIds: segmentIdsJson(analyticsSegments.definition, segmentMembers(db, actor)) }),
      },
      sql`FROM ${analyticsSegments} WHERE ${target}`,
    ),
    db.delete(analyticsSegments).where(target).returning({ id: analyticsSegments.id }),
  ]);
  const { segment, siteIds: memberIds } = segmentFrom(actor, [rows, access, members], "editSegments");
  if (removed.length === 0) throw segmentChangedMeanwhile();
  return { segment: toPublicSegment(segment, memberIds) };
}
