// F-08 brute-force policy, as data. Failures count in a sliding window per key;
// reaching the limit locks the key until the lock expires.
export const THROTTLE_POLICIES = {
  account: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  ip: { maxFailures: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
} as const;
export type ThrottleScope = keyof typeof THROTTLE_POLICIES;

export interface ThrottleRow {
  failures: number;
  windowStartedAt: number;
  lockedUntil: number | null;
}

/** Milliseconds until the key may try again, or 0 when it may try now. */
export const lockRemainingMs = (row: ThrottleRow | undefined, now: number) =>
  row?.lockedUntil && row.lockedUntil > now ? row.lockedUntil - now : 0;

export const retryMessage = (ms: number) => {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
};
