// One account per email address, compared trimmed and case-insensitively.
import * as z from "../lib/zod";

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Trimmed before the format check, so a stray space from a paste is not an error. */
export const emailSchema = z.pipe(z.string().check(z.trim(), z.maxLength(254, "Use at most 254 characters.")), z.email("Enter a valid email address."));
