// F-44 module rules as pure functions: IP spelling for blocks, day and month
// arithmetic for data deletion and quota, license key format, campaign status.
import { describe, expect, it } from "vitest";
import {
  CAMPAIGN_STATUSES,
  campaignChangeRefusal,
  canDeleteCampaign,
  canonicalIp,
  CLIENT_ID_PATTERN,
  isDay,
  LICENSE_KEY_PATTERN,
  quotaPercent,
  utcMonth,
} from "../../src/domain/analytics-features";

describe("canonicalIp", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    [" 10.0.0.255 ", "10.0.0.255"],
    ["0.0.0.0", "0.0.0.0"],
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["::1", "::1"],
    ["::", "::"],
    ["fe80::", "fe80::"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["0:0:0:0:0:FFFF:c000:0201", "::ffff:192.0.2.1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("%s is spelled %s", (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  it.each(["", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "2001:db8:::1", "1::2::3", "12345::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::ffff:1.2.3.999", "fe80::1%eth0", "[::1]", "example.com", "1.2.3.4/24"])(
    "%j is not an address",
    (input) => {
      expect(canonicalIp(input)).toBeNull();
    },
  );
});

describe("days, months and quota", () => {
  it("accepts only real calendar days as YYYY-MM-DD", () => {
    expect(isDay("2024-02-29")).toBe(true);
    for (const bad of ["2023-02-29", "2024-13-01", "2024-1-01", "20240101", "2024-04-31", ""]) expect(isDay(bad), bad).toBe(false);
  });

  it("gives the UTC month of a moment and the first day of the next one", () => {
    expect(utcMonth(Date.UTC(2024, 11, 31, 23, 59))).toEqual({ month: "2024-12", firstDay: "2024-12-01", nextMonthFirstDay: "2025-01-01" });
    expect(utcMonth(Date.UTC(2025, 1, 1, 0, 0))).toEqual({ month: "2025-02", firstDay: "2025-02-01", nextMonthFirstDay: "2025-03-01" });
  });

  it("rounds the used share to one decimal, and treats a zero quota as full once anything is collected", () => {
    expect(quotaPercent(0, 100_000)).toBe(0);
    expect(quotaPercent(12_345, 100_000)).toBe(12.3);
    expect(quotaPercent(150, 100)).toBe(150);
    expect(quotaPercent(0, 0)).toBe(0);
    expect(quotaPercent(1, 0)).toBe(100);
  });
});

describe("license keys and clients", () => {
  it("license keys are 8–64 letters, digits and dashes", () => {
    for (const ok of ["ABCD1234", "abcd-1234-EFGH", "X".repeat(64)]) expect(LICENSE_KEY_PATTERN.test(ok), ok).toBe(true);
    for (const bad of ["ABC1234", "X".repeat(65), "ABCD 1234", "ABCD_1234", "ÄBCD1234"]) expect(LICENSE_KEY_PATTERN.test(bad), bad).toBe(false);
  });

  it("client ids are visible ASCII without spaces", () => {
    expect(CLIENT_ID_PATTERN.test("client-42:abc")).toBe(true);
    expect(CLIENT_ID_PATTERN.test("has space")).toBe(false);
    expect(CLIENT_ID_PATTERN.test("")).toBe(false);
  });
});

describe("campaign status rules", () => {
  it("a draft may start or end; an active campaign may only end; an ended one never changes", () => {
    const allowed = (from: (typeof CAMPAIGN_STATUSES)[number], to: (typeof CAMPAIGN_STATUSES)[number]) => campaignChangeRefusal(from, { status: to }) === null;
    expect(allowed("draft", "active")).toBe(true);
    expect(allowed("draft", "ended")).toBe(true);
    expect(allowed("active", "ended")).toBe(true);
    expect(allowed("active", "draft")).toBe(false);
    for (const to of CAMPAIGN_STATUSES) expect(allowed("ended", to), `ended → ${to}`).toBe(false);
    // Editing name or message (no status) is a change too.
    expect(campaignChangeRefusal("active", {})).toBeNull();
    expect(campaignChangeRefusal("ended", {})).toMatch(/ended/);
  });

  it("only drafts may be deleted", () => {
    expect(CAMPAIGN_STATUSES.filter(canDeleteCampaign)).toEqual(["draft"]);
  });
});
