// F-41…F-43: who holds which level on a site or meta site. The tables list the
// organization's users that can hold a level (owners are not listed: they have
// everything); Manage (or an owner) sets the level of anyone else. "none"
// deletes the row, which is the default. The user hears of every change.
// Sites and meta sites work alike: one implementation over a LevelScope that
// names each one's tables, levels and words.
import { and, asc, eq, inArray, ne, notExists, notInArray, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import { analyticsMetaSitePermissions, analyticsMetaSites, analyticsSitePermissions, analyticsSites, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  canSetLevelFor,
  listedInPermissionTables,
  META_SITE_LEVEL_LABELS,
  META_SITE_LEVELS,
  RIGHTLESS_STATUSES,
  RIGHTS_HOLDER_ACCESS,
  SITE_LEVEL_LABELS,
  SITE_LEVELS,
  type MetaSiteLevel,
  type SiteLevel,
} from "../domain/analytics";
import { guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { jsonObject } from "../lib/sql-json";
import { analyticsLevelChangedMail } from "../../views/mail/analytics-workspace";
import { metaSiteAccessFrom, metaSiteAccessQuery, metaSiteAllows, siteAccessFrom, siteAccessQuery, siteAllows } from "./analytics-context";
import type { AuditAction } from "../domain/audit-actions";
import { auditInsertSelect } from "./audit";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";

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

// ---------------------------------------------------------------- what differs between sites and meta sites

/** A site or a meta site, as the permission use cases see it. */
interface LevelScope<L extends string> {
  what: "site/app" | "meta site/app";
  levels: readonly L[];
  labels: Record<L, string>;
  /** The sites or the meta sites. */
  parent: { table: SQLiteTable; id: AnyColumn; orgId: AnyColumn; name: AnyColumn };
  /** One row per user whose level is not "none". */
  grants: { table: SQLiteTable; scopeId: AnySQLiteColumn; userId: AnySQLiteColumn; level: AnySQLiteColumn };
  grantRow: (scopeId: string, userId: string, level: Exclude<L, "none">, now: number) => Record<string, unknown>;
  audit: { action: AuditAction; targetType: string };
  path: (scopeId: string) => string;
  /** SQL: the caller may manage permissions on it (own workspace, Manage or owner). */
  canManage: (actor: Actor, scopeId: string) => SQL;
  /** The caller's access, read (a query for a batch) and evaluated: 404 when absent or No access, 403 below Manage. */
  accessQuery: (db: Db, actor: Actor, scopeId: string) => ReturnType<typeof siteAccessQuery> | ReturnType<typeof metaSiteAccessQuery>;
  requireManage: (actor: Actor, rows: unknown[]) => void;
}

const SITE_SCOPE: LevelScope<SiteLevel> = {
  what: "site/app",
  levels: SITE_LEVELS,
  labels: SITE_LEVEL_LABELS,
  parent: { table: analyticsSites, id: analyticsSites.id, orgId: analyticsSites.orgId, name: analyticsSites.name },
  grants: { table: analyticsSitePermissions, scopeId: analyticsSitePermissions.siteId, userId: analyticsSitePermissions.userId, level: analyticsSitePermissions.level },
  grantRow: (siteId, userId, level, now) => ({ siteId, userId, level, updatedAt: now }) satisfies typeof analyticsSitePermissions.$inferInsert,
  audit: { action: "analytics.site_permission.changed", targetType: "analytics_site" },
  path: (siteId) => `/analytics/sites/${siteId}`,
  canManage: (actor, siteId) => siteAllows(actor, siteId, "managePermissions"),
  accessQuery: siteAccessQuery,
  requireManage: (actor, rows) => void siteAccessFrom(actor, rows as Parameters<typeof siteAccessFrom>[1], "managePermissions"),
};

const META_SITE_SCOPE: LevelScope<MetaSiteLevel> = {
  what: "meta site/app",
  levels: META_SITE_LEVELS,
  labels: META_SITE_LEVEL_LABELS,
  parent: { table: analyticsMetaSites, id: analyticsMetaSites.id, orgId: analyticsMetaSites.orgId, name: analyticsMetaSites.name },
  grants: {
    table: analyticsMetaSitePermissions,
    scopeId: analyticsMetaSitePermissions.metaSiteId,
    userId: analyticsMetaSitePermissions.userId,
    level: analyticsMetaSitePermissions.level,
  },
  grantRow: (metaSiteId, userId, level, now) => ({ metaSiteId, userId, level, updatedAt: now }) satisfies typeof analyticsMetaSitePermissions.$inferInsert,
  audit: { action: "analytics.meta_site_permission.changed", targetType: "analytics_meta_site" },
  path: (metaSiteId) => `/analytics/meta-sites/${metaSiteId}`,
  canManage: (actor, metaSiteId) => metaSiteAllows(actor, metaSiteId, "managePermissions"),
  accessQuery: metaSiteAccessQuery,
  requireManage: (actor, rows) => void metaSiteAccessFrom(actor, rows as Parameters<typeof metaSiteAccessFrom>[1], [], "managePermissions"),
};

// ---------------------------------------------------------------- the permission table (F-42, F-43)

const orgPeople = (deps: Deps, actor: Actor) =>
  deps.db.select(personColumns).from(users).where(eq(users.orgId, actor.orgId)).orderBy(sql`lower(${users.name})`, asc(users.email));

const personQuery = (deps: Deps, actor: Actor, userId: string) =>
  deps.db.select(personColumns).from(users).where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)));

function tableOf<L extends string>(actor: Actor, people: UserRow[], grants: { userId: string; level: L }[]): PermissionEntry<L>[] {
  const byUser = new Map(grants.map((g) => [g.userId, g.level]));
  return people.filter(listedInPermissionTables).map((u) => ({ user: toPerson(u), level: byUser.get(u.id) ?? ("none" as L), canChange: canSetLevelFor(actor, true, u) }));
}

/** The queries of a permission table, for a batch that also checks the caller's level (Manage) before using them. */
const permissionsQueries = <L extends string>(scope: LevelScope<L>, deps: Deps, actor: Actor, scopeId: string) => {
  const { parent, grants } = scope;
  return [
    orgPeople(deps, actor),
    deps.db
      .select({ userId: sql<string>`${grants.userId}`, level: sql<Exclude<L, "none">>`${grants.level}` })
      .from(grants.table)
      .where(
        and(
          eq(grants.scopeId, scopeId),
          // Tenant scope, as the table is read before the access check.
          sql`${grants.scopeId} IN (SELECT ${parent.id} FROM ${parent.table} WHERE ${parent.orgId} = ${actor.orgId})`,
        ),
      ),
  ] as const;
};

async function listPermissions<L extends string>(scope: LevelScope<L>, deps: Deps, actor: Actor, scopeId: string) {
  const [access, people, grants] = await deps.db.batch([scope.accessQuery(deps.db, actor, scopeId), ...permissionsQueries(scope, deps, actor, scopeId)]);
  scope.requireManage(actor, access);
  return { items: tableOf<L>(actor, people, grants) };
}

// ---------------------------------------------------------------- one level change

/** SQL: the user's row can be given a level by the caller: in the organization, listed (listedInPermissionTables), not the caller (canSetLevelFor). */
const settableTarget = (actor: Actor, userId: string) =>
  and(
    eq(users.id, userId),
    eq(users.orgId, actor.orgId),
    eq(users.analyticsOwner, false),
    inArray(users.analyticsAccess, [...RIGHTS_HOLDER_ACCESS]),
    notInArray(users.status, [...RIGHTLESS_STATUSES]),
    ne(users.id, actor.id),
  );

/** 404 for a user of another organization; 409 for one who cannot hold a level; 403 on oneself. */
function assertTarget(actor: Actor, target: UserRow | undefined, what: string): asserts target is UserRow {
  if (!target) throw new AppError("NOT_FOUND", "User not found.");
  if (target.analyticsOwner) throw new AppError("CONFLICT", `${target.name} is an owner: owners have unlimited access to every ${what} and are not given levels.`);
  if (!listedInPermissionTables(target)) throw new AppError("CONFLICT", `${target.name} has no analytics access. An Analytics Administrator must invite them first.`);
  if (!canSetLevelFor(actor, true, target)) throw new AppError("FORBIDDEN", `You cannot change your own level on a ${what}.`);
}

const changedMeanwhile = () => new AppError("CONFLICT", "This permission was changed meanwhile. Reload and try again.");

/**
 * Sets one user's level in one batch: the caller's right (Manage) and the
 * target are guards, the level it replaces is read by the audit entry and the
 * mail in the same batch, and both are written only when the level changes.
 * Setting the level a user already has answers changed: false.
 */
async function setLevel<L extends string>(scope: LevelScope<L>, deps: Deps, actor: Actor, scopeId: string, userId: string, level: L) {
  const db = deps.db;
  const { grants, parent, labels } = scope;
  const grantOf = and(eq(grants.scopeId, scopeId), eq(grants.userId, userId));
  const current = sql<L>`coalesce((SELECT ${grants.level} FROM ${grants.table} WHERE ${grantOf}), 'none')`;
  const changing = sql`${current} <> ${level}`;
  const currentLabel = sql`(CASE ${current} ${sql.join(
    scope.levels.map((l) => sql`WHEN ${l} THEN ${labels[l]}`),
    sql` `,
  )} END)`;
  const now = deps.now();
  const write =
    level === "none"
      ? db.delete(grants.table).where(grantOf)
      : db
          .insert(grants.table)
          .values(scope.grantRow(scopeId, userId, level as Exclude<L, "none">, now) as never)
          .onConflictDoUpdate({ target: [grants.scopeId, grants.userId], set: { level, updatedAt: now } as never, setWhere: ne(grants.level, level) });

  // Slot names unique to this request: the site's name, filled first, cannot carry the user's name slot.
  const tag = newId();
  const slots = { before: `before_${tag}`, scope: `scope_${tag}`, name: `name_${tag}` };
  const template = analyticsLevelChangedMail({
    appName: deps.config.appName,
    name: slot(slots.name),
    what: scope.what,
    targetName: slot(slots.scope),
    before: slot(slots.before),
    after: labels[level],
    changedBy: actor.name,
    url: `${deps.config.origin}${level === "none" ? "/analytics" : scope.path(scopeId)}`,
  });
  const mailId = newId();
  try {
    const [[target]] = await db.batch([
      // The answer, with the level before the change.
      db.select({ ...personColumns, level: current }).from(users).where(and(eq(users.id, userId), eq(users.orgId, actor.orgId))),
      guardNot(db, sql`NOT (${scope.canManage(actor, scopeId)}) OR ${notExists(db.select({ one: sql`1` }).from(users).where(settableTarget(actor, userId)))}`),
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: scope.audit.action,
          targetType: scope.audit.targetType,
          targetId: scopeId,
          before: jsonObject({ userId, level: current }),
          after: { userId, level },
        },
        sql`WHERE ${changing}`,
      ),
      outboxInsertSelect(
        deps,
        {
          id: mailId,
          to: sql`${users.email}`,
          ...filledMail(template, [
            [slots.before, currentLabel],
            [slots.scope, sql`${parent.name}`],
            [slots.name, sql`${users.name}`],
          ]),
        },
        sql`FROM ${users}, ${parent.table} WHERE ${users.id} = ${userId} AND ${users.orgId} = ${actor.orgId} AND ${parent.id} = ${scopeId} AND ${parent.orgId} = ${actor.orgId} AND ${changing}`,
      ),
      write,
    ]);
    const changed = target!.level !== level;
    if (changed) deliverSoon(deps, [mailId]);
    return { permission: { user: toPerson(target!), level, canChange: true }, changed };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: the caller's access and the target, read again with the checks in words.
    const [access, [target]] = await db.batch([scope.accessQuery(db, actor, scopeId), personQuery(deps, actor, userId)]);
    scope.requireManage(actor, access);
    assertTarget(actor, target, scope.what);
    throw changedMeanwhile();
  }
}

// ---------------------------------------------------------------- sites (F-42)

/** The queries of a site's permission table, for a batch that also checks the caller's level (Manage) before using them. */
export const sitePermissionsQueries = (deps: Deps, actor: Actor, siteId: string) => permissionsQueries(SITE_SCOPE, deps, actor, siteId);

export const sitePermissionsFrom = (actor: Actor, people: UserRow[], grants: { userId: string; level: SiteLevel }[]) => ({ items: tableOf<SiteLevel>(actor, people, grants) });

export const listSitePermissions = (deps: Deps, actor: Actor, siteId: string) => listPermissions(SITE_SCOPE, deps, actor, siteId);

export const setSitePermission = (deps: Deps, actor: Actor, siteId: string, userId: string, input: SiteLevelInput) =>
  setLevel(SITE_SCOPE, deps, actor, siteId, userId, input.level);

// ---------------------------------------------------------------- meta sites (F-43)

/** The queries of a meta site's permission table, for a batch that also checks the caller's level (Manage) before using them. */
export const metaSitePermissionsQueries = (deps: Deps, actor: Actor, metaSiteId: string) => permissionsQueries(META_SITE_SCOPE, deps, actor, metaSiteId);

export const metaSitePermissionsFrom = (actor: Actor, people: UserRow[], grants: { userId: string; level: MetaSiteLevel }[]) => ({
  items: tableOf<MetaSiteLevel>(actor, people, grants),
});

export const listMetaSitePermissions = (deps: Deps, actor: Actor, metaSiteId: string) => listPermissions(META_SITE_SCOPE, deps, actor, metaSiteId);

export const setMetaSitePermission = (deps: Deps, actor: Actor, metaSiteId: string, userId: string, input: MetaSiteLevelInput) =>
  setLevel(META_SITE_SCOPE, deps, actor, metaSiteId, userId, input.level);
