// F-08 policy as data: limits, lock arithmetic and the "try again in N minutes" text.
import { describe, expect, it } from "vitest";
import { lockRemainingMs, retryMessage, THROTTLE_POLICIES } from "../../src/domain/throttle";

const NOW = 1_800_000_000_000;
const MIN = 60_000;

describe("THROTTLE_POLICIES", () => {
  it("locks an account after 5 failures and an IP after 30, each within 15 minutes and for 15 minutes", () => {
    expect(THROTTLE_POLICIES.account).toEqual({ maxFailures: 5, windowMs: 15 * MIN, lockMs: 15 * MIN });
    expect(THROTTLE_POLICIES.ip).toEqual({ maxFailures: 30, windowMs: 15 * MIN, lockMs: 15 * MIN });
  });
});

describe("lockRemainingMs", () => {
  const row = (lockedUntil: number | null) => ({ failures: 5, windowStartedAt: NOW - MIN, lockedUntil });

  it.each([
    ["no row", undefined, 0],
    ["no lock", row(null), 0],
    ["a lock that ended", row(NOW - 1), 0],
    ["a lock ending right now", row(NOW), 0],
    ["a lock ending in 1 ms", row(NOW + 1), 1],
    ["a lock ending in 15 minutes", row(NOW + 15 * MIN), 15 * MIN],
  ] as const)("is %s → %i ms", (_label, input, expected) => {
    expect(lockRemainingMs(input, NOW)).toBe(expected);
  });

  it("treats lockedUntil 0 as no lock", () => {
    expect(lockRemainingMs(row(0), NOW)).toBe(0);
  });
});

describe("retryMessage", () => {
  it.each([
    [0, "Too many attempts. Try again in 1 minute."],
    [1, "Too many attempts. Try again in 1 minute."],
    [MIN, "Too many attempts. Try again in 1 minute."],
    [MIN + 1, "Too many attempts. Try again in 2 minutes."],
    [14 * MIN + 1, "Too many attempts. Try again in 15 minutes."],
    [15 * MIN, "Too many attempts. Try again in 15 minutes."],
  ])("for %i ms says %j (minutes rounded up, at least 1)", (ms, expected) => {
    expect(retryMessage(ms)).toBe(expected);
  });
});
