// F-44: the analytics users of an organization and their module grid. Seeing
// users needs User Management (Read-only or Full); changing a grid needs it in
// Full and is bounded cell by cell by canGrantModules (no escalation, owner-
// granted modules for owners only). A grid is replaced in one batch.
import { and, asc, count, eq, inArray, ne, or, sql, type SQL } from "drizzle-orm";
import * as z from "zod";
import { analyticsModulePermissions, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  canGrantModule,
  canGrantModules,
  effectiveModuleLevel,
  isModuleLevelOffered,
  MODULE_KEYS,
  MODULE_LEVEL_LABELS,
  MODULE_LEVELS,
  MODULES,
  moduleLevelsFor,
  OWNER_GRANTED_MODULES,
  type Module,
  type ModuleGrants,
  type ModuleLevel,
} from "../domain/analytics";
import { guardNot, insertChunks, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { analyticsModulesChangedMail } from "../../views/mail/analytics-workspace";
import { moduleGrantsFrom, moduleGrantsQuery, requireModule } from "./analytics-context";
import { type ListWorkspaceInput } from "./analytics-sites";
import { auditInsert } from "./audit";
import { deliverSoon, mailInsert } from "./outbox";

export type ModuleGrid = Record<Module, ModuleLevel>;

const offeredText = (module: Module) => `${MODULES[module].label} offers ${moduleLevelsFor(module).map((l) => MODULE_LEVEL_LABELS[l]).join(", ")}.`;

/** A partial or full grid, e.g. {"reporting":"full","billing":"read_only"}; each level must be one the module offers. */
export const ModuleGridInput = z
  .strictObject(Object.fromEntries(MODULE_KEYS.map((m) => [m, z.enum(MODULE_LEVELS, { error: offeredText(m) }).optional()])) as Record<Module, z.ZodOptional<z.ZodEnum<{ none: "none"; read_only: "read_only"; full: "full" }>>>)
  .superRefine((grid, ctx) => {
    const given = MODULE_KEYS.filter((m) => grid[m] !== undefined);
    if (!given.length) ctx.addIssue({ code: "custom", message: "Send at least one module with its level.", path: [] });
    for (const m of given) if (!isModuleLevelOffered(m, grid[m]!)) ctx.addIssue({ code: "custom", message: offeredText(m), path: [m] });
  });
export type ModuleGridInput = z.infer<typeof ModuleGridInput>;

/** Every module, "none" where nothing was granted. */
export const fullGrid = (grants: ModuleGrants): ModuleGrid => Object.fromEntries(MODULE_KEYS.map((m) => [m, grants[m] ?? "none"])) as ModuleGrid;

const effectiveGrid = (subject: { analyticsOwner: boolean }, grants: ModuleGrants): ModuleGrid =>
  Object.fromEntries(MODULE_KEYS.map((m) => [m, effectiveModuleLevel(subject, grants, m)])) as ModuleGrid;

type UserRow = Pick<typeof users.$inferSelect, "id" | "name" | "email" | "status" | "analyticsAccess" | "analyticsOwner">;
const columns = { id: users.id, name: users.name, email: users.email, status: users.status, analyticsAccess: users.analyticsAccess, analyticsOwner: users.analyticsOwner };

const toAnalyticsUser = (u: UserRow, grants: ModuleGrants) => ({
  id: u.id,
  name: u.name,
  email: u.email,
  status: u.status,
  analyticsAccess: u.analyticsAccess,
  analyticsOwner: u.analyticsOwner,
  modules: fullGrid(grants),
  effective: effectiveGrid(u, grants),
});
export type AnalyticsUser = ReturnType<typeof toAnalyticsUser>;

const USER_NOT_FOUND = () => new AppError("NOT_FOUND", "User not found.");

/** Each user's module grants from rows of analytics_module_permissions. */
function grantsByUser(userIds: string[], rows: { userId: string; module: string; level: "read_only" | "full" }[]): Map<string, ModuleGrants> {
  const out = new Map<string, ModuleGrants>(userIds.map((id) => [id, {}]));
  for (const r of rows) {
    const grants = out.get(r.userId);
    if (grants) grants[r.module as Module] = r.level;
  }
  return out;
}

/** F-44: the organization's analytics users (invited or with access) with owner flag and module levels, in one round trip. */
export async function listAnalyticsUsers(deps: Deps, actor: Actor, input: ListWorkspaceInput) {
  requireModule(actor, "user_management", "read");
  const where = and(eq(users.orgId, actor.orgId), ne(users.analyticsAccess, "N"), input.q ? or(contains(users.name, input.q), contains(users.email, input.q)) : undefined);
  const order = [sql`lower(${users.name})`, asc(users.email)];
  const offset = (input.page - 1) * input.pageSize;
  const db = deps.db;
  const [rows, [total], grantRows] = await db.batch([
    db.select(columns).from(users).where(where).orderBy(...order).limit(input.pageSize).offset(offset),
    db.select({ n: count() }).from(users).where(where),
    // The grants of the users on that page: the same page as a subquery.
    db
      .select({ userId: analyticsModulePermissions.userId, module: analyticsModulePermissions.module, level: analyticsModulePermissions.level })
      .from(analyticsModulePermissions)
      .where(
        and(
          inArray(analyticsModulePermissions.userId, db.select({ id: users.id }).from(users).where(where).orderBy(...order).limit(input.pageSize).offset(offset)),
          inArray(analyticsModulePermissions.module, MODULE_KEYS),
        ),
      ),
  ]);
  const grants = grantsByUser(rows.map((r) => r.id), grantRows);
  return { items: rows.map((u) => toAnalyticsUser(u, grants.get(u.id)!)), page: { number: input.page, size: input.pageSize, total: total?.n ?? 0 } };
}

/** A user of the caller's organization and their module grants, in one round trip. */
async function orgUserWithGrants(deps: Deps, actor: Actor, userId: string) {
  const [[user], grantRows] = await deps.db.batch([
    deps.db.select(columns).from(users).where(and(eq(users.id, userId), eq(users.orgId, actor.orgId))),
    moduleGrantsQuery(deps.db, userId),
  ]);
  if (!user) throw USER_NOT_FOUND();
  return { target: user, grants: user.id === actor.id ? actor.modules : moduleGrantsFrom(grantRows) };
}

/** Per module, the levels the caller may set on this user's grid (empty: the row is read-only for them). */
function grantableGrid(actor: Actor, actorGrants: ModuleGrants, target: UserRow): Record<Module, ModuleLevel[]> {
  return Object.fromEntries(MODULE_KEYS.map((m) => [m, moduleLevelsFor(m).filter((l) => canGrantModule(actor, actorGrants, target, m, l))])) as Record<Module, ModuleLevel[]>;
}

/** One user's grid: granted and effective levels, plus what the caller could change. Own grid always; others' with User Management. */
export async function getUserModules(deps: Deps, actor: Actor, userId: string) {
  const actorGrants = userId === actor.id ? actor.modules : requireModule(actor, "user_management", "read");
  const { target, grants } = await orgUserWithGrants(deps, actor, userId);
  const user = toAnalyticsUser(target, grants);
  return { user, modules: user.modules, effective: user.effective, grantable: grantableGrid(actor, actorGrants, target) };
}
export type UserModules = Awaited<ReturnType<typeof getUserModules>>;

/** Why canGrantModules refused `module` (the same checks, in the same order, as words). */
function refusal(actor: Actor, actorGrants: ModuleGrants, target: UserRow, module: Module, level: ModuleLevel) {
  const label = MODULES[module].label;
  if (target.id === actor.id) return `You cannot change your own module permissions (${label}).`;
  if (target.analyticsOwner) return `${target.name} is an owner; only an owner can change their modules (${label}).`;
  if (OWNER_GRANTED_MODULES.includes(module)) return `Only an owner can grant or change ${label}.`;
  const own = MODULE_LEVEL_LABELS[effectiveModuleLevel(actor, actorGrants, module)];
  return `You cannot set ${label} to ${MODULE_LEVEL_LABELS[level]}: it is above your own level (${own}).`;
}

/** Aborts the batch unless the user's rows are exactly `grid` (a concurrent change makes the audit's "before" wrong). */
function guardGridUnchanged(deps: Deps, userId: string, grid: ModuleGrid) {
  const granted = MODULE_KEYS.filter((m) => grid[m] !== "none");
  const mine = and(eq(analyticsModulePermissions.userId, userId), inArray(analyticsModulePermissions.module, MODULE_KEYS));
  const same: SQL = granted.length
    ? or(...granted.map((m) => and(eq(analyticsModulePermissions.module, m), eq(analyticsModulePermissions.level, grid[m] as "full" | "read_only"))))!
    : sql`0`;
  const db = deps.db;
  return guardNot(
    db,
    sql`(${db.select({ n: count() }).from(analyticsModulePermissions).where(mine)}) <> ${granted.length} OR (${db
      .select({ n: count() })
      .from(analyticsModulePermissions)
      .where(and(mine, same))}) <> ${granted.length}`,
  );
}

/**
 * F-44: sets some or all cells of a user's grid. Unchanged cells need no
 * right; every changed one must pass canGrantModule (403 names the module).
 */
export async function setUserModules(deps: Deps, actor: Actor, userId: string, input: ModuleGridInput) {
  const actorGrants = requireModule(actor, "user_management", "write");
  const { target, grants } = await orgUserWithGrants(deps, actor, userId);
  if (target.analyticsAccess === "N" || target.status === "deactivated") {
    throw new AppError("CONFLICT", `${target.name} has no analytics access. An Analytics Administrator must invite them first.`);
  }
  const before = fullGrid(grants);
  const after = { ...before } as ModuleGrid;
  for (const m of MODULE_KEYS) if (input[m] !== undefined) after[m] = input[m]!;
  const changes = MODULE_KEYS.filter((m) => before[m] !== after[m]);
  if (!changes.length) return { user: toAnalyticsUser(target, before), changed: false };

  const verdict = canGrantModules(actor, actorGrants, target, before, after);
  if (!verdict.ok) throw new AppError("FORBIDDEN", refusal(actor, actorGrants, target, verdict.module, after[verdict.module]));

  const now = deps.now();
  const rows = MODULE_KEYS.filter((m) => after[m] !== "none").map((m) => ({ userId, module: m, level: after[m] as "full" | "read_only", updatedAt: now }));
  const mailId = newId();
  const mail = analyticsModulesChangedMail({
    appName: deps.config.appName,
    name: target.name,
    changes: changes.map((m) => ({ module: MODULES[m].label, before: MODULE_LEVEL_LABELS[before[m]], after: MODULE_LEVEL_LABELS[after[m]] })),
    changedBy: actor.name,
    url: `${deps.config.origin}/analytics/users/${userId}`,
  });
  try {
    await deps.db.batch([
      guardGridUnchanged(deps, userId, before),
      deps.db.delete(analyticsModulePermissions).where(eq(analyticsModulePermissions.userId, userId)),
      ...insertChunks(deps.db, analyticsModulePermissions, rows),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.modules.changed", targetType: "user", targetId: userId, before, after }),
      mailInsert(deps, target.email, mail, mailId),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("CONFLICT", "This user's module permissions were changed meanwhile. Reload and try again.");
    throw e;
  }
  deliverSoon(deps, [mailId]);
  return { user: toAnalyticsUser(target, after), changed: true };
}
