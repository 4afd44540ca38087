// The isolate's bounded, time-limited copies (sessions and API tokens use them).
import { describe, expect, it } from "vitest";
import { IsolateCopies } from "../../src/lib/isolate-copies";

describe("IsolateCopies", () => {
  it("gives a copy back until its time is up, then forgets it", () => {
    const copies = new IsolateCopies<string>(1_000, 10);
    const scope = {};
    copies.keep(scope, "k", "v", 5_000);
    expect(copies.get(scope, "k", 5_999)).toBe("v");
    expect(copies.get(scope, "k", 6_000)).toBeUndefined();
    expect(copies.get(scope, "k", 5_000)).toBeUndefined();
  });

  it("never shares copies between scopes", () => {
    const copies = new IsolateCopies<string>(1_000, 10);
    copies.keep({}, "k", "v", 0);
    expect(copies.get({}, "k", 1)).toBeUndefined();
  });

  it("drops the least recently kept copy when full", () => {
    const copies = new IsolateCopies<string>(1_000, 2);
    const scope = {};
    copies.keep(scope, "a", "1", 0);
    copies.keep(scope, "b", "2", 0);
    copies.keep(scope, "a", "1again", 0);
    copies.keep(scope, "c", "3", 0);
    expect(copies.get(scope, "b", 1)).toBeUndefined();
    expect(copies.get(scope, "a", 1)).toBe("1again");
    expect(copies.get(scope, "c", 1)).toBe("3");
  });

  it("updates a copy without extending its time, and ignores one it does not hold", () => {
    const copies = new IsolateCopies<string>(1_000, 10);
    const scope = {};
    copies.keep(scope, "k", "v", 0);
    copies.update(scope, "k", (v) => `${v}+`);
    copies.update(scope, "missing", () => "x");
    expect(copies.get(scope, "k", 999)).toBe("v+");
    expect(copies.get(scope, "k", 1_000)).toBeUndefined();
    expect(copies.get(scope, "missing", 1)).toBeUndefined();
  });

  it("forgets a dropped copy at once", () => {
    const copies = new IsolateCopies<string>(1_000, 10);
    const scope = {};
    copies.keep(scope, "k", "v", 0);
    copies.drop(scope, "k");
    expect(copies.get(scope, "k", 1)).toBeUndefined();
  });
});
