// F-41…F-43: who holds which level on a site or meta site. The tables list the
// organization's users that can hold a level (owners are not listed: they have
// everything); Manage (or an owner) sets the level of anyone else. "none"
// deletes the row, which is the default. The user hears of every change.
import { and, asc, eq, notExists, sql } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { analyticsMetaSitePermissions, analyticsMetaSites, analyticsSitePermissions, analyticsSites, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  canSetLevelFor,
  listedInPermissionTables,
  META_SITE_LEVEL_LABELS,
  META_SITE_LEVELS,
  SITE_LEVEL_LABELS,
  SITE_LEVELS,
  type MetaSiteLevel,
  type SiteLevel,
} from "../domain/analytics";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { analyticsLevelChangedMail } from "../../views/mail/analytics-workspace";
import { inOwnMetaSites, inOwnSites, metaSiteAccessFrom, metaSiteAccessQuery, requireMetaSite, requireSite, siteAccessFrom, siteAccessQuery } from "./analytics-context";
import { auditInsert } from "./audit";
import { deliverSoon, mailInsert } from "./outbox";

const levelChoice = (labels: Record<string, string>) => ({ error: `Choose ${Object.values(labels).reverse().join(", ")}.` });

export const SiteLevelInput = z.strictObject({ level: z.enum(SITE_LEVELS, levelChoice(SITE_LEVEL_LABELS)) });
export type SiteLevelInput = z.infer<typeof SiteLevelInput>;
export const MetaSiteLevelInput = z.strictObject({ level: z.enum(META_SITE_LEVELS, levelChoice(META_SITE_LEVEL_LABELS)) });
export type MetaSiteLevelInput = z.infer<typeof MetaSiteLevelInput>;

type UserRow = Pick<typeof users.$inferSelect, "id" | "name" | "email" | "analyticsAccess" | "analyticsOwner" | "status">;

const personColumns = {
  id: users.id,
  name: users.name,
  email: users.email,
  analyticsAccess: users.analyticsAccess,
  analyticsOwner: users.analyticsOwner,
  status: users.status,
};

const toPerson = (u: UserRow) => ({ id: u.id, name: u.name, email: u.email, analyticsAccess: u.analyticsAccess });

export interface PermissionEntry<L extends string> {
  user: ReturnType<typeof toPerson>;
  level: L;
  /** canSetLevelFor: false on the caller's own row. */
  canChange: boolean;
}

const orgPeople = (deps: Deps, actor: Actor) =>
  deps.db.select(personColumns).from(users).where(eq(users.orgId, actor.orgId)).orderBy(sql`lower(${users.name})`, asc(users.email));

const personQuery = (deps: Deps, actor: Actor, userId: string) =>
  deps.db.select(personColumns).from(users).where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)));

function tableOf<L extends string>(actor: Actor, people: UserRow[], grants: { userId: string; level: L }[]): PermissionEntry<L>[] {
  const byUser = new Map(grants.map((g) => [g.userId, g.level]));
  return people.filter(listedInPermissionTables).map((u) => ({ user: toPerson(u), level: byUser.get(u.id) ?? ("none" as L), canChange: canSetLevelFor(actor, true, u) }));
}

/** 404 for a user of another organization; 409 for one who cannot hold a level; 403 on oneself. */
function assertTarget(actor: Actor, target: UserRow | undefined, what: string): asserts target is UserRow {
  if (!target) throw new AppError("NOT_FOUND", "User not found.");
  if (target.analyticsOwner) throw new AppError("CONFLICT", `${target.name} is an owner: owners have unlimited access to every ${what} and are not given levels.`);
  if (!listedInPermissionTables(target)) throw new AppError("CONFLICT", `${target.name} has no analytics access. An Analytics Administrator must invite them first.`);
  if (!canSetLevelFor(actor, true, target)) throw new AppError("FORBIDDEN", `You cannot change your own level on a ${what}.`);
}

const changedMeanwhile = () => new AppError("CONFLICT", "This permission was changed meanwhile. Reload and try again.");

function levelMail(deps: Deps, actor: Actor, target: UserRow, p: { what: "site/app" | "meta site/app"; name: string; before: string; after: string; path: string }) {
  const id = newId();
  const mail = analyticsLevelChangedMail({
    appName: deps.config.appName,
    name: target.name,
    what: p.what,
    targetName: p.name,
    before: p.before,
    after: p.after,
    changedBy: actor.name,
    url: `${deps.config.origin}${p.path}`,
  });
  return { id, statement: mailInsert(deps, target.email, mail, id) };
}

// ---------------------------------------------------------------- sites (F-42)

/** The queries of a site's permission table, for a batch that also checks the caller's level (Manage) before using them. */
export const sitePermissionsQueries = (deps: Deps, actor: Actor, siteId: string) =>
  [
    orgPeople(deps, actor),
    deps.db
      .select({ userId: analyticsSitePermissions.userId, level: analyticsSitePermissions.level })
      .from(analyticsSitePermissions)
      .where(and(eq(analyticsSitePermissions.siteId, siteId), inOwnSites(actor, analyticsSitePermissions.siteId))),
  ] as const;

export const sitePermissionsFrom = (actor: Actor, people: UserRow[], grants: { userId: string; level: SiteLevel }[]) => ({ items: tableOf<SiteLevel>(actor, people, grants) });

export async function listSitePermissions(deps: Deps, actor: Actor, siteId: string) {
  const [access, people, grants] = await deps.db.batch([siteAccessQuery(deps.db, actor, siteId), ...sitePermissionsQueries(deps, actor, siteId)]);
  siteAccessFrom(actor, access, "managePermissions");
  return sitePermissionsFrom(actor, people, grants);
}

/** Aborts the batch when the site was deleted after it was read (no orphan permission rows). */
const guardSiteExists = (db: Db, actor: Actor, siteId: string) =>
  guardNot(db, notExists(db.select({ one: sql`1` }).from(analyticsSites).where(and(eq(analyticsSites.id, siteId), eq(analyticsSites.orgId, actor.orgId)))));

/** The write of one level change, as a compare-and-swap on the level read before. */
function siteLevelWrite(deps: Deps, siteId: string, userId: string, before: SiteLevel, after: SiteLevel) {
  const row = and(eq(analyticsSitePermissions.siteId, siteId), eq(analyticsSitePermissions.userId, userId));
  const now = deps.now();
  if (before === "none") return deps.db.insert(analyticsSitePermissions).values({ siteId, userId, level: after as Exclude<SiteLevel, "none">, updatedAt: now }).onConflictDoNothing();
  const was = eq(analyticsSitePermissions.level, before);
  if (after === "none") return deps.db.delete(analyticsSitePermissions).where(and(row, was));
  return deps.db.update(analyticsSitePermissions).set({ level: after, updatedAt: now }).where(and(row, was));
}

export async function setSitePermission(deps: Deps, actor: Actor, siteId: string, userId: string, input: SiteLevelInput) {
  const { site } = await requireSite(deps, actor, siteId, "managePermissions");
  const [[target], [current]] = await deps.db.batch([
    personQuery(deps, actor, userId),
    deps.db
      .select({ level: analyticsSitePermissions.level })
      .from(analyticsSitePermissions)
      .where(and(eq(analyticsSitePermissions.siteId, siteId), eq(analyticsSitePermissions.userId, userId))),
  ]);
  assertTarget(actor, target, "site/app");
  const before: SiteLevel = current?.level ?? "none";
  const entry = { user: toPerson(target), level: input.level, canChange: true };
  if (before === input.level) return { permission: entry, changed: false };

  const mail = levelMail(deps, actor, target, {
    what: "site/app",
    name: site.name,
    before: SITE_LEVEL_LABELS[before],
    after: SITE_LEVEL_LABELS[input.level],
    path: input.level === "none" ? "/analytics" : `/analytics/sites/${siteId}`,
  });
  try {
    await deps.db.batch([
      siteLevelWrite(deps, siteId, userId, before, input.level),
      guardChanged(deps.db),
      guardSiteExists(deps.db, actor, siteId),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.site_permission.changed",
        targetType: "analytics_site",
        targetId: siteId,
        before: { userId, level: before },
        after: { userId, level: input.level },
      }),
      mail.statement,
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw changedMeanwhile();
    throw e;
  }
  deliverSoon(deps, [mail.id]);
  return { permission: entry, changed: true };
}

// ---------------------------------------------------------------- meta sites (F-43)

/** The queries of a meta site's permission table, for a batch that also checks the caller's level (Manage) before using them. */
export const metaSitePermissionsQueries = (deps: Deps, actor: Actor, metaSiteId: string) =>
  [
    orgPeople(deps, actor),
    deps.db
      .select({ userId: analyticsMetaSitePermissions.userId, level: analyticsMetaSitePermissions.level })
      .from(analyticsMetaSitePermissions)
      .where(and(eq(analyticsMetaSitePermissions.metaSiteId, metaSiteId), inOwnMetaSites(actor, analyticsMetaSitePermissions.metaSiteId))),
  ] as const;

export const metaSitePermissionsFrom = (actor: Actor, people: UserRow[], grants: { userId: string; level: MetaSiteLevel }[]) => ({
  items: tableOf<MetaSiteLevel>(actor, people, grants),
});

export async function listMetaSitePermissions(deps: Deps, actor: Actor, metaSiteId: string) {
  const [access, people, grants] = await deps.db.batch([metaSiteAccessQuery(deps.db, actor, metaSiteId), ...metaSitePermissionsQueries(deps, actor, metaSiteId)]);
  metaSiteAccessFrom(actor, access, [], "managePermissions");
  return metaSitePermissionsFrom(actor, people, grants);
}

const guardMetaSiteExists = (db: Db, actor: Actor, metaSiteId: string) =>
  guardNot(
    db,
    notExists(db.select({ one: sql`1` }).from(analyticsMetaSites).where(and(eq(analyticsMetaSites.id, metaSiteId), eq(analyticsMetaSites.orgId, actor.orgId)))),
  );

function metaSiteLevelWrite(deps: Deps, metaSiteId: string, userId: string, before: MetaSiteLevel, after: MetaSiteLevel) {
  const row = and(eq(analyticsMetaSitePermissions.metaSiteId, metaSiteId), eq(analyticsMetaSitePermissions.userId, userId));
  const now = deps.now();
  if (before === "none")
    return deps.db.insert(analyticsMetaSitePermissions).values({ metaSiteId, userId, level: after as Exclude<MetaSiteLevel, "none">, updatedAt: now }).onConflictDoNothing();
  const was = eq(analyticsMetaSitePermissions.level, before);
  if (after === "none") return deps.db.delete(analyticsMetaSitePermissions).where(and(row, was));
  return deps.db.update(analyticsMetaSitePermissions).set({ level: after, updatedAt: now }).where(and(row, was));
}

export async function setMetaSitePermission(deps: Deps, actor: Actor, metaSiteId: string, userId: string, input: MetaSiteLevelInput) {
  const { metaSite } = await requireMetaSite(deps, actor, metaSiteId, "managePermissions");
  const [[target], [current]] = await deps.db.batch([
    personQuery(deps, actor, userId),
    deps.db
      .select({ level: analyticsMetaSitePermissions.level })
      .from(analyticsMetaSitePermissions)
      .where(and(eq(analyticsMetaSitePermissions.metaSiteId, metaSiteId), eq(analyticsMetaSitePermissions.userId, userId))),
  ]);
  assertTarget(actor, target, "meta site/app");
  const before: MetaSiteLevel = current?.level ?? "none";
  const entry = { user: toPerson(target), level: input.level, canChange: true };
  if (before === input.level) return { permission: entry, changed: false };

  const mail = levelMail(deps, actor, target, {
    what: "meta site/app",
    name: metaSite.name,
    before: META_SITE_LEVEL_LABELS[before],
    after: META_SITE_LEVEL_LABELS[input.level],
    path: input.level === "none" ? "/analytics" : `/analytics/meta-sites/${metaSiteId}`,
  });
  try {
    await deps.db.batch([
      metaSiteLevelWrite(deps, metaSiteId, userId, before, input.level),
      guardChanged(deps.db),
      guardMetaSiteExists(deps.db, actor, metaSiteId),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "analytics.meta_site_permission.changed",
        targetType: "analytics_meta_site",
        targetId: metaSiteId,
        before: { userId, level: before },
        after: { userId, level: input.level },
      }),
      mail.statement,
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw changedMeanwhile();
    throw e;
  }
  deliverSoon(deps, [mail.id]);
  return { permission: entry, changed: true };
}
