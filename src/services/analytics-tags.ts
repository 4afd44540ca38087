// F-42: the tag-manager entries of a site. Edit and above change a tag, which
// leaves it a draft with unpublished changes; publishing (Edit & publish and
// above) makes the draft's code what visitors get. A tag is always reached
// through its site, with the caller's level on that site and the tenant scope
// in the query.
import { and, asc, eq, ne, or, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import { analyticsSitePermissions, analyticsSites, analyticsTags } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import type { SiteAction } from "../domain/analytics";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { inOwnSites, requireSite, siteAccessFrom, siteAccessQuery, siteAllows, siteLevelOf } from "./analytics-context";
import { analyticsName } from "./analytics-names";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonObject } from "../lib/sql-json";
import { iso } from "../lib/iso-time";

export const MAX_TAG_CODE = 20_000;
const tagCode = z.string({ error: "Enter the tag's code as text." }).check(z.maxLength(MAX_TAG_CODE, "Use at most 20,000 characters."));

export const CreateTagInput = z.strictObject({ name: analyticsName, code: z.optional(tagCode) });
export type CreateTagInput = z.infer<typeof CreateTagInput>;

export const UpdateTagInput = z
  .strictObject({ name: z.optional(analyticsName), code: z.optional(tagCode) })
  .check(z.refine((v) => v.name !== undefined || v.code !== undefined, "Send name or code."));
export type UpdateTagInput = z.infer<typeof UpdateTagInput>;

type TagRow = typeof analyticsTags.$inferSelect;

export const toPublicTag = (t: TagRow) => ({
  id: t.id,
  siteId: t.siteId,
  name: t.name,
  code: t.code,
  publishedCode: t.publishedCode,
  status: t.status,
  /** A draft of a tag that was published before: visitors still get the older code. */
  unpublishedChanges: t.status === "draft" && t.publishedCode !== null,
  publishedAt: iso(t.publishedAt),
  publishedBy: t.publishedBy,
  createdAt: iso(t.createdAt)!,
  updatedAt: iso(t.updatedAt)!,
});
export type PublicTag = ReturnType<typeof toPublicTag>;

const TAG_NOT_FOUND = () => new AppError("NOT_FOUND", "Tag not found.");

/**
 * The tag (own workspace only) with the caller's grant on its site, in one
 * query; refused unless the level allows `action`. No access to the site: the
 * tag does not exist for this caller either (404).
 */
async function requireTag(deps: Deps, actor: Actor, tagId: string, action: SiteAction) {
  const [row] = await deps.db
    .select({ tag: analyticsTags, granted: analyticsSitePermissions.level })
    .from(analyticsTags)
    .innerJoin(analyticsSites, eq(analyticsSites.id, analyticsTags.siteId))
    .leftJoin(analyticsSitePermissions, and(eq(analyticsSitePermissions.siteId, analyticsTags.siteId), eq(analyticsSitePermissions.userId, actor.id)))
    .where(and(eq(analyticsTags.id, tagId), eq(analyticsSites.orgId, actor.orgId)));
  const level = siteLevelOf(actor, row, action, TAG_NOT_FOUND);
  return { tag: row!.tag, level };
}

export async function getTag(deps: Deps, actor: Actor, tagId: string) {
  const { tag } = await requireTag(deps, actor, tagId, "view");
  return { tag: toPublicTag(tag) };
}

/** A site's tags, for a batch; the tenant scope is in the query, the caller's level is checked by whoever runs it. */
export const siteTagsQuery = (db: Db, actor: Actor, siteId: string) =>
  db
    .select()
    .from(analyticsTags)
    .where(and(eq(analyticsTags.siteId, siteId), inOwnSites(actor, analyticsTags.siteId)))
    .orderBy(sql`lower(${analyticsTags.name})`, asc(analyticsTags.id));

export async function listTags(deps: Deps, actor: Actor, siteId: string) {
  const [access, rows] = await deps.db.batch([siteAccessQuery(deps.db, actor, siteId), siteTagsQuery(deps.db, actor, siteId)]);
  siteAccessFrom(actor, access, "view");
  return { items: rows.map(toPublicTag) };
}

export async function createTag(deps: Deps, actor: Actor, siteId: string, input: CreateTagInput) {
  const now = deps.now();
  const row: TagRow = { id: newId(), siteId, name: input.name, code: input.code ?? "", publishedCode: null, status: "draft", publishedAt: null, publishedBy: null, createdAt: now, updatedAt: now };
  try {
    // The access check rides in the insert's batch: no read first.
    await deps.db.batch([
      guardNot(deps.db, sql`NOT ${siteAllows(actor, siteId, "editTags")}`),
      deps.db.insert(analyticsTags).values(row),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.tag.created", targetType: "analytics_tag", targetId: row.id, after: { siteId, name: row.name, code: row.code } }),
    ]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: 404 or 403 as before; access that holds again was changed meanwhile.
    await requireSite(deps, actor, siteId, "editTags");
    throw new AppError("CONFLICT", "This site's access was changed meanwhile. Reload and try again.");
  }
  return { tag: toPublicTag(row) };
}

const changedMeanwhile = () => new AppError("CONFLICT", "This tag was changed meanwhile. Reload and try again.");

/** The tag, if the caller may do `action` on its site (own workspace only): the WHERE of a write that checks access in its batch. */
const tagAllows = (actor: Actor, tagId: string, action: SiteAction) => and(eq(analyticsTags.id, tagId), siteAllows(actor, analyticsTags.siteId, action));

/** F-42: any change leaves the tag a draft; what visitors get changes only on publish. */
export async function updateTag(deps: Deps, actor: Actor, tagId: string, input: UpdateTagInput) {
  // Only a change is written: a field sent with its current value changes nothing.
  const target = and(
    tagAllows(actor, tagId, "editTags"),
    or(input.name !== undefined ? ne(analyticsTags.name, input.name) : undefined, input.code !== undefined ? ne(analyticsTags.code, input.code) : undefined),
  );
  const name = input.name ?? analyticsTags.name;
  const code = input.code ?? analyticsTags.code;
  try {
    // The audit row reads the tag before the update, in the same batch: no read first.
    const [, [updated]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.tag.updated",
          targetType: "analytics_tag",
          targetId: tagId,
          before: jsonObject({ name: analyticsTags.name, code: analyticsTags.code, status: analyticsTags.status }),
          after: jsonObject({ name, code, status: "draft" }),
        },
        sql`FROM ${analyticsTags} WHERE ${target}`,
      ),
      deps.db
        .update(analyticsTags)
        .set({ ...(input.name !== undefined && { name: input.name }), ...(input.code !== undefined && { code: input.code }), status: "draft", updatedAt: deps.now() })
        .where(target)
        .returning(),
      guardChanged(deps.db),
    ]);
    return { tag: toPublicTag(updated!), changed: true };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: 404 or 403 as before, or nothing to change (the same answer as before); otherwise a race.
    const { tag: before } = await requireTag(deps, actor, tagId, "editTags");
    if ((input.name ?? before.name) === before.name && (input.code ?? before.code) === before.code) return { tag: toPublicTag(before), changed: false };
    throw changedMeanwhile();
  }
}

const noUnpublishedChanges = () => new AppError("CONFLICT", "This tag has no unpublished changes.");

/** F-42: Edit & publish and above publish the draft; nothing unpublished → 409. */
export async function publishTag(deps: Deps, actor: Actor, tagId: string) {
  const now = deps.now();
  const target = and(tagAllows(actor, tagId, "publishTags"), eq(analyticsTags.status, "draft"));
  try {
    // The audit row reads the tag before the update, in the same batch: no read first.
    const [, [updated]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.tag.published",
          targetType: "analytics_tag",
          targetId: tagId,
          before: jsonObject({ status: analyticsTags.status, publishedCode: analyticsTags.publishedCode }),
          after: jsonObject({ status: "published", publishedCode: analyticsTags.code }),
        },
        sql`FROM ${analyticsTags} WHERE ${target}`,
      ),
      deps.db
        .update(analyticsTags)
        // The draft's code, as the row holds it when the batch runs.
        .set({ publishedCode: sql`${analyticsTags.code}`, status: "published", publishedAt: now, publishedBy: actor.id, updatedAt: now })
        .where(target)
        .returning(),
      guardChanged(deps.db),
    ]);
    return { tag: toPublicTag(updated!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: 404 or 403 as before, or already published; otherwise a race.
    const { tag: before } = await requireTag(deps, actor, tagId, "publishTags");
    if (before.status === "published") throw noUnpublishedChanges();
    throw changedMeanwhile();
  }
}
