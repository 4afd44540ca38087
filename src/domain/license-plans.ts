// F-33 license plans: the catalog, and who may see prices and change plans.
import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { companyPlans } from "../db/schema";
import { secondaryRoleAllowed, type Role } from "./roles";

export const PLAN_CATALOG = {
  essentials: { label: "Essentials", unitPriceCents: 900, currency: "EUR", termMonths: 12 },
  professional: { label: "Professional", unitPriceCents: 1900, currency: "EUR", termMonths: 12 },
  enterprise: { label: "Enterprise", unitPriceCents: 3900, currency: "EUR", termMonths: 12 },
} as const;
export type PlanKey = keyof typeof PLAN_CATALOG;
export const PLAN_KEYS = Object.keys(PLAN_CATALOG) as PlanKey[];
export const MAX_SEATS = 100_000;

/** F-15: prices, ordering, editing and renewals are for Purchasers only. */
export const isPurchaser = (actor: { purchaser: boolean }) => actor.purchaser;

export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

/** The catalog's name of the plan in `column`, in SQL; a key no longer in the catalog stays as it is. */
export const planLabelSql = (column: SQL | SQLiteColumn): SQL =>
  sql`(CASE ${column} ${sql.join(
    PLAN_KEYS.map((k) => sql`WHEN ${k} THEN ${PLAN_CATALOG[k].label}`),
    sql` `,
  )} ELSE ${column} END)`;

export const catalogEntry = (key: string) => PLAN_CATALOG[key as PlanKey] as (typeof PLAN_CATALOG)[PlanKey] | undefined;
/** A plan's term; a key no longer in the catalog keeps a year. */
export const termMonthsOf = (key: string) => catalogEntry(key)?.termMonths ?? 12;

// The same two rules as SQL over company_plans, for writes and the daily renewal run that compute in their batch.

/** termMonthsOf(plan) as SQL over company_plans.plan. */
const termMonthsSql = sql`(CASE ${companyPlans.plan} ${sql.raw(PLAN_KEYS.map((k) => `WHEN '${k}' THEN ${PLAN_CATALOG[k].termMonths}`).join(" "))} ELSE 12 END)`;

/**
 * addMonths(from, termMonthsOf(plan)) as SQL, `from` in milliseconds. SQLite's
 * '+N months' keeps the day and time and lets the day overflow into the next
 * month, as Date#setUTCMonth does; its date arithmetic works in seconds, so the
 * milliseconds are carried over.
 */
export const addTermSql = (from: SQL) =>
  sql<number>`(CAST(strftime('%s', ${from} / 1000, 'unixepoch', '+' || ${termMonthsSql} || ' months') AS INTEGER) * 1000 + ${from} % 1000)`;

/**
 * Prices and plan changes need the Purchaser flag on a role that may hold it
 * (F-15); a stale flag on another role grants nothing.
 */
export const canPurchase = (actor: { purchaser: boolean; role: Role }) => isPurchaser(actor) && secondaryRoleAllowed("purchaser", actor.role);

/** What a plan costs for its seats over one term, in the catalog's minor unit. */
export const planTotalCents = (plan: { unitPriceCents: number; seats: number }) => plan.unitPriceCents * plan.seats;

export const formatMoney = (cents: number, currency: string) => `${currency} ${(cents / 100).toFixed(2)}`;
