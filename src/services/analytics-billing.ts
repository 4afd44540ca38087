// F-44 Billing: the workspace's billing details. Read-only sees them, Full
// changes them; each change is audited with what it was before.
import { sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { analyticsSettings } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { emailSchema, normalizeEmail } from "../domain/email";
import { guardNot, isGuardAbort } from "../lib/batch";
import { AppError } from "../lib/errors";
import { jsonObject } from "../lib/sql-json";
import { requireModule } from "./analytics-context";
import { settingsOf, settingsRowFrom, upsertSettings, type SettingsRow } from "./analytics-settings";
import { auditInsertSelect } from "./audit";

const required = (what: string, max: number) =>
  z.string({ error: `Enter ${what}.` }).check(z.trim(), z.minLength(1, `Enter ${what}.`), z.maxLength(max, `Use at most ${max} characters.`));

export const BillingInput = z.strictObject({
  billingName: required("the name to bill", 200),
  billingEmail: z.pipe(
    z.pipe(z.string({ error: "Enter the billing email address." }).check(z.maxLength(254, "Use at most 254 characters.")), emailSchema),
    z.transform(normalizeEmail),
  ),
  billingAddress: required("the billing address", 1000),
  /** Optional; an empty value clears it. Letters, digits, spaces, dots and dashes (e.g. DE123456789, GB 123 4567 89). */
  vatId: z.optional(
    z.nullable(
      z.pipe(
        z.string({ error: "Enter the VAT ID as text." }).check(
          z.trim(),
          z.maxLength(32, "Use at most 32 characters."),
          z.refine(
            (v) => v === "" || /^[A-Za-z]{2}[A-Za-z0-9 .-]{2,30}$/.test(v),
            "Enter a VAT ID starting with its two-letter country code, e.g. DE123456789.",
          ),
        ),
        z.transform((v) => (v === "" ? null : v.toUpperCase())),
      ),
    ),
  ),
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
  const after: Billing = { billingName: input.billingName, billingEmail: input.billingEmail, billingAddress: input.billingAddress, vatId: input.vatId ?? null };
  const s = analyticsSettings;
  try {
    // The audit row reads the details before the upsert, in the same batch: no read first.
    const [, , [row]] = await deps.db.batch([
      // Nothing to change: the batch stops, and the details are answered as they are (below).
      guardNot(
        deps.db,
        sql`EXISTS (SELECT 1 ${settingsRowFrom(actor.orgId)} WHERE ${s.billingName} IS ${after.billingName} AND ${s.billingEmail} IS ${after.billingEmail} AND ${s.billingAddress} IS ${after.billingAddress} AND ${s.vatId} IS ${after.vatId})`,
      ),
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.billing.changed",
          targetType: "analytics_settings",
          targetId: actor.orgId,
          before: jsonObject({ billingName: s.billingName, billingEmail: s.billingEmail, billingAddress: s.billingAddress, vatId: s.vatId }),
          after,
        },
        settingsRowFrom(actor.orgId),
      ),
      upsertSettings(deps.db, actor.orgId, after, deps.now()),
    ]);
    return { billing: toBilling(row ?? null) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const before = toBilling(await settingsOf(deps, actor.orgId));
    if (JSON.stringify(before) === JSON.stringify(after)) return { billing: before };
    throw new AppError("CONFLICT", "The billing details were changed meanwhile. Reload and try again.");
  }
}
