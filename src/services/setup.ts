// F-01 first-run setup: the vendor organization and its first operator, once.
import { sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import { emailSchema, normalizeEmail } from "../domain/email";
import { passwordProblem } from "../domain/password-policy";
import { guardNot, isGuardAbort } from "../lib/batch";
import { hashPassword, timingSafeEqual } from "../lib/crypto";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { auditInsert } from "./audit";
import { toPublicUser } from "./user-shape";

export const SetupInput = z.strictObject({
  orgName: z.string().check(z.trim(), z.minLength(1, "Enter the vendor organization's name."), z.maxLength(120)),
  email: emailSchema,
  name: z.string().check(z.trim(), z.minLength(1, "Enter your name."), z.maxLength(120)),
  password: z.string().check(z.maxLength(1024)),
  setupToken: z.optional(z.string().check(z.maxLength(200))),
});

const SETUP_DONE = () => new AppError("NOT_FOUND", "Not found.");

export async function isSetupOpen(deps: Deps): Promise<boolean> {
  const [row] = await deps.db.select({ id: users.id }).from(users).limit(1);
  return !row;
}

/** Production also needs SETUP_TOKEN, so a fresh deployment cannot be claimed by whoever finds it first. */
export function setupNeedsToken(deps: Deps) {
  return deps.config.isProduction;
}

/**
 * `openChecked`: the caller (the page) already asked isSetupOpen() in this request, so the read is
 * not repeated; the batch's guard still refuses when an account exists (a racing setup).
 */
export async function setupPortal(deps: Deps, input: z.infer<typeof SetupInput>, opts: { openChecked?: boolean } = {}) {
  if (!opts.openChecked && !(await isSetupOpen(deps))) throw SETUP_DONE();
  if (setupNeedsToken(deps)) {
    const expected = deps.config.setupToken;
    if (!expected) throw new AppError("MISCONFIGURED", "Set the SETUP_TOKEN secret (npm exec -- wrangler secret put SETUP_TOKEN) before running setup.");
    if (!timingSafeEqual(input.setupToken ?? "", expected)) throw validationError({ setupToken: "The setup token is not correct." });
  }
  const problem = passwordProblem(input.password);
  if (problem) throw validationError({ password: problem });

  const now = deps.now();
  const org = { id: newId(), name: input.orgName, kind: "vendor" as const, channelPartner: false, createdAt: now, updatedAt: now };
  const user = {
    id: newId(),
    orgId: org.id,
    email: normalizeEmail(input.email),
    name: input.name,
    role: "operator" as const,
    status: "pending_2fa" as const,
    passwordHash: await hashPassword(input.password, deps.config.secret("PEPPER")),
    createdAt: now,
    updatedAt: now,
  };
  try {
    const [, , [created]] = await deps.db.batch([
      // Two setups racing: the second batch sees the first one's account and rolls back.
      guardNot(deps.db, sql`EXISTS (SELECT 1 FROM ${users})`),
      deps.db.insert(organizations).values(org),
      deps.db.insert(users).values(user).returning(),
      auditInsert(deps, { actorId: user.id, orgId: org.id, action: "setup.completed", targetType: "organization", targetId: org.id, after: { org: org.name, operator: user.email } }),
    ]);
    return { user: toPublicUser(created!) };
  } catch (e) {
    if (isGuardAbort(e)) throw SETUP_DONE();
    throw e;
  }
}
