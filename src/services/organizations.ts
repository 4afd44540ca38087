// F-02 onboarding and organization upkeep, for operators.
import { and, asc, count, eq, like, ne, or, sql, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import { organizations, partnerGrants, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { emailSchema, normalizeEmail } from "../domain/email";
import { canOnboardOrganizations } from "../domain/roles";
import { guardChanged, guardNot, isGuardAbort, isUniqueViolation } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonBool, jsonIso, jsonObject } from "../lib/sql-json";
import { invitationStatements } from "./invitations";
import { endGrantsStatements } from "./partner-access-sweep";
import { deliverSoon } from "./outbox";
import { publicUserColumns, toPublicUser } from "./user-shape";

const name = z.string().check(z.trim(), z.minLength(1, "Enter a name."), z.maxLength(120, "Use at most 120 characters."));

export const OnboardInput = z.strictObject({
  name,
  kind: z.enum(["partner", "customer"], { error: "Choose partner or customer." }),
  channelPartner: z.optional(z.boolean()),
  managedBy: z.optional(z.string().check(z.minLength(1, "Choose an existing partner organization (customers only)."), z.maxLength(40))),
  manager: z.strictObject({
    email: emailSchema,
    name: z.string().check(z.trim(), z.minLength(1, "Enter the manager's name."), z.maxLength(120)),
  }),
});

export const UpdateOrgInput = z.strictObject({
  name: z.optional(name),
  channelPartner: z.optional(z.boolean()),
  status: z.optional(z.literal("terminated")),
});

export const ListOrgsInput = z.object({
  q: z.optional(z.string().check(z.trim(), z.maxLength(120))),
  ...pageFields({ size: 25 }),
});

export type Organization = typeof organizations.$inferSelect;
export const toPublicOrg = (o: Organization) => ({
  id: o.id,
  name: o.name,
  kind: o.kind,
  channelPartner: o.channelPartner,
  managedBy: o.managedBy,
  status: o.status,
  createdAt: new Date(o.createdAt).toISOString(),
});

function assertOperator(actor: Actor) {
  if (!canOnboardOrganizations(actor)) throw new AppError("FORBIDDEN", "Only operators can manage organizations.");
}

/** Creates the organization and invites its first Partner Manager, in one batch with audit and mail. */
export async function onboardOrganization(deps: Deps, actor: Actor, input: z.infer<typeof OnboardInput>) {
  assertOperator(actor);
  const email = normalizeEmail(input.manager.email);
  // A partner that names a manager is refused whatever D1 holds; the read words the whole answer (with the email's field too).
  if (input.managedBy && input.kind !== "customer") throw (await onboardingRefusal(deps, input, email))!;

  const now = deps.now();
  const org = {
    id: newId(),
    name: input.name,
    kind: input.kind,
    channelPartner: input.kind === "partner" && (input.channelPartner ?? false),
    managedBy: input.managedBy ?? null,
    createdAt: now,
    updatedAt: now,
  };
  const user = { id: newId(), orgId: org.id, email, name: input.manager.name, role: "partner_manager" as const, status: "invited" as const, createdAt: now, updatedAt: now };
  const invite = await invitationStatements(deps, user, org.name, actor);
  try {
    const [[createdOrg], [createdUser]] = await deps.db.batch([
      deps.db.insert(organizations).values(org).returning(),
      deps.db.insert(users).values(user).returning(),
      ...invite.statements,
      auditInsert(deps, { actorId: actor.id, orgId: org.id, action: "organization.created", targetType: "organization", targetId: org.id, after: toPublicOrg({ ...org, status: "active" }) }),
      auditInsert(deps, { actorId: actor.id, orgId: org.id, action: "user.invited", targetType: "user", targetId: user.id, after: { email, role: user.role } }),
      // The managing organization is checked at commit time, not read first (issue 9: two round trips);
      // a taken email fails the insert on users_email_unique.
      ...(input.managedBy ? [guardNot(deps.db, sql`NOT EXISTS (SELECT 1 FROM ${organizations} WHERE ${managingPartner(input.managedBy)})`)] : []),
    ]);
    deliverSoon(deps, [invite.mailId]);
    return { org: toPublicOrg(createdOrg!), user: toPublicUser(createdUser!) };
  } catch (e) {
    if (isGuardAbort(e) || isUniqueViolation(e)) {
      const refusal = await onboardingRefusal(deps, input, email);
      // Nothing wrong any more: the account or the partner changed meanwhile.
      if (refusal) throw refusal;
      if (isUniqueViolation(e)) throw validationError({ "manager.email": "This email address already belongs to an account." });
      throw new AppError("CONFLICT", "The organization could not be created because the data changed meanwhile. Reload and try again.");
    }
    throw e;
  }
}

const managingPartner = (id: string) => and(eq(organizations.id, id), eq(organizations.kind, "partner"));

/** Why onboarding is refused (422 with every field at fault), read from D1; null when nothing is wrong. */
async function onboardingRefusal(deps: Deps, input: z.infer<typeof OnboardInput>, email: string) {
  const [[taken], [manager]] = await deps.db.batch([
    deps.db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1),
    deps.db.select({ id: organizations.id }).from(organizations).where(managingPartner(input.managedBy ?? "")),
  ]);
  const fields: Record<string, string> = {};
  if (taken) fields["manager.email"] = "This email address already belongs to an account.";
  if (input.managedBy && (input.kind !== "customer" || !manager)) fields.managedBy = "Choose an existing partner organization (customers only).";
  return Object.keys(fields).length ? validationError(fields) : null;
}

export async function listOrganizations(deps: Deps, actor: Actor, input: z.infer<typeof ListOrgsInput>) {
  assertOperator(actor);
  const where = input.q ? or(like(organizations.name, `%${input.q}%`)) : undefined;
  const [rows, [total]] = await deps.db.batch([
    deps.db.select().from(organizations).where(where).orderBy(asc(organizations.kind), asc(organizations.name)).limit(input.pageSize).offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(organizations).where(where),
  ]);
  return { items: rows.map(toPublicOrg), page: pageOf(input, total) };
}

export async function updateOrganization(deps: Deps, actor: Actor, id: string, input: z.infer<typeof UpdateOrgInput>) {
  assertOperator(actor);
  // A customer's form sends channelPartner=false; it is not a change, so it is dropped rather than refused.
  const { channelPartner, ...rest } = input;
  const named = Object.keys(rest).length > 0;
  // Nothing to change whatever the organization: the read words the answer (404 comes before 422).
  if (!named && channelPartner === undefined) throw (await organizationRefusal(deps, id, input))!;
  // The checks of organizationRefusal, as the update's WHERE: a compare-and-swap with no read first (issue 9).
  const scope = and(
    eq(organizations.id, id),
    ne(organizations.kind, "vendor"),
    ne(organizations.status, "terminated"),
    // Becoming a channel partner, or a change of channelPartner alone, needs a partner organization.
    channelPartner === true || !named ? eq(organizations.kind, "partner") : undefined,
  )!;
  const isPartner = sql`${organizations.kind} = 'partner'`;
  const channelAfter = channelPartner === undefined ? organizations.channelPartner : sql`CASE WHEN ${isPartner} THEN ${channelPartner ? 1 : 0} ELSE ${organizations.channelPartner} END`;
  const publicOrg = (o: { name?: string; status?: string; channelPartner: SQL | typeof organizations.channelPartner }) =>
    jsonObject({
      id: organizations.id,
      name: o.name ?? organizations.name,
      kind: organizations.kind,
      channelPartner: jsonBool(o.channelPartner),
      managedBy: organizations.managedBy,
      status: o.status ?? organizations.status,
      createdAt: jsonIso(organizations.createdAt),
    });
  const now = deps.now();
  try {
    const [, updated] = await deps.db.batch([
      // Ahead of the update, so 'before' is the row as it was.
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: id,
          action: input.status === "terminated" ? "organization.terminated" : "organization.updated",
          targetType: "organization",
          targetId: id,
          before: publicOrg({ channelPartner: organizations.channelPartner }),
          after: publicOrg({ name: rest.name, status: rest.status, channelPartner: channelAfter }),
        },
        sql`FROM ${organizations} WHERE ${scope}`,
      ),
      deps.db
        .update(organizations)
        .set({ ...rest, ...(channelPartner === undefined ? {} : { channelPartner: sql`${channelAfter}` }), updatedAt: now })
        .where(scope)
        .returning(),
      guardChanged(deps.db),
      // F-64: leaving the channel program or terminating ends the grants it held (or gave) in this transaction.
      ...endGrantsStatements(deps, or(eq(partnerGrants.partnerOrgId, id), eq(partnerGrants.customerOrgId, id))!),
    ]);
    return { org: toPublicOrg(updated[0]!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    throw (await organizationRefusal(deps, id, input)) ?? new AppError("CONFLICT", "This organization was changed meanwhile. Reload and try again.");
  }
}

/** Why an update is refused (404, 409 or 422), read from D1; null when it would be allowed. */
async function organizationRefusal(deps: Deps, id: string, input: z.infer<typeof UpdateOrgInput>) {
  const [before] = await deps.db.select().from(organizations).where(eq(organizations.id, id));
  if (!before || before.kind === "vendor") return new AppError("NOT_FOUND", "Organization not found.");
  if (before.status === "terminated") return new AppError("CONFLICT", "This organization is terminated and can no longer be changed.");
  if (input.channelPartner && before.kind !== "partner") return validationError({ channelPartner: "Only partner organizations can be channel partners." });
  const { channelPartner, ...rest } = input;
  const changes = { ...rest, ...(before.kind === "partner" && channelPartner !== undefined ? { channelPartner } : {}) };
  if (!Object.keys(changes).length) return validationError({ body: "Send at least one of name, channelPartner or status." });
  return null;
}

/** One organization and its accounts, for the operators' detail page. */
export async function getOrganization(deps: Deps, actor: Actor, id: string) {
  assertOperator(actor);
  const [[org], members] = await deps.db.batch([
    deps.db.select().from(organizations).where(eq(organizations.id, id)),
    deps.db.select(publicUserColumns).from(users).where(eq(users.orgId, id)).orderBy(asc(users.name)),
  ]);
  if (!org) throw new AppError("NOT_FOUND", "Organization not found.");
  return { org: toPublicOrg(org), users: members.map(toPublicUser) };
}

