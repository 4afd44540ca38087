// The Worker's bindings and the per-request variables every handler sees.
import type { Actor } from "./domain/actor";
import type { Deps } from "./deps";
import type { OwnCredentials, SessionRecord } from "./services/sessions";

export interface Bindings {
  DB: D1Database;
  KV: KVNamespace;
  /** F-45: hits per site and sender (wrangler.toml [[ratelimits]], domain/analytics-data.ts COLLECT_LIMIT). */
  COLLECT_LIMITER: RateLimit;
  ASSETS?: Fetcher;
  ENVIRONMENT: string;
  APP_ORIGIN: string;
  APP_NAME: string;
  MAIL_FROM: string;
  PRIVACY_POLICY_VERSION: string;
  SESSION_IDLE_MINUTES: string;
  SESSION_ABSOLUTE_HOURS: string;
  /** F-96: audit entries older than this many days are deleted by the cron run. */
  AUDIT_RETENTION_DAYS: string;
  RESEND_API_KEY?: string;
  /** F-10: Resend calls per second (default 2, Resend's default team limit). */
  MAIL_RATE_PER_SECOND?: string;
  SETUP_TOKEN?: string;
  PEPPER?: string;
  TOTP_ENCRYPTION_KEY?: string;
}

export interface Variables {
  deps: Deps;
  /** The signed-in account, set by the session middleware when the session is valid. */
  actor?: Actor;
  session?: SessionRecord & { id: string };
  /** The account's stored credentials, loaded with the session only on the routes that verify them (middleware/session.ts). */
  credentials?: OwnCredentials;
  /** CSRF token for forms: the session's, or the pre-sign-in cookie's. */
  csrfToken: string;
  /** The CSP nonce of this response's scripts, when it has any (middleware/security-headers.ts cspNonce). */
  cspNonce?: string;
  /** A message from the previous redirect (src/routes/pages/flash.ts), shown by the layout. */
  flash?: string;
}

export type AppEnv = { Bindings: Bindings; Variables: Variables };
