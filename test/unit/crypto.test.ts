// Password hashing (PBKDF2 within the Workers ceiling, peppered) and AES-GCM
// sealing of TOTP secrets, on crypto.subtle only.
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, hashPassword, PBKDF2_MAX_ITERATIONS, verifyPassword } from "../../src/lib/crypto";
import { fromBase64Url, toBase64Url } from "../../src/lib/encoding";

const PEPPER = "unit-test-pepper";
// 32 bytes, base64url.
const KEY = toBase64Url(new Uint8Array(32).map((_, i) => i + 1));
const OTHER_KEY = toBase64Url(new Uint8Array(32).map((_, i) => 200 - i));

describe("password hashing", () => {
  it("pins the PBKDF2 iteration count at the Workers maximum of 100,000", () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100000);
  });

  it("stores pbkdf2-sha256$100000$<salt>$<hash> with a fresh salt each time", async () => {
    const a = await hashPassword("correct horse battery staple", PEPPER);
    const b = await hashPassword("correct horse battery staple", PEPPER);
    expect(a).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    const [, , salt, hash] = a.split("$");
    expect(fromBase64Url(salt!)).toHaveLength(16);
    expect(fromBase64Url(hash!)).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const stored = await hashPassword("correct horse battery staple", PEPPER);
    expect(await verifyPassword("correct horse battery staple", stored, PEPPER)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", stored, PEPPER)).toBe(false);
    expect(await verifyPassword("Correct horse battery staple", stored, PEPPER)).toBe(false);
    expect(await verifyPassword("", stored, PEPPER)).toBe(false);
  });

  it("fails verification under a different pepper", async () => {
    const stored = await hashPassword("correct horse battery staple", PEPPER);
    expect(await verifyPassword("correct horse battery staple", stored, `${PEPPER}-rotated`)).toBe(false);
  });

  it("refuses to hash with more than 100,000 iterations", async () => {
    await expect(hashPassword("correct horse battery staple", PEPPER, 100001)).rejects.toThrow(RangeError);
  });

  it("verifies a hash made with a lower stored iteration count (the count travels with the hash)", async () => {
    const stored = await hashPassword("correct horse battery staple", PEPPER, 1000);
    expect(stored.startsWith("pbkdf2-sha256$1000$")).toBe(true);
    expect(await verifyPassword("correct horse battery staple", stored, PEPPER)).toBe(true);
  });

  it("answers false for a malformed or foreign-scheme stored hash", async () => {
    const stored = await hashPassword("correct horse battery staple", PEPPER);
    for (const bad of ["", "plaintext", stored.replace("pbkdf2-sha256", "bcrypt"), stored.split("$").slice(0, 3).join("$")]) {
      expect(await verifyPassword("correct horse battery staple", bad, PEPPER)).toBe(false);
    }
  });
});

describe("AES-GCM secret sealing", () => {
  it("round-trips a secret, with a fresh IV each time", async () => {
    const a = await encryptSecret("JBSWY3DPEHPK3PXP", KEY);
    const b = await encryptSecret("JBSWY3DPEHPK3PXP", KEY);
    expect(a).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(fromBase64Url(a.split(".")[0]!)).toHaveLength(12);
    expect(a).not.toBe(b);
    expect(a).not.toContain("JBSWY3DPEHPK3PXP");
    expect(await decryptSecret(a, KEY)).toBe("JBSWY3DPEHPK3PXP");
    expect(await decryptSecret(b, KEY)).toBe("JBSWY3DPEHPK3PXP");
  });

  it("rejects a tampered ciphertext, a swapped IV, a wrong key and a malformed value", async () => {
    const sealed = await encryptSecret("JBSWY3DPEHPK3PXP", KEY);
    const [iv, ct] = sealed.split(".") as [string, string];
    const bytes = fromBase64Url(ct);
    bytes[0] = bytes[0]! ^ 0x01;
    await expect(decryptSecret(`${iv}.${toBase64Url(bytes)}`, KEY)).rejects.toThrow();

    const other = await encryptSecret("JBSWY3DPEHPK3PXP", KEY);
    await expect(decryptSecret(`${other.split(".")[0]}.${ct}`, KEY)).rejects.toThrow();
    await expect(decryptSecret(sealed, OTHER_KEY)).rejects.toThrow();
    await expect(decryptSecret("no-dot-here", KEY)).rejects.toThrow();
  });
});
