// F-44: the analytics users of an organization and their module grid. Seeing
// users needs User Management (Read-only or Full); changing a grid needs it in
// Full and is bounded cell by cell by canGrantModules (no escalation, owner-
// granted modules for owners only). A grid is replaced in one batch.
import { and, asc, count, eq, inArray, ne, notExists, notInArray, or, sql, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import { analyticsModulePermissions, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  canGrantModule,
  canGrantModules,
  canHoldAnalyticsRights,
  effectiveModuleLevel,
  isModuleLevelOffered,
  MODULE_KEYS,
  MODULE_LEVEL_LABELS,
  MODULE_LEVELS,
  MODULES,
  moduleLevelsFor,
  OWNER_GRANTED_MODULES,
  RIGHTLESS_STATUSES,
  RIGHTS_HOLDER_ACCESS,
  type Module,
  type ModuleGrants,
  type ModuleLevel,
} from "../domain/analytics";
import { guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { jsonObject } from "../lib/sql-json";
import { analyticsModulesChangedMail } from "../../views/mail/analytics-workspace";
import type { MailContent } from "../../views/mail/templates";
import { pageOf, pageOffset } from "../lib/paging";
import { moduleGrantsFrom, moduleGrantsQuery, requireModule } from "./analytics-context";
import { type ListWorkspaceInput } from "./analytics-sites";
import { auditInsertSelect } from "./audit";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { htmlEscaped, slot } from "./sql-mail";

export type ModuleGrid = Record<Module, ModuleLevel>;

const offeredText = (module: Module) => `${MODULES[module].label} offers ${moduleLevelsFor(module).map((l) => MODULE_LEVEL_LABELS[l]).join(", ")}.`;

/** A partial or full grid, e.g. {"reporting":"full","billing":"read_only"}; each level must be one the module offers. */
export const ModuleGridInput = z
  .strictObject(
    Object.fromEntries(MODULE_KEYS.map((m) => [m, z.optional(z.enum(MODULE_LEVELS, { error: offeredText(m) }))])) as Record<
      Module,
      z.ZodMiniOptional<z.ZodMiniEnum<{ none: "none"; read_only: "read_only"; full: "full" }>>
    >,
  )
  .check(
    z.superRefine((grid, ctx) => {
      const given = MODULE_KEYS.filter((m) => grid[m] !== undefined);
      if (!given.length) ctx.addIssue({ code: "custom", message: "Send at least one module with its level.", path: [] });
      for (const m of given) if (!isModuleLevelOffered(m, grid[m]!)) ctx.addIssue({ code: "custom", message: offeredText(m), path: [m] });
    }),
  );
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
  const offset = pageOffset(input);
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
  return { items: rows.map((u) => toAnalyticsUser(u, grants.get(u.id)!)), page: pageOf(input, total) };
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

/** The explain path of setUserModules: the old checks over a fresh read, in words (or changed: false when nothing differs). */
async function modulesRefusal(deps: Deps, actor: Actor, actorGrants: ModuleGrants, userId: string, input: ModuleGridInput) {
  const { target, grants } = await orgUserWithGrants(deps, actor, userId);
  if (!canHoldAnalyticsRights(target)) {
    throw new AppError("CONFLICT", `${target.name} has no analytics access. An Analytics Administrator must invite them first.`);
  }
  const before = fullGrid(grants);
  const after = withInput(before, input);
  if (!MODULE_KEYS.some((m) => before[m] !== after[m])) return { user: toAnalyticsUser(target, before), changed: false };
  const verdict = canGrantModules(actor, actorGrants, target, before, after);
  if (!verdict.ok) throw new AppError("FORBIDDEN", refusal(actor, actorGrants, target, verdict.module, after[verdict.module]));
  throw new AppError("CONFLICT", "This user's module permissions were changed meanwhile. Reload and try again.");
}

const withInput = (before: ModuleGrid, input: ModuleGridInput): ModuleGrid => {
  const after = { ...before };
  for (const m of MODULE_KEYS) if (input[m] !== undefined) after[m] = input[m]!;
  return after;
};

/**
 * The mail's body split around its list of changes, rendered by the template
 * itself: `prefix`, the lines joined by `between`, `suffix`; and each
 * possible line, so SQL only picks the lines of the cells that changed.
 */
function changesMailParts(render: (changes: { module: string; before: string; after: string }[]) => MailContent) {
  const tag = newId();
  const [m1, b1, a1, m2, b2, a2] = ["m1", "b1", "a1", "m2", "b2", "a2"].map((k) => slot(`${k}_${tag}`)) as [string, string, string, string, string, string];
  const probe = render([
    { module: m1, before: b1, after: a1 },
    { module: m2, before: b2, after: a2 },
  ]);
  const split = (body: string) => {
    const prefix = body.slice(0, body.indexOf(m1));
    const suffix = body.slice(body.indexOf(a2) + a2.length);
    return { prefix, suffix, between: body.slice(body.indexOf(a1) + a1.length, body.indexOf(m2)) };
  };
  const text = split(probe.text);
  const html = split(probe.html);
  const line = (change: { module: string; before: string; after: string }) => {
    const one = render([change]);
    return { t: one.text.slice(text.prefix.length, one.text.length - text.suffix.length), h: one.html.slice(html.prefix.length, one.html.length - html.suffix.length) };
  };
  return { subject: probe.subject, text, html, line };
}

/**
 * F-44: sets some or all cells of a user's grid. Unchanged cells need no
 * right; every changed one must pass canGrantModule (403 names the module).
 * One batch: the target and the right to each cell that would change are
 * guards over the current grid, the audit entry and the mail read that grid
 * before the writes, and nothing is written when no cell changes.
 */
export async function setUserModules(deps: Deps, actor: Actor, userId: string, input: ModuleGridInput) {
  const actorGrants = requireModule(actor, "user_management", "write");
  const db = deps.db;
  const given = MODULE_KEYS.filter((m) => input[m] !== undefined);
  const now = deps.now();

  // The current grid as one JSON object {module: level} (no row, '{}'), joined as `cur`.
  const cur = sql`(SELECT json_group_object(${analyticsModulePermissions.module}, ${analyticsModulePermissions.level}) AS g FROM ${analyticsModulePermissions} WHERE ${analyticsModulePermissions.userId} = ${userId}) AS cur`;
  const levelIn = (module: SQL | string) => sql`coalesce(json_extract(cur.g, '$.' || ${module}), 'none')`;

  // Each named cell with what may be set for an owner or another target (canGrantModule), and its mail line per level it may change from.
  const nameSlot = slot(`name_${newId()}`);
  const render = (changes: { module: string; before: string; after: string }[]) =>
    analyticsModulesChangedMail({ appName: deps.config.appName, name: nameSlot, changes, changedBy: actor.name, url: `${deps.config.origin}/analytics/users/${userId}` });
  const parts = changesMailParts(render);
  const cells = given.map((m) => {
    const after = input[m]!;
    const lines = MODULE_LEVELS.filter((from) => from !== after).map(
      (from) => [from, parts.line({ module: MODULES[m].label, before: MODULE_LEVEL_LABELS[from], after: MODULE_LEVEL_LABELS[after] })] as const,
    );
    return {
      m,
      after,
      owner: canGrantModule(actor, actorGrants, { id: userId, analyticsOwner: true }, m, after),
      other: canGrantModule(actor, actorGrants, { id: userId, analyticsOwner: false }, m, after),
      t: Object.fromEntries(lines.map(([from, l]) => [from, l.t])),
      h: Object.fromEntries(lines.map(([from, l]) => [from, l.h])),
    };
  });
  const cellsJson = JSON.stringify(cells);
  const cell = (field: string) => sql`json_extract(cell.value, ${"$." + field})`;
  const cellChanges = sql`${levelIn(cell("m"))} <> ${cell("after")}`;
  const changes = sql`EXISTS (SELECT 1 FROM json_each(${cellsJson}) AS cell, ${cur} WHERE ${cellChanges})`;
  const target = and(eq(users.id, userId), eq(users.orgId, actor.orgId));
  const rightsHolder = and(target, inArray(users.analyticsAccess, [...RIGHTS_HOLDER_ACCESS]), notInArray(users.status, [...RIGHTLESS_STATUSES]));
  // A cell the caller may not set for this target (owner or not), that would change.
  const forbidden = sql`EXISTS (SELECT 1 FROM ${users}, json_each(${cellsJson}) AS cell, ${cur} WHERE ${target} AND ${cellChanges}
    AND NOT (CASE WHEN ${users.analyticsOwner} THEN ${cell("owner")} ELSE ${cell("other")} END))`;
  const grid = (value: (m: Module) => SQL | string) => jsonObject(Object.fromEntries(MODULE_KEYS.map((m) => [m, value(m)])));
  const body = (part: { prefix: string; between: string; suffix: string }, field: "t" | "h") => {
    const lines = sql`(SELECT group_concat(line, ${part.between}) FROM (SELECT json_extract(cell.value, '$.' || ${field} || '.' || ${levelIn(cell("m"))}) AS line
      FROM json_each(${cellsJson}) AS cell WHERE ${cellChanges} ORDER BY cell.key))`;
    return sql`(${part.prefix} || ${lines} || ${part.suffix})`;
  };
  const mailId = newId();
  const mail = {
    subject: sql`replace(${parts.subject}, ${nameSlot}, ${users.name})`,
    text: sql`replace(${body(parts.text, "t")}, ${nameSlot}, ${users.name})`,
    html: sql`replace(${body(parts.html, "h")}, ${nameSlot}, ${htmlEscaped(sql`${users.name}`)})`,
  };
  const mine = eq(analyticsModulePermissions.userId, userId);
  try {
    const [beforeRows, [user]] = await db.batch([
      moduleGrantsQuery(db, userId),
      db.select(columns).from(users).where(target),
      guardNot(db, sql`${notExists(db.select({ one: sql`1` }).from(users).where(rightsHolder))} OR ${forbidden}`),
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.modules.changed",
          targetType: "user",
          targetId: userId,
          before: grid((m) => levelIn(m)),
          after: grid((m) => (input[m] !== undefined ? input[m]! : levelIn(m))),
        },
        sql`FROM ${cur} WHERE ${changes}`,
      ),
      outboxInsertSelect(deps, { id: mailId, to: sql`${users.email}`, ...mail }, sql`FROM ${users}, ${cur} WHERE ${target} AND ${changes}`),
      // A grid that changes is rewritten whole, as one: every row dated now, rows of unknown modules gone.
      db.delete(analyticsModulePermissions).where(and(mine, notInArray(analyticsModulePermissions.module, MODULE_KEYS), changes)),
      db.update(analyticsModulePermissions).set({ updatedAt: now }).where(and(mine, changes)),
      ...given.map((m) =>
        input[m] === "none"
          ? db.delete(analyticsModulePermissions).where(and(mine, eq(analyticsModulePermissions.module, m)))
          : db
              .insert(analyticsModulePermissions)
              .values({ userId, module: m, level: input[m] as "full" | "read_only", updatedAt: now })
              .onConflictDoUpdate({
                target: [analyticsModulePermissions.userId, analyticsModulePermissions.module],
                set: { level: input[m] as "full" | "read_only", updatedAt: now },
                setWhere: ne(analyticsModulePermissions.level, input[m] as "full" | "read_only"),
              }),
      ),
    ]);
    const before = fullGrid(moduleGrantsFrom(beforeRows));
    const after = withInput(before, input);
    const changed = given.some((m) => before[m] !== after[m]);
    if (changed) deliverSoon(deps, [mailId]);
    return { user: toAnalyticsUser(user!, after), changed };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    return modulesRefusal(deps, actor, actorGrants, userId, input);
  }
}
