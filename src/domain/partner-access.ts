// Partner access to a customer's insights (F-60…F-65, F-95), as rules:
// who manages grants, the F-61 checks over looked-up facts, and when a grant
// still holds. The validity rule exists twice on purpose, side by side below:
// grantHolds() for code and tests, grantHoldsSql() for every query that reads
// grants. test/unit/partner-access.test.ts seeds each case and asserts both agree.
import { sql, type SQL } from "drizzle-orm";
import { organizations, partnerGrants, users } from "../db/schema";
import type { AccountStatus } from "./account-state";
import type { Actor } from "./actor";
import type { Role } from "./roles";

type OrgKind = Actor["orgKind"];

// ---------------------------------------------------------------- who may do what

/** F-60: the roles of a customer organization that may grant, edit and remove partner access. */
export const GRANT_MANAGER_ROLES: readonly Role[] = ["regular", "partner_manager"];
/** F-62: the roles of a customer organization that may see its partners table. */
export const GRANT_VIEWER_ROLES: readonly Role[] = ["read_only", "regular", "partner_manager"];

export const canViewPartnerGrants = (actor: { orgKind: OrgKind; role: Role }) => actor.orgKind === "customer" && GRANT_VIEWER_ROLES.includes(actor.role);
export const canManagePartnerGrants = (actor: { orgKind: OrgKind; role: Role }) => actor.orgKind === "customer" && GRANT_MANAGER_ROLES.includes(actor.role);

/** F-65: every portal role of a partner organization has a partner dashboard (what it shows depends on grants). */
export const canUsePartnerDashboard = (actor: { orgKind: OrgKind; role: Role }) => actor.orgKind === "partner" && actor.role !== "operator";

// ---------------------------------------------------------------- F-61 checks

/** The granting account as stored now (the session only proves it was active a moment ago). */
export interface GrantorFacts {
  status: AccountStatus;
  /** Activation done: the privacy policy was accepted (F-04). */
  privacyAccepted: boolean;
  /** A TOTP secret is enrolled (F-05). */
  twoFactorEnrolled: boolean;
  orgId: string;
  orgKind: OrgKind;
  orgStatus: "active" | "terminated";
}

/** The account behind an email address, or null when no account has it. */
export interface TargetAccountFacts {
  orgId: string;
  status: AccountStatus;
  orgKind: OrgKind;
  orgStatus: "active" | "terminated";
  channelPartner: boolean;
}

/** The organization picked in the "existing partner organization" mode, or null when no organization has that id. */
export interface TargetOrgFacts {
  id: string;
  kind: OrgKind;
  status: "active" | "terminated";
  channelPartner: boolean;
}

export type GrantTarget = { mode: "email"; account: TargetAccountFacts | null } | { mode: "organization"; org: TargetOrgFacts | null };

export const GRANT_CHECK_CODES = ["GRANTOR_NOT_VERIFIED", "TARGET_IN_OWN_ORGANIZATION", "NOT_A_PARTNER_ACCOUNT", "NOT_CHANNEL_PARTNER"] as const;
export type GrantCheckCode = (typeof GRANT_CHECK_CODES)[number];

export interface GrantCheckFailure {
  code: GrantCheckCode;
  message: string;
  /** The form field the message belongs next to; none for the grantor's own state. */
  field?: "email" | "orgId";
}

export const GRANT_CHECK_MESSAGES: Record<GrantCheckCode, string> = {
  GRANTOR_NOT_VERIFIED: "Your account must be fully activated (privacy policy accepted, two-factor authentication set up) before you can grant partner access.",
  TARGET_IN_OWN_ORGANIZATION: "This person belongs to your own organization. Partner access is for users of a partner organization.",
  // One message for every reason an address does not qualify, so the answer tells nothing about accounts outside channel partners.
  NOT_A_PARTNER_ACCOUNT: "This email address does not belong to an active account of a channel partner.",
  NOT_CHANNEL_PARTNER: "This organization is not a channel partner. Pick one from the list.",
};

/** F-61: verified means an active account that completed activation and 2FA, in an active organization. */
export const grantorVerified = (g: GrantorFacts) => g.status === "active" && g.privacyAccepted && g.twoFactorEnrolled && g.orgStatus === "active";

/** What the email mode requires of the target account: active, in an active channel-partner organization. */
const isChannelPartnerAccount = (t: TargetAccountFacts) => t.status === "active" && t.orgKind === "partner" && t.orgStatus === "active" && t.channelPartner;
const isChannelPartnerOrg = (o: TargetOrgFacts) => o.kind === "partner" && o.status === "active" && o.channelPartner;

// The same rules as SQL booleans, side by side with the code above (like grantHolds/grantHoldsSql), for
// writes that check them as guards in their own batch instead of reading the facts first (issue 9).

/** grantorVerified() over the account as stored now. */
export const grantorVerifiedSql = (userId: string): SQL => sql`EXISTS (SELECT 1 FROM ${users} AS pa_grantor
  JOIN ${organizations} AS pa_grantor_org ON pa_grantor_org.id = pa_grantor.org_id
  WHERE pa_grantor.id = ${userId} AND pa_grantor.status = 'active' AND pa_grantor.privacy_accepted_at IS NOT NULL
    AND pa_grantor.totp_secret_enc IS NOT NULL AND pa_grantor_org.status = 'active')`;

/** firstFailingGrantCheck() passes for the target of the email mode (the grantor aside): a channel partner's account outside `grantorOrgId`. */
export const channelPartnerAccountSql = (email: string, grantorOrgId: string): SQL => sql`EXISTS (SELECT 1 FROM ${users} AS pa_target
  JOIN ${organizations} AS pa_target_org ON pa_target_org.id = pa_target.org_id
  WHERE pa_target.email = ${email} AND pa_target.org_id <> ${grantorOrgId} AND pa_target.status = 'active'
    AND pa_target_org.kind = 'partner' AND pa_target_org.status = 'active' AND pa_target_org.channel_partner = 1)`;

/** firstFailingGrantCheck() passes for the organization mode's target (the grantor aside): a channel partner other than `grantorOrgId`. */
export const channelPartnerOrgSql = (orgId: string, grantorOrgId: string): SQL => sql`EXISTS (SELECT 1 FROM ${organizations} AS pa_target_org
  WHERE pa_target_org.id = ${orgId} AND pa_target_org.id <> ${grantorOrgId}
    AND pa_target_org.kind = 'partner' AND pa_target_org.status = 'active' AND pa_target_org.channel_partner = 1)`;

const failure = (code: GrantCheckCode, field?: GrantCheckFailure["field"]): GrantCheckFailure => ({ code, message: GRANT_CHECK_MESSAGES[code], ...(field ? { field } : {}) });

/**
 * F-61, in the seed's order; the first check that fails, or null. In the email
 * mode "not a channel partner" folds into NOT_A_PARTNER_ACCOUNT: an unknown
 * address, an inactive account, a customer's or vendor's account and an account
 * of a partner that is not a channel partner must all look the same, or a
 * customer could probe who has an account where.
 */
export function firstFailingGrantCheck(grantor: GrantorFacts, target: GrantTarget): GrantCheckFailure | null {
  if (!grantorVerified(grantor)) return failure("GRANTOR_NOT_VERIFIED");
  if (target.mode === "email") {
    if (target.account && target.account.orgId === grantor.orgId) return failure("TARGET_IN_OWN_ORGANIZATION", "email");
    if (!target.account || !isChannelPartnerAccount(target.account)) return failure("NOT_A_PARTNER_ACCOUNT", "email");
    return null;
  }
  if (target.org && target.org.id === grantor.orgId) return failure("TARGET_IN_OWN_ORGANIZATION", "orgId");
  if (!target.org || !isChannelPartnerOrg(target.org)) return failure("NOT_CHANNEL_PARTNER", "orgId");
  return null;
}

// ---------------------------------------------------------------- F-64/F-95 validity, checked at read time

export interface GrantValidityFacts {
  now: number;
  grant: { partnerOrgId: string; expiresAt: number | null };
  /** The partner user's account; null once it is deleted. */
  partnerUser: { orgId: string; status: AccountStatus } | null;
  partnerOrg: { kind: OrgKind; status: "active" | "terminated"; channelPartner: boolean } | null;
  customerOrg: { kind: OrgKind; status: "active" | "terminated" } | null;
}

/**
 * A grant lets its partner user see the customer only while: the user is
 * active and still in the partner organization the grant names; that
 * organization is an active channel partner; the grant has not expired; the
 * customer organization is active. Same rule as grantHoldsSql() below.
 */
export function grantHolds(f: GrantValidityFacts): boolean {
  const { grant, partnerUser, partnerOrg, customerOrg } = f;
  return (
    (grant.expiresAt === null || grant.expiresAt > f.now) &&
    partnerUser !== null &&
    partnerUser.status === "active" &&
    partnerUser.orgId === grant.partnerOrgId &&
    partnerOrg !== null &&
    partnerOrg.kind === "partner" &&
    partnerOrg.status === "active" &&
    partnerOrg.channelPartner &&
    customerOrg !== null &&
    customerOrg.kind === "customer" &&
    customerOrg.status === "active"
  );
}

/**
 * grantHolds() as a SQL boolean over the partner_grants row in scope. Every
 * read of grants (partners table, dashboard, edits) filters with it, so a
 * revocation (F-64) takes effect on the partner user's next request; the daily
 * cron then deletes what no longer holds. The sub-selects use their own
 * aliases, so a query that joins users or organizations itself is unaffected.
 */
export const grantHoldsSql = (now: number): SQL => sql`(
  (${partnerGrants.expiresAt} IS NULL OR ${partnerGrants.expiresAt} > ${now})
  AND EXISTS (SELECT 1 FROM ${users} AS pa_user WHERE pa_user.id = ${partnerGrants.partnerUserId}
    AND pa_user.status = 'active' AND pa_user.org_id = ${partnerGrants.partnerOrgId})
  AND EXISTS (SELECT 1 FROM ${organizations} AS pa_partner WHERE pa_partner.id = ${partnerGrants.partnerOrgId}
    AND pa_partner.kind = 'partner' AND pa_partner.status = 'active' AND pa_partner.channel_partner = 1)
  AND EXISTS (SELECT 1 FROM ${organizations} AS pa_customer WHERE pa_customer.id = ${partnerGrants.customerOrgId}
    AND pa_customer.kind = 'customer' AND pa_customer.status = 'active')
)`;

/** Expired (F-95) rather than revoked (F-64): decides the wording of the "access ended" mail and audit action. */
export const grantExpiredSql = (now: number): SQL => sql`(${partnerGrants.expiresAt} IS NOT NULL AND ${partnerGrants.expiresAt} <= ${now})`;

// ---------------------------------------------------------------- F-95 expiry input

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An expiry as typed: a date (YYYY-MM-DD, the access ends when that UTC day
 * begins) or an ISO-8601 date-time with zone. Milliseconds, or null when unreadable.
 */
export function parseExpiry(text: string): number | null {
  const s = text.trim();
  if (!ISO_DATE.test(s) && !ISO_DATE_TIME.test(s)) return null;
  // Date.parse rolls 2031-02-30 over into March; a day the calendar lacks is refused instead.
  const [y, m, d] = s.slice(0, 10).split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return null;
  const ms = Date.parse(ISO_DATE.test(s) ? `${s}T00:00:00Z` : s);
  return Number.isNaN(ms) ? null : ms;
}

export const EXPIRY_IN_PAST_MESSAGE = "Pick a date in the future, or leave it empty for access without an end date.";
export const expiryInFuture = (expiresAt: number | null, now: number) => expiresAt === null || expiresAt > now;

// ---------------------------------------------------------------- F-65 reporting window

export const TREND_DAYS = 30;
const DAY_MS = 86_400_000;
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last 30 UTC days up to and including today, and the 30 before them. */
export function statsWindow(now: number) {
  const days = Array.from({ length: TREND_DAYS }, (_, i) => utcDay(now - (TREND_DAYS - 1 - i) * DAY_MS));
  return { days, from: days[0]!, to: days[TREND_DAYS - 1]!, prevFrom: utcDay(now - (2 * TREND_DAYS - 1) * DAY_MS), prevTo: utcDay(now - TREND_DAYS * DAY_MS) };
}
