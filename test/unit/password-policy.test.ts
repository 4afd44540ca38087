// F-04 password rules: 12–128 code points, none of the 1,000 most common passwords.
import { describe, expect, it } from "vitest";
import { COMMON_PASSWORDS } from "../../src/domain/common-passwords";
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblem } from "../../src/domain/password-policy";
import commonPasswordsText from "../../scripts/data/common-passwords.txt?raw";

describe("password length", () => {
  it("uses the bounds 12 and 128", () => {
    expect(PASSWORD_MIN).toBe(12);
    expect(PASSWORD_MAX).toBe(128);
  });

  it("refuses 11 characters and accepts 12", () => {
    expect(passwordProblem("abcdefghijk")).toBe("Use at least 12 characters.");
    expect(passwordProblem("abcdefghijkl")).toBeNull();
    expect(passwordProblem("")).toBe("Use at least 12 characters.");
  });

  it("accepts 128 characters and refuses 129", () => {
    expect(passwordProblem("x".repeat(128))).toBeNull();
    expect(passwordProblem("x".repeat(129))).toBe("Use at most 128 characters.");
  });

  it("counts code points, not UTF-16 units: an emoji is one character", () => {
    const emoji = "🔒"; // two UTF-16 units, one code point
    expect(emoji.length).toBe(2);
    // 11 emoji are 22 units but only 11 characters: too short.
    expect(passwordProblem(emoji.repeat(11))).toBe("Use at least 12 characters.");
    expect(passwordProblem(emoji.repeat(12))).toBeNull();
    // 128 emoji are 256 units but 128 characters: allowed; 129 are not.
    expect(passwordProblem(emoji.repeat(128))).toBeNull();
    expect(passwordProblem(emoji.repeat(129))).toBe("Use at most 128 characters.");
    // Accented letters written as one code point each.
    expect(passwordProblem("ééééééééééé")).toBe("Use at least 12 characters.");
    expect(passwordProblem("éééééééééééé")).toBeNull();
  });
});

describe("common passwords", () => {
  /** The list the app refuses (scripts/gen-common-passwords.mjs); the Worker ships the part the length rule lets through. */
  const shipped = commonPasswordsText.trim().split("\n");

  it("refuses every one of the 1,000 most common passwords, all lower-case so any letter case matches", () => {
    expect(new Set(shipped).size).toBe(1000);
    for (const p of shipped) {
      expect(p).toBe(p.toLowerCase());
      expect(passwordProblem(p), p).not.toBeNull();
      expect(passwordProblem(p.toUpperCase()), p).not.toBeNull();
    }
  });

  it("bundles exactly the common passwords long enough to pass the length rule (the generated file is in step)", () => {
    expect([...COMMON_PASSWORDS].sort()).toEqual(shipped.filter((p) => [...p].length >= PASSWORD_MIN).sort());
    expect(COMMON_PASSWORDS.has("")).toBe(false);
  });

  it("refuses a common password that is long enough, in any letter case", () => {
    expect(COMMON_PASSWORDS.has("1qaz2wsx3edc")).toBe(true);
    expect(COMMON_PASSWORDS.has("123qweasdzxc")).toBe(true);
    for (const p of ["1qaz2wsx3edc", "1QAZ2WSX3EDC", "1qAz2WsX3eDc", "123qweasdzxc", "123QWEASDZXC"]) {
      expect(passwordProblem(p), p).toBe("This password is too common. Choose another.");
    }
  });

  it("reports a short common password as too short, and accepts a long uncommon one", () => {
    expect(passwordProblem("password")).toBe("Use at least 12 characters.");
    expect(passwordProblem("1qaz2wsx3edc!")).toBeNull();
    expect(passwordProblem("correct horse battery staple")).toBeNull();
  });
});
