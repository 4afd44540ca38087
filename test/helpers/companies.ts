// Companies fixtures: a partner team (one signed-in user per role, one
// Purchaser), companies, services and plans written straight to D1, and
// small readers for asserting what changed.
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { companyPlans, companyServices, organizations } from "../../src/db/schema";
import type { ServiceKind } from "../../src/domain/company-services";
import { newId } from "../../src/lib/ids";
import { db, expectError, makeOperator, makeOrg, makeUser, signIn, type TestUser, uniqueEmail } from "./fixtures";

export type TeamRole = "read_only" | "regular" | "partner_manager" | "operator";
export const TEAM_ROLES: TeamRole[] = ["read_only", "regular", "partner_manager", "operator"];

export interface Member {
  user: TestUser;
  cookie: string;
}

export interface Team {
  orgId: string;
  read_only: Member;
  regular: Member;
  partner_manager: Member;
  operator: Member;
  /** A Regular user with the Purchaser flag. */
  purchaser: Member;
}

async function member(user: Promise<TestUser>): Promise<Member> {
  const u = await user;
  return { user: u, cookie: await signIn(u) };
}

/** A partner organization with one signed-in account per role, a Purchaser, and an operator of the vendor. */
export async function makeTeam(): Promise<Team> {
  const org = await makeOrg({ kind: "partner" });
  const [read_only, regular, partner_manager, purchaser, operator] = await Promise.all([
    member(makeUser({ orgId: org.id, role: "read_only" })),
    member(makeUser({ orgId: org.id, role: "regular" })),
    member(makeUser({ orgId: org.id, role: "partner_manager" })),
    member(makeUser({ orgId: org.id, role: "regular", purchaser: true })),
    member(makeOperator()),
  ]);
  return { orgId: org.id, read_only, regular, partner_manager, purchaser, operator };
}

/** One team per test file, made on first use (tests only act on their own companies). */
export function sharedTeam() {
  let team: Promise<Team> | undefined;
  return () => (team ??= makeTeam());
}

export async function makeCompany(partnerOrgId: string, overrides: Partial<typeof organizations.$inferInsert> = {}) {
  return makeOrg({ kind: "customer", channelPartner: false, managedBy: partnerOrgId, name: `Company ${uniqueEmail("c")}`, ...overrides });
}

export async function makeService(companyId: string, kind: ServiceKind, overrides: Partial<typeof companyServices.$inferInsert> = {}) {
  const row = {
    id: newId(),
    companyId,
    kind,
    name: kind === "domain" ? `${newId().toLowerCase().replace(/[^a-z0-9]/g, "x")}.example.com` : `Service ${uniqueEmail("s")}`,
    email: kind === "eul_user" ? uniqueEmail("eul") : null,
    status: "active" as const,
    createdAt: Date.now(),
    ...overrides,
  };
  await db().insert(companyServices).values(row);
  return row;
}

export async function makePlan(companyId: string, overrides: Partial<typeof companyPlans.$inferInsert> = {}) {
  const now = Date.now();
  const row = {
    id: newId(),
    companyId,
    plan: "professional",
    seats: 10,
    unitPriceCents: 1900,
    currency: "EUR",
    autoRenew: false,
    status: "active" as const,
    startsAt: now,
    renewsAt: now + 200 * 86_400_000,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await db().insert(companyPlans).values(row);
  return row;
}

export const companyRow = async (id: string) => (await db().select().from(organizations).where(eq(organizations.id, id)))[0];
export const serviceRow = async (id: string) => (await db().select().from(companyServices).where(eq(companyServices.id, id)))[0];
export const servicesOf = (companyId: string) => db().select().from(companyServices).where(eq(companyServices.companyId, companyId));
export const planRow = async (id: string) => (await db().select().from(companyPlans).where(eq(companyPlans.id, id)))[0];
export const plansOf = (companyId: string) => db().select().from(companyPlans).where(eq(companyPlans.companyId, companyId));
export const companiesManagedBy = (orgId: string) => db().select().from(organizations).where(eq(organizations.managedBy, orgId));

/** A 422 with a message for each named field. */
export async function expectFields(res: Response, ...fields: string[]) {
  const error = await expectError(res, 422, "validation_failed");
  for (const f of fields) expect(error.fields?.[f], `fields: ${JSON.stringify(error.fields)}`).toMatch(/\S/);
  return error.fields!;
}

/** Every price field the API may carry; none of them may appear for a non-Purchaser. */
export const PRICE_FIELDS = ["unitPriceCents", "currency", "totalCents"];

export function findPriceFields(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => findPriceFields(v, `${path}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [...(PRICE_FIELDS.includes(k) || /price|cents|currency/i.test(k) ? [`${path}.${k}`] : []), ...findPriceFields(v, `${path}.${k}`)]);
  return [];
}
