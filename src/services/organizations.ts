// F-02 onboarding and organization upkeep, for operators.
import { and, asc, count, eq, like, or } from "drizzle-orm";
import * as z from "zod";
import { organizations, partnerGrants, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { emailSchema, normalizeEmail } from "../domain/email";
import { canOnboardOrganizations } from "../domain/roles";
import { isUniqueViolation } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { auditInsert } from "./audit";
import { invitationStatements } from "./invitations";
import { endGrantsStatements } from "./partner-access-sweep";
import { deliverSoon } from "./outbox";
import { toPublicUser } from "./user-shape";

const name = z.string().trim().min(1, "Enter a name.").max(120, "Use at most 120 characters.");

export const OnboardInput = z.strictObject({
  name,
  kind: z.enum(["partner", "customer"], { error: "Choose partner or customer." }),
  channelPartner: z.boolean().optional(),
  managedBy: z.string().min(1, "Choose an existing partner organization (customers only).").max(40).optional(),
  manager: z.strictObject({
    email: emailSchema,
    name: z.string().trim().min(1, "Enter the manager's name.").max(120),
  }),
});

export const UpdateOrgInput = z.strictObject({
  name: name.optional(),
  channelPartner: z.boolean().optional(),
  status: z.literal("terminated").optional(),
});

export const ListOrgsInput = z.object({
  q: z.string().trim().max(120).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
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
  const [[taken], [manager]] = await deps.db.batch([
    deps.db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1),
    deps.db
      .select({ id: organizations.id })
      .from(organizations)
      .where(and(eq(organizations.id, input.managedBy ?? ""), eq(organizations.kind, "partner"))),
  ]);
  const fields: Record<string, string> = {};
  if (taken) fields["manager.email"] = "This email address already belongs to an account.";
  if (input.managedBy && (input.kind !== "customer" || !manager)) fields.managedBy = "Choose an existing partner organization (customers only).";
  if (Object.keys(fields).length) throw validationError(fields);

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
    ]);
    deliverSoon(deps, [invite.mailId]);
    return { org: toPublicOrg(createdOrg!), user: toPublicUser(createdUser!) };
  } catch (e) {
    if (isUniqueViolation(e)) throw validationError({ "manager.email": "This email address already belongs to an account." });
    throw e;
  }
}

export async function listOrganizations(deps: Deps, actor: Actor, input: z.infer<typeof ListOrgsInput>) {
  assertOperator(actor);
  const where = input.q ? or(like(organizations.name, `%${input.q}%`)) : undefined;
  const [rows, [total]] = await deps.db.batch([
    deps.db.select().from(organizations).where(where).orderBy(asc(organizations.kind), asc(organizations.name)).limit(input.pageSize).offset((input.page - 1) * input.pageSize),
    deps.db.select({ n: count() }).from(organizations).where(where),
  ]);
  return { items: rows.map(toPublicOrg), page: { number: input.page, size: input.pageSize, total: total?.n ?? 0 } };
}

export async function updateOrganization(deps: Deps, actor: Actor, id: string, input: z.infer<typeof UpdateOrgInput>) {
  assertOperator(actor);
  const [before] = await deps.db.select().from(organizations).where(eq(organizations.id, id));
  if (!before || before.kind === "vendor") throw new AppError("NOT_FOUND", "Organization not found.");
  if (before.status === "terminated") throw new AppError("CONFLICT", "This organization is terminated and can no longer be changed.");
  if (input.channelPartner && before.kind !== "partner") throw validationError({ channelPartner: "Only partner organizations can be channel partners." });
  // A customer's form sends channelPartner=false; it is not a change, so it is dropped rather than refused.
  const { channelPartner, ...rest } = input;
  const changes = { ...rest, ...(before.kind === "partner" && channelPartner !== undefined ? { channelPartner } : {}) };
  if (!Object.keys(changes).length) throw validationError({ body: "Send at least one of name, channelPartner or status." });
  const now = deps.now();
  const [[after]] = await deps.db.batch([
    deps.db.update(organizations).set({ ...changes, updatedAt: now }).where(eq(organizations.id, id)).returning(),
    // F-64: leaving the channel program or terminating ends the grants it held (or gave) in this transaction.
    ...endGrantsStatements(deps, or(eq(partnerGrants.partnerOrgId, id), eq(partnerGrants.customerOrgId, id))!),
    auditInsert(deps, {
      actorId: actor.id,
      orgId: id,
      action: input.status === "terminated" ? "organization.terminated" : "organization.updated",
      targetType: "organization",
      targetId: id,
      before: toPublicOrg(before),
      after: { ...toPublicOrg(before), ...changes },
    }),
  ]);
  return { org: toPublicOrg(after!) };
}

/** One organization and its accounts, for the operators' detail page. */
export async function getOrganization(deps: Deps, actor: Actor, id: string) {
  assertOperator(actor);
  const [[org], members] = await deps.db.batch([
    deps.db.select().from(organizations).where(eq(organizations.id, id)),
    deps.db.select().from(users).where(eq(users.orgId, id)).orderBy(asc(users.name)),
  ]);
  if (!org) throw new AppError("NOT_FOUND", "Organization not found.");
  return { org: toPublicOrg(org), users: members.map(toPublicUser) };
}

