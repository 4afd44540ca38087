// Typed configuration from wrangler vars and secrets. Development and tests
// get documented, public defaults for the secrets; production has none, and a
// flow that needs a missing secret fails loudly instead of running weakened.
import type { Bindings } from "../env";
import { AppError } from "./errors";

/** Public on purpose (also in .dev.vars.example): never valid outside development. */
export const DEV_SECRETS = {
  PEPPER: "dev-only-pepper-do-not-use-in-production",
  // 32 bytes, base64url.
  TOTP_ENCRYPTION_KEY: "ZGV2LW9ubHktdG90cC1rZXktMzItYnl0ZXMtbG9uZyE",
} as const;

type SecretName = keyof typeof DEV_SECRETS;

export interface Config {
  environment: "production" | "development" | "test";
  isProduction: boolean;
  origin: string;
  appName: string;
  mailFrom: string;
  privacyPolicyVersion: string;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** F-96: how long audit entries are kept (default 400 days). */
  auditRetentionDays: number;
  resendApiKey: string | undefined;
  /** F-10: Resend calls per second (their default team limit is 2). */
  mailRatePerSecond: number;
  setupToken: string | undefined;
  secret(name: SecretName): string;
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function readConfig(env: Bindings): Config {
  const environment = env.ENVIRONMENT === "development" || env.ENVIRONMENT === "test" ? env.ENVIRONMENT : "production";
  const isProduction = environment === "production";
  return {
    environment,
    isProduction,
    origin: new URL(env.APP_ORIGIN).origin,
    appName: env.APP_NAME || "Portico",
    mailFrom: env.MAIL_FROM || "Portico <portal@example.com>",
    privacyPolicyVersion: env.PRIVACY_POLICY_VERSION || "2026-01",
    sessionIdleMs: positive(env.SESSION_IDLE_MINUTES, 60) * 60_000,
    sessionAbsoluteMs: positive(env.SESSION_ABSOLUTE_HOURS, 12) * 3_600_000,
    auditRetentionDays: positive(env.AUDIT_RETENTION_DAYS, 400),
    resendApiKey: env.RESEND_API_KEY || undefined,
    mailRatePerSecond: positive(env.MAIL_RATE_PER_SECOND, 2),
    setupToken: env.SETUP_TOKEN || undefined,
    secret(name) {
      const value = env[name];
      if (value) return value;
      if (!isProduction) return DEV_SECRETS[name];
      console.error(`Secret ${name} is not set: run \`npm exec -- wrangler secret put ${name}\``);
      throw new AppError("MISCONFIGURED", "The portal is not fully configured yet. Please contact the operator.");
    },
  };
}
