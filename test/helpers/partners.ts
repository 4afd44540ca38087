// Partner-access fixtures (F-60…F-65): customer and partner organizations,
// fully activated accounts, grants written straight to D1, the cron run, and
// readers for grants, mail and audit rows.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import worker from "../../src/index";
import { auditEvents, outbox, partnerGrants, users } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { db, makeOrg, makeUser, signIn, uniqueEmail, type MailMessage, type TestUser } from "./fixtures";

export const DAY = 86_400_000;

/** A user as activation leaves it: privacy policy accepted, TOTP enrolled (F-61 "verified"). */
export const makeVerifiedUser = (overrides: Parameters<typeof makeUser>[0] = {}) =>
  makeUser({ privacyPolicyVersion: "2024-01", privacyAcceptedAt: Date.now() - DAY, ...overrides });

export const makeCustomerOrg = (overrides: Parameters<typeof makeOrg>[0] = {}) =>
  makeOrg({ kind: "customer", channelPartner: false, name: `Customer ${uniqueEmail("c").slice(9, 20)}`, ...overrides });

export const makeChannelPartner = (overrides: Parameters<typeof makeOrg>[0] = {}) =>
  makeOrg({ kind: "partner", channelPartner: true, name: `Partner ${uniqueEmail("p").slice(9, 20)}`, ...overrides });

export interface Signed {
  user: TestUser;
  cookie: string;
}

export async function signedVerified(orgId: string, role: TestUser["role"], overrides: Parameters<typeof makeUser>[0] = {}): Promise<Signed> {
  const user = await makeVerifiedUser({ orgId, role, ...overrides });
  return { user, cookie: await signIn(user) };
}

/** A grant as the service would have written it. */
export async function insertGrant(customerOrgId: string, partnerUser: { id: string; orgId: string }, overrides: Partial<typeof partnerGrants.$inferInsert> = {}) {
  const now = Date.now();
  const row = {
    id: newId(),
    customerOrgId,
    partnerOrgId: partnerUser.orgId,
    partnerUserId: partnerUser.id,
    grantedBy: null,
    expiresAt: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await db().insert(partnerGrants).values(row);
  return row;
}

export const grantsOf = (customerOrgId: string) => db().select().from(partnerGrants).where(eq(partnerGrants.customerOrgId, customerOrgId));

/** Mail rows straight from D1 (the dev mailbox lists only the newest 100). */
export async function mailsFor(email: string): Promise<MailMessage[]> {
  const rows = await db().select().from(outbox).where(eq(outbox.to, email.toLowerCase()));
  return rows.map((r) => ({ id: r.id, to: r.to, subject: r.subject, text: r.text, html: r.html, createdAt: String(r.createdAt) }));
}

export const partnerAudit = (customerOrgId: string, action?: string) =>
  db()
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.orgId, customerOrgId), eq(auditEvents.targetType, "partner_access"), action ? eq(auditEvents.action, action) : undefined));

export const userEmail = async (id: string) => (await db().select({ email: users.email }).from(users).where(eq(users.id, id)))[0]?.email;

/** The scheduled handler as the cron trigger calls it. */
export async function runDailyCron(scheduledTime: number) {
  const controller = createScheduledController({ scheduledTime, cron: "0 3 * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled!(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}
