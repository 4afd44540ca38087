// The partner-access rules (domain/partner-access.ts): who manages grants,
// every F-61 check, the expiry input, and the validity rule, whose pure and SQL
// forms are proven to agree on a table of cases seeded into D1.
import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { organizations, partnerGrants, users } from "../../src/db/schema";
import {
  canManagePartnerGrants,
  canUsePartnerDashboard,
  canViewPartnerGrants,
  expiryInFuture,
  firstFailingGrantCheck,
  grantHolds,
  grantHoldsSql,
  parseExpiry,
  statsWindow,
  type GrantorFacts,
  type GrantValidityFacts,
  type TargetAccountFacts,
} from "../../src/domain/partner-access";
import { ROLES, type Role } from "../../src/domain/roles";
import { newId } from "../../src/lib/ids";

const KINDS = ["vendor", "partner", "customer"] as const;

describe("who may see and manage partner access", () => {
  const expected: Record<(typeof KINDS)[number], Partial<Record<Role, { view: boolean; manage: boolean; dashboard: boolean }>>> = {
    customer: {
      read_only: { view: true, manage: false, dashboard: false },
      regular: { view: true, manage: true, dashboard: false },
      partner_manager: { view: true, manage: true, dashboard: false },
      operator: { view: false, manage: false, dashboard: false },
    },
    partner: {
      read_only: { view: false, manage: false, dashboard: true },
      regular: { view: false, manage: false, dashboard: true },
      partner_manager: { view: false, manage: false, dashboard: true },
      operator: { view: false, manage: false, dashboard: false },
    },
    vendor: {},
  };
  for (const orgKind of KINDS) {
    for (const role of ROLES) {
      const want = expected[orgKind][role] ?? { view: false, manage: false, dashboard: false };
      it(`${orgKind} ${role}: view ${want.view}, manage ${want.manage}, dashboard ${want.dashboard}`, () => {
        expect(canViewPartnerGrants({ orgKind, role })).toBe(want.view);
        expect(canManagePartnerGrants({ orgKind, role })).toBe(want.manage);
        expect(canUsePartnerDashboard({ orgKind, role })).toBe(want.dashboard);
      });
    }
  }
});

const grantor: GrantorFacts = { status: "active", privacyAccepted: true, twoFactorEnrolled: true, orgId: "cust", orgKind: "customer", orgStatus: "active" };
const partnerAccount: TargetAccountFacts = { orgId: "part", status: "active", orgKind: "partner", orgStatus: "active", channelPartner: true };
const partnerOrg = { id: "part", kind: "partner" as const, status: "active" as const, channelPartner: true };

describe("F-61 checks", () => {
  it("an active channel partner's account passes, by email and by organization", () => {
    expect(firstFailingGrantCheck(grantor, { mode: "email", account: partnerAccount })).toBeNull();
    expect(firstFailingGrantCheck(grantor, { mode: "organization", org: partnerOrg })).toBeNull();
  });

  it.each([
    ["not active", { status: "deactivated" }],
    ["awaiting 2FA setup", { status: "pending_2fa" }],
    ["privacy policy not accepted", { privacyAccepted: false }],
    ["no TOTP enrolled", { twoFactorEnrolled: false }],
    ["organization terminated", { orgStatus: "terminated" }],
  ] as const)("GRANTOR_NOT_VERIFIED when the grantor is %s, before any other check", (_, change) => {
    const failure = firstFailingGrantCheck({ ...grantor, ...change }, { mode: "email", account: null });
    expect(failure).toMatchObject({ code: "GRANTOR_NOT_VERIFIED" });
    expect(failure?.field).toBeUndefined();
  });

  it("TARGET_IN_OWN_ORGANIZATION on the email field, even for an inactive colleague", () => {
    expect(firstFailingGrantCheck(grantor, { mode: "email", account: { ...partnerAccount, orgId: "cust", orgKind: "customer", status: "deactivated" } })).toMatchObject({
      code: "TARGET_IN_OWN_ORGANIZATION",
      field: "email",
    });
    expect(firstFailingGrantCheck(grantor, { mode: "organization", org: { ...partnerOrg, id: "cust", kind: "customer" } })).toMatchObject({
      code: "TARGET_IN_OWN_ORGANIZATION",
      field: "orgId",
    });
  });

  const notPartner: [string, TargetAccountFacts | null][] = [
    ["no account has the address", null],
    ["the account is deactivated", { ...partnerAccount, status: "deactivated" }],
    ["the account is only invited", { ...partnerAccount, status: "invited" }],
    ["the account belongs to a customer", { ...partnerAccount, orgKind: "customer", channelPartner: false }],
    ["the account belongs to the vendor", { ...partnerAccount, orgKind: "vendor", channelPartner: false }],
    ["the partner is terminated", { ...partnerAccount, orgStatus: "terminated" }],
    ["the partner is not a channel partner", { ...partnerAccount, channelPartner: false }],
  ];
  it.each(notPartner)("NOT_A_PARTNER_ACCOUNT, one identical failure, when %s", (_, account) => {
    expect(firstFailingGrantCheck(grantor, { mode: "email", account })).toEqual(firstFailingGrantCheck(grantor, { mode: "email", account: null }));
    expect(firstFailingGrantCheck(grantor, { mode: "email", account })).toMatchObject({ code: "NOT_A_PARTNER_ACCOUNT", field: "email" });
  });

  it.each([
    ["unknown", null],
    ["not a channel partner", { ...partnerOrg, channelPartner: false }],
    ["terminated", { ...partnerOrg, status: "terminated" as const }],
    ["a customer", { ...partnerOrg, kind: "customer" as const }],
  ])("NOT_CHANNEL_PARTNER on the orgId field when the picked organization is %s", (_, org) => {
    expect(firstFailingGrantCheck(grantor, { mode: "organization", org })).toMatchObject({ code: "NOT_CHANNEL_PARTNER", field: "orgId" });
  });
});

describe("expiry input (F-95)", () => {
  it("reads a date as the start of that UTC day, and ISO date-times with a zone", () => {
    expect(parseExpiry("2031-02-03")).toBe(Date.UTC(2031, 1, 3));
    expect(parseExpiry(" 2031-02-03T10:20:30.400Z ")).toBe(Date.UTC(2031, 1, 3, 10, 20, 30, 400));
    expect(parseExpiry("2031-02-03T10:20+02:00")).toBe(Date.UTC(2031, 1, 3, 8, 20));
  });
  it.each(["", "tomorrow", "2031-02-30", "2031-13-01", "2031-2-3", "2031-02-03T10:20", "2031-02-03T25:00Z", "03/02/2031"])("refuses %j", (text) => {
    expect(parseExpiry(text)).toBeNull();
  });
  it("must lie after now; none is always fine", () => {
    expect(expiryInFuture(1_001, 1_000)).toBe(true);
    expect(expiryInFuture(1_000, 1_000)).toBe(false);
    expect(expiryInFuture(null, 1_000)).toBe(true);
  });
  it("the statistics window is the last 30 UTC days and the 30 before", () => {
    const w = statsWindow(Date.UTC(2031, 2, 1, 12));
    expect([w.from, w.to, w.prevFrom, w.prevTo]).toEqual(["2031-01-31", "2031-03-01", "2031-01-01", "2031-01-30"]);
    expect(w.days).toHaveLength(30);
  });
});

// ---------------------------------------------------------------- validity: pure rule and SQL predicate agree

const NOW = Date.UTC(2032, 0, 1);
const valid: GrantValidityFacts = {
  now: NOW,
  grant: { partnerOrgId: "P", expiresAt: null },
  partnerUser: { orgId: "P", status: "active" },
  partnerOrg: { kind: "partner", status: "active", channelPartner: true },
  customerOrg: { kind: "customer", status: "active" },
};

const CASES: [string, GrantValidityFacts, boolean][] = [
  ["valid, no end date", valid, true],
  ["valid, ends later", { ...valid, grant: { ...valid.grant, expiresAt: NOW + 1 } }, true],
  ["ends exactly now", { ...valid, grant: { ...valid.grant, expiresAt: NOW } }, false],
  ["expired", { ...valid, grant: { ...valid.grant, expiresAt: NOW - 1 } }, false],
  ["user deactivated", { ...valid, partnerUser: { orgId: "P", status: "deactivated" } }, false],
  ["user invited", { ...valid, partnerUser: { orgId: "P", status: "invited" } }, false],
  ["user awaiting 2FA", { ...valid, partnerUser: { orgId: "P", status: "pending_2fa" } }, false],
  ["user deleted", { ...valid, partnerUser: null }, false],
  ["user left the organization", { ...valid, partnerUser: { orgId: "Q", status: "active" } }, false],
  ["partner no longer a channel partner", { ...valid, partnerOrg: { kind: "partner", status: "active", channelPartner: false } }, false],
  ["partner terminated", { ...valid, partnerOrg: { kind: "partner", status: "terminated", channelPartner: true } }, false],
  ["partner organization is a customer", { ...valid, partnerOrg: { kind: "customer", status: "active", channelPartner: true } }, false],
  ["partner organization gone", { ...valid, partnerOrg: null }, false],
  ["customer terminated", { ...valid, customerOrg: { kind: "customer", status: "terminated" } }, false],
  ["customer is not a customer organization", { ...valid, customerOrg: { kind: "partner", status: "active" } }, false],
  ["customer gone", { ...valid, customerOrg: null }, false],
  ["expired and user deactivated", { ...valid, grant: { ...valid.grant, expiresAt: NOW - 1 }, partnerUser: { orgId: "P", status: "deactivated" } }, false],
];

/** Writes one case to D1: its organizations, its user and the grant. Returns the grant id. */
async function seed(facts: GrantValidityFacts): Promise<string> {
  const db = createDb(env.DB);
  const t = Date.now();
  const partnerOrgId = newId();
  const otherOrgId = newId();
  const customerOrgId = newId();
  const orgRows: (typeof organizations.$inferInsert)[] = [{ id: otherOrgId, name: "Other", kind: "partner", channelPartner: true, createdAt: t, updatedAt: t }];
  if (facts.partnerOrg) orgRows.push({ id: partnerOrgId, name: "Partner", ...facts.partnerOrg, createdAt: t, updatedAt: t });
  if (facts.customerOrg) orgRows.push({ id: customerOrgId, name: "Customer", ...facts.customerOrg, channelPartner: false, createdAt: t, updatedAt: t });
  await db.insert(organizations).values(orgRows);
  const userId = newId();
  if (facts.partnerUser) {
    const orgId = facts.partnerUser.orgId === facts.grant.partnerOrgId ? partnerOrgId : otherOrgId;
    await db.insert(users).values({ id: userId, orgId, email: `${userId.toLowerCase()}@example.com`, name: "U", role: "regular", status: facts.partnerUser.status, createdAt: t, updatedAt: t });
  }
  const grantId = newId();
  await db.insert(partnerGrants).values({ id: grantId, customerOrgId, partnerOrgId, partnerUserId: userId, expiresAt: facts.grant.expiresAt, createdAt: t, updatedAt: t });
  return grantId;
}

describe("grant validity (F-64, F-95)", () => {
  it.each(CASES)("%s → holds: %s (pure rule)", (_, facts, holds) => {
    expect(grantHolds(facts)).toBe(holds);
  });

  it("the SQL predicate every query uses agrees with the pure rule on every case", async () => {
    const db = createDb(env.DB);
    const seeded = await Promise.all(CASES.map(async ([label, facts]) => ({ label, facts, id: await seed(facts) })));
    for (const { label, facts, id } of seeded) {
      const rows = await db.select({ id: partnerGrants.id }).from(partnerGrants).where(and(eq(partnerGrants.id, id), grantHoldsSql(facts.now)));
      expect(rows.length === 1, label).toBe(grantHolds(facts));
    }
  });
});
