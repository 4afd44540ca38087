// F-44 License Key Management: the workspace's license key registry. Read-only
// lists the keys; Full adds, relabels, revokes and deletes them. A key is
// unique within its workspace (the unique index decides, so a race cannot
// add it twice).
import { and, asc, count, desc, eq, ne, or, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { analyticsLicenseKeys } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { LICENSE_KEY_PATTERN, LICENSE_KEY_STATUSES } from "../domain/analytics-features";
import { guardChanged, isGuardAbort, isUniqueViolation } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { requireModule } from "./analytics-context";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonObject } from "../lib/sql-json";

const label = z.string({ error: "Enter a label." }).check(z.trim(), z.minLength(1, "Enter a label."), z.maxLength(120, "Use at most 120 characters."));
const status = z.enum(LICENSE_KEY_STATUSES, { error: "Choose active or revoked." });

export const LicenseKeyInput = z.strictObject({
  key: z
    .string({ error: "Enter the license key." })
    .check(z.trim(), z.maxLength(64, "Use 8–64 letters, digits and dashes."), z.regex(LICENSE_KEY_PATTERN, "Use 8–64 letters, digits and dashes.")),
  label,
});
export type LicenseKeyInput = z.infer<typeof LicenseKeyInput>;

export const UpdateLicenseKeyInput = z
  .strictObject({ label: z.optional(label), status: z.optional(status) })
  .check(z.refine((v) => v.label !== undefined || v.status !== undefined, { error: "Send label, status or both." }));
export type UpdateLicenseKeyInput = z.infer<typeof UpdateLicenseKeyInput>;

export const ListLicenseKeysInput = z.object({
  q: z.optional(z.string().check(z.trim(), z.maxLength(120, "Use at most 120 characters."))),
  status: z.optional(status),
  ...pageFields({ size: 50 }),
});
export type ListLicenseKeysInput = z.infer<typeof ListLicenseKeysInput>;

type LicenseKeyRow = typeof analyticsLicenseKeys.$inferSelect;

export const toPublicLicenseKey = (k: LicenseKeyRow) => ({
  id: k.id,
  key: k.key,
  label: k.label,
  status: k.status,
  createdAt: new Date(k.createdAt).toISOString(),
  updatedAt: new Date(k.updatedAt).toISOString(),
});
export type PublicLicenseKey = ReturnType<typeof toPublicLicenseKey>;

const ownKey = (actor: Actor, id: string) => and(eq(analyticsLicenseKeys.id, id), eq(analyticsLicenseKeys.orgId, actor.orgId));
const keyNotFound = () => new AppError("NOT_FOUND", "License key not found.");
const keyTaken = () => new AppError("CONFLICT", "This license key is already in the registry.", { key: "This license key is already in the registry." });

async function findOwnKey(deps: Deps, actor: Actor, id: string) {
  const [row] = await deps.db.select().from(analyticsLicenseKeys).where(ownKey(actor, id)).limit(1);
  if (!row) throw keyNotFound();
  return row;
}

export async function listLicenseKeys(deps: Deps, actor: Actor, input: ListLicenseKeysInput) {
  requireModule(actor, "license_key_management", "read");
  const where = and(
    eq(analyticsLicenseKeys.orgId, actor.orgId),
    input.status ? eq(analyticsLicenseKeys.status, input.status) : undefined,
    input.q ? or(contains(analyticsLicenseKeys.key, input.q), contains(analyticsLicenseKeys.label, input.q)) : undefined,
  );
  const [rows, [total]] = await deps.db.batch([
    deps.db
      .select()
      .from(analyticsLicenseKeys)
      .where(where)
      .orderBy(asc(analyticsLicenseKeys.status), desc(analyticsLicenseKeys.createdAt), asc(analyticsLicenseKeys.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(analyticsLicenseKeys).where(where),
  ]);
  return { items: rows.map(toPublicLicenseKey), page: pageOf(input, total) };
}

export async function getLicenseKey(deps: Deps, actor: Actor, id: string) {
  requireModule(actor, "license_key_management", "read");
  return { licenseKey: toPublicLicenseKey(await findOwnKey(deps, actor, id)) };
}

export async function addLicenseKey(deps: Deps, actor: Actor, input: LicenseKeyInput) {
  requireModule(actor, "license_key_management", "write");
  const now = deps.now();
  const row: LicenseKeyRow = { id: newId(), orgId: actor.orgId, key: input.key, label: input.label, status: "active", createdAt: now, updatedAt: now };
  try {
    await deps.db.batch([
      deps.db.insert(analyticsLicenseKeys).values(row),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "analytics.license_key.created", targetType: "analytics_license_key", targetId: row.id, after: { key: row.key, label: row.label } }),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw keyTaken();
    throw e;
  }
  return { licenseKey: toPublicLicenseKey(row) };
}

/** The audited view of a key, as SQL over its row (for INSERT … SELECT). */
const auditViewSql = () => jsonObject({ key: analyticsLicenseKeys.key, label: analyticsLicenseKeys.label, status: analyticsLicenseKeys.status });

/** Relabel, revoke or reactivate. The audit row reads the key in the update's batch, so the audited "before" is what was replaced. */
export async function updateLicenseKey(deps: Deps, actor: Actor, id: string, input: UpdateLicenseKeyInput) {
  requireModule(actor, "license_key_management", "write");
  // Only a change is written: fields sent with their current values change nothing.
  const target = and(
    ownKey(actor, id),
    or(
      input.label !== undefined ? ne(analyticsLicenseKeys.label, input.label) : undefined,
      input.status !== undefined ? ne(analyticsLicenseKeys.status, input.status) : undefined,
    ),
  );
  try {
    const [, [after]] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.license_key.changed",
          targetType: "analytics_license_key",
          targetId: id,
          before: auditViewSql(),
          after: jsonObject({ key: analyticsLicenseKeys.key, label: input.label ?? analyticsLicenseKeys.label, status: input.status ?? analyticsLicenseKeys.status }),
        },
        sql`FROM ${analyticsLicenseKeys} WHERE ${target}`,
      ),
      deps.db
        .update(analyticsLicenseKeys)
        .set({ ...(input.label !== undefined && { label: input.label }), ...(input.status !== undefined && { status: input.status }), updatedAt: deps.now() })
        .where(target)
        .returning(),
      guardChanged(deps.db),
    ]);
    return { licenseKey: toPublicLicenseKey(after!) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Why: 404, or nothing to change (the key as it is); otherwise a race.
    const before = await findOwnKey(deps, actor, id);
    if ((input.label ?? before.label) === before.label && (input.status ?? before.status) === before.status) return { licenseKey: toPublicLicenseKey(before) };
    throw new AppError("CONFLICT", "This license key was changed meanwhile. Reload and try again.");
  }
}

export async function deleteLicenseKey(deps: Deps, actor: Actor, id: string) {
  requireModule(actor, "license_key_management", "write");
  try {
    // The audit row reads the key before the delete, in the same batch: no read first.
    const [, removed] = await deps.db.batch([
      auditInsertSelect(
        deps,
        { actorId: actor.id, orgId: actor.orgId, action: "analytics.license_key.deleted", targetType: "analytics_license_key", targetId: id, before: auditViewSql() },
        sql`FROM ${analyticsLicenseKeys} WHERE ${ownKey(actor, id)}`,
      ),
      deps.db.delete(analyticsLicenseKeys).where(ownKey(actor, id)).returning(),
      guardChanged(deps.db),
    ]);
    return { licenseKey: toPublicLicenseKey(removed[0]!) };
  } catch (e) {
    // Not in this workspace, or deleted concurrently: the same answer as a second request.
    if (isGuardAbort(e)) throw keyNotFound();
    throw e;
  }
}
