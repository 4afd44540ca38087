// Random identifiers and secrets. IDs are 96 bits, secrets 256 bits (F-03 asks ≥128).
import { toBase64Url } from "./encoding";

export const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
/**
 * A new id. It starts with a letter or digit: ids end up in CSV exports, where
 * a cell starting with "-" is quoted as a possible formula (src/lib/csv.ts),
 * and in URLs and logs, where a leading "-" or "_" reads badly. One draw in
 * 32 is redrawn, which costs the id 0.05 of its 96 random bits.
 */
export function newId(): string {
  for (;;) {
    const id = toBase64Url(randomBytes(12));
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}
export const newSecret = () => toBase64Url(randomBytes(32));

/** Recovery codes: 10 characters from an alphabet without look-alikes, shown as xxxxx-xxxxx. */
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
export function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = Array.from(bytes, (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}
