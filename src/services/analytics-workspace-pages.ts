// The workspace pages (F-40…F-43) each read what they show in ONE db.batch():
// the access query of the site or meta site and every data query go
// together, the access is evaluated first, and what the caller's level does
// not allow is dropped before anything is returned. The data queries carry the
// tenant scope themselves, so nothing of another organization is read even
// before the check. The JSON API's twins are the single use cases
// (getSite, listTags, listSitePermissions …) in the area's service files.
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { metaSiteLevelAllows, siteLevelAllows } from "../domain/analytics";
import { pageOf } from "../lib/paging";
import { metaSiteAccessFrom, siteAccessFrom, siteAccessQuery } from "./analytics-context";
import { metaSiteDetailFrom, metaSiteDetailQueries, metaSiteItemsFrom, metaSiteListQueries } from "./analytics-meta-sites";
import { segmentsQuery, toPublicSegment } from "./analytics-segments";
import { metaSitePermissionsFrom, metaSitePermissionsQueries, sitePermissionsFrom, sitePermissionsQueries } from "./analytics-permissions";
import { siteItemsFrom, siteListQueries, toPublicSite, type ListWorkspaceInput } from "./analytics-sites";
import { siteTagsQuery, toPublicTag } from "./analytics-tags";

/** How many sites the meta-site page offers an owner for regrouping. */
export const SITES_TO_CHOOSE = 100;

/**
 * F-40/F-41 overview: the caller's sites and meta sites (filtered by `q`), and
 * for an owner who searched, the unfiltered sites for the new-meta-site form
 * (otherwise that list is the sites already shown: its query reads no row).
 */
export async function workspaceOverview(deps: Deps, actor: Actor, query: ListWorkspaceInput) {
  const db = deps.db;
  const needAllSites = Boolean(query.q) && actor.analyticsOwner;
  const [siteRows, [sitesTotal], metaRows, [metaTotal], members, allSiteRows] = await db.batch([
    ...siteListQueries(db, actor, query),
    ...metaSiteListQueries(db, actor, query),
    siteListQueries(db, actor, { page: query.page, pageSize: needAllSites ? query.pageSize : 0 })[0],
  ]);
  const sites = siteItemsFrom(actor, siteRows);
  return {
    sites: { items: sites, page: pageOf(query, sitesTotal) },
    metaSites: { items: metaSiteItemsFrom(actor, metaRows, members), page: pageOf(query, metaTotal) },
    allSites: needAllSites ? siteItemsFrom(actor, allSiteRows) : sites,
  };
}

/** F-42 site page: the site with the caller's level (View needed), its tags, and for Manage its permission table. */
export async function sitePage(deps: Deps, actor: Actor, siteId: string) {
  const db = deps.db;
  const [access, tags, people, grants] = await db.batch([
    siteAccessQuery(db, actor, siteId),
    siteTagsQuery(db, actor, siteId),
    ...sitePermissionsQueries(deps, actor, siteId),
  ]);
  const { site, level } = siteAccessFrom(actor, access, "view");
  return {
    site: toPublicSite(site, level),
    tags: tags.map(toPublicTag),
    permissions: siteLevelAllows(level, "managePermissions") ? sitePermissionsFrom(actor, people, grants).items : undefined,
  };
}

/**
 * F-43 meta-site page: the meta site with its sites and dashboard (View
 * needed), its segments where the level shows them, its permission table for
 * Manage, and for owners every site of the workspace to regroup it.
 */
export async function metaSitePage(deps: Deps, actor: Actor, metaSiteId: string) {
  const db = deps.db;
  const [access, members, memberSites, segments, people, grants, allSiteRows] = await db.batch([
    ...metaSiteDetailQueries(db, actor, metaSiteId),
    segmentsQuery(db, actor, metaSiteId),
    ...metaSitePermissionsQueries(deps, actor, metaSiteId),
    siteListQueries(db, actor, { page: 1, pageSize: actor.analyticsOwner ? SITES_TO_CHOOSE : 0 })[0],
  ]);
  const metaSite = metaSiteDetailFrom(actor, [access, members, memberSites]);
  // The page shows the segments to everyone who may see it (both need View); the check stays in case the rules part.
  metaSiteAccessFrom(actor, access, members, "viewSegments");
  return {
    metaSite,
    segments: segments.map((s) => toPublicSegment(s, metaSite.siteIds)),
    permissions: metaSiteLevelAllows(metaSite.level, "managePermissions") ? metaSitePermissionsFrom(actor, people, grants).items : undefined,
    allSites: actor.analyticsOwner ? siteItemsFrom(actor, allSiteRows) : metaSite.sites,
  };
}
