// Hashing, password derivation and secret encryption on crypto.subtle only.
import { fromBase64Url, toBase64Url, toHex, utf8 } from "./encoding";
import { randomBytes } from "./ids";

/** Tokens, recovery codes and session secrets are stored as their SHA-256 (hex). */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text))));
}

async function hmacKey(secret: string, usage: ("sign" | "verify")[]) {
  return crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, usage);
}

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, ["sign"]), utf8(message)));
}

/** Constant-time comparison: a string compare leaks how many leading characters matched. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = utf8(a);
  const y = utf8(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Cloudflare's PBKDF2 refuses more than 100,000 iterations in production, so
 * this is both the default and the ceiling. The count is stored with each hash
 * so it can change without invalidating existing passwords.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000;
const PBKDF2_SCHEME = "pbkdf2-sha256";

async function derive(password: string, pepper: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  if (iterations > PBKDF2_MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations above ${PBKDF2_MAX_ITERATIONS} are not supported by Workers`);
  }
  // The pepper (a Worker secret, never in D1) is applied first, so a stolen
  // database alone does not allow offline guessing.
  const peppered = await hmacSha256(pepper, password);
  const key = await crypto.subtle.importKey("raw", peppered, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/** Returns `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url). */
export async function hashPassword(password: string, pepper: string, iterations = PBKDF2_MAX_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, pepper, salt, iterations);
  return [PBKDF2_SCHEME, iterations, toBase64Url(salt), toBase64Url(hash)].join("$");
}

export async function verifyPassword(password: string, stored: string, pepper: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split("$");
  if (scheme !== PBKDF2_SCHEME || !iter || !salt || !hash) return false;
  const actual = await derive(password, pepper, fromBase64Url(salt), Number(iter));
  return timingSafeEqual(toBase64Url(actual), hash);
}

async function aesKey(base64Key: string) {
  return crypto.subtle.importKey("raw", fromBase64Url(base64Key), "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** AES-256-GCM with a fresh 96-bit IV; output `iv.ciphertext` in base64url. */
export async function encryptSecret(plain: string, base64Key: string): Promise<string> {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(base64Key), utf8(plain));
  return `${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
}

export async function decryptSecret(sealed: string, base64Key: string): Promise<string> {
  const [iv, ct] = sealed.split(".");
  if (!iv || !ct) throw new Error("malformed sealed secret");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64Url(iv) }, await aesKey(base64Key), fromBase64Url(ct));
  return new TextDecoder().decode(plain);
}
