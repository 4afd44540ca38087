// F-33 license plans of a company. Everyone in the partner organization sees
// which plans a company has; prices, ordering, editing and renewals are for
// Purchasers only (F-15). For anyone else the price fields are left out of the
// answer itself, not merely hidden by a page.
import { and, asc, count, eq, inArray, not, sql, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import { companyPlans, organizations } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { addMonths, addTermSql, canPurchase, catalogEntry, formatMoney, MAX_SEATS, PLAN_CATALOG, PLAN_KEYS, planTotalCents, termMonthsOf, type PlanKey } from "../domain/license-plans";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { jsonBool, jsonIso, jsonObject } from "../lib/sql-json";
import { planOrderMail } from "../../views/mail/templates";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { auditInsert, auditInsertSelect } from "./audit";
import { assertCompanyActive, assertViewCompanies, companyNotFound, ownActiveCompany, ownCompanies, ownCompanyQuery } from "./companies";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";

const seats = z
  .number({ error: "Enter the number of seats." })
  .check(
    z.int("Enter a whole number of seats."),
    z.minimum(1, "Order at least 1 seat."),
    z.maximum(MAX_SEATS, `At most ${MAX_SEATS.toLocaleString("en")} seats.`),
  );

export const OrderPlanInput = z.strictObject({
  plan: z.enum(PLAN_KEYS as [PlanKey, ...PlanKey[]], { error: "Choose a plan from the catalog." }),
  seats,
});
export type OrderPlanInput = z.infer<typeof OrderPlanInput>;

export const UpdatePlanInput = z
  .strictObject({ seats: z.optional(seats), autoRenew: z.optional(z.boolean({ error: "Send true or false." })) })
  .check(z.refine((v) => v.seats !== undefined || v.autoRenew !== undefined, { error: "Send seats, autoRenew or both." }));
export type UpdatePlanInput = z.infer<typeof UpdatePlanInput>;

export const ListPlansInput = z.object({
  ...pageFields({ size: 25 }),
});

type PlanRow = typeof companyPlans.$inferSelect;


/** The plan as this actor may see it: without any price field unless they are a Purchaser. */
export function toPublicPlan(p: PlanRow, withPrices: boolean) {
  const base = {
    id: p.id,
    companyId: p.companyId,
    plan: p.plan,
    label: catalogEntry(p.plan)?.label ?? p.plan,
    termMonths: termMonthsOf(p.plan),
    seats: p.seats,
    autoRenew: p.autoRenew,
    status: p.status,
    startsAt: new Date(p.startsAt).toISOString(),
    renewsAt: new Date(p.renewsAt).toISOString(),
    createdAt: new Date(p.createdAt).toISOString(),
    updatedAt: new Date(p.updatedAt).toISOString(),
  };
  if (!withPrices) return base;
  return { ...base, unitPriceCents: p.unitPriceCents, currency: p.currency, totalCents: planTotalCents(p) };
}
export type PublicPlan = ReturnType<typeof toPublicPlan> & Partial<{ unitPriceCents: number; currency: string; totalCents: number }>;

/** The catalog, priced only for Purchasers. */
export function planCatalog(actor: Actor) {
  const withPrices = canPurchase(actor);
  return PLAN_KEYS.map((key) => {
    const { label, termMonths, unitPriceCents, currency } = PLAN_CATALOG[key];
    return withPrices ? { key, label, termMonths, unitPriceCents, currency } : { key, label, termMonths };
  });
}
export type CatalogEntry = ReturnType<typeof planCatalog>[number] & Partial<{ unitPriceCents: number; currency: string }>;

function assertPurchaser(actor: Actor) {
  assertViewCompanies(actor);
  if (!canPurchase(actor)) throw new AppError("FORBIDDEN", "Only Purchasers can order, edit or renew license plans.");
}

/** Plans of the actor's companies only: a sub-select carries the tenant scope. */
const ownCompanyIds = (db: Db, actor: Actor) => db.select({ id: organizations.id }).from(organizations).where(ownCompanies(actor));

type ListPlans = z.infer<typeof ListPlansInput>;
const ALL_PLANS: ListPlans = { page: 1, pageSize: 100 };

/** A company's plans and their total, as queries that can join a batch (tenant scope in the WHERE). */
export function plansQueries(db: Db, actor: Actor, companyId: string, input: ListPlans = ALL_PLANS) {
  const where = and(eq(companyPlans.companyId, companyId), inArray(companyPlans.companyId, ownCompanyIds(db, actor)));
  return [
    db
      .select()
      .from(companyPlans)
      .where(where)
      .orderBy(asc(companyPlans.status), asc(companyPlans.renewsAt), asc(companyPlans.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    db.select({ n: count() }).from(companyPlans).where(where),
  ] as const;
}

export function plansResult(actor: Actor, rows: (typeof companyPlans.$inferSelect)[], total: { n: number } | undefined, input: ListPlans = ALL_PLANS) {
  const withPrices = canPurchase(actor);
  return {
    items: rows.map((r) => toPublicPlan(r, withPrices) as PublicPlan),
    catalog: planCatalog(actor) as CatalogEntry[],
    page: pageOf(input, total),
  };
}

/** F-33: a company's plans and the catalog, priced for Purchasers only. */
export async function listPlans(deps: Deps, actor: Actor, companyId: string, input: ListPlans = ALL_PLANS) {
  assertViewCompanies(actor);
  const [[company], rows, [total]] = await deps.db.batch([ownCompanyQuery(deps.db, actor, companyId), ...plansQueries(deps.db, actor, companyId, input)]);
  if (!company) throw companyNotFound();
  return plansResult(actor, rows, total, input);
}

/** A plan of one of the actor's companies, with its company's status; 404 for any other. */
async function findOwnPlan(deps: Deps, actor: Actor, planId: string) {
  const [found] = await deps.db
    .select({ plan: companyPlans, companyStatus: organizations.status })
    .from(companyPlans)
    .innerJoin(organizations, and(eq(organizations.id, companyPlans.companyId), ownCompanies(actor)))
    .where(eq(companyPlans.id, planId))
    .limit(1);
  if (!found) throw new AppError("NOT_FOUND", "License plan not found.");
  return found;
}

/** One plan, priced for Purchasers only. */
export async function getPlan(deps: Deps, actor: Actor, planId: string) {
  assertViewCompanies(actor);
  const { plan } = await findOwnPlan(deps, actor, planId);
  return { plan: toPublicPlan(plan, canPurchase(actor)) as PublicPlan };
}

/** The audit view of a plan: no prices, since the audit log is read by non-Purchasers too. */
const auditView = (p: Pick<PlanRow, "companyId" | "plan" | "seats" | "autoRenew" | "renewsAt" | "status">) => ({
  companyId: p.companyId,
  plan: p.plan,
  seats: p.seats,
  autoRenew: p.autoRenew,
  status: p.status,
  renewsAt: new Date(p.renewsAt).toISOString(),
});

/** auditView as SQL over the company_plans row (same keys, same order, same JSON types), with status and renewsAt replaceable. */
const auditViewSql = (over: { status?: string; renewsAt?: SQL } = {}) =>
  jsonObject({
    companyId: companyPlans.companyId,
    plan: companyPlans.plan,
    seats: companyPlans.seats,
    autoRenew: jsonBool(companyPlans.autoRenew),
    status: over.status ?? companyPlans.status,
    renewsAt: jsonIso(over.renewsAt ?? sql`${companyPlans.renewsAt}`),
  });

/** F-33: order a plan for an active company; the price is copied from the catalog and the Purchaser gets a confirmation. */
export async function orderPlan(deps: Deps, actor: Actor, companyId: string, input: OrderPlanInput) {
  const { plan } = await order(deps, actor, companyId, input, false);
  return { plan };
}

/** orderPlan, answering also the company's plans (for the page's section), read in the same batch. */
export async function orderPlanWithList(deps: Deps, actor: Actor, companyId: string, input: OrderPlanInput) {
  const { plan, plans } = await order(deps, actor, companyId, input, true);
  return { plan, plans: plans! };
}

async function order(deps: Deps, actor: Actor, companyId: string, input: OrderPlanInput, withList: boolean) {
  assertPurchaser(actor);
  const entry = PLAN_CATALOG[input.plan];
  const now = deps.now();
  const row = {
    id: newId(),
    companyId,
    plan: input.plan,
    seats: input.seats,
    unitPriceCents: entry.unitPriceCents,
    currency: entry.currency,
    autoRenew: false,
    status: "active" as const,
    startsAt: now,
    renewsAt: addMonths(now, entry.termMonths),
    createdAt: now,
    updatedAt: now,
  };
  const mailId = newId();
  // The company's name is filled in by SQL from its row, in the batch: no read first.
  const template = planOrderMail({
    appName: deps.config.appName,
    name: actor.name,
    companyName: slot("company"),
    planLabel: entry.label,
    seats: row.seats,
    price: formatMoney(row.unitPriceCents, row.currency),
    total: formatMoney(planTotalCents(row), row.currency),
    renewsOn: new Date(row.renewsAt).toISOString().slice(0, 10),
    url: `${deps.config.origin}/companies/${companyId}#plans`,
  });
  const write = [
    deps.db.insert(companyPlans).values(row).returning(),
    guardNot(deps.db, not(ownActiveCompany(deps.db, actor, companyId))),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "plan.ordered", targetType: "plan", targetId: row.id, after: auditView(row) }),
    outboxInsertSelect(
      deps,
      { id: mailId, to: actor.email, ...filledMail(template, [["company", sql`${organizations.name}`]]) },
      sql`FROM ${organizations} WHERE ${and(eq(organizations.id, companyId), ownCompanies(actor))}`,
    ),
  ] as const;
  try {
    if (!withList) {
      const [[created]] = await deps.db.batch(write);
      deliverSoon(deps, [mailId]);
      return { plan: toPublicPlan(created!, true) as PublicPlan };
    }
    // The plans are read after the writes, so they hold the new one.
    const [[created], , , , rows, [total]] = await deps.db.batch([...write, ...plansQueries(deps.db, actor, companyId)]);
    deliverSoon(deps, [mailId]);
    return { plan: toPublicPlan(created!, true) as PublicPlan, plans: plansResult(actor, rows, total) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Say which rule refused it: no such company (404) or a terminated one (409).
    const [company] = await ownCompanyQuery(deps.db, actor, companyId);
    if (!company) throw companyNotFound();
    assertCompanyActive(company);
    throw new AppError("CONFLICT", "This company was terminated meanwhile; nothing was ordered.");
  }
}

async function findChangeablePlan(deps: Deps, actor: Actor, planId: string) {
  const found = await findOwnPlan(deps, actor, planId);
  assertCompanyActive({ status: found.companyStatus });
  return found.plan;
}

/** findChangeablePlan's scope as a WHERE, for a change with no read first: a plan of an active company of the actor's organization. */
const changeablePlan = (db: Db, actor: Actor, planId: string, condition?: SQL) =>
  and(eq(companyPlans.id, planId), ownActiveCompany(db, actor, companyPlans.companyId), condition)!;

/** A plan's new updatedAt: now, but always later than the one it replaces. */
const laterThanBefore = (now: number) => sql<number>`max(${now}, ${companyPlans.updatedAt} + 1)`;

/**
 * F-33: change seats and/or auto-renewal of an active plan. One atomic batch:
 * the audit row reads the values the update replaces, so concurrent edits
 * each record exactly what they overwrote.
 */
export async function updatePlan(deps: Deps, actor: Actor, planId: string, input: UpdatePlanInput) {
  assertPurchaser(actor);
  const changes = { ...(input.seats !== undefined ? { seats: input.seats } : {}), ...(input.autoRenew !== undefined ? { autoRenew: input.autoRenew } : {}) };
  const target = changeablePlan(deps.db, actor, planId, eq(companyPlans.status, "active"));
  try {
    // No read first: the audit row reads the old values in the batch, ahead of the change.
    const [, [after]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "plan.updated",
          targetType: "plan",
          targetId: planId,
          before: jsonObject({ seats: companyPlans.seats, autoRenew: jsonBool(companyPlans.autoRenew) }),
          after: jsonObject({ seats: changes.seats ?? companyPlans.seats, autoRenew: changes.autoRenew ?? jsonBool(companyPlans.autoRenew) }),
        },
        sql`FROM ${companyPlans} WHERE ${target}`,
      ),
      deps.db
        .update(companyPlans)
        .set({ ...changes, updatedAt: laterThanBefore(deps.now()) })
        .where(target)
        .returning(),
      guardChanged(deps.db),
    ]);
    return { plan: toPublicPlan(after!, true) as PublicPlan };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Say which rule refused it: not found (404), company terminated or plan expired (409); else a concurrent change.
    const before = await findChangeablePlan(deps, actor, planId);
    if (before.status !== "active") throw new AppError("CONFLICT", "This plan has expired; renew it before changing it.");
    throw new AppError("CONFLICT", "This plan was changed meanwhile. Reload and try again.");
  }
}

/**
 * F-33: renew for one more term of the plan. The term runs on from the current
 * renewal date, or from today when that date has already passed (a lapsed plan
 * is not renewed into the past). One atomic batch: the audit row reads the
 * plan as it was and the update moves it on from that same row, so two clicks
 * renew twice, each audited with its own before and after.
 */
export async function renewPlan(deps: Deps, actor: Actor, planId: string) {
  assertPurchaser(actor);
  const now = deps.now();
  const target = changeablePlan(deps.db, actor, planId);
  const renewsAt = addTermSql(sql`max(${companyPlans.renewsAt}, ${now})`);
  try {
    // No read first: the audit row reads the plan in the batch, ahead of the change.
    const [, [after]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        { actorId: actor.id, orgId: actor.orgId, action: "plan.renewed", targetType: "plan", targetId: planId, before: auditViewSql(), after: auditViewSql({ status: "active", renewsAt }) },
        sql`FROM ${companyPlans} WHERE ${target}`,
      ),
      deps.db.update(companyPlans).set({ renewsAt, status: "active", updatedAt: laterThanBefore(now) }).where(target).returning(),
      guardChanged(deps.db),
    ]);
    return { plan: toPublicPlan(after!, true) as PublicPlan };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    await findChangeablePlan(deps, actor, planId);
    throw new AppError("CONFLICT", "This plan was renewed or changed meanwhile. Reload and check its renewal date.");
  }
}
