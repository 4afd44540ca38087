// Lifetimes of single-use links and sign-in steps.
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
