// F-44 Billing: the workspace's billing details. Read-only sees them, Full
// changes them; each change is audited with what it was before.
import * as z from "zod";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { emailSchema, normalizeEmail } from "../domain/email";
import { requireModule } from "./analytics-context";
import { settingsOf, upsertSettings, type SettingsRow } from "./analytics-settings";
import { auditInsert } from "./audit";

const required = (what: string, max: number) =>
  z.string({ error: `Enter ${what}.` }).trim().min(1, `Enter ${what}.`).max(max, `Use at most ${max} characters.`);

export const BillingInput = z.strictObject({
  billingName: required("the name to bill", 200),
  billingEmail: z.string({ error: "Enter the billing email address." }).max(254, "Use at most 254 characters.").pipe(emailSchema).transform(normalizeEmail),
  billingAddress: required("the billing address", 1000),
  /** Optional; an empty value clears it. Letters, digits, spaces, dots and dashes (e.g. DE123456789, GB 123 4567 89). */
  vatId: z
    .string({ error: "Enter the VAT ID as text." })
    .trim()
    .max(32, "Use at most 32 characters.")
    .refine((v) => v === "" || /^[A-Za-z]{2}[A-Za-z0-9 .-]{2,30}$/.test(v), "Enter a VAT ID starting with its two-letter country code, e.g. DE123456789.")
    .transform((v) => (v === "" ? null : v.toUpperCase()))
    .nullable()
    .optional(),
});
export type BillingInput = z.infer<typeof BillingInput>;

const toBilling = (row: SettingsRow | null) => ({
  billingName: row?.billingName ?? null,
  billingEmail: row?.billingEmail ?? null,
  billingAddress: row?.billingAddress ?? null,
  vatId: row?.vatId ?? null,
});
export type Billing = ReturnType<typeof toBilling>;

export async function getBilling(deps: Deps, actor: Actor) {
  requireModule(actor, "billing", "read");
  return { billing: toBilling(await settingsOf(deps, actor.orgId)) };
}

export async function updateBilling(deps: Deps, actor: Actor, input: BillingInput) {
  requireModule(actor, "billing", "write");
  const before = toBilling(await settingsOf(deps, actor.orgId));
  const after: Billing = { billingName: input.billingName, billingEmail: input.billingEmail, billingAddress: input.billingAddress, vatId: input.vatId ?? null };
  if (JSON.stringify(before) === JSON.stringify(after)) return { billing: before };
  const [[row]] = await deps.db.batch([
    upsertSettings(deps.db, actor.orgId, after, deps.now()),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.billing.changed", targetType: "analytics_settings", targetId: actor.orgId, before, after }),
  ]);
  return { billing: toBilling(row ?? null) };
}
