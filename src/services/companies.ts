// F-30 companies of a partner organization. A company is a customer
// organization whose managed_by is the partner (product.md), so every query
// here carries `kind = 'customer' AND managed_by = <actor's org>`: a company of
// another partner is never loaded, and answers 404 like one that does not exist.
import { and, asc, count, eq, exists, ne, sql, type AnyColumn, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import { organizations } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { canViewCompanies } from "../domain/companies";
import { SERVICE_KIND_KEYS, type ServiceKind } from "../domain/company-services";
import { can, PORTAL_PERMISSIONS, type PortalPermission } from "../domain/roles";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { jsonObject } from "../lib/sql-json";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { auditInsert, auditInsertSelect } from "./audit";

const companyName = z.string({ error: "Enter a name." }).check(z.trim(), z.minLength(1, "Enter a name."), z.maxLength(120, "Use at most 120 characters."));

export const CompanyInput = z.strictObject({ name: companyName });
export type CompanyInput = z.infer<typeof CompanyInput>;

export const ListCompaniesInput = z.object({
  q: z.optional(z.string().check(z.trim(), z.maxLength(120, "Use at most 120 characters."))),
  status: z.optional(z.enum(["active", "terminated"], { error: "Choose active or terminated." })),
  ...pageFields({ size: 25 }),
});
export type ListCompaniesInput = z.infer<typeof ListCompaniesInput>;

export type CompanyRow = typeof organizations.$inferSelect;

export const toPublicCompany = (o: CompanyRow) => ({
  id: o.id,
  name: o.name,
  status: o.status,
  createdAt: new Date(o.createdAt).toISOString(),
  updatedAt: new Date(o.updatedAt).toISOString(),
});
export type PublicCompany = ReturnType<typeof toPublicCompany>;

// ---------------------------------------------------------------------------
// Authorization and tenant scope, shared by services, plans and handouts.

const notPartner = () => new AppError("FORBIDDEN", "Companies belong to partner organizations; your account has none.");

/** Seeing companies, their services and plans: every portal role of a partner organization. */
export function assertViewCompanies(actor: Actor) {
  if (!canViewCompanies(actor)) throw notPartner();
}

/** An F-11 matrix cell; deny unless the actor's role is listed for it. */
export function assertCompanyPermission(actor: Actor, permission: PortalPermission) {
  assertViewCompanies(actor);
  if (!can(actor, permission)) throw new AppError("FORBIDDEN", `Your role does not allow this: ${PORTAL_PERMISSIONS[permission].label}.`);
}

/** The tenant scope: customer organizations managed by the actor's organization. */
export const ownCompanies = (actor: Actor): SQL => and(eq(organizations.kind, "customer"), eq(organizations.managedBy, actor.orgId))!;

/** True when `companyId` is an active company of the actor's organization, evaluated at commit time inside a batch. */
export const ownActiveCompany = (db: Db, actor: Actor, companyId: string | SQL | AnyColumn) =>
  exists(
    db
      .select({ one: sql`1` })
      .from(organizations)
      .where(and(sql`${organizations.id} = ${companyId}`, ownCompanies(actor), eq(organizations.status, "active"))),
  );

/** The company query of one id within the actor's organization. */
export const ownCompanyQuery = (db: Db, actor: Actor, id: string) => db.select().from(organizations).where(and(eq(organizations.id, id), ownCompanies(actor))).limit(1);

export const companyNotFound = () => new AppError("NOT_FOUND", "Company not found.");

export async function findOwnCompany(deps: Deps, actor: Actor, id: string): Promise<CompanyRow> {
  const [company] = await ownCompanyQuery(deps.db, actor, id);
  if (!company) throw companyNotFound();
  return company;
}

export function assertCompanyActive(company: Pick<CompanyRow, "status">) {
  if (company.status !== "active") throw new AppError("CONFLICT", "This company is terminated and can no longer be changed.");
}

// ---------------------------------------------------------------------------
// Names are unique among the organization's active companies, case-insensitively.

const sameName = (actor: Actor, name: string) => and(ownCompanies(actor), eq(organizations.status, "active"), sql`lower(${organizations.name}) = lower(${name})`);
const nameTaken = () => validationError({ name: "Your organization already has an active company with this name." });

async function assertNameFree(deps: Deps, actor: Actor, name: string, exceptId?: string) {
  const [taken] = await deps.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(sameName(actor, name), exceptId ? ne(organizations.id, exceptId) : undefined))
    .limit(1);
  if (taken) throw nameTaken();
}

/** Aborts the batch when, after its insert or rename, two active companies share the name (a concurrent add won). */
const guardUniqueName = (db: Db, actor: Actor, name: string) =>
  guardNot(db, sql`(${db.select({ n: count() }).from(organizations).where(sameName(actor, name))}) > 1`);

// ---------------------------------------------------------------------------
// Use cases.

const activeCountColumns = () =>
  Object.fromEntries(
    SERVICE_KIND_KEYS.map((kind) => [
      kind,
      // Written out qualified: drizzle renders a column of the only table in a select unqualified, and inside the
      // sub-select a bare "id" would be company_services.id.
      sql<number>`(SELECT count(*) FROM "company_services" AS cs WHERE cs."company_id" = "organizations"."id" AND cs."kind" = ${kind} AND cs."status" = 'active')`.as(`active_${kind}`),
    ]),
  ) as Record<ServiceKind, SQL.Aliased<number>>;

/** Companies as rows of the list: the company with how many services of each kind are active. */
const listItems = (db: Db) =>
  db
    .select({ id: organizations.id, name: organizations.name, status: organizations.status, createdAt: organizations.createdAt, updatedAt: organizations.updatedAt, ...activeCountColumns() })
    .from(organizations);

const toListItem = (r: Awaited<ReturnType<typeof listItems>>[number]) => {
  const activeServices = Object.fromEntries(SERVICE_KIND_KEYS.map((k) => [k, Number(r[k])])) as Record<ServiceKind, number>;
  return {
    ...toPublicCompany(r as unknown as CompanyRow),
    activeServices,
    activeServicesTotal: SERVICE_KIND_KEYS.reduce((sum, k) => sum + activeServices[k], 0),
  };
};

/** The organization's companies, active first, by name, with how many services of each kind are active. */
export async function listCompanies(deps: Deps, actor: Actor, input: ListCompaniesInput) {
  assertViewCompanies(actor);
  const where = and(ownCompanies(actor), input.q ? contains(organizations.name, input.q) : undefined, input.status ? eq(organizations.status, input.status) : undefined);
  const [rows, [total]] = await deps.db.batch([
    listItems(deps.db)
      .where(where)
      .orderBy(asc(organizations.status), sql`lower(${organizations.name})`, asc(organizations.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(organizations).where(where),
  ]);
  return { items: rows.map(toListItem), page: pageOf(input, total) };
}
export type CompanyListItem = Awaited<ReturnType<typeof listCompanies>>["items"][number];

/** F-30: a new company (customer organization) managed by the actor's organization. */
export async function addCompany(deps: Deps, actor: Actor, input: CompanyInput) {
  assertCompanyPermission(actor, "manageCompanies");
  // No read first: the guard after the insert finds a second active company of the same name.
  const now = deps.now();
  const row = { id: newId(), name: input.name, kind: "customer" as const, channelPartner: false, managedBy: actor.orgId, status: "active" as const, createdAt: now, updatedAt: now };
  try {
    const [[created]] = await deps.db.batch([
      deps.db.insert(organizations).values(row).returning(),
      guardUniqueName(deps.db, actor, input.name),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "company.created", targetType: "company", targetId: row.id, after: toPublicCompany(row) }),
    ]);
    return { company: toPublicCompany(created!) };
  } catch (e) {
    if (isGuardAbort(e)) throw nameTaken();
    throw e;
  }
}

/** F-30: rename a company; a terminated one stays as it was (409). */
export async function editCompany(deps: Deps, actor: Actor, id: string, input: CompanyInput) {
  assertCompanyPermission(actor, "manageCompanies");
  const check = async () => {
    const before = await findOwnCompany(deps, actor, id);
    assertCompanyActive(before);
    await assertNameFree(deps, actor, input.name, id);
    return before;
  };
  const now = deps.now();
  const target = and(eq(organizations.id, id), ownCompanies(actor), eq(organizations.status, "active"));
  try {
    // No read first: the audit row reads the old name in the batch, the guards refuse a missing,
    // foreign or terminated company and a name already taken.
    const [, [after]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        { actorId: actor.id, orgId: actor.orgId, action: "company.updated", targetType: "company", targetId: id, before: jsonObject({ name: organizations.name }), after: { name: input.name } },
        sql`FROM ${organizations} WHERE ${target}`,
      ),
      deps.db.update(organizations).set({ name: input.name, updatedAt: now }).where(target).returning(),
      guardChanged(deps.db),
      guardUniqueName(deps.db, actor, input.name),
    ]);
    return { company: toPublicCompany(after!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Say which rule refused it: not found, terminated, or the name is taken; else a concurrent change.
    await check();
    throw new AppError("CONFLICT", "This company was changed meanwhile. Reload and try again.");
  }
}

/**
 * F-30: terminate a company. Compare-and-swap on status, so a second request
 * (or a concurrent one) answers 409 instead of auditing twice. Its services
 * stay listed as they are; nothing about the company can change afterwards.
 */
export async function terminateCompany(deps: Deps, actor: Actor, id: string) {
  const { company } = await terminate(deps, actor, id, false);
  return { company };
}

/** terminateCompany, answering also the company's row of the list (for the page), read in the same batch. */
export async function terminateCompanyWithListItem(deps: Deps, actor: Actor, id: string) {
  const { company, item } = await terminate(deps, actor, id, true);
  return { company, item: item! };
}

async function terminate(deps: Deps, actor: Actor, id: string, withListItem: boolean) {
  assertCompanyPermission(actor, "manageCompanies");
  const already = () => new AppError("CONFLICT", "This company is already terminated.");
  const now = deps.now();
  const write = [
    deps.db
      .update(organizations)
      .set({ status: "terminated", updatedAt: now })
      .where(and(eq(organizations.id, id), ownCompanies(actor), eq(organizations.status, "active")))
      .returning(),
    guardChanged(deps.db),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "company.terminated", targetType: "company", targetId: id, before: { status: "active" }, after: { status: "terminated" } }),
  ] as const;
  try {
    if (!withListItem) {
      const [[after]] = await deps.db.batch(write);
      return { company: toPublicCompany(after!) };
    }
    // The list row is read after the writes, so it shows the company terminated.
    const [[after], , , [row]] = await deps.db.batch([...write, listItems(deps.db).where(and(eq(organizations.id, id), ownCompanies(actor))).limit(1)]);
    return { company: toPublicCompany(after!), item: toListItem(row!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Not ours or missing (404), or terminated already, by an earlier or a concurrent request (409).
    await findOwnCompany(deps, actor, id);
    throw already();
  }
}
