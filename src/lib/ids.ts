// Random identifiers and secrets. IDs are 96 bits, secrets 256 bits (F-03 asks ≥128).
import { toBase64Url } from "./encoding";

export const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
export const newId = () => toBase64Url(randomBytes(12));
export const newSecret = () => toBase64Url(randomBytes(32));

/** Recovery codes: 10 characters from an alphabet without look-alikes, shown as xxxxx-xxxxx. */
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
export function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = Array.from(bytes, (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}
