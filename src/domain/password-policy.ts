// F-04 password rules: length 12–128 and none of the 1,000 most common passwords.
// Length counts code points so an emoji is one character, as a person counts it.
import { COMMON_PASSWORDS } from "./common-passwords";

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/** Returns the reason the password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return "This password is too common. Choose another.";
  return null;
}
