// Analytics fixtures: workspaces, sites and grants written straight to D1, so
// each test states the levels it needs and nothing else.
import {
  analyticsDailyStats,
  analyticsMetaSiteMembers,
  analyticsMetaSitePermissions,
  analyticsMetaSites,
  analyticsModulePermissions,
  analyticsSitePermissions,
  analyticsSites,
} from "../../src/db/schema";
import type { MetaSiteLevel, Module, ModuleLevel, SiteLevel } from "../../src/domain/analytics";
import { newId } from "../../src/lib/ids";
import { db, makeUser, type TestUser } from "./fixtures";
import type { users } from "../../src/db/schema";

/** An active account with Analytics Access = Y (owner and modules as asked). */
export function makeAnalyticsUser(overrides: Partial<typeof users.$inferInsert> & { orgId?: string } = {}): Promise<TestUser> {
  return makeUser({ analyticsAccess: "Y", ...overrides });
}

export async function makeSite(orgId: string, overrides: Partial<typeof analyticsSites.$inferInsert> = {}) {
  const now = Date.now();
  const site = { id: newId(), orgId, name: `Site ${newId().slice(0, 4)}`, kind: "site" as const, url: "https://example.com", siteKey: `sk_${newId()}`, createdAt: now, updatedAt: now, ...overrides };
  await db().insert(analyticsSites).values(site);
  return site;
}

export async function makeMetaSite(orgId: string, siteIds: string[], overrides: Partial<typeof analyticsMetaSites.$inferInsert> = {}) {
  const now = Date.now();
  const meta = { id: newId(), orgId, name: `Meta ${newId().slice(0, 4)}`, createdAt: now, updatedAt: now, ...overrides };
  await db().insert(analyticsMetaSites).values(meta);
  if (siteIds.length) await db().insert(analyticsMetaSiteMembers).values(siteIds.map((siteId) => ({ metaSiteId: meta.id, siteId })));
  return meta;
}

export async function grantSite(siteId: string, userId: string, level: Exclude<SiteLevel, "none">) {
  await db().insert(analyticsSitePermissions).values({ siteId, userId, level, updatedAt: Date.now() });
}

export async function grantMetaSite(metaSiteId: string, userId: string, level: Exclude<MetaSiteLevel, "none">) {
  await db().insert(analyticsMetaSitePermissions).values({ metaSiteId, userId, level, updatedAt: Date.now() });
}

export async function grantModules(userId: string, modules: Partial<Record<Module, Exclude<ModuleLevel, "none">>>) {
  const rows = Object.entries(modules).map(([module, level]) => ({ userId, module, level: level!, updatedAt: Date.now() }));
  if (rows.length) await db().insert(analyticsModulePermissions).values(rows);
}

/** Daily aggregates as collection would have written them. */
export async function seedStats(siteId: string, days: { day: string; visits: number; events: number; licenseKey?: string }[]) {
  if (days.length) await db().insert(analyticsDailyStats).values(days.map((d) => ({ siteId, licenseKey: "", ...d })));
}
