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

/**
 * F-70: when an account was last active, as SQL over the users columns. Bare
 * (ACTIVITY_SQL, indexed in users_activity_idx), or of a named table or alias
 * where a correlated subquery must say which account it means.
 */
export const activitySqlOf = (table?: string) => {
  const col = (name: string) => (table ? `"${table}".${name}` : name);
  return `(CASE WHEN ${col("last_activity_at")} IS NOT NULL THEN ${col("last_activity_at")} WHEN ${col("last_login_at")} IS NOT NULL THEN ${col("last_login_at")} ELSE ${col("created_at")} END)`;
};
export const ACTIVITY_SQL = activitySqlOf();

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
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    index("users_org_idx").on(t.orgId, t.status),
    // The inactivity sweep's predicates (services/inactivity.ts) use exactly these expressions.
    // Written as CASE, not coalesce(): drizzle-kit splits index expressions at commas.
    index("users_activity_idx").on(t.status, sql.raw(ACTIVITY_SQL)),
    // Reminder candidates: active, not yet reminded, inactive since the cutoff — a range scan, no filtering.
    index("users_reminder_idx").on(t.status, t.inactivityRemindedAt, sql.raw(ACTIVITY_SQL)),
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
    /**
     * The Resend batch (and its idempotency key) a row was first sent in. A
     * batch that failed as a whole is retried with exactly the same rows and
     * key, so a retry after a lost response never sends a mail twice.
     */
    batchKey: text("batch_key"),
  },
  (t) => [
    index("outbox_due_idx").on(t.status, t.nextAttemptAt),
    index("outbox_created_idx").on(t.createdAt),
    // Only rows waiting to be retried as a batch: delivery looks for one before any new mail, on every round.
    index("outbox_retry_idx").on(t.nextAttemptAt).where(sql`status = 'pending' AND batch_key IS NOT NULL`),
  ],
);

/** F-10/F-70 operator visibility: one row per cron job run, with what it did. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: text("id").primaryKey(),
    job: text("job").notNull(),
    cron: text("cron"),
    /** The event's scheduledTime: the "now" the run worked as of. */
    scheduledAt: ms("scheduled_at").notNull(),
    startedAt: ms("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    status: text("status", { enum: ["ok", "failed"] }).notNull(),
    summary: text("summary_json"),
    error: text("error"),
  },
  (t) => [index("job_runs_job_idx").on(t.job, t.startedAt)],
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

// ---------------------------------------------------------------- analytics (F-40…F-46, F-52)

/** F-40: a site or app of an organization's analytics workspace. */
export const analyticsSites = sqliteTable(
  "analytics_sites",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["site", "app"] }).notNull(),
    url: text("url"),
    /** Public collection key (not a secret: it sits in every tracked page), unique across workspaces. */
    siteKey: text("site_key").notNull(),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [uniqueIndex("analytics_sites_key_unique").on(t.siteKey), index("analytics_sites_org_idx").on(t.orgId, t.name)],
);

/** F-40/F-43: a meta site groups sites of the same workspace; `dashboard` is its saved dashboard layout (JSON). */
export const analyticsMetaSites = sqliteTable(
  "analytics_meta_sites",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    name: text("name").notNull(),
    dashboard: text("dashboard_json"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("analytics_meta_sites_org_idx").on(t.orgId, t.name)],
);

export const analyticsMetaSiteMembers = sqliteTable(
  "analytics_meta_site_members",
  { metaSiteId: text("meta_site_id").notNull(), siteId: text("site_id").notNull() },
  (t) => [primaryKey({ columns: [t.metaSiteId, t.siteId] }), index("analytics_meta_site_members_site_idx").on(t.siteId)],
);

/** F-42: a user's level on a site. No row means "none" (the default). */
export const analyticsSitePermissions = sqliteTable(
  "analytics_site_permissions",
  {
    siteId: text("site_id").notNull(),
    userId: text("user_id").notNull(),
    level: text("level", { enum: ["view", "edit", "edit_publish", "manage"] }).notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.userId] }), index("analytics_site_permissions_user_idx").on(t.userId)],
);

/** F-43: a user's level on a meta site. No row means "none". */
export const analyticsMetaSitePermissions = sqliteTable(
  "analytics_meta_site_permissions",
  {
    metaSiteId: text("meta_site_id").notNull(),
    userId: text("user_id").notNull(),
    level: text("level", { enum: ["view", "edit", "manage"] }).notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.metaSiteId, t.userId] }), index("analytics_meta_site_permissions_user_idx").on(t.userId)],
);

/** F-44: a user's level on a module. No row means "none". */
export const analyticsModulePermissions = sqliteTable(
  "analytics_module_permissions",
  {
    userId: text("user_id").notNull(),
    module: text("module").notNull(),
    level: text("level", { enum: ["read_only", "full"] }).notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.module] })],
);

/** F-42: tag-manager entries of a site. Editing makes a draft; publishing is its own permission. */
export const analyticsTags = sqliteTable(
  "analytics_tags",
  {
    id: text("id").primaryKey(),
    siteId: text("site_id").notNull(),
    name: text("name").notNull(),
    /** The tag's snippet/config as edited (the draft). */
    code: text("code").notNull().default(""),
    /** What visitors get: the code as of the last publish; null until first published. */
    publishedCode: text("published_code"),
    status: text("status", { enum: ["draft", "published"] }).notNull().default("draft"),
    publishedAt: ms("published_at"),
    publishedBy: text("published_by"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("analytics_tags_site_idx").on(t.siteId, t.name)],
);

/** F-43: saved segments of a meta site (a subset of its sites and event types). */
export const analyticsSegments = sqliteTable(
  "analytics_segments",
  {
    id: text("id").primaryKey(),
    metaSiteId: text("meta_site_id").notNull(),
    name: text("name").notNull(),
    definition: text("definition_json").notNull(),
    createdBy: text("created_by"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("analytics_segments_meta_idx").on(t.metaSiteId, t.name)],
);

/**
 * F-45: daily aggregates fed by POST /api/v1/collect (one upsert per hit).
 * `licenseKey` is the optional dimension License Key Filtering reports on ('' when absent).
 */
export const analyticsDailyStats = sqliteTable(
  "analytics_daily_stats",
  {
    siteId: text("site_id").notNull(),
    /** YYYY-MM-DD, UTC. */
    day: text("day").notNull(),
    licenseKey: text("license_key").notNull().default(""),
    visits: integer("visits").notNull().default(0),
    events: integer("events").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.day, t.licenseKey] })],
);

/** F-44 Product Administrator: clients and IP addresses refused by collection, per workspace. */
export const analyticsBlocks = sqliteTable(
  "analytics_blocks",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    kind: text("kind", { enum: ["ip", "client"] }).notNull(),
    value: text("value").notNull(),
    createdBy: text("created_by"),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [uniqueIndex("analytics_blocks_unique").on(t.orgId, t.kind, t.value)],
);

/**
 * One row per workspace: Developer settings (call-home URL, allowed event
 * types, AES key), the monthly event quota (Quota Usage) and billing details (Billing).
 */
export const analyticsSettings = sqliteTable("analytics_settings", {
  orgId: text("org_id").primaryKey(),
  callHomeUrl: text("call_home_url"),
  /** JSON array of event types collection accepts; null = the defaults in domain/analytics-data.ts. */
  allowedEvents: text("allowed_events_json"),
  /** AES-GCM ciphertext (TOTP_ENCRYPTION_KEY) of the product's AES key. */
  aesKeyEnc: text("aes_key_enc"),
  aesKeySetAt: ms("aes_key_set_at"),
  monthlyEventQuota: integer("monthly_event_quota"),
  billingName: text("billing_name"),
  billingEmail: text("billing_email"),
  billingAddress: text("billing_address"),
  vatId: text("vat_id"),
  updatedAt: ms("updated_at").notNull(),
});

/** F-44 License Key Management: the workspace's license key registry. */
export const analyticsLicenseKeys = sqliteTable(
  "analytics_license_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    key: text("license_key").notNull(),
    label: text("label").notNull(),
    status: text("status", { enum: ["active", "revoked"] }).notNull().default("active"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [uniqueIndex("analytics_license_keys_unique").on(t.orgId, t.key)],
);

/** F-44 ReachOut: in-product message campaigns. */
export const analyticsCampaigns = sqliteTable(
  "analytics_campaigns",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    name: text("name").notNull(),
    message: text("message").notNull(),
    status: text("status", { enum: ["draft", "active", "ended"] }).notNull().default("draft"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [index("analytics_campaigns_org_idx").on(t.orgId, t.createdAt)],
);

/**
 * F-07: one row per session, so the account page lists them from D1 (KV's
 * list is eventually consistent) and revoking one session takes effect on the
 * next request everywhere (the session check joins this row). The KV record
 * stays the fast path for the cookie; `keyHash` lets a revocation tidy it up.
 */
export const userSessions = sqliteTable(
  "user_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    keyHash: text("key_hash").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: ms("created_at").notNull(),
    revokedAt: ms("revoked_at"),
  },
  (t) => [index("user_sessions_user_idx").on(t.userId, t.createdAt)],
);

/** F-52: personal Reporting API tokens; only the SHA-256 of the secret is kept. */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** The first characters of the token, so a user can tell tokens apart. */
    prefix: text("prefix").notNull(),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at"),
    lastUsedAt: ms("last_used_at"),
    revokedAt: ms("revoked_at"),
    /**
     * The page form that made the token. A second post of the same form (a
     * reload of the answer that showed the secret) hits the unique index
     * instead of making a second token. Null for tokens made through the API.
     */
    formKey: text("form_key"),
  },
  (t) => [
    uniqueIndex("api_tokens_hash_unique").on(t.tokenHash),
    index("api_tokens_user_idx").on(t.userId),
    uniqueIndex("api_tokens_form_key_unique").on(t.userId, t.formKey),
  ],
);

// ---------------------------------------------------------------- partner access (F-60…F-65, F-95)

/**
 * F-60: a customer organization lets one partner user see its insights. The
 * partners table groups these rows by the partner user's organization.
 */
export const partnerGrants = sqliteTable(
  "partner_grants",
  {
    id: text("id").primaryKey(),
    customerOrgId: text("customer_org_id").notNull(),
    partnerOrgId: text("partner_org_id").notNull(),
    partnerUserId: text("partner_user_id").notNull(),
    grantedBy: text("granted_by"),
    /** F-95: the grant ends at this moment (the cron mails and deletes it; reads ignore it at once). */
    expiresAt: ms("expires_at"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("partner_grants_unique").on(t.customerOrgId, t.partnerUserId),
    index("partner_grants_partner_user_idx").on(t.partnerUserId),
    index("partner_grants_partner_org_idx").on(t.partnerOrgId),
    index("partner_grants_expiry_idx").on(t.expiresAt),
  ],
);

// ---------------------------------------------------------------- access review (F-93)

/**
 * F-93: a Partner Manager's review of every user of the organization, started
 * by the quarterly cron (started_by null) or on demand. At most one open review
 * per organization: the partial unique index refuses a second one even when
 * two starts race.
 */
export const accessReviews = sqliteTable(
  "access_reviews",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    /** The Partner Manager who started it; null when the quarterly schedule did. */
    startedBy: text("started_by"),
    startedAt: ms("started_at").notNull(),
    dueAt: ms("due_at").notNull(),
    completedAt: ms("completed_at"),
    completedBy: text("completed_by"),
    /** When the one "still open" reminder went out. */
    remindedAt: ms("reminded_at"),
    status: text("status", { enum: ["open", "completed"] }).notNull().default("open"),
  },
  (t) => [
    uniqueIndex("access_reviews_one_open_per_org").on(t.orgId).where(sql`status = 'open'`),
    index("access_reviews_org_idx").on(t.orgId, t.startedAt),
    index("access_reviews_status_idx").on(t.status, t.startedAt),
  ],
);

/**
 * One row per user of the organization (not deactivated) when the review
 * started, with what they held then (role, P/AA/AAA, partner grants) as JSON,
 * so the review shows what changed and the audit can name it.
 */
export const accessReviewItems = sqliteTable(
  "access_review_items",
  {
    reviewId: text("review_id").notNull(),
    userId: text("user_id").notNull(),
    decision: text("decision", { enum: ["pending", "confirmed", "changed", "deactivated"] }).notNull().default("pending"),
    decidedBy: text("decided_by"),
    decidedAt: ms("decided_at"),
    snapshot: text("snapshot_json").notNull(),
  },
  (t) => [primaryKey({ columns: [t.reviewId, t.userId] })],
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
