// F-31/F-32: the services of a company (EUL users, Team VMRs, endpoint
// subscriptions, domain hosting) and its handout. One set of functions for
// every kind in SERVICE_KINDS; each kind is guarded by its own F-11 cell, and a
// service is only ever reached through a company of the actor's organization.
import { and, asc, count, eq, inArray, not, sql, type SQL } from "drizzle-orm";
import type * as z from "../lib/zod";
import type { Db } from "../db/client";
import { companyServices, organizations } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { SERVICE_INPUTS, SERVICE_KIND_KEYS, SERVICE_KINDS, type ServiceKind } from "../domain/company-services";
import { normalizeEmail } from "../domain/email";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { toCsv } from "../lib/csv";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { jsonObject } from "../lib/sql-json";
import { auditInsert, auditInsertSelect } from "./audit";
import { plansQueries, plansResult } from "./license-plans";
import {
  assertCompanyActive,
  assertCompanyPermission,
  assertViewCompanies,
  companyNotFound,
  ownActiveCompany,
  ownCompanies,
  ownCompanyQuery,
  toPublicCompany,
} from "./companies";

export type ServiceInput<K extends ServiceKind = ServiceKind> = { [P in K]: z.infer<(typeof SERVICE_INPUTS)[P]> }[K];
type ServiceRow = typeof companyServices.$inferSelect;

export const toPublicService = (s: ServiceRow) => ({
  id: s.id,
  companyId: s.companyId,
  kind: s.kind,
  name: s.name,
  email: s.email,
  status: s.status,
  createdAt: new Date(s.createdAt).toISOString(),
  endedAt: s.endedAt === null ? null : new Date(s.endedAt).toISOString(),
});
export type PublicService = ReturnType<typeof toPublicService>;
export type ServicesByKind = Record<ServiceKind, PublicService[]>;

const groupByKind = (rows: ServiceRow[]): ServicesByKind => {
  const grouped = Object.fromEntries(SERVICE_KIND_KEYS.map((k) => [k, [] as PublicService[]])) as ServicesByKind;
  for (const row of rows) grouped[row.kind].push(toPublicService(row));
  return grouped;
};

/**
 * The stored columns of an add form, and the form field that carries its
 * identity: an EUL user is one per email, a domain one per name, a VMR or an
 * endpoint one per name (all case-insensitive, among the active ones).
 */
function serviceFields(kind: ServiceKind, input: ServiceInput) {
  if (kind === "eul_user" && "email" in input) return { name: input.name, email: normalizeEmail(input.email), field: "email" as const };
  if (kind === "domain" && "domain" in input) return { name: input.domain, email: null, field: "domain" as const };
  if ((kind === "team_vmr" || kind === "endpoint") && "name" in input && !("email" in input)) return { name: input.name, email: null, field: "name" as const };
  throw validationError({ body: `These fields do not describe a ${SERVICE_KINDS[kind].label}.` });
}

const sameService = (companyId: string, kind: ServiceKind, fields: { name: string; email: string | null }) =>
  and(
    eq(companyServices.companyId, companyId),
    eq(companyServices.kind, kind),
    eq(companyServices.status, "active"),
    fields.email !== null ? sql`lower(${companyServices.email}) = lower(${fields.email})` : sql`lower(${companyServices.name}) = lower(${fields.name})`,
  );

const DUPLICATE_MESSAGES = {
  email: "This company already has an active EUL user with this email address.",
  domain: "This company already hosts this domain.",
  name: "This company already has an active one with this name.",
} as const;

/** The services query of one company, scoped by a sub-select of the actor's companies. */
const servicesOf = (db: Db, actor: Actor, companyId: string, where?: SQL) =>
  db
    .select()
    .from(companyServices)
    .where(and(eq(companyServices.companyId, companyId), inArray(companyServices.companyId, db.select({ id: organizations.id }).from(organizations).where(ownCompanies(actor))), where))
    .orderBy(asc(companyServices.kind), asc(companyServices.status), sql`lower(${companyServices.name})`, asc(companyServices.id));

/** One company with every service it has had (active first), for its page and GET /companies/:id. */
export async function getCompany(deps: Deps, actor: Actor, companyId: string) {
  assertViewCompanies(actor);
  const [[company], rows] = await deps.db.batch([ownCompanyQuery(deps.db, actor, companyId), servicesOf(deps.db, actor, companyId)]);
  if (!company) throw companyNotFound();
  return { company: toPublicCompany(company), services: groupByKind(rows) };
}

/** The company page: the company, its services and its plans, in one round trip. */
export async function companyPage(deps: Deps, actor: Actor, companyId: string) {
  assertViewCompanies(actor);
  const [[company], rows, planRows, [planTotal]] = await deps.db.batch([
    ownCompanyQuery(deps.db, actor, companyId),
    servicesOf(deps.db, actor, companyId),
    ...plansQueries(deps.db, actor, companyId),
  ]);
  if (!company) throw companyNotFound();
  return { company: toPublicCompany(company), services: groupByKind(rows), plans: plansResult(actor, planRows, planTotal) };
}

/** The services of one kind of a company, active and ended. */
export async function listServices(deps: Deps, actor: Actor, companyId: string, kind: ServiceKind) {
  assertViewCompanies(actor);
  const [[company], rows] = await deps.db.batch([ownCompanyQuery(deps.db, actor, companyId), servicesOf(deps.db, actor, companyId, eq(companyServices.kind, kind))]);
  if (!company) throw companyNotFound();
  return { items: rows.map(toPublicService) };
}

/** F-31: add an EUL user, Team VMR, endpoint subscription or hosted domain to an active company. */
export async function addService<K extends ServiceKind>(deps: Deps, actor: Actor, companyId: string, kind: K, input: ServiceInput<K>) {
  const { item } = await add(deps, actor, companyId, kind, input, false);
  return { item };
}

/** addService, answering also every service of that kind of the company (for the page's section), read in the same batch. */
export async function addServiceWithList<K extends ServiceKind>(deps: Deps, actor: Actor, companyId: string, kind: K, input: ServiceInput<K>) {
  const { item, items } = await add(deps, actor, companyId, kind, input, true);
  return { item, items: items! };
}

async function add<K extends ServiceKind>(deps: Deps, actor: Actor, companyId: string, kind: K, input: ServiceInput<K>, withList: boolean) {
  assertCompanyPermission(actor, SERVICE_KINDS[kind].permission);
  const fields = serviceFields(kind, input);
  const check = async () => {
    const [[company], [duplicate]] = await deps.db.batch([
      ownCompanyQuery(deps.db, actor, companyId),
      deps.db.select({ id: companyServices.id }).from(companyServices).where(sameService(companyId, kind, fields)).limit(1),
    ]);
    if (!company) throw companyNotFound();
    assertCompanyActive(company);
    if (duplicate) throw validationError({ [fields.field]: DUPLICATE_MESSAGES[fields.field] });
  };
  const now = deps.now();
  const row = { id: newId(), companyId, kind, name: fields.name, email: fields.email, status: "active" as const, createdAt: now, endedAt: null };
  const write = [
    deps.db.insert(companyServices).values(row).returning(),
    // No read first: both checked at commit time, an active company of ours and no active duplicate.
    guardNot(deps.db, not(ownActiveCompany(deps.db, actor, companyId))),
    guardNot(deps.db, sql`(${deps.db.select({ n: count() }).from(companyServices).where(sameService(companyId, kind, fields))}) > 1`),
    auditInsert(deps, {
      actorId: actor.id,
      orgId: actor.orgId,
      action: "company_service.added",
      targetType: "company_service",
      targetId: row.id,
      after: { companyId, kind, name: row.name, ...(row.email !== null ? { email: row.email } : {}) },
    }),
  ] as const;
  try {
    if (!withList) {
      const [[created]] = await deps.db.batch(write);
      return { item: toPublicService(created!) };
    }
    // The list is read after the writes, so it holds the new service.
    const [[created], , , , rows] = await deps.db.batch([...write, servicesOf(deps.db, actor, companyId, eq(companyServices.kind, kind))]);
    return { item: toPublicService(created!), items: rows.map(toPublicService) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Say which rule refused it: no such company (404), terminated (409), a duplicate (422); else a concurrent change.
    await check();
    throw new AppError("CONFLICT", "This company was changed meanwhile. Reload and try again.");
  }
}

/**
 * F-31: disable an EUL user or endpoint, deactivate a Team VMR, terminate a
 * domain. The item is found only under the given company of the actor's
 * organization and of the given kind, so an id from elsewhere is 404.
 */
export async function endService(deps: Deps, actor: Actor, companyId: string, kind: ServiceKind, itemId: string) {
  const meta = SERVICE_KINDS[kind];
  assertCompanyPermission(actor, meta.permission);
  const check = async () => {
    const [found] = await deps.db
      .select({ service: companyServices, companyStatus: organizations.status })
      .from(companyServices)
      .innerJoin(organizations, and(eq(organizations.id, companyServices.companyId), ownCompanies(actor)))
      .where(and(eq(companyServices.id, itemId), eq(companyServices.companyId, companyId), eq(companyServices.kind, kind)))
      .limit(1);
    if (!found) throw new AppError("NOT_FOUND", `${meta.label} not found.`);
    assertCompanyActive({ status: found.companyStatus });
    if (found.service.status !== "active") throw new AppError("CONFLICT", `This ${meta.label} is already ${meta.ended.toLowerCase()}.`);
    return found.service;
  };
  const now = deps.now();
  // The item of this kind under this company, the company active and ours, the item still active.
  const target = and(
    eq(companyServices.id, itemId),
    eq(companyServices.companyId, companyId),
    eq(companyServices.kind, kind),
    eq(companyServices.status, "active"),
    ownActiveCompany(deps.db, actor, companyServices.companyId),
  );
  try {
    // No read first: the audit row reads the item's name in the batch, ahead of the change.
    const [, [after]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "company_service.ended",
          targetType: "company_service",
          targetId: itemId,
          before: jsonObject({ companyId, kind, name: companyServices.name, status: "active" }),
          after: { status: "ended", verb: meta.endVerb },
        },
        sql`FROM ${companyServices} WHERE ${target}`,
      ),
      deps.db.update(companyServices).set({ status: "ended", endedAt: now }).where(target).returning(),
      guardChanged(deps.db),
    ]);
    return { item: toPublicService(after!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Say which rule refused it: not found (404), company terminated or item already ended (409); else a concurrent change.
    await check();
    throw new AppError("CONFLICT", "This service was changed meanwhile. Reload and try again.");
  }
}

// ---------------------------------------------------------------------------
// F-32 handouts: what a company has, to hand to the customer.

/** The company's active services grouped by kind. */
export async function getHandout(deps: Deps, actor: Actor, companyId: string) {
  assertCompanyPermission(actor, "exportHandouts");
  const [[company], rows] = await deps.db.batch([ownCompanyQuery(deps.db, actor, companyId), servicesOf(deps.db, actor, companyId, eq(companyServices.status, "active"))]);
  if (!company) throw companyNotFound();
  const grouped = groupByKind(rows);
  const services = Object.fromEntries(
    SERVICE_KIND_KEYS.map((k) => [k, grouped[k].map((s) => ({ id: s.id, name: s.name, email: s.email, since: s.createdAt }))]),
  ) as Record<ServiceKind, { id: string; name: string; email: string | null; since: string }[]>;
  return { company: { id: company.id, name: company.name, status: company.status }, generatedAt: new Date(deps.now()).toISOString(), services };
}
export type Handout = Awaited<ReturnType<typeof getHandout>>;

export const HANDOUT_CSV_HEADER = ["kind", "name", "email", "status", "since"];

export function handoutCsv(handout: Handout) {
  const rows = SERVICE_KIND_KEYS.flatMap((k) => handout.services[k].map((s) => [SERVICE_KINDS[k].label, s.name, s.email ?? "", "active", s.since]));
  return toCsv(HANDOUT_CSV_HEADER, rows);
}

export const handoutFilename = (handout: Handout) => `handout-${handout.company.name}-${handout.generatedAt.slice(0, 10)}.csv`;
