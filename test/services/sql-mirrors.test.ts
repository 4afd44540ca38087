// Rules that a write checks or records in SQL inside its one batch (issue 9)
// while the rest of the code keeps them in JavaScript: each SQL twin is run in
// D1 on a table of cases and must give the JavaScript rule's answer on every
// one (as grantHoldsSql does in partner-access.test.ts).
import { env } from "cloudflare:test";
import { sql, type AnyColumn, type SQL } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { organizations, users } from "../../src/db/schema";
import { ACCOUNT_STATUSES, type AccountStatus } from "../../src/domain/account-state";
import { readDashboard, readSegment } from "../../src/domain/analytics-data";
import { addMonths, addTermSql, PLAN_KEYS, termMonthsOf } from "../../src/domain/license-plans";
import { channelPartnerAccountSql, channelPartnerOrgSql, firstFailingGrantCheck, grantorVerified, grantorVerifiedSql, type GrantorFacts } from "../../src/domain/partner-access";
import { newId } from "../../src/lib/ids";
import { dashboardJson, segmentIdsJson } from "../../src/services/analytics-meta-sites";
import { byEmailSql } from "../../src/services/partner-access";

const db = () => createDb(env.DB);
const ORG_KINDS = ["vendor", "partner", "customer"] as const;
const ORG_STATUSES = ["active", "terminated"] as const;

/** The value of one SQL expression, evaluated by D1. */
async function valueOf<T>(expression: SQL): Promise<T> {
  const [row] = await db().all<{ v: T }>(sql`SELECT ${expression} AS v`);
  return row!.v;
}

async function insertOrg(o: { kind: (typeof ORG_KINDS)[number]; status: (typeof ORG_STATUSES)[number]; channelPartner: boolean }) {
  const id = newId();
  const t = Date.now();
  await db().insert(organizations).values({ id, name: `Org ${id}`, ...o, createdAt: t, updatedAt: t });
  return id;
}

async function insertUser(orgId: string, u: { status: AccountStatus; privacyAccepted?: boolean; totp?: boolean }) {
  const id = newId();
  const t = Date.now();
  const email = `${id.toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`;
  await db()
    .insert(users)
    .values({ id, orgId, email, name: "U", role: "regular", status: u.status, privacyAcceptedAt: u.privacyAccepted ? t : null, totpSecretEnc: u.totp ? "enc" : null, createdAt: t, updatedAt: t });
  return { id, email };
}

const VERIFIED: GrantorFacts = { status: "active", privacyAccepted: true, twoFactorEnrolled: true, orgId: "grantor-org", orgKind: "customer", orgStatus: "active" };

describe("partner access rules checked as guards (F-61)", () => {
  it("grantorVerifiedSql agrees with grantorVerified on every account status, privacy, 2FA and organization status", async () => {
    for (const orgStatus of ORG_STATUSES) {
      const orgId = await insertOrg({ kind: "customer", status: orgStatus, channelPartner: false });
      for (const status of ACCOUNT_STATUSES) {
        for (const privacyAccepted of [false, true]) {
          for (const totp of [false, true]) {
            const { id } = await insertUser(orgId, { status, privacyAccepted, totp });
            const facts: GrantorFacts = { status, privacyAccepted, twoFactorEnrolled: totp, orgId, orgKind: "customer", orgStatus };
            expect(Boolean(await valueOf<number>(grantorVerifiedSql(id))), JSON.stringify(facts)).toBe(grantorVerified(facts));
          }
        }
      }
    }
    expect(await valueOf<number>(grantorVerifiedSql("no-such-user"))).toBe(0);
  });

  it("channelPartnerAccountSql agrees with the email mode of firstFailingGrantCheck on every kind of target account, and on an unknown address", async () => {
    const grantorOrgId = await insertOrg({ kind: "customer", status: "active", channelPartner: false });
    for (const kind of ORG_KINDS) {
      for (const orgStatus of ORG_STATUSES) {
        for (const channelPartner of [false, true]) {
          const orgId = await insertOrg({ kind, status: orgStatus, channelPartner });
          for (const status of ACCOUNT_STATUSES) {
            const { email } = await insertUser(orgId, { status });
            const account = { orgId, status, orgKind: kind, orgStatus, channelPartner };
            const passes = firstFailingGrantCheck({ ...VERIFIED, orgId: grantorOrgId }, { mode: "email", account }) === null;
            expect(Boolean(await valueOf<number>(channelPartnerAccountSql(email, grantorOrgId))), JSON.stringify(account)).toBe(passes);
            // The same account seen from inside its own organization never qualifies.
            expect(await valueOf<number>(channelPartnerAccountSql(email, orgId))).toBe(0);
          }
        }
      }
    }
    expect(firstFailingGrantCheck(VERIFIED, { mode: "email", account: null })).not.toBeNull();
    expect(await valueOf<number>(channelPartnerAccountSql("nobody@example.com", grantorOrgId))).toBe(0);
  });

  it("channelPartnerOrgSql agrees with the organization mode of firstFailingGrantCheck on every kind, status and flag, the own organization and an unknown id", async () => {
    const grantorOrgId = await insertOrg({ kind: "customer", status: "active", channelPartner: false });
    for (const kind of ORG_KINDS) {
      for (const status of ORG_STATUSES) {
        for (const channelPartner of [false, true]) {
          const id = await insertOrg({ kind, status, channelPartner });
          const passes = firstFailingGrantCheck({ ...VERIFIED, orgId: grantorOrgId }, { mode: "organization", org: { id, kind, status, channelPartner } }) === null;
          expect(Boolean(await valueOf<number>(channelPartnerOrgSql(id, grantorOrgId))), `${kind} ${status} ${channelPartner}`).toBe(passes);
          expect(await valueOf<number>(channelPartnerOrgSql(id, id))).toBe(0);
        }
      }
    }
    expect(await valueOf<number>(channelPartnerOrgSql("no-such-org", grantorOrgId))).toBe(0);
  });

  it("byEmailSql sorts addresses exactly as localeCompare does, punctuation and digits included", async () => {
    const fixed = ["a@x.com", "a.b@x.com", "a_b@x.com", "a-b@x.com", "a+b@x.com", "a'b@x.com", "ab@x.com", "a1@x.com", "a9@x.com", "a@x.co", "aa@x.com", "a@b.com", "_a@x.com", "1a@x.com", "z@x.com"];
    const alphabet = "abz019_-.'+";
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const word = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const generated = Array.from({ length: 200 }, () => `${word(1 + Math.floor(random() * 6))}@${word(1 + Math.floor(random() * 3))}.com`);
    const emails = [...new Set([...fixed, ...generated])];
    const inJs = [...emails].sort((a, b) => a.localeCompare(b));
    const inSql = await db().all<{ value: string }>(sql`SELECT value FROM json_each(${JSON.stringify(emails)}) ORDER BY ${byEmailSql(sql`value`)}`);
    expect(inSql.map((r) => r.value)).toEqual(inJs);
  });
});

describe("meta-site audit entries built in SQL (F-43)", () => {
  const MEMBERS = ["site-a", "site-b", "site-c"];
  /** The members subquery the services pass: one `site_id` column. */
  const members = sql`SELECT value AS site_id FROM json_each(${JSON.stringify(MEMBERS)})` as never;
  const stored = (json: string | null) => (json === null ? sql`NULL` : sql`${json}`) as unknown as AnyColumn;
  const CASES: [string, string | null][] = [
    ["absent", null],
    ["empty text", ""],
    ["not JSON", "{siteIds"],
    ["JSON5, which SQLite reads but JSON.parse refuses", "{siteIds:['site-a']}"],
    ["JSON null", "null"],
    ["an array", '["site-a"]'],
    ["an empty object", "{}"],
    ["sites kept in order, non-members and non-strings dropped", '{"siteIds":["site-c","gone",5,"site-a",null],"days":7}'],
    ["duplicates kept", '{"siteIds":["site-b","site-b"],"days":90}'],
    ["no sites chosen", '{"siteIds":[],"days":365}'],
    ["siteIds not an array", '{"siteIds":"site-a","days":30}'],
    ["days as a real", '{"siteIds":["site-a"],"days":30.0}'],
    ["days as text", '{"siteIds":["site-a"],"days":"90"}'],
    ["days not offered", '{"siteIds":["site-a"],"days":14}'],
    ["days negative", '{"days":-7}'],
  ];

  it.each(CASES)("dashboardJson equals JSON.stringify(readDashboard(…)) for %s", async (_, json) => {
    expect(await valueOf<string>(dashboardJson(stored(json), members))).toBe(JSON.stringify(readDashboard(json, MEMBERS)));
  });

  it.each(CASES.filter(([, json]) => json !== null))("segmentIdsJson equals readSegment(…).siteIds for %s", async (_, json) => {
    expect(JSON.parse(await valueOf<string>(segmentIdsJson(stored(json), members)))).toEqual(readSegment(json!, MEMBERS).siteIds);
  });
});

describe("plan terms in SQL (F-33)", () => {
  it("addTermSql lands on the same millisecond as addMonths(from, termMonthsOf(plan)): month ends, leap days, milliseconds, unknown plans", async () => {
    const froms = ["2024-01-31T10:00:00.123Z", "2024-02-29T23:59:59.999Z", "2023-03-31T00:00:00.000Z", "2025-12-31T12:34:56.789Z", "2026-06-15T08:00:00.001Z"].map(Date.parse);
    for (const plan of [...PLAN_KEYS, "retired_plan"]) {
      for (const from of froms) {
        // "company_plans"."plan" resolves to this one-row table, so the expression reads the plan it is given.
        const [row] = await db().all<{ v: number }>(sql`SELECT ${addTermSql(sql`${from}`)} AS v FROM (SELECT ${plan} AS plan) AS company_plans`);
        expect(row!.v, `${plan} from ${new Date(from).toISOString()}`).toBe(addMonths(from, termMonthsOf(plan)));
      }
    }
  });
});
