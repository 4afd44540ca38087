// F-15, F-16: Purchaser and Analytics Administrator only through requests. A
// Partner Manager asks for a user of their organization; operators approve or
// reject from a queue; the requester is mailed the decision. AAA gives no
// analytics access by itself (F-22): approving it leaves AA as it is.
import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import * as z from "zod";
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
import { auditInsert } from "./audit";
import { deliverSoon, mailInsert, outboxInsertSelect } from "./outbox";

export const REQUEST_KINDS = ["purchaser", "analytics_admin"] as const;
export const REQUEST_STATUSES = ["pending", "approved", "rejected"] as const;

export const CreateRequestInput = z.strictObject({
  kind: z.enum(REQUEST_KINDS, { error: "Choose Purchaser (P) or Analytics Administrator (AAA)." }),
  userId: z.string().trim().min(1, "Choose a user.").max(40),
});

const blank = (v: unknown) => (v === "" ? undefined : v);
export const ListRequestsInput = z.object({
  status: z.preprocess(blank, z.enum(REQUEST_STATUSES, { error: "Choose pending, approved or rejected." }).optional()),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(50),
});

const hasFlag = (u: { purchaser: boolean; analyticsAdmin: boolean }, kind: SecondaryRole) => (kind === "purchaser" ? u.purchaser : u.analyticsAdmin);
const kindLabel = (kind: SecondaryRole) => SECONDARY_ROLES[kind].label;

/** Why a user cannot hold this secondary role, or null when they can. */
function ruleProblem(kind: SecondaryRole, user: { name: string; role: Role; status: string }): string | null {
  if (user.status === "deactivated") return `${user.name} is deactivated.`;
  if (!secondaryRoleAllowed(kind, user.role)) return `${secondaryRoleRule(kind)} ${user.name} is a ${ROLE_LABELS[user.role]}.`;
  return null;
}

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

async function publicRequest(deps: Deps, id: string) {
  const [row] = await listQuery(deps).where(eq(roleRequests.id, id));
  return toPublicRequest(row as ListRow);
}

/**
 * F-16: a Partner Manager asks for P or AAA for a user of their organization.
 * The rule (P: Regular or Partner Manager; AAA: Partner Manager) is checked
 * now (422) and again when an operator approves. Operators are mailed.
 */
export async function createRoleRequest(deps: Deps, actor: Actor, input: z.infer<typeof CreateRequestInput>) {
  if (!canRequestSecondaryRole(actor)) throw new AppError("FORBIDDEN", "Only a Partner Manager can request Purchaser or Analytics Administrator.");
  const [[user], [pending], [org]] = await deps.db.batch([
    deps.db.select().from(users).where(and(eq(users.id, input.userId), eq(users.orgId, actor.orgId))),
    deps.db
      .select({ n: count() })
      .from(roleRequests)
      .where(and(eq(roleRequests.userId, input.userId), eq(roleRequests.orgId, actor.orgId), eq(roleRequests.kind, input.kind), eq(roleRequests.status, "pending"))),
    deps.db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, actor.orgId)),
  ]);
  if (!user) throw new AppError("NOT_FOUND", "User not found.");
  const problem = ruleProblem(input.kind, user);
  if (problem) throw validationError({ userId: problem }, problem);
  if (hasFlag(user, input.kind)) throw new AppError("CONFLICT", `${user.name} already has ${kindLabel(input.kind)}.`);
  if ((pending?.n ?? 0) > 0) throw new AppError("CONFLICT", `A request for ${kindLabel(input.kind)} for ${user.name} is already waiting for an operator.`);

  const now = deps.now();
  const request = { id: newId(), orgId: actor.orgId, userId: user.id, kind: input.kind, status: "pending" as const, requestedBy: actor.id, createdAt: now };
  const { appName, origin } = deps.config;
  const mail = roleRequestCreatedMail({ appName, roleLabel: kindLabel(input.kind), userName: user.name, userEmail: user.email, orgName: org?.name ?? "", requester: actor.name, origin });
  try {
    const [, , mails] = await deps.db.batch([
      deps.db.insert(roleRequests).values(request),
      // Two requests sent at the same moment: the second one finds the first.
      guardNot(
        deps.db,
        sql`(SELECT count(*) FROM ${roleRequests} WHERE ${and(eq(roleRequests.userId, user.id), eq(roleRequests.kind, input.kind), eq(roleRequests.status, "pending"))}) > 1`,
      ),
      // One mail per active operator ("send an email to bizops"), chosen at commit time.
      outboxInsertSelect(deps, { to: sql`${users.email}`, ...mail }, sql`FROM ${users} WHERE ${users.role} = 'operator' AND ${users.status} = 'active'`).returning({
        id: outbox.id,
      }),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "role_request.created", targetType: "role_request", targetId: request.id, after: { kind: input.kind, userId: user.id } }),
    ]);
    deliverSoon(deps, (mails as { id: string }[]).map((m) => m.id).slice(0, 50));
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("CONFLICT", `A request for ${kindLabel(input.kind)} for ${user.name} is already waiting for an operator.`);
    throw e;
  }
  return { request: await publicRequest(deps, request.id) };
}

/**
 * The organization's requests for a Partner Manager; every request for an
 * operator. Pending ones first (oldest first, the queue order), then the
 * decided ones, newest first.
 */
function requestsQueries(deps: Deps, actor: Actor, input: z.infer<typeof ListRequestsInput>) {
  if (!canRequestSecondaryRole(actor) && !canDecideRequests(actor)) {
    throw new AppError("FORBIDDEN", "Only Partner Managers and operators can see requests.");
  }
  const where = and(isOperator(actor) ? undefined : eq(roleRequests.orgId, actor.orgId), input.status ? eq(roleRequests.status, input.status) : undefined);
  const pendingFirst = sql`CASE WHEN ${roleRequests.status} = 'pending' THEN 0 ELSE 1 END`;
  const queueOrder = sql`CASE WHEN ${roleRequests.status} = 'pending' THEN ${roleRequests.createdAt} ELSE -${roleRequests.createdAt} END`;
  // Two requests in the same millisecond keep the order they were made in.
  const tieBreak = sql`CASE WHEN ${roleRequests.status} = 'pending' THEN ${roleRequests}.rowid ELSE -${roleRequests}.rowid END`;
  return [
    listQuery(deps)
      .where(where)
      .orderBy(asc(pendingFirst), asc(queueOrder), asc(tieBreak))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    deps.db.select({ n: count() }).from(roleRequests).where(where),
  ] as const;
}

const requestsResult = (input: z.infer<typeof ListRequestsInput>, rows: unknown[], total: { n: number } | undefined) => ({
  items: (rows as ListRow[]).map(toPublicRequest),
  page: { number: input.page, size: input.pageSize, total: total?.n ?? 0 },
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

async function findPendingDecision(deps: Deps, actor: Actor, id: string) {
  if (!canDecideRequests(actor)) throw new AppError("FORBIDDEN", "Only operators approve or reject requests.");
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

type Decision = Awaited<ReturnType<typeof findPendingDecision>>;

function decisionStatements(deps: Deps, actor: Actor, { request, user, requester: asker }: Decision, approved: boolean, mailId: string) {
  const now = deps.now();
  const status = approved ? ("approved" as const) : ("rejected" as const);
  const { appName, origin } = deps.config;
  return [
    deps.db
      .update(roleRequests)
      .set({ status, decidedBy: actor.id, decidedAt: now })
      .where(and(eq(roleRequests.id, request.id), eq(roleRequests.status, "pending"))),
    guardChanged(deps.db),
    auditInsert(deps, {
      actorId: actor.id,
      orgId: request.orgId,
      action: approved ? "role_request.approved" : "role_request.rejected",
      targetType: "role_request",
      targetId: request.id,
      before: { status: "pending" },
      after: { status, kind: request.kind, userId: user.id },
    }),
    ...(asker?.email
      ? [
          mailInsert(
            deps,
            asker.email,
            roleRequestDecisionMail({ appName, origin, name: asker.name ?? "", approved, roleLabel: kindLabel(request.kind), userName: user.name, userEmail: user.email }),
            mailId,
          ),
        ]
      : []),
  ];
}

/**
 * An operator approves: the rule is checked against the user's role now (it
 * may have changed since the request), the flag is set with a compare-and-swap
 * on the request and on the user's role, and the requester is mailed.
 */
export async function approveRoleRequest(deps: Deps, actor: Actor, id: string) {
  const decision = await findPendingDecision(deps, actor, id);
  const { request, user } = decision;
  const problem = ruleProblem(request.kind, user);
  if (problem) throw new AppError("CONFLICT", `${problem} Reject the request instead.`);
  const mailId = newId();
  const [first, ...rest] = decisionStatements(deps, actor, decision, true, mailId);
  try {
    await deps.db.batch([
      first!,
      ...rest,
      deps.db
        .update(users)
        .set(request.kind === "purchaser" ? { purchaser: true, updatedAt: deps.now() } : { analyticsAdmin: true, updatedAt: deps.now() })
        .where(and(eq(users.id, user.id), eq(users.role, user.role), ne(users.status, "deactivated"))),
      guardChanged(deps.db),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: request.orgId,
        action: "user.secondary_role_granted",
        targetType: "user",
        targetId: user.id,
        before: { [request.kind]: hasFlag(user, request.kind) },
        after: { [request.kind]: true, requestId: request.id },
      }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("CONFLICT", "The request or the user changed meanwhile. Reload and try again.");
    throw e;
  }
  deliverSoon(deps, [mailId]);
  return { request: await publicRequest(deps, id) };
}

/** An operator rejects: the request is closed and the requester is mailed. */
export async function rejectRoleRequest(deps: Deps, actor: Actor, id: string) {
  const decision = await findPendingDecision(deps, actor, id);
  const mailId = newId();
  const [first, ...rest] = decisionStatements(deps, actor, decision, false, mailId);
  try {
    await deps.db.batch([first!, ...rest]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("CONFLICT", "This request was decided meanwhile. Reload and try again.");
    throw e;
  }
  deliverSoon(deps, [mailId]);
  return { request: await publicRequest(deps, id) };
}
