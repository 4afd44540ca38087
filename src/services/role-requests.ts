// F-15, F-16: Purchaser and Analytics Administrator only through requests. A
// Partner Manager asks for a user of their organization; operators approve or
// reject from a queue; the requester is mailed the decision. AAA gives no
// analytics access by itself (F-22): approving it leaves AA as it is.
import { and, asc, count, eq, inArray, ne, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import * as z from "../lib/zod";
import { aliased } from "../db/client";
import { organizations, outbox, roleRequests, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import {
  canDecideRequests,
  canRequestSecondaryRole,
  isOperator,
  ROLE_LABELS,
  SECONDARY_ROLES,
  secondaryRoleAllowed,
  secondaryRoleRule,
  type Role,
  type SecondaryRole,
} from "../domain/roles";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { roleRequestCreatedMail, roleRequestDecisionMail } from "../../views/mail/templates";
import { jsonBool, jsonObject } from "../lib/sql-json";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { auditInsert, auditInsertSelect } from "./audit";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";

export const REQUEST_KINDS = ["purchaser", "analytics_admin"] as const;
export const REQUEST_STATUSES = ["pending", "approved", "rejected"] as const;

export const CreateRequestInput = z.strictObject({
  kind: z.enum(REQUEST_KINDS, { error: "Choose Purchaser (P) or Analytics Administrator (AAA)." }),
  userId: z.string().check(z.trim(), z.minLength(1, "Choose a user."), z.maxLength(40)),
});

export const ListRequestsInput = z.object({
  status: z.blankable(z.enum(REQUEST_STATUSES, { error: "Choose pending, approved or rejected." })),
  ...pageFields({ size: 50 }),
});

const hasFlag = (u: { purchaser: boolean; analyticsAdmin: boolean }, kind: SecondaryRole) => (kind === "purchaser" ? u.purchaser : u.analyticsAdmin);
const kindLabel = (kind: SecondaryRole) => SECONDARY_ROLES[kind].label;

/** A deactivated account can be given no secondary role. */
const DEACTIVATED = "deactivated";

/** Why a user cannot hold this secondary role, or null when they can. */
function ruleProblem(kind: SecondaryRole, user: { name: string; role: Role; status: string }): string | null {
  if (user.status === DEACTIVATED) return `${user.name} is deactivated.`;
  if (!secondaryRoleAllowed(kind, user.role)) return `${secondaryRoleRule(kind)} ${user.name} is a ${ROLE_LABELS[user.role]}.`;
  return null;
}

/** ruleProblem as SQL over a users row: true when the user may hold this secondary role. */
const canReceiveSql = (kind: SecondaryRole) => and(ne(users.status, DEACTIVATED), inArray(users.role, [...SECONDARY_ROLES[kind].roles]))!;

/** ruleProblem as SQL for the kind a role_requests row names (`kind` is SQL over that row). */
const canReceiveKindSql = (kind: SQL) =>
  sql`(${sql.join(
    (Object.keys(SECONDARY_ROLES) as SecondaryRole[]).map((k) => sql`(${kind} = ${k} AND ${canReceiveSql(k)})`),
    sql` OR `,
  )})`;

/** The users column of a secondary role's flag. */
const kindFlag = (kind: SecondaryRole) => (kind === "purchaser" ? users.purchaser : users.analyticsAdmin);

const requester = alias(users, "requester");
const decider = alias(users, "decider");

// Every column under its own name: inside db.batch D1 keys rows by column name.
const listColumns = {
  id: roleRequests.id,
  kind: roleRequests.kind,
  status: roleRequests.status,
  createdAt: roleRequests.createdAt,
  decidedAt: roleRequests.decidedAt,
  orgId: roleRequests.orgId,
  orgName: aliased<string>(organizations.name, "org_name"),
  userId: roleRequests.userId,
  userName: aliased<string>(users.name, "user_name"),
  userEmail: aliased<string>(users.email, "user_email"),
  userRole: aliased<Role>(users.role, "user_role"),
  requesterId: roleRequests.requestedBy,
  requesterName: aliased<string | null>(requester.name, "requester_name"),
  deciderId: roleRequests.decidedBy,
  deciderName: aliased<string | null>(decider.name, "decider_name"),
};
type ListRow = {
  id: string;
  kind: SecondaryRole;
  status: (typeof REQUEST_STATUSES)[number];
  createdAt: number;
  decidedAt: number | null;
  orgId: string;
  orgName: string;
  userId: string;
  userName: string;
  userEmail: string;
  userRole: Role;
  requesterId: string;
  requesterName: string | null;
  deciderId: string | null;
  deciderName: string | null;
};

export function toPublicRequest(r: ListRow) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    org: { id: r.orgId, name: r.orgName },
    user: { id: r.userId, name: r.userName, email: r.userEmail, role: r.userRole },
    requestedBy: { id: r.requesterId, name: r.requesterName },
    decidedBy: r.deciderId ? { id: r.deciderId, name: r.deciderName } : null,
    createdAt: new Date(r.createdAt).toISOString(),
    decidedAt: r.decidedAt === null ? null : new Date(r.decidedAt).toISOString(),
  };
}
export type PublicRequest = ReturnType<typeof toPublicRequest>;

const listQuery = (deps: Deps) =>
  deps.db
    .select(listColumns)
    .from(roleRequests)
    .innerJoin(users, eq(users.id, roleRequests.userId))
    .innerJoin(organizations, eq(organizations.id, roleRequests.orgId))
    .leftJoin(requester, eq(requester.id, roleRequests.requestedBy))
    .leftJoin(decider, eq(decider.id, roleRequests.decidedBy));

/**
 * F-16: a Partner Manager asks for P or AAA for a user of their organization.
 * The rule (P: Regular or Partner Manager; AAA: Partner Manager) is checked
 * now (422) and again when an operator approves. Operators are mailed.
 */
/** Only a Partner Manager files requests (F-15, F-16). */
export function assertMayRequest(actor: Actor) {
  if (!canRequestSecondaryRole(actor)) throw new AppError("FORBIDDEN", "Only a Partner Manager can request Purchaser or Analytics Administrator.");
}

/** The user's pending requests for any of `kinds`. */
export const pendingRequestsQuery = (deps: Deps, userId: string, kinds: SecondaryRole[]) =>
  deps.db
    .select({ kind: roleRequests.kind })
    .from(roleRequests)
    .where(and(eq(roleRequests.userId, userId), inArray(roleRequests.kind, kinds), eq(roleRequests.status, "pending")))
    .limit(1);

export const requestAlreadyPending = (kind: SecondaryRole, userName: string) =>
  new AppError("CONFLICT", `A request for ${kindLabel(kind)} for ${userName} is already waiting for an operator.`);

export async function createRoleRequest(deps: Deps, actor: Actor, input: z.infer<typeof CreateRequestInput>) {
  assertMayRequest(actor);
  const filing = roleRequestStatements(deps, actor, input);
  try {
    // No read first (issue 9: two round trips): the checks are guards of the batch that inserts.
    const results = await deps.db.batch(filing.statements);
    const { request, mailIds } = filing.outcome(results, 0);
    deliverSoon(deps, mailIds);
    return { request };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    throw await createRefusal(deps, actor, input);
  }
}

/**
 * The statements that file a request (the caller checked the actor may):
 * they abort their batch unless the user is of the actor's organization, may
 * hold the role and does not, and no other request for it is pending. The
 * user's role is read when the batch runs, so a role change earlier in the
 * same batch counts. `outcome(results, at)`: the request as listed and the
 * operators' mail ids, `at` being the index of the first statement.
 */
export function roleRequestStatements(deps: Deps, actor: Actor, input: z.infer<typeof CreateRequestInput>) {
  const now = deps.now();
  const request = { id: newId(), orgId: actor.orgId, userId: input.userId, kind: input.kind, status: "pending" as const, requestedBy: actor.id, createdAt: now };
  const { appName, origin } = deps.config;
  // The user's name and email are filled in by SQL; the organization is the actor's own.
  const template = roleRequestCreatedMail({ appName, roleLabel: kindLabel(input.kind), userName: slot("user_name"), userEmail: slot("user_email"), orgName: actor.orgName, requester: actor.name, origin });
  const pendingOf = and(eq(roleRequests.userId, input.userId), eq(roleRequests.kind, input.kind), eq(roleRequests.status, "pending"));
  const statements = [
    // A user of this organization who may hold the role and does not yet.
    guardNot(
      deps.db,
      sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${and(eq(users.id, input.userId), eq(users.orgId, actor.orgId), canReceiveSql(input.kind), eq(kindFlag(input.kind), false))})`,
    ),
    deps.db.insert(roleRequests).values(request),
    // One pending request per user and role; two sent at the same moment: the second one finds the first.
    guardNot(deps.db, sql`(SELECT count(*) FROM ${roleRequests} WHERE ${pendingOf}) > 1`),
    // One mail per active operator ("send an email to bizops"), chosen at commit time.
    outboxInsertSelect(
      deps,
      { to: sql`rr_op.email`, ...filledMail(template, [["user_email", sql`rr_u.email`], ["user_name", sql`rr_u.name`]]) },
      sql`FROM ${users} AS rr_op JOIN ${users} AS rr_u ON rr_u.id = ${input.userId} WHERE rr_op.role = 'operator' AND rr_op.status = 'active'`,
    ).returning({ id: outbox.id }),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "role_request.created", targetType: "role_request", targetId: request.id, after: { kind: input.kind, userId: input.userId } }),
    listQuery(deps).where(eq(roleRequests.id, request.id)),
  ] as const;
  return {
    statements,
    outcome(results: readonly unknown[], at: number) {
      const mails = results[at + 3] as { id: string }[];
      const [row] = results[at + 5] as ListRow[];
      return { request: toPublicRequest(row!), mailIds: mails.map((m) => m.id).slice(0, 50) };
    },
  };
}

/** Why a request is refused (404, 422 or 409), read from D1; a 409 when it would now be allowed. */
async function createRefusal(deps: Deps, actor: Actor, input: z.infer<typeof CreateRequestInput>) {
  // Only what the rules read: never the credentials.
  const [user] = await deps.db
    .select({ name: users.name, role: users.role, status: users.status, purchaser: users.purchaser, analyticsAdmin: users.analyticsAdmin })
    .from(users)
    .where(and(eq(users.id, input.userId), eq(users.orgId, actor.orgId)));
  if (!user) return new AppError("NOT_FOUND", "User not found.");
  const problem = ruleProblem(input.kind, user);
  if (problem) return validationError({ userId: problem }, problem);
  if (hasFlag(user, input.kind)) return new AppError("CONFLICT", `${user.name} already has ${kindLabel(input.kind)}.`);
  // The user may get the role: what refused it is a pending request (perhaps one made at the same moment).
  return requestAlreadyPending(input.kind, user.name);
}

/**
 * The organization's requests for a Partner Manager; every request for an
 * operator. Pending ones first (oldest first, the queue order), then the
 * decided ones, newest first.
 */
function requestsWhere(actor: Actor, status: (typeof REQUEST_STATUSES)[number] | undefined) {
  if (!canRequestSecondaryRole(actor) && !canDecideRequests(actor)) {
    throw new AppError("FORBIDDEN", "Only Partner Managers and operators can see requests.");
  }
  return and(isOperator(actor) ? undefined : eq(roleRequests.orgId, actor.orgId), status ? eq(roleRequests.status, status) : undefined);
}

const countRequests = (deps: Deps, where: SQL | undefined) => deps.db.select({ n: count() }).from(roleRequests).where(where);

/** How many requests the actor sees in `status` (the list's total for that filter), as a query for a batch. */
export const requestCountQuery = (deps: Deps, actor: Actor, status: (typeof REQUEST_STATUSES)[number]) => countRequests(deps, requestsWhere(actor, status));

function requestsQueries(deps: Deps, actor: Actor, input: z.infer<typeof ListRequestsInput>) {
  const where = requestsWhere(actor, input.status);
  const pendingFirst = sql`CASE WHEN ${roleRequests.status} = 'pending' THEN 0 ELSE 1 END`;
  const queueOrder = sql`CASE WHEN ${roleRequests.status} = 'pending' THEN ${roleRequests.createdAt} ELSE -${roleRequests.createdAt} END`;
  // Two requests in the same millisecond keep the order they were made in.
  const tieBreak = sql`CASE WHEN ${roleRequests.status} = 'pending' THEN ${roleRequests}.rowid ELSE -${roleRequests}.rowid END`;
  return [
    listQuery(deps)
      .where(where)
      .orderBy(asc(pendingFirst), asc(queueOrder), asc(tieBreak))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    countRequests(deps, where),
  ] as const;
}

const requestsResult = (input: z.infer<typeof ListRequestsInput>, rows: unknown[], total: { n: number } | undefined) => ({
  items: (rows as ListRow[]).map(toPublicRequest),
  page: pageOf(input, total),
});

export async function listRoleRequests(deps: Deps, actor: Actor, input: z.infer<typeof ListRequestsInput>) {
  const [rows, [total]] = await deps.db.batch(requestsQueries(deps, actor, input));
  return requestsResult(input, rows, total);
}

/** One request, for its organization's Partner Managers and for operators. */
export async function getRoleRequest(deps: Deps, actor: Actor, id: string) {
  if (!canRequestSecondaryRole(actor) && !canDecideRequests(actor)) throw new AppError("FORBIDDEN", "Only Partner Managers and operators can see requests.");
  const [row] = await listQuery(deps).where(and(eq(roleRequests.id, id), isOperator(actor) ? undefined : eq(roleRequests.orgId, actor.orgId)));
  if (!row) throw new AppError("NOT_FOUND", "Request not found.");
  return toPublicRequest(row as ListRow);
}

/** The users a Partner Manager can pick on the request form: their organization's, not deactivated. */
const requestableUsersQuery = (deps: Deps, actor: Actor) =>
  deps.db
    .select({ id: users.id, name: users.name, email: users.email, role: users.role, purchaser: users.purchaser, analyticsAdmin: users.analyticsAdmin })
    .from(users)
    .where(and(eq(users.orgId, actor.orgId), ne(users.status, "deactivated")))
    .orderBy(asc(users.name), asc(users.email))
    .limit(1000);

/** The requests page: the queue and, for a Partner Manager, the users the form offers, in one round trip. */
export async function requestsPage(deps: Deps, actor: Actor, input: z.infer<typeof ListRequestsInput>) {
  const [rowsQuery, countQuery] = requestsQueries(deps, actor, input);
  if (!canRequestSecondaryRole(actor)) {
    const [rows, [total]] = await deps.db.batch([rowsQuery, countQuery]);
    return { list: requestsResult(input, rows, total), users: [] };
  }
  const [rows, [total], picks] = await deps.db.batch([rowsQuery, countQuery, requestableUsersQuery(deps, actor)]);
  return { list: requestsResult(input, rows, total), users: picks };
}

function assertCanDecide(actor: Actor) {
  if (!canDecideRequests(actor)) throw new AppError("FORBIDDEN", "Only operators approve or reject requests.");
}

/** The request as the old read saw it: 404 when missing, 409 when already decided. Explains a refused decision. */
async function findPendingDecision(deps: Deps, actor: Actor, id: string) {
  assertCanDecide(actor);
  const [row] = await deps.db
    .select({
      request: roleRequests,
      user: { id: users.id, name: users.name, email: users.email, role: users.role, status: users.status, purchaser: users.purchaser, analyticsAdmin: users.analyticsAdmin },
      requester: { name: requester.name, email: requester.email },
    })
    .from(roleRequests)
    .innerJoin(users, eq(users.id, roleRequests.userId))
    .leftJoin(requester, eq(requester.id, roleRequests.requestedBy))
    .where(eq(roleRequests.id, id));
  if (!row) throw new AppError("NOT_FOUND", "Request not found.");
  if (row.request.status !== "pending") throw new AppError("CONFLICT", `This request was already ${row.request.status}.`);
  return row;
}

/** A role_requests column by its SQL name, for statements that alias the table as rr. */
const rr = (column: keyof typeof roleRequests.$inferSelect) => sql.raw(`rr.${roleRequests[column].name}`);
const rrFrom = (id: string) => sql`FROM ${roleRequests} AS rr WHERE rr.id = ${id}`;

/** The users row a request is for, as a subquery over rr. */
const requestedUser = (column: SQL) => sql`(SELECT ${column} FROM ${users} WHERE ${users.id} = ${rr("userId")})`;

/** The role's label for the kind a request names, from SECONDARY_ROLES. */
const kindLabelSql = (kind: SQL) =>
  sql`CASE ${kind} ${sql.join(
    (Object.keys(SECONDARY_ROLES) as SecondaryRole[]).map((k) => sql`WHEN ${k} THEN ${kindLabel(k)}`),
    sql` `,
  )} END`;

/**
 * The decision on a pending request as statements of one batch, no read first
 * (issue 9): the audit row and the requester's mail are made by SQL from the
 * request, and the compare-and-swap on its status refuses a decided or
 * unknown request.
 */
function decisionStatements(deps: Deps, actor: Actor, id: string, approved: boolean, mailId: string) {
  const now = deps.now();
  const status = approved ? ("approved" as const) : ("rejected" as const);
  const { appName, origin } = deps.config;
  const template = roleRequestDecisionMail({
    appName,
    origin,
    name: slot("name"),
    approved,
    roleLabel: slot("role"),
    userName: slot("user_name"),
    userEmail: slot("user_email"),
  });
  return {
    audit: auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: rr("orgId"),
        action: approved ? "role_request.approved" : "role_request.rejected",
        targetType: "role_request",
        targetId: id,
        before: { status: "pending" },
        after: jsonObject({ status, kind: rr("kind"), userId: rr("userId") }),
      },
      rrFrom(id),
    ),
    decide: [
      deps.db
        .update(roleRequests)
        .set({ status, decidedBy: actor.id, decidedAt: now })
        .where(and(eq(roleRequests.id, id), eq(roleRequests.status, "pending"))),
      guardChanged(deps.db),
    ] as const,
    // To the requester, when their account still exists.
    mail: outboxInsertSelect(
      deps,
      {
        id: mailId,
        to: sql`rr_asker.email`,
        ...filledMail(template, [
          ["role", kindLabelSql(rr("kind"))],
          ["user_email", sql`rr_u.email`],
          ["user_name", sql`rr_u.name`],
          ["name", sql`coalesce(rr_asker.name, '')`],
        ]),
      },
      sql`FROM ${roleRequests} AS rr JOIN ${users} AS rr_asker ON rr_asker.id = rr.requested_by JOIN ${users} AS rr_u ON rr_u.id = rr.user_id WHERE rr.id = ${id}`,
    ),
    answer: listQuery(deps).where(eq(roleRequests.id, id)),
  };
}

/**
 * An operator approves: the rule is checked against the user's role now (it
 * may have changed since the request), the flag is set with a compare-and-swap
 * on the request and on the user's role, and the requester is mailed.
 */
export async function approveRoleRequest(deps: Deps, actor: Actor, id: string) {
  assertCanDecide(actor);
  const mailId = newId();
  const d = decisionStatements(deps, actor, id, true, mailId);
  const kind = rr("kind");
  const flagOf = sql`CASE ${kind} WHEN 'purchaser' THEN ${requestedUser(sql`${users.purchaser}`)} ELSE ${requestedUser(sql`${users.analyticsAdmin}`)} END`;
  const requestKind = sql`(SELECT ${roleRequests.kind} FROM ${roleRequests} WHERE ${roleRequests.id} = ${id})`;
  const now = deps.now();
  try {
    const results = await deps.db.batch([
      d.audit,
      // Ahead of the update, so 'before' is the flag as it was; the key is the request's kind.
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: rr("orgId"),
          action: "user.secondary_role_granted",
          targetType: "user",
          targetId: rr("userId"),
          before: sql`json_object(${kind}, ${jsonBool(flagOf)})`,
          after: sql`json_object(${kind}, json('true'), 'requestId', ${rr("id")})`,
        },
        rrFrom(id),
      ),
      ...d.decide,
      // The rule, checked against the user's role now: the update finds no row when it no longer holds.
      deps.db
        .update(users)
        .set({
          purchaser: sql`CASE WHEN ${requestKind} = 'purchaser' THEN 1 ELSE ${users.purchaser} END`,
          analyticsAdmin: sql`CASE WHEN ${requestKind} = 'analytics_admin' THEN 1 ELSE ${users.analyticsAdmin} END`,
          updatedAt: now,
        })
        .where(and(sql`${users.id} = (SELECT ${roleRequests.userId} FROM ${roleRequests} WHERE ${roleRequests.id} = ${id})`, canReceiveKindSql(requestKind))),
      guardChanged(deps.db),
      d.mail,
      d.answer,
    ]);
    deliverSoon(deps, [mailId]);
    return { request: toPublicRequest((results[results.length - 1] as unknown[])[0] as ListRow) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const { request, user } = await findPendingDecision(deps, actor, id);
    const problem = ruleProblem(request.kind, user);
    if (problem) throw new AppError("CONFLICT", `${problem} Reject the request instead.`);
    throw new AppError("CONFLICT", "The request or the user changed meanwhile. Reload and try again.");
  }
}

/** An operator rejects: the request is closed and the requester is mailed. */
export async function rejectRoleRequest(deps: Deps, actor: Actor, id: string) {
  assertCanDecide(actor);
  const mailId = newId();
  const d = decisionStatements(deps, actor, id, false, mailId);
  try {
    const [, , , , [row]] = await deps.db.batch([d.audit, ...d.decide, d.mail, d.answer]);
    deliverSoon(deps, [mailId]);
    return { request: toPublicRequest(row as ListRow) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    await findPendingDecision(deps, actor, id);
    throw new AppError("CONFLICT", "This request was decided meanwhile. Reload and try again.");
  }
}
