// Every D1 table, as Drizzle sees it. Migrations are generated from this file
// (`npm run db:generate`) and never edited once applied.
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Milliseconds since the epoch; every time column uses it so comparisons are plain integers. */
const ms = (name: string) => integer(name);

export const organizations = sqliteTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["vendor", "partner", "customer"] }).notNull(),
    channelPartner: integer("channel_partner", { mode: "boolean" }).notNull().default(false),
    managedBy: text("managed_by"),
    status: text("status", { enum: ["active", "terminated"] }).notNull().default("active"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("organizations_kind_idx").on(t.kind, t.name), index("organizations_managed_by_idx").on(t.managedBy, t.name)],
);

/** F-70: when an account was last active, as SQL over the users columns (indexed in users_activity_idx). */
export const ACTIVITY_SQL =
  "(CASE WHEN last_activity_at IS NOT NULL THEN last_activity_at WHEN last_login_at IS NOT NULL THEN last_login_at ELSE created_at END)";

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    /** Trimmed and lower-cased: one account per address in the whole system. */
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["operator", "read_only", "regular", "partner_manager"] }).notNull(),
    status: text("status", { enum: ["invited", "pending_2fa", "active", "deactivated"] }).notNull(),
    passwordHash: text("password_hash"),
    privacyPolicyVersion: text("privacy_policy_version"),
    privacyAcceptedAt: ms("privacy_accepted_at"),
    /** AES-GCM ciphertext of the TOTP secret (TOTP_ENCRYPTION_KEY). */
    totpSecretEnc: text("totp_secret_enc"),
    /** Highest TOTP time step accepted: a step at or below it is a replay (RFC 6238 §5.2). */
    totpLastStep: integer("totp_last_step"),
    /** Sessions minted before this moment are dead (password/2FA change, sign out everywhere). */
    sessionsValidAfter: ms("sessions_valid_after").notNull().default(0),
    purchaser: integer("purchaser", { mode: "boolean" }).notNull().default(false),
    analyticsAccess: text("analytics_access", { enum: ["N", "I", "Y"] }).notNull().default("N"),
    analyticsAdmin: integer("analytics_admin", { mode: "boolean" }).notNull().default(false),
    analyticsOwner: integer("analytics_owner", { mode: "boolean" }).notNull().default(false),
    lastLoginAt: ms("last_login_at"),
    /**
     * F-70/F-94: the last sign-in, "keep my account" click or reactivation.
     * Inactivity is measured from COALESCE(last_activity_at, last_login_at, created_at).
     */
    lastActivityAt: ms("last_activity_at"),
    /** F-70: when the one inactivity reminder went out; cleared by any activity. */
    inactivityRemindedAt: ms("inactivity_reminded_at"),
    /**
     * F-94: the single-use "keep my account" token of the current reminder
     * (128 random bits made by the sweep's SQL, so reminders stay set-based).
     * Cleared when used, on sign-in and on reactivation.
     */
    keepToken: text("keep_token"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    index("users_org_idx").on(t.orgId, t.status),
    // The inactivity sweep's predicates (services/inactivity.ts) use exactly these expressions.
    // Written as CASE, not coalesce(): drizzle-kit splits index expressions at commas.
    index("users_activity_idx").on(t.status, sql.raw(ACTIVITY_SQL)),
    index("users_inactivity_reminded_idx").on(t.status, t.inactivityRemindedAt),
  ],
);

/** Activation links (F-03): only the SHA-256 of the token is kept. */
export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    invitedBy: text("invited_by"),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    usedAt: ms("used_at"),
    revokedAt: ms("revoked_at"),
    /** When the "expires soon" reminder went out (F-92): at most one per invitation. */
    remindedAt: ms("reminded_at"),
  },
  (t) => [
    uniqueIndex("invitations_token_unique").on(t.tokenHash),
    index("invitations_user_idx").on(t.userId),
    index("invitations_open_expiry_idx").on(t.expiresAt),
  ],
);

/** Forgot-password links (F-90): single use, one hour, hash only. */
export const passwordResets = sqliteTable(
  "password_resets",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    usedAt: ms("used_at"),
  },
  (t) => [uniqueIndex("password_resets_token_unique").on(t.tokenHash), index("password_resets_user_idx").on(t.userId)],
);

/** Ten single-use recovery codes per enrollment (F-06), hashed. */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    userId: text("user_id").notNull(),
    codeHash: text("code_hash").notNull(),
    createdAt: ms("created_at").notNull(),
    usedAt: ms("used_at"),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/**
 * Failed sign-in attempts per key (`account:<email hash>` or `ip:<address>`), F-08.
 * Kept in D1 rather than KV because counters need read-modify-write that KV cannot do atomically.
 */
export const loginThrottles = sqliteTable("login_throttles", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  windowStartedAt: ms("window_started_at").notNull(),
  lockedUntil: ms("locked_until"),
});

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    at: ms("at").notNull(),
    actorId: text("actor_id"),
    orgId: text("org_id"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    before: text("before_json"),
    after: text("after_json"),
    ip: text("ip"),
  },
  (t) => [index("audit_events_org_at_idx").on(t.orgId, t.at), index("audit_events_at_idx").on(t.at)],
);

/** Mail written in the same batch as its cause and delivered afterwards (F-10). */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    to: text("to_address").notNull(),
    subject: text("subject").notNull(),
    text: text("text_body").notNull(),
    html: text("html_body").notNull(),
    status: text("status", { enum: ["pending", "sent", "dead"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ms("next_attempt_at").notNull(),
    lastError: text("last_error"),
    providerId: text("provider_id"),
    createdAt: ms("created_at").notNull(),
    sentAt: ms("sent_at"),
  },
  (t) => [index("outbox_due_idx").on(t.status, t.nextAttemptAt), index("outbox_created_idx").on(t.createdAt)],
);

/** F-16: a Partner Manager asks operators to grant Purchaser or Analytics Administrator. */
export const roleRequests = sqliteTable(
  "role_requests",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    userId: text("user_id").notNull(),
    kind: text("kind", { enum: ["purchaser", "analytics_admin"] }).notNull(),
    status: text("status", { enum: ["pending", "approved", "rejected"] }).notNull().default("pending"),
    requestedBy: text("requested_by").notNull(),
    decidedBy: text("decided_by"),
    decidedAt: ms("decided_at"),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [index("role_requests_status_idx").on(t.status, t.createdAt), index("role_requests_org_idx").on(t.orgId, t.createdAt)],
);

/**
 * F-31: the services of a company (a customer organization managed by a
 * partner): EUL users, Team VMRs, endpoint subscriptions and domain hosting.
 * Ending one (disable / deactivate / terminate) keeps the row for the record.
 */
export const companyServices = sqliteTable(
  "company_services",
  {
    id: text("id").primaryKey(),
    companyId: text("company_id").notNull(),
    kind: text("kind", { enum: ["eul_user", "team_vmr", "endpoint", "domain"] }).notNull(),
    /** Name of the user, VMR or endpoint; the domain name for domain hosting. */
    name: text("name").notNull(),
    email: text("email"),
    status: text("status", { enum: ["active", "ended"] }).notNull().default("active"),
    createdAt: ms("created_at").notNull(),
    endedAt: ms("ended_at"),
  },
  (t) => [index("company_services_company_idx").on(t.companyId, t.kind, t.status)],
);

/** F-33: license plans ordered for a company. Prices are copied from the catalog at order time. */
export const companyPlans = sqliteTable(
  "company_plans",
  {
    id: text("id").primaryKey(),
    companyId: text("company_id").notNull(),
    plan: text("plan").notNull(),
    seats: integer("seats").notNull(),
    unitPriceCents: integer("unit_price_cents").notNull(),
    currency: text("currency").notNull(),
    autoRenew: integer("auto_renew", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: ["active", "expired"] }).notNull().default("active"),
    startsAt: ms("starts_at").notNull(),
    renewsAt: ms("renews_at").notNull(),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("company_plans_company_idx").on(t.companyId)],
);

/** Devices (user agent + address) an account signed in from, for "new sign-in" notices (F-91). */
export const knownDevices = sqliteTable(
  "known_devices",
  {
    userId: text("user_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    firstSeenAt: ms("first_seen_at").notNull(),
    lastSeenAt: ms("last_seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.fingerprint] })],
);

/**
 * Never holds a row: a batch inserts into it to abort itself when a
 * compare-and-swap before it changed nothing (D1 has no interactive transactions).
 */
export const batchGuards = sqliteTable(
  "batch_guards",
  { violation: integer("violation").notNull() },
  (t) => [check("batch_guards_always_empty", sql`${t.violation} = 0`)],
);
