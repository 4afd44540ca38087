// The users of an organization (F-11…F-14, F-17): list and CSV export with
// the same filter, invite one colleague, change a role, and "who is my
// Analytics Administrator". Every query is scoped to the actor's organization.
import { and, asc, count, eq, ne, or, sql, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import { organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import { ACCOUNT_STATUSES } from "../domain/account-state";
import type { Actor } from "../domain/actor";
import { emailSchema, normalizeEmail } from "../domain/email";
import {
  ACTIVE_MANAGER,
  can,
  isOperator,
  lastManagerRuleMayBind,
  PORTAL_ROLES,
  ROLE_LABELS,
  ROLES,
  SECONDARY_ROLES,
  secondaryRolesAfterRoleChange,
  type PortalPermission,
  type PortalRole,
  type Role,
  type SecondaryRole,
} from "../domain/roles";
import { guardChanged, guardNot, isGuardAbort, isUniqueViolation } from "../lib/batch";
import { toCsv } from "../lib/csv";
import { AppError, validationError } from "../lib/errors";
import { contains } from "../lib/search";
import { newId } from "../lib/ids";
import { jsonBool, jsonObject } from "../lib/sql-json";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { auditInsert, auditInsertSelect } from "./audit";
import { invitationStatementsFor } from "./invitations";
import { securityNoticeInsertWhere } from "./notifications";
import { deliverSoon } from "./outbox";
import { slot } from "./sql-mail";
import { administrableWhere, assertLastManagerRule, assertMayAdminister, CHANGED_MEANWHILE, findAdministrable, lastManagerGuard } from "./user-admin";
import { publicUserColumns, toPublicUser } from "./user-shape";

export const ListUsersInput = z.object({
  q: z.blankable(z.string().check(z.trim(), z.maxLength(120, "Use at most 120 characters."))),
  role: z.blankable(z.enum(ROLES, { error: "Choose a role." })),
  status: z.blankable(z.enum(ACCOUNT_STATUSES, { error: "Choose a status." })),
  ...pageFields({ size: 25 }),
  format: z.optional(z.enum(["json", "csv"])),
  /** Operators only: which organization (default: their own). */
  orgId: z.blankable(z.string().check(z.maxLength(40))),
});
export type ListUsersFilter = z.infer<typeof ListUsersInput>;

const roleError = { error: "Choose Read-only User, Regular User or Partner Manager." };
const nameSchema = z.string().check(z.trim(), z.minLength(1, "Enter a name."), z.maxLength(120, "Use at most 120 characters."));

export const InviteUserInput = z.strictObject({
  email: emailSchema,
  name: nameSchema,
  role: z.enum(PORTAL_ROLES, roleError),
  /** Operators only: the organization to invite into. */
  orgId: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
});

export const ChangeRoleInput = z.strictObject({ role: z.enum(PORTAL_ROLES, roleError) });

const FORBIDDEN_MESSAGES: Partial<Record<PortalPermission, string>> = {
  managePortalUsers: "Only a Partner Manager can add, activate, deactivate or re-invite portal users.",
  changeUserRoles: "Only a Partner Manager can change a portal user's role.",
};

export function assertCan(actor: Actor, permission: PortalPermission) {
  if (!can(actor, permission)) throw new AppError("FORBIDDEN", FORBIDDEN_MESSAGES[permission] ?? "You are not allowed to do this.");
}

const ORG_NOT_FOUND = () => new AppError("NOT_FOUND", "Organization not found.");

/**
 * The organization a users query is about: always the actor's own, except
 * that an operator may name another one. A non-operator naming another
 * organization learns nothing about it (404 whether or not it exists).
 */
export function orgInScope(actor: Actor, orgId: string | undefined): string {
  if (orgId === undefined || orgId === actor.orgId) return actor.orgId;
  if (!isOperator(actor)) throw ORG_NOT_FOUND();
  return orgId;
}

function userFilter(orgId: string, f: Pick<ListUsersFilter, "q" | "role" | "status">): SQL {
  const conditions: (SQL | undefined)[] = [eq(users.orgId, orgId)];
  if (f.q) conditions.push(or(contains(users.name, f.q), contains(users.email, f.q)));
  if (f.role) conditions.push(eq(users.role, f.role));
  if (f.status) conditions.push(eq(users.status, f.status));
  return and(...conditions)!;
}

/** F-12: one page of the organization's users, with P, AA, AAA and last login. */
/** The page of users and their total, as two queries that can join a batch. */
function usersQueries(deps: Deps, actor: Actor, input: ListUsersFilter) {
  const where = userFilter(orgInScope(actor, input.orgId), input);
  return [
    deps.db
      .select(publicUserColumns)
      .from(users)
      .where(where)
      .orderBy(asc(users.name), asc(users.email))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(users).where(where),
  ] as const;
}

const usersResult = (input: ListUsersFilter, rows: Parameters<typeof toPublicUser>[0][], total: { n: number } | undefined) => ({
  items: rows.map(toPublicUser),
  page: pageOf(input, total),
});

export async function listUsers(deps: Deps, actor: Actor, input: ListUsersFilter) {
  const [rows, [total]] = await deps.db.batch(usersQueries(deps, actor, input));
  return usersResult(input, rows, total);
}

/** A CSV export never grows without bound; an organization this large filters first. */
export const CSV_EXPORT_LIMIT = 10_000;
const yn = (b: boolean) => (b ? "Y" : "N");

/**
 * F-12: the same filter as listUsers, every matching row, as CSV. The header
 * starts with email,name,role so the file can go back into a bulk invite.
 */
export async function exportUsersCsv(deps: Deps, actor: Actor, input: ListUsersFilter): Promise<string> {
  const rows = await deps.db
    .select(publicUserColumns)
    .from(users)
    .where(userFilter(orgInScope(actor, input.orgId), input))
    .orderBy(asc(users.name), asc(users.email))
    .limit(CSV_EXPORT_LIMIT);
  return toCsv(
    ["email", "name", "role", "status", "last_login_at", "purchaser", "analytics_access", "analytics_admin"],
    rows.map((u) => [u.email, u.name, u.role, u.status, u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : "", yn(u.purchaser), u.analyticsAccess, yn(u.analyticsAdmin)]),
  );
}

/**
 * F-13: invites one colleague with a role. The account, its invitation, the
 * mail and the audit entry are one batch, which also checks that the
 * organization can take new users; an address that already has an account
 * anywhere is refused by the unique index (one account per email, product.md).
 */
export async function inviteUser(deps: Deps, actor: Actor, input: z.infer<typeof InviteUserInput>) {
  assertCan(actor, "managePortalUsers");
  if (isOperator(actor) && !input.orgId) throw validationError({ orgId: "Choose the organization to invite into." });
  const orgId = orgInScope(actor, input.orgId);
  const email = normalizeEmail(input.email);
  const now = deps.now();
  const user = { id: newId(), orgId, email, name: input.name, role: input.role, status: "invited" as const, createdAt: now, updatedAt: now };
  // The organization's name reaches the mail inside the batch.
  const invite = await invitationStatementsFor(deps, user.id, actor);
  const invitable = and(eq(organizations.id, orgId), ne(organizations.kind, "vendor"), eq(organizations.status, "active"));
  try {
    const [, [created]] = await deps.db.batch([
      guardNot(deps.db, sql`NOT EXISTS (SELECT 1 FROM ${organizations} WHERE ${invitable})`),
      deps.db.insert(users).values(user).returning(),
      ...invite.statements,
      auditInsert(deps, { actorId: actor.id, orgId, action: "user.invited", targetType: "user", targetId: user.id, after: { email, name: user.name, role: user.role } }),
    ]);
    deliverSoon(deps, [invite.mailId]);
    return { user: toPublicUser(created!) };
  } catch (e) {
    if (!isGuardAbort(e) && !isUniqueViolation(e)) throw e;
    // The checks the batch made, with their own answers.
    const [[org], [taken]] = await deps.db.batch([
      deps.db.select({ status: organizations.status }).from(organizations).where(and(eq(organizations.id, orgId), ne(organizations.kind, "vendor"))),
      deps.db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1),
    ]);
    if (!org) throw ORG_NOT_FOUND();
    if (org.status !== "active") throw new AppError("CONFLICT", "This organization is terminated; nobody can be invited to it.");
    if (taken || isUniqueViolation(e)) throw validationError({ email: "This email address already belongs to an account." });
    throw new AppError("CONFLICT", "This organization was changed meanwhile. Reload and try again.");
  }
}

const secondaryNames = (kinds: SecondaryRole[]) => kinds.map((k) => SECONDARY_ROLES[k].label).join(" and ");

/** The notice's detail for a change from `was` to `role` that removed `removed`. */
const roleChangeDetail = (was: Role, role: Role, removed: SecondaryRole[]) =>
  `Your role is now ${ROLE_LABELS[role]} (it was ${ROLE_LABELS[was]}).` +
  (removed.length
    ? ` ${secondaryNames(removed)} ${removed.length > 1 ? "were" : "was"} removed, because the new role does not allow ${removed.length > 1 ? "them" : "it"}.`
    : "");

/** A constant text as a SQL literal (for CASE branches computed here, which would otherwise bind a parameter each). */
const literal = (text: string) => sql.raw(`'${text.replaceAll("'", "''")}'`);

/** Every combination of the secondary-role flags a row can hold, with its SQL condition. */
const FLAG_COMBINATIONS = [false, true].flatMap((purchaser) => [false, true].map((analyticsAdmin) => ({ purchaser, analyticsAdmin })));
const flagsAre = (f: { purchaser: boolean; analyticsAdmin: boolean }) =>
  sql`${f.purchaser ? sql`` : sql`NOT `}${users.purchaser} AND ${f.analyticsAdmin ? sql`` : sql`NOT `}${users.analyticsAdmin}`;

/**
 * F-14, F-15, F-22: changes a user's primary role. Purchaser and AAA that the
 * new role does not allow are removed in the same write, named in the answer
 * (`removed`) and the audit entry, and the user gets the role_changed notice
 * (F-91). A Partner Manager cannot demote the organization's last active
 * Partner Manager — themselves included. One batch: what the row held decides
 * the removals, the audit entry and the notice in SQL, through the same rules
 * (secondaryRolesAfterRoleChange) applied to every combination it can hold.
 */
export async function changeUserRole(deps: Deps, actor: Actor, userId: string, input: z.infer<typeof ChangeRoleInput>) {
  assertMayAdminister(actor, "changeUserRoles");
  const role = input.role;
  const mailId = newId();
  const change = roleChangeStatements(deps, actor, userId, role, mailId);
  let results;
  try {
    results = await deps.db.batch(change.statements as [(typeof change.statements)[number], ...typeof change.statements]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // The checks the batch made, on the current row: each refusal as it always was.
    const { user } = await findAdministrable(deps, actor, userId, "changeUserRoles");
    if (user.role === "operator") throw new AppError("CONFLICT", "Operators have no portal role to change.");
    if (user.role === role) return { user: toPublicUser(user), removed: [] as SecondaryRole[], changed: false };
    await assertLastManagerRule(deps, actor, user, { role, status: user.status });
    throw CHANGED_MEANWHILE();
  }
  deliverSoon(deps, [mailId]);
  const { user, removed } = change.outcome(results, 0);
  return { user, removed, changed: true };
}

/**
 * The statements of a role change (the caller checked `changeUserRoles`):
 * they abort their batch unless the user is administrable by the actor, holds
 * a portal role other than `role`, and the last-manager rule allows it. The
 * row before the change, its audit entry and the notice come first.
 * `removedJson` is the SQL, over the users row as it is before the change,
 * of the secondary roles the change removes (a JSON array).
 * `outcome(results, at)` reads the answer from the batch results, where `at`
 * is the index of the first of these statements.
 */
export function roleChangeStatements(deps: Deps, actor: Actor, userId: string, role: PortalRole, mailId: string) {
  const target = and(administrableWhere(actor, userId), ne(users.role, "operator"), ne(users.role, role))!;
  // The flags after the change, per kind: kept where the new role allows it, else cleared.
  const allowed = secondaryRolesAfterRoleChange({ purchaser: true, analyticsAdmin: true }, role);
  const caseOf = (branches: [SQL, SQL][]) => sql`CASE ${sql.join(branches.map(([when, then]) => sql`WHEN ${when} THEN ${then}`), sql` `)} END`;
  const removedJson = caseOf(FLAG_COMBINATIONS.map((f) => [flagsAre(f), sql`json(${literal(JSON.stringify(secondaryRolesAfterRoleChange(f, role).removed))})`]));
  const detail = caseOf(
    PORTAL_ROLES.filter((was) => was !== role).flatMap((was) =>
      FLAG_COMBINATIONS.map((f): [SQL, SQL] => [
        sql`${users.role} = ${literal(was)} AND ${flagsAre(f)}`,
        literal(roleChangeDetail(was, role, secondaryRolesAfterRoleChange(f, role).removed)),
      ]),
    ),
  );
  const t = deps.now();
  const statements = [
    // The row before the change, for the answer's `removed`.
    deps.db.select(publicUserColumns).from(users).where(target),
    ...(lastManagerRuleMayBind(actor, { role, status: ACTIVE_MANAGER.status }) ? [lastManagerGuard(deps, actor.orgId, userId)] : []),
    auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: sql`${users.orgId}`,
        action: "user.role_changed",
        targetType: "user",
        targetId: sql`${users.id}`,
        before: jsonObject({ role: users.role, purchaser: jsonBool(users.purchaser), analyticsAdmin: jsonBool(users.analyticsAdmin) }),
        after: jsonObject({
          role,
          purchaser: allowed.purchaser ? jsonBool(users.purchaser) : false,
          analyticsAdmin: allowed.analyticsAdmin ? jsonBool(users.analyticsAdmin) : false,
          removed: removedJson,
        }),
      },
      sql`FROM ${users} WHERE ${target}`,
    ),
    securityNoticeInsertWhere(deps, target, "role_changed", { text: slot("detail"), values: [["detail", detail]] }, mailId),
    deps.db
      .update(users)
      .set({ role, ...(allowed.purchaser ? {} : { purchaser: false }), ...(allowed.analyticsAdmin ? {} : { analyticsAdmin: false }), updatedAt: t })
      .where(target)
      .returning(),
    guardChanged(deps.db),
  ] as const;
  const updateAt = statements.length - 2;
  return {
    statements: [...statements],
    removedJson,
    outcome(results: readonly unknown[], at: number) {
      const [before] = results[at] as (typeof users.$inferSelect)[];
      const [updated] = results[at + updateAt] as (typeof users.$inferSelect)[];
      return { user: toPublicUser(updated!), removed: secondaryRolesAfterRoleChange(before!, role).removed };
    },
  };
}

/**
 * F-17 "Who is my Analytics Administrator": the organization's Partner
 * Managers (not deactivated) and which of them hold AAA — for every user.
 */
const managersQuery = (deps: Deps, actor: Actor) =>
  deps.db
    .select({ id: users.id, name: users.name, email: users.email, status: users.status, analyticsAdmin: users.analyticsAdmin })
    .from(users)
    .where(and(eq(users.orgId, actor.orgId), eq(users.role, "partner_manager"), ne(users.status, "deactivated")))
    .orderBy(asc(users.name), asc(users.email));

export async function listManagers(deps: Deps, actor: Actor) {
  return { items: await managersQuery(deps, actor) };
}

/** The users page (F-12): the filtered list and the organization's managers, in one round trip. */
export async function usersPage(deps: Deps, actor: Actor, input: ListUsersFilter) {
  const [rows, [total], managers] = await deps.db.batch([...usersQueries(deps, actor, input), managersQuery(deps, actor)]);
  return { list: usersResult(input, rows, total), managers: { items: managers } };
}
