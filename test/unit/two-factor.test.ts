// F-05 TOTP matching: RFC 6238 (SHA-1, 6 digits, 30 s), ±1 step, the step returned for replay checks.
import { describe, expect, it } from "vitest";
import { matchTotpStep, newTotpSecret, totpCodeAt, totpStepAt, TOTP_PERIOD_SECONDS } from "../../src/domain/two-factor";

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
// The middle of a step, so ±n steps are unambiguous.
const NOW = 1_750_000_005_000 + STEP_MS / 2;
const codeAtStepOffset = (n: number) => totpCodeAt(SECRET, NOW + n * STEP_MS);

describe("matchTotpStep", () => {
  it("matches the RFC 6238 SHA-1 test vector (secret \"12345678901234567890\", T = 59 s)", () => {
    // RFC 6238 appendix B: 94287082 for 8 digits, so 287082 for 6.
    const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    expect(totpCodeAt(rfcSecret, 59_000)).toBe("287082");
    expect(matchTotpStep(rfcSecret, "287082", 59_000)).toBe(1);
  });

  it("accepts the current step and returns its number", () => {
    expect(matchTotpStep(SECRET, codeAtStepOffset(0), NOW)).toBe(totpStepAt(NOW));
    expect(totpStepAt(NOW)).toBe(Math.floor(NOW / STEP_MS));
  });

  it("accepts one step early or late and returns that step's number", () => {
    expect(matchTotpStep(SECRET, codeAtStepOffset(-1), NOW)).toBe(totpStepAt(NOW) - 1);
    expect(matchTotpStep(SECRET, codeAtStepOffset(1), NOW)).toBe(totpStepAt(NOW) + 1);
  });

  it("refuses codes two or more steps away", () => {
    for (const n of [-2, 2, -3, 3, 10]) {
      const code = codeAtStepOffset(n);
      // Guard against a coincidental equal code within the window.
      expect([codeAtStepOffset(-1), codeAtStepOffset(0), codeAtStepOffset(1)]).not.toContain(code);
      expect(matchTotpStep(SECRET, code, NOW), `offset ${n}`).toBeNull();
    }
  });

  it("refuses anything that is not exactly six digits, and a code of another secret", () => {
    const code = codeAtStepOffset(0);
    for (const bad of ["", "12345", "1234567", "abcdef", `${code.slice(0, 5)}a`, `${code}0`, code.slice(1), "12 34 5x", "١٢٣٤٥٦"]) {
      expect(matchTotpStep(SECRET, bad, NOW), JSON.stringify(bad)).toBeNull();
    }
    const other = newTotpSecret();
    const otherCode = totpCodeAt(other, NOW);
    if (![codeAtStepOffset(-1), code, codeAtStepOffset(1)].includes(otherCode)) expect(matchTotpStep(SECRET, otherCode, NOW)).toBeNull();
  });

  it("ignores spaces inside the code as typed from the app", () => {
    const code = codeAtStepOffset(0);
    expect(matchTotpStep(SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, NOW)).toBe(totpStepAt(NOW));
    expect(matchTotpStep(SECRET, ` ${code} `, NOW)).toBe(totpStepAt(NOW));
  });
});
