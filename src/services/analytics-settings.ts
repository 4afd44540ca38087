// The one analytics_settings row of a workspace, shared by the Developer,
// Quota Usage and Billing services. The row appears on the first save, so
// reads treat "no row" as every field unset.
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { analyticsSettings } from "../db/schema";
import type { Deps } from "../deps";

export type SettingsRow = typeof analyticsSettings.$inferSelect;
type SettingsPatch = Partial<Omit<SettingsRow, "orgId" | "updatedAt">>;

export const settingsQuery = (db: Db, orgId: string) => db.select().from(analyticsSettings).where(eq(analyticsSettings.orgId, orgId)).limit(1);

export async function settingsOf(deps: Pick<Deps, "db">, orgId: string): Promise<SettingsRow | null> {
  const [row] = await settingsQuery(deps.db, orgId);
  return row ?? null;
}

/**
 * A FROM clause with exactly one row: the workspace's settings row, or NULL
 * in every column when it has none yet (as reads treat "no row"). For an
 * audit entry written by INSERT … SELECT ahead of upsertSettings in its batch.
 */
export const settingsRowFrom = (orgId: string) => sql`FROM (SELECT 1) LEFT JOIN ${analyticsSettings} ON ${eq(analyticsSettings.orgId, orgId)}`;

/** Writes only the given columns, creating the row when the workspace has none yet; for the caller's batch. */
export const upsertSettings = (db: Db, orgId: string, patch: SettingsPatch, now: number) =>
  db
    .insert(analyticsSettings)
    .values({ orgId, ...patch, updatedAt: now })
    .onConflictDoUpdate({ target: analyticsSettings.orgId, set: { ...patch, updatedAt: now } })
    .returning();
