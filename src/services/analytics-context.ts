// What the analytics rules need about the caller, read once per use case:
// module grants, and a site or meta site with the caller's level on it. The
// tenant scope (the caller's organization) is in every query; a site the
// caller may not see at all answers 404, like one of another organization.
import { and, eq } from "drizzle-orm";
import { analyticsMetaSiteMembers, analyticsMetaSitePermissions, analyticsMetaSites, analyticsModulePermissions, analyticsSitePermissions, analyticsSites } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  canUseModule,
  effectiveMetaSiteLevel,
  effectiveSiteLevel,
  META_SITE_ACTIONS,
  META_SITE_LEVEL_LABELS,
  metaSiteLevelAllows,
  MODULES,
  SITE_ACTIONS,
  SITE_LEVEL_LABELS,
  siteLevelAllows,
  type MetaSiteAction,
  type Module,
  type ModuleGrants,
  type SiteAction,
} from "../domain/analytics";
import { AppError } from "../lib/errors";

export async function moduleGrantsOf(deps: Pick<Deps, "db">, userId: string): Promise<ModuleGrants> {
  const rows = await deps.db
    .select({ module: analyticsModulePermissions.module, level: analyticsModulePermissions.level })
    .from(analyticsModulePermissions)
    .where(eq(analyticsModulePermissions.userId, userId));
  return Object.fromEntries(rows.filter((r) => r.module in MODULES).map((r) => [r.module, r.level])) as ModuleGrants;
}

/** F-44: refuses unless the caller's module level allows `need`; returns the grants for further checks. */
export async function requireModule(deps: Pick<Deps, "db">, actor: Actor, module: Module, need: "read" | "write"): Promise<ModuleGrants> {
  const grants = await moduleGrantsOf(deps, actor.id);
  if (!canUseModule(actor, grants, module, need)) {
    const level = need === "read" && MODULES[module].readOnly ? "Read-only or Full" : "Full";
    throw new AppError("FORBIDDEN", `This needs the ${MODULES[module].label} module (${level}).`);
  }
  return grants;
}

const SITE_NOT_FOUND = () => new AppError("NOT_FOUND", "Site or app not found.");
const META_NOT_FOUND = () => new AppError("NOT_FOUND", "Meta site/app not found.");

/** The site (own workspace only) and the caller's effective level on it; 404 when absent or No access. */
export async function siteAccess(deps: Pick<Deps, "db">, actor: Actor, siteId: string) {
  const [row] = await deps.db
    .select({ site: analyticsSites, granted: analyticsSitePermissions.level })
    .from(analyticsSites)
    .leftJoin(analyticsSitePermissions, and(eq(analyticsSitePermissions.siteId, analyticsSites.id), eq(analyticsSitePermissions.userId, actor.id)))
    .where(and(eq(analyticsSites.id, siteId), eq(analyticsSites.orgId, actor.orgId)));
  const level = effectiveSiteLevel(actor, row?.granted);
  if (!row || level === "none") throw SITE_NOT_FOUND();
  return { site: row.site, level };
}

/** siteAccess, then 403 unless the level allows `action`. */
export async function requireSite(deps: Pick<Deps, "db">, actor: Actor, siteId: string, action: SiteAction) {
  const access = await siteAccess(deps, actor, siteId);
  if (!siteLevelAllows(access.level, action)) {
    throw new AppError("FORBIDDEN", `${SITE_ACTIONS[action].label} needs a higher level than ${SITE_LEVEL_LABELS[access.level]} on this site.`);
  }
  return access;
}

/** The meta site (own workspace only), its member site ids and the caller's effective level; 404 when absent or No access. */
export async function metaSiteAccess(deps: Pick<Deps, "db">, actor: Actor, metaSiteId: string) {
  const [[row], members] = await deps.db.batch([
    deps.db
      .select({ metaSite: analyticsMetaSites, granted: analyticsMetaSitePermissions.level })
      .from(analyticsMetaSites)
      .leftJoin(
        analyticsMetaSitePermissions,
        and(eq(analyticsMetaSitePermissions.metaSiteId, analyticsMetaSites.id), eq(analyticsMetaSitePermissions.userId, actor.id)),
      )
      .where(and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId))),
    deps.db
      .select({ siteId: analyticsMetaSiteMembers.siteId })
      .from(analyticsMetaSiteMembers)
      .innerJoin(analyticsSites, eq(analyticsSites.id, analyticsMetaSiteMembers.siteId))
      .where(and(eq(analyticsMetaSiteMembers.metaSiteId, metaSiteId), eq(analyticsSites.orgId, actor.orgId))),
  ]);
  const level = effectiveMetaSiteLevel(actor, row?.granted);
  if (!row || level === "none") throw META_NOT_FOUND();
  return { metaSite: row.metaSite, siteIds: members.map((m) => m.siteId), level };
}

export async function requireMetaSite(deps: Pick<Deps, "db">, actor: Actor, metaSiteId: string, action: MetaSiteAction) {
  const access = await metaSiteAccess(deps, actor, metaSiteId);
  if (!metaSiteLevelAllows(access.level, action)) {
    throw new AppError(
      "FORBIDDEN",
      `${META_SITE_ACTIONS[action].label} needs a higher level than ${META_SITE_LEVEL_LABELS[access.level]} on this meta site.`,
    );
  }
  return access;
}

/** F-41: owner-only actions. */
export function requireOwner(actor: Actor, what: string) {
  if (!actor.analyticsOwner) throw new AppError("FORBIDDEN", `Only an owner of the analytics workspace can ${what}.`);
}
