// F-45 pure helpers: UTC days, ranges, zero-filling, the report range rules
// and the window of time collection accepts.
import { describe, expect, it } from "vitest";
import {
  addDays,
  dayCount,
  daysInRange,
  DEFAULT_REPORT_DAYS,
  fillDays,
  HIT_MAX_AGE_MS,
  HIT_MAX_AHEAD_MS,
  hitTimeProblem,
  isDay,
  lastDays,
  MAX_REPORT_DAYS,
  resolveRange,
  totalsOf,
  utcDay,
} from "../../src/domain/analytics-data";

const NOW = Date.parse("2024-03-10T12:00:00Z");

describe("utcDay", () => {
  it("is the UTC calendar day, whatever the hour", () => {
    expect(utcDay(Date.parse("2024-03-10T00:00:00Z"))).toBe("2024-03-10");
    expect(utcDay(Date.parse("2024-03-10T23:59:59.999Z"))).toBe("2024-03-10");
    expect(utcDay(Date.parse("2024-03-11T00:00:00Z"))).toBe("2024-03-11");
  });

  it("counts a time given with an offset on its UTC day", () => {
    expect(utcDay(Date.parse("2024-03-10T23:30:00-02:00"))).toBe("2024-03-11");
  });
});

describe("isDay", () => {
  it.each(["2024-02-29", "2023-12-31", "2024-01-01"])("accepts %s", (d) => expect(isDay(d)).toBe(true));
  it.each(["2023-02-29", "2024-02-30", "2024-13-01", "2024-1-01", "2024-01-01T00:00:00Z", "", "yesterday"])("refuses %j", (d) =>
    expect(isDay(d)).toBe(false),
  );
});

describe("days and ranges", () => {
  it("adds days across month, year and leap-day boundaries", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2024-02-29", 1)).toBe("2024-03-01");
    expect(addDays("2023-12-31", 1)).toBe("2024-01-01");
    expect(addDays("2024-01-01", -1)).toBe("2023-12-31");
  });

  it("lists every day of a range, both ends included", () => {
    expect(daysInRange("2024-02-27", "2024-03-01")).toEqual(["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]);
    expect(daysInRange("2024-03-01", "2024-03-01")).toEqual(["2024-03-01"]);
  });

  it("has no day when the end is before the start", () => {
    expect(daysInRange("2024-03-02", "2024-03-01")).toEqual([]);
    expect(dayCount("2024-03-02", "2024-03-01")).toBe(0);
  });

  it("counts 366 days in a leap year and 365 otherwise", () => {
    expect(dayCount("2024-01-01", "2024-12-31")).toBe(366);
    expect(dayCount("2023-01-01", "2023-12-31")).toBe(365);
  });
});

describe("fillDays", () => {
  it("puts zeros on the days without data, in day order", () => {
    const rows = fillDays("2024-03-01", "2024-03-04", [
      { day: "2024-03-03", visits: 2, events: 5 },
      { day: "2024-03-01", visits: 1, events: 0 },
    ]);
    expect(rows).toEqual([
      { day: "2024-03-01", visits: 1, events: 0 },
      { day: "2024-03-02", visits: 0, events: 0 },
      { day: "2024-03-03", visits: 2, events: 5 },
      { day: "2024-03-04", visits: 0, events: 0 },
    ]);
  });

  it("adds up rows of the same day and ignores days outside the range", () => {
    const rows = fillDays("2024-03-01", "2024-03-01", [
      { day: "2024-03-01", visits: 1, events: 1 },
      { day: "2024-03-01", visits: 2, events: 3 },
      { day: "2024-02-29", visits: 100, events: 100 },
      { day: "2024-03-02", visits: 100, events: 100 },
    ]);
    expect(rows).toEqual([{ day: "2024-03-01", visits: 3, events: 4 }]);
  });

  it("totals the rows", () => {
    expect(totalsOf([])).toEqual({ visits: 0, events: 0 });
    expect(
      totalsOf([
        { visits: 1, events: 2 },
        { visits: 3, events: 4 },
      ]),
    ).toEqual({ visits: 4, events: 6 });
  });
});

describe("resolveRange", () => {
  it(`defaults to the last ${DEFAULT_REPORT_DAYS} days ending today (UTC)`, () => {
    expect(resolveRange({}, NOW)).toEqual({ ok: true, from: "2024-02-10", to: "2024-03-10" });
    expect(dayCount("2024-02-10", "2024-03-10")).toBe(DEFAULT_REPORT_DAYS);
  });

  it("takes another default length (a meta site's dashboard)", () => {
    expect(resolveRange({}, NOW, 7)).toEqual({ ok: true, from: "2024-03-04", to: "2024-03-10" });
  });

  it("runs a lone start to today, and counts the default length back from a lone end", () => {
    expect(resolveRange({ from: "2024-03-01" }, NOW)).toEqual({ ok: true, from: "2024-03-01", to: "2024-03-10" });
    expect(resolveRange({ to: "2024-01-30" }, NOW)).toEqual({ ok: true, from: "2024-01-01", to: "2024-01-30" });
  });

  it("accepts a single day (from = to)", () => {
    expect(resolveRange({ from: "2024-03-05", to: "2024-03-05" }, NOW)).toEqual({ ok: true, from: "2024-03-05", to: "2024-03-05" });
  });

  it("refuses an end before the start, on the end field", () => {
    const r = resolveRange({ from: "2024-03-05", to: "2024-03-04" }, NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.fields.to).toMatch(/before/);
  });

  it(`accepts exactly ${MAX_REPORT_DAYS} days and refuses one more`, () => {
    expect(resolveRange({ from: "2024-01-01", to: "2024-12-31" }, NOW).ok).toBe(true);
    const r = resolveRange({ from: "2023-12-31", to: "2024-12-31" }, NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.fields.from).toMatch(/366/);
  });

  it("refuses a start that is after today when no end is given", () => {
    expect(resolveRange({ from: "2024-03-11" }, NOW).ok).toBe(false);
  });

  it("names each malformed field", () => {
    const r = resolveRange({ from: "2024-02-30", to: "soon" }, NOW);
    expect(r).toEqual({ ok: false, fields: { from: expect.any(String), to: expect.any(String) } });
  });

  it("gives the presets' ranges ending today", () => {
    expect(lastDays(7, NOW)).toEqual({ from: "2024-03-04", to: "2024-03-10" });
    expect(lastDays(1, NOW)).toEqual({ from: "2024-03-10", to: "2024-03-10" });
  });
});

describe("hitTimeProblem", () => {
  it("accepts now, exactly 48 hours ago and exactly 5 minutes ahead", () => {
    expect(hitTimeProblem(NOW, NOW)).toBeNull();
    expect(hitTimeProblem(NOW - HIT_MAX_AGE_MS, NOW)).toBeNull();
    expect(hitTimeProblem(NOW + HIT_MAX_AHEAD_MS, NOW)).toBeNull();
  });

  it("refuses a millisecond older than 48 hours or further than 5 minutes ahead", () => {
    expect(hitTimeProblem(NOW - HIT_MAX_AGE_MS - 1, NOW)).toMatch(/48 hours/);
    expect(hitTimeProblem(NOW + HIT_MAX_AHEAD_MS + 1, NOW)).toMatch(/future/);
  });
});
