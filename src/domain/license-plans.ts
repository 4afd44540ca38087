// F-33 license plans: the catalog, and who may see prices and change plans.
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
