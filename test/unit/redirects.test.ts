// F-09: `next` after sign-in may only lead to a path on the portal's own origin.
import { describe, expect, it } from "vitest";
import { safeNextPath } from "../../src/domain/redirects";

const ORIGIN = "https://portico.test";

describe("safeNextPath", () => {
  it.each([
    // [input, expected]
    ["/", "/"],
    ["/account", "/account"],
    ["/orgs/abc?tab=users#top", "/orgs/abc?tab=users#top"],
    ["/login?next=//evil.example", "/login?next=//evil.example"],
    ["/a b", "/a%20b"],
    ["/./account", "/account"],
    ["/../account", "/account"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
  ])("keeps the same-origin path %j as %j", (input, expected) => {
    expect(safeNextPath(input, ORIGIN)).toBe(expected);
  });

  it.each([
    [undefined],
    [null],
    [""],
    ["//evil.example"],
    ["//evil.example/path"],
    ["///evil.example"],
    ["/\\evil.example"],
    ["/\\/evil.example"],
    ["\\\\evil.example"],
    ["\\/evil.example"],
    ["/\t/evil.example"],
    ["/\n/evil.example"],
    ["/\r\n/evil.example"],
    ["javascript:alert(1)"],
    ["JaVaScRiPt:alert(1)"],
    ["data:text/html,<script>alert(1)</script>"],
    ["https://evil.example/x"],
    ["http://portico.test/account"],
    ["https://portico.test/account"],
    ["evil.example"],
    ["account"],
    [" /account"],
    ["?next=/account"],
    ["#/account"],
  ])("refuses %j and answers the fallback", (input) => {
    expect(safeNextPath(input, ORIGIN)).toBe("/");
    expect(safeNextPath(input, ORIGIN, "")).toBe("");
    expect(safeNextPath(input, ORIGIN, "/home")).toBe("/home");
  });

  it("never answers anything but a single-slash path or the fallback", () => {
    const inputs = ["/x", "//x", "/\\x", "/\t\\x", "https:/x", "https:x", "/https://evil.example", "/@evil.example", "/ /evil.example"];
    for (const input of inputs) {
      const out = safeNextPath(input, ORIGIN);
      expect(out.startsWith("/")).toBe(true);
      expect(out.startsWith("//")).toBe(false);
      expect(out.startsWith("/\\")).toBe(false);
      expect(new URL(out, ORIGIN).origin).toBe(ORIGIN);
    }
  });
});
