// F-42: the tag-manager entries of a site. Edit and above change a tag, which
// leaves it a draft with unpublished changes; publishing (Edit & publish and
// above) makes the draft's code what visitors get. A tag is always reached
// through its site, with the caller's level on that site and the tenant scope
// in the query.
import { and, asc, eq, sql } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { analyticsSitePermissions, analyticsSites, analyticsTags } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import type { SiteAction } from "../domain/analytics";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { inOwnSites, requireSite, siteAccessFrom, siteAccessQuery, siteLevelOf } from "./analytics-context";
import { analyticsName } from "./analytics-names";
import { auditInsert } from "./audit";

export const MAX_TAG_CODE = 20_000;
const tagCode = z.string({ error: "Enter the tag's code as text." }).max(MAX_TAG_CODE, "Use at most 20,000 characters.");

export const CreateTagInput = z.strictObject({ name: analyticsName, code: tagCode.optional() });
export type CreateTagInput = z.infer<typeof CreateTagInput>;

export const UpdateTagInput = z
  .strictObject({ name: analyticsName.optional(), code: tagCode.optional() })
  .refine((v) => v.name !== undefined || v.code !== undefined, "Send name or code.");
export type UpdateTagInput = z.infer<typeof UpdateTagInput>;

type TagRow = typeof analyticsTags.$inferSelect;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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
  await requireSite(deps, actor, siteId, "editTags");
  const now = deps.now();
  const row: TagRow = { id: newId(), siteId, name: input.name, code: input.code ?? "", publishedCode: null, status: "draft", publishedAt: null, publishedBy: null, createdAt: now, updatedAt: now };
  await deps.db.batch([
    deps.db.insert(analyticsTags).values(row),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.tag.created", targetType: "analytics_tag", targetId: row.id, after: { siteId, name: row.name, code: row.code } }),
  ]);
  return { tag: toPublicTag(row) };
}

const changedMeanwhile = () => new AppError("CONFLICT", "This tag was changed meanwhile. Reload and try again.");

/** F-42: any change leaves the tag a draft; what visitors get changes only on publish. */
export async function updateTag(deps: Deps, actor: Actor, tagId: string, input: UpdateTagInput) {
  const { tag: before } = await requireTag(deps, actor, tagId, "editTags");
  const after = { name: input.name ?? before.name, code: input.code ?? before.code };
  if (after.name === before.name && after.code === before.code) return { tag: toPublicTag(before), changed: false };
  try {
    const [[updated]] = await deps.db.batch([
      deps.db
        .update(analyticsTags)
        .set({ ...after, status: "draft", updatedAt: deps.now() })
        // Compare-and-swap: the audit's "before" is what was replaced.
        .where(and(eq(analyticsTags.id, tagId), eq(analyticsTags.name, before.name), eq(analyticsTags.code, before.code)))
        .returning(),
      guardChanged(deps.db),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.tag.updated",
        targetType: "analytics_tag",
        targetId: tagId,
        before: { name: before.name, code: before.code, status: before.status },
        after: { ...after, status: "draft" },
      }),
    ]);
    return { tag: toPublicTag(updated!), changed: true };
  } catch (e) {
    if (isGuardAbort(e)) throw changedMeanwhile();
    throw e;
  }
}

/** F-42: Edit & publish and above publish exactly the draft they saw; nothing unpublished → 409. */
export async function publishTag(deps: Deps, actor: Actor, tagId: string) {
  const { tag: before } = await requireTag(deps, actor, tagId, "publishTags");
  if (before.status === "published") throw new AppError("CONFLICT", "This tag has no unpublished changes.");
  const now = deps.now();
  try {
    const [[updated]] = await deps.db.batch([
      deps.db
        .update(analyticsTags)
        .set({ publishedCode: before.code, status: "published", publishedAt: now, publishedBy: actor.id, updatedAt: now })
        .where(and(eq(analyticsTags.id, tagId), eq(analyticsTags.status, "draft"), eq(analyticsTags.code, before.code)))
        .returning(),
      guardChanged(deps.db),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.tag.published",
        targetType: "analytics_tag",
        targetId: tagId,
        before: { status: before.status, publishedCode: before.publishedCode },
        after: { status: "published", publishedCode: before.code },
      }),
    ]);
    return { tag: toPublicTag(updated!) };
  } catch (e) {
    if (isGuardAbort(e)) throw changedMeanwhile();
    throw e;
  }
}
