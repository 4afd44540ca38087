// F-44 module fixtures: one workspace with a signed-in user per module level
// (made once per file), rows of the module tables written straight to D1, and
// small readers for what changed.
import { and, eq } from "drizzle-orm";
import { analyticsBlocks, analyticsCampaigns, analyticsDailyStats, analyticsLicenseKeys, analyticsSettings, auditEvents } from "../../src/db/schema";
import type { Module } from "../../src/domain/analytics";
import { newId } from "../../src/lib/ids";
import { grantModules, makeAnalyticsUser } from "./analytics";
import { db, makeOrg, signIn, type TestUser } from "./fixtures";

export interface Member {
  user: TestUser;
  cookie: string;
}

/** The six module areas this work guards. */
export const AREA_MODULES = ["product_admin", "developer", "quota_usage", "billing", "license_key_management", "reachout"] as const satisfies readonly Module[];
export type AreaModule = (typeof AREA_MODULES)[number];
export const READ_ONLY_AREAS = ["developer", "billing", "license_key_management", "reachout"] as const satisfies readonly AreaModule[];
export type ReadOnlyArea = (typeof READ_ONLY_AREAS)[number];

export interface Workspace {
  orgId: string;
  /** AA = Y, no module at all. */
  none: Member;
  owner: Member;
  /** Full on exactly that module. */
  full: Record<AreaModule, Member>;
  /** Read-only on exactly that module. */
  readOnly: Record<ReadOnlyArea, Member>;
}

async function member(user: Promise<TestUser>, modules: Parameters<typeof grantModules>[1] = {}): Promise<Member> {
  const u = await user;
  await grantModules(u.id, modules);
  return { user: u, cookie: await signIn(u) };
}

export async function makeWorkspace(): Promise<Workspace> {
  const org = await makeOrg({ kind: "customer", channelPartner: false });
  const user = (overrides: Parameters<typeof makeAnalyticsUser>[0] = {}) => makeAnalyticsUser({ orgId: org.id, ...overrides });
  const [none, owner, ...rest] = await Promise.all([
    member(user()),
    member(user({ analyticsOwner: true })),
    ...AREA_MODULES.map((m) => member(user(), { [m]: "full" })),
    ...READ_ONLY_AREAS.map((m) => member(user(), { [m]: "read_only" })),
  ]);
  const full = Object.fromEntries(AREA_MODULES.map((m, i) => [m, rest[i]!])) as Workspace["full"];
  const readOnly = Object.fromEntries(READ_ONLY_AREAS.map((m, i) => [m, rest[AREA_MODULES.length + i]!])) as Workspace["readOnly"];
  return { orgId: org.id, none: none!, owner: owner!, full, readOnly };
}

/** One workspace per test file, made on first use (tests only act on rows they create). */
export function sharedWorkspace() {
  let ws: Promise<Workspace> | undefined;
  return () => (ws ??= makeWorkspace());
}

/** A second organization with its own rows, for isolation checks; nobody signs in. */
export async function otherOrg() {
  return makeOrg({ kind: "customer", channelPartner: false });
}

export async function makeBlock(orgId: string, overrides: Partial<typeof analyticsBlocks.$inferInsert> = {}) {
  const row = { id: newId(), orgId, kind: "ip" as const, value: `198.51.100.${Math.floor(Math.random() * 250) + 1}`, createdBy: null, createdAt: Date.now(), ...overrides };
  await db().insert(analyticsBlocks).values(row);
  return row;
}

export async function makeLicenseKey(orgId: string, overrides: Partial<typeof analyticsLicenseKeys.$inferInsert> = {}) {
  const now = Date.now();
  const row = { id: newId(), orgId, key: `KEY-${newId().replace(/[^A-Za-z0-9]/g, "").slice(0, 12)}`, label: "Seeded key", status: "active" as const, createdAt: now, updatedAt: now, ...overrides };
  await db().insert(analyticsLicenseKeys).values(row);
  return row;
}

export async function makeCampaign(orgId: string, overrides: Partial<typeof analyticsCampaigns.$inferInsert> = {}) {
  const now = Date.now();
  const row = { id: newId(), orgId, name: `Campaign ${newId().slice(0, 5)}`, message: "Try the new version", status: "draft" as const, createdAt: now, updatedAt: now, ...overrides };
  await db().insert(analyticsCampaigns).values(row);
  return row;
}

export async function settingsRow(orgId: string) {
  const [row] = await db().select().from(analyticsSettings).where(eq(analyticsSettings.orgId, orgId));
  return row ?? null;
}

export const blockRow = async (id: string) => (await db().select().from(analyticsBlocks).where(eq(analyticsBlocks.id, id)))[0] ?? null;
export const licenseKeyRow = async (id: string) => (await db().select().from(analyticsLicenseKeys).where(eq(analyticsLicenseKeys.id, id)))[0] ?? null;
export const campaignRow = async (id: string) => (await db().select().from(analyticsCampaigns).where(eq(analyticsCampaigns.id, id)))[0] ?? null;
export const statDays = async (siteId: string) =>
  (await db().select({ day: analyticsDailyStats.day }).from(analyticsDailyStats).where(eq(analyticsDailyStats.siteId, siteId))).map((r) => r.day).sort();

/** Audit rows of an organization with one action. */
export const auditByAction = (orgId: string, action: string) =>
  db()
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.orgId, orgId), eq(auditEvents.action, action)));

/**
 * A fresh workspace with just the members a test needs: each key is either
 * "owner" or the module grants that member holds. Made on first use.
 */
export function lazyTeam<K extends string>(spec: Record<K, "owner" | Parameters<typeof grantModules>[1]>) {
  let made: Promise<{ orgId: string } & Record<K, Member>> | undefined;
  return () =>
    (made ??= (async () => {
      const org = await makeOrg({ kind: "customer", channelPartner: false });
      const entries = await Promise.all(
        (Object.entries(spec) as [K, "owner" | Parameters<typeof grantModules>[1]][]).map(async ([key, grants]) => {
          const user = makeAnalyticsUser({ orgId: org.id, analyticsOwner: grants === "owner" });
          return [key, await member(user, grants === "owner" ? {} : grants)] as const;
        }),
      );
      return { orgId: org.id, ...(Object.fromEntries(entries) as Record<K, Member>) };
    })());
}
