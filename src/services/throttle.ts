// F-08: failed password and TOTP attempts counted per account and per client IP
// in D1 (an atomic upsert; KV counters would lose increments under load).
import { inArray, sql } from "drizzle-orm";
import { loginThrottles } from "../db/schema";
import type { Deps } from "../deps";
import { lockRemainingMs, retryMessage, THROTTLE_POLICIES, type ThrottleScope } from "../domain/throttle";
import { sha256Hex } from "../lib/crypto";
import { AppError } from "../lib/errors";
import type { auditInsert } from "./audit";

export interface ThrottleKeys {
  account: string;
  ip: string | null;
}

/** Keyed by the email's hash, not the account, so unknown addresses lock exactly like real ones. */
export async function throttleKeys(deps: Deps, normalizedEmail: string): Promise<ThrottleKeys> {
  return withIpKey(deps, `account:${await sha256Hex(normalizedEmail)}`);
}

export const withIpKey = (deps: Deps, accountKey: string): ThrottleKeys => ({ account: accountKey, ip: deps.ip ? `ip:${deps.ip}` : null });

const keyList = (keys: ThrottleKeys) => [keys.account, ...(keys.ip ? [keys.ip] : [])];

export function throttleRowsQuery(deps: Deps, keys: ThrottleKeys) {
  return deps.db.select().from(loginThrottles).where(inArray(loginThrottles.key, keyList(keys)));
}

/** Throws RATE_LIMITED (429 with Retry-After) when either key is locked. */
export function assertNotLocked(deps: Deps, rows: (typeof loginThrottles.$inferSelect)[]) {
  const waitMs = Math.max(0, ...rows.map((r) => lockRemainingMs(r, deps.now())));
  if (waitMs > 0) throw new AppError("RATE_LIMITED", retryMessage(waitMs), undefined, Math.ceil(waitMs / 1000));
}

function failureUpsert(deps: Deps, key: string, scope: ThrottleScope) {
  const { maxFailures, windowMs, lockMs } = THROTTLE_POLICIES[scope];
  const now = deps.now();
  const windowOver = sql`${loginThrottles.windowStartedAt} <= ${now - windowMs}`;
  const nextCount = sql`CASE WHEN ${windowOver} THEN 1 ELSE ${loginThrottles.failures} + 1 END`;
  return deps.db
    .insert(loginThrottles)
    .values({ key, failures: 1, windowStartedAt: now, lockedUntil: maxFailures <= 1 ? now + lockMs : null })
    .onConflictDoUpdate({
      target: loginThrottles.key,
      set: {
        failures: nextCount,
        windowStartedAt: sql`CASE WHEN ${windowOver} THEN ${now} ELSE ${loginThrottles.windowStartedAt} END`,
        lockedUntil: sql`CASE WHEN ${nextCount} >= ${maxFailures} THEN ${now + lockMs} ELSE ${loginThrottles.lockedUntil} END`,
      },
    });
}

/**
 * Counts one failure against the account and the IP, in one round trip. A
 * failure on a known account brings its audit entry (F-50), committed with the count.
 */
export async function recordFailure(deps: Deps, keys: ThrottleKeys, audit?: ReturnType<typeof auditInsert>) {
  const statements = [failureUpsert(deps, keys.account, "account"), ...(keys.ip ? [failureUpsert(deps, keys.ip, "ip")] : []), ...(audit ? [audit] : [])];
  await deps.db.batch(statements as [(typeof statements)[number], ...typeof statements]);
}

/** A success clears the account's counter; the IP's stays, so spraying many accounts is still slowed. */
export const clearAccountFailures = (deps: Deps, keys: ThrottleKeys) =>
  deps.db.delete(loginThrottles).where(inArray(loginThrottles.key, [keys.account]));
