// TOTP per RFC 6238: SHA-1, 6 digits, 30-second steps, ±1 step of clock drift (F-05).
import { createHmac } from "node:crypto";
// otpauth's "bare" build brings no hash code of its own (the default build
// bundles SHA-1…SHA3: 19 KiB of the minified Worker): HMAC comes from the runtime's
// node:crypto (nodejs_compat), which is synchronous like otpauth's API.
import { Secret, TOTP } from "otpauth/bare";

const hmac = (algorithm: string, key: Uint8Array, message: Uint8Array) => new Uint8Array(createHmac(algorithm.toLowerCase(), key).update(message).digest());

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_WINDOW = 1;

function totpFor(secret: string, label = "", issuer = "") {
  return new TOTP({ issuer, label, algorithm: "SHA1", digits: 6, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret), hmac });
}

export const newTotpSecret = () => new Secret({ size: 20 }).base32;

export const totpUri = (secret: string, issuer: string, email: string) => totpFor(secret, email, issuer).toString();

export const totpStepAt = (nowMs: number) => Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);

/**
 * The time step the code belongs to, or null when it matches none within the window.
 * The caller must still refuse a step at or below the last one accepted (replay).
 */
export function matchTotpStep(secret: string, code: string, nowMs: number): number | null {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpFor(secret).validate({ token, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : totpStepAt(nowMs) + delta;
}

export const totpCodeAt = (secret: string, nowMs: number) => totpFor(secret).generate({ timestamp: nowMs });

/** Recovery codes are compared without case, spaces or dashes so typing them is forgiving. */
export const normalizeRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]+/g, "");
