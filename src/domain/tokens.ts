// Lifetimes of single-use links and sign-in steps.
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
export const INVITATION_TTL_MS = 7 * 24 * 3_600_000; // F-03
export const PASSWORD_RESET_TTL_MS = 3_600_000; // F-90
export const CHALLENGE_TTL_SECONDS = 600; // F-07: the password step is valid for 10 minutes
export const RECOVERY_CODE_COUNT = 10; // F-06

export type LinkState = "usable" | "used" | "expired" | "revoked";

export function linkState(link: { usedAt: number | null; expiresAt: number; revokedAt?: number | null }, now: number): LinkState {
  if (link.usedAt !== null) return "used";
  if (link.revokedAt) return "revoked";
  if (link.expiresAt <= now) return "expired";
  return "usable";
}

/** linkState as SQL over a link's columns, for an audit entry written inside a batch. Keep the two alike. */
export const linkStateSql = (link: { usedAt: SQLWrapper; expiresAt: SQLWrapper; revokedAt: SQLWrapper }, now: number): SQL =>
  sql`CASE WHEN ${link.usedAt} IS NOT NULL THEN 'used' WHEN ${link.revokedAt} THEN 'revoked' WHEN ${link.expiresAt} <= ${now} THEN 'expired' ELSE 'usable' END`;
