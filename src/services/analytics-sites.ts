// F-40/F-42: the sites and apps of an organization's analytics workspace. The
// workspace is the organization: every query carries the actor's orgId, and a
// site the caller cannot see answers 404 exactly like one that does not exist.
import { and, asc, count, eq, isNotNull, or, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import {
  analyticsDailyStats,
  analyticsMetaSiteMembers,
  analyticsSitePermissions,
  analyticsSites,
  analyticsTags,
} from "../db/schema";
import type { Db } from "../db/client";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { effectiveSiteLevel, type SiteLevel } from "../domain/analytics";
import { toBase64Url } from "../lib/encoding";
import { guardChanged, isGuardAbort, isUniqueViolation } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId, randomBytes } from "../lib/ids";
import { contains } from "../lib/search";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { requireOwner, requireSite, siteAccessFrom, siteAccessQuery, siteAllows } from "./analytics-context";
import { analyticsName } from "./analytics-names";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonObject } from "../lib/sql-json";

// ---------------------------------------------------------------- inputs

export const SITE_KINDS = ["site", "app"] as const;
export type SiteKind = (typeof SITE_KINDS)[number];
export const SITE_KIND_LABELS: Record<SiteKind, string> = { site: "Website", app: "App" };

const siteKind = z.enum(SITE_KINDS, { error: 'Choose "site" or "app".' });

function isHttpUrl(value: string) {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

const siteUrl = z
  .string({ error: "Enter a URL." })
  .check(z.trim(), z.maxLength(2000, "Use at most 2,000 characters."), z.refine(isHttpUrl, "Enter an address starting with http:// or https://."));

export const CreateSiteInput = z.strictObject({ name: analyticsName, kind: siteKind, url: z.optional(siteUrl) });
export type CreateSiteInput = z.infer<typeof CreateSiteInput>;

/** `url: null` removes the address. */
export const UpdateSiteInput = z
  .strictObject({ name: z.optional(analyticsName), kind: z.optional(siteKind), url: z.optional(z.nullable(siteUrl)) })
  .check(z.refine((v) => v.name !== undefined || v.kind !== undefined || v.url !== undefined, "Send at least one of name, kind or url."));
export type UpdateSiteInput = z.infer<typeof UpdateSiteInput>;

export const ListWorkspaceInput = z.object({
  q: z.blankable(z.string().check(z.trim(), z.maxLength(120, "Use at most 120 characters."))),
  ...pageFields({ size: 50 }),
});
export type ListWorkspaceInput = z.infer<typeof ListWorkspaceInput>;

// ---------------------------------------------------------------- shape

type SiteRow = typeof analyticsSites.$inferSelect;

export const toPublicSite = (s: SiteRow, level: SiteLevel) => ({
  id: s.id,
  name: s.name,
  kind: s.kind,
  url: s.url,
  siteKey: s.siteKey,
  /** The caller's effective level (owners: manage). */
  level,
  createdAt: new Date(s.createdAt).toISOString(),
  updatedAt: new Date(s.updatedAt).toISOString(),
});
export type PublicSite = ReturnType<typeof toPublicSite>;

/** Public collection key: unguessable only so that keys cannot be enumerated, not a secret. */
const newSiteKey = () => `sk_${toBase64Url(randomBytes(16))}`;

const auditSite = (s: Pick<SiteRow, "name" | "kind" | "url">) => ({ name: s.name, kind: s.kind, url: s.url });

// ---------------------------------------------------------------- use cases

/**
 * F-41/F-42: owners see every site; everyone else the sites where they hold at
 * least View. As queries for a batch: the page of sites, then their count.
 * `pageSize: 0` reads no row (a batch member a caller may not need).
 */
export function siteListQueries(db: Db, actor: Actor, input: Pick<ListWorkspaceInput, "q" | "page" | "pageSize">) {
  const where = and(
    eq(analyticsSites.orgId, actor.orgId),
    actor.analyticsOwner ? undefined : isNotNull(analyticsSitePermissions.level),
    input.q ? contains(analyticsSites.name, input.q) : undefined,
  );
  const joined = and(eq(analyticsSitePermissions.siteId, analyticsSites.id), eq(analyticsSitePermissions.userId, actor.id));
  return [
    db
      .select({ site: analyticsSites, granted: analyticsSitePermissions.level })
      .from(analyticsSites)
      .leftJoin(analyticsSitePermissions, joined)
      .where(where)
      .orderBy(sql`lower(${analyticsSites.name})`, asc(analyticsSites.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    db.select({ n: count() }).from(analyticsSites).leftJoin(analyticsSitePermissions, joined).where(where),
  ] as const;
}

type SiteListRow = { site: SiteRow; granted: SiteLevel | null };
export const siteItemsFrom = (actor: Actor, rows: SiteListRow[]) => rows.map((r) => toPublicSite(r.site, effectiveSiteLevel(actor, r.granted)));

export async function listSites(deps: Deps, actor: Actor, input: ListWorkspaceInput) {
  const [rows, [total]] = await deps.db.batch(siteListQueries(deps.db, actor, input));
  return { items: siteItemsFrom(actor, rows), page: pageOf(input, total) };
}

export async function getSite(deps: Deps, actor: Actor, siteId: string) {
  const { site, level } = await requireSite(deps, actor, siteId, "view");
  return { site: toPublicSite(site, level) };
}

/** F-41: only owners add sites ("Manage … can't add a site/app"). The key is unique across workspaces. */
export async function createSite(deps: Deps, actor: Actor, input: CreateSiteInput) {
  requireOwner(actor, "add a site or app");
  const now = deps.now();
  // A key collision is practically impossible (128 random bits); one retry covers it without a loop.
  for (let attempt = 0; ; attempt++) {
    const row = { id: newId(), orgId: actor.orgId, name: input.name, kind: input.kind, url: input.url ?? null, siteKey: newSiteKey(), createdAt: now, updatedAt: now };
    try {
      await deps.db.batch([
        deps.db.insert(analyticsSites).values(row),
        auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.site.created", targetType: "analytics_site", targetId: row.id, after: { ...auditSite(row), siteKey: row.siteKey } }),
      ]);
      return { site: toPublicSite(row, "manage") };
    } catch (e) {
      if (attempt === 0 && isUniqueViolation(e)) continue;
      throw e;
    }
  }
}

/** F-42: Edit and above change the site's settings. */
export async function updateSite(deps: Deps, actor: Actor, siteId: string, input: UpdateSiteInput) {
  const db = deps.db;
  // Only a change is written (a field sent with its current value changes nothing), and only where the caller may edit.
  const given = { name: input.name, kind: input.kind, url: input.url };
  const changed = or(...(Object.keys(given) as (keyof typeof given)[]).filter((k) => given[k] !== undefined).map((k) => sql`${analyticsSites[k]} IS NOT ${given[k]}`));
  const target = and(eq(analyticsSites.id, siteId), eq(analyticsSites.orgId, actor.orgId), siteAllows(actor, analyticsSites.id, "edit"), changed);
  const fields = { name: input.name ?? analyticsSites.name, kind: input.kind ?? analyticsSites.kind, url: input.url === undefined ? analyticsSites.url : input.url };
  // One batch: the access read (for the answer's level and the refusals), the audit row reading the site before the update, the update.
  const [access, , [updated]] = await db.batch([
    siteAccessQuery(db, actor, siteId),
    auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.site.updated",
        targetType: "analytics_site",
        targetId: siteId,
        before: jsonObject({ name: analyticsSites.name, kind: analyticsSites.kind, url: analyticsSites.url }),
        after: jsonObject(fields),
      },
      sql`FROM ${analyticsSites} WHERE ${target}`,
    ),
    db
      .update(analyticsSites)
      .set({ ...(input.name !== undefined ? { name: input.name } : {}), ...(input.kind !== undefined ? { kind: input.kind } : {}), ...(input.url !== undefined ? { url: input.url } : {}), updatedAt: deps.now() })
      .where(target)
      .returning(),
  ]);
  // The read saw the site as the writes did: 404/403 here means nothing was written (siteAllows is the same rule).
  const { site: before, level } = siteAccessFrom(actor, access, "edit");
  if (updated) return { site: toPublicSite(updated, level), changed: true };
  return { site: toPublicSite(before, level), changed: false };
}

/**
 * F-41: only owners delete a site. One batch removes it with everything that
 * hangs off it: permissions, tags, meta-site memberships and daily stats.
 * Saved dashboards and segments keep the id and drop it when read.
 */
export async function deleteSite(deps: Deps, actor: Actor, siteId: string) {
  requireOwner(actor, "delete a site or app");
  const own = and(eq(analyticsSites.id, siteId), eq(analyticsSites.orgId, actor.orgId));
  try {
    // The audit row reads the site before the delete, in the same batch: no read first.
    const [, [site]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.site.deleted",
          targetType: "analytics_site",
          targetId: siteId,
          before: jsonObject({ name: analyticsSites.name, kind: analyticsSites.kind, url: analyticsSites.url, siteKey: analyticsSites.siteKey }),
        },
        sql`FROM ${analyticsSites} WHERE ${own}`,
      ),
      deps.db.delete(analyticsSites).where(own).returning(),
      guardChanged(deps.db),
      deps.db.delete(analyticsSitePermissions).where(eq(analyticsSitePermissions.siteId, siteId)),
      deps.db.delete(analyticsTags).where(eq(analyticsTags.siteId, siteId)),
      deps.db.delete(analyticsMetaSiteMembers).where(eq(analyticsMetaSiteMembers.siteId, siteId)),
      deps.db.delete(analyticsDailyStats).where(eq(analyticsDailyStats.siteId, siteId)),
    ]);
    return { site: toPublicSite(site!, "manage") };
  } catch (e) {
    // Not in this workspace, or deleted concurrently: an owner sees every site, so absent is the only refusal.
    if (isGuardAbort(e)) throw new AppError("NOT_FOUND", "Site or app not found.");
    throw e;
  }
}
