// Self-service for the signed-in account: profile, password, recovery codes.
import { and, count, eq, isNull } from "drizzle-orm";
import * as z from "../lib/zod";
import { recoveryCodes, users } from "../db/schema";
import type { Deps } from "../deps";
import { type OwnCredentials, prepareSession, sessionsQuery, sessionSummaries } from "./sessions";
import type { Actor } from "../domain/actor";
import { passwordProblem } from "../domain/password-policy";
import { RECOVERY_CODE_COUNT } from "../domain/tokens";
import { matchTotpStep, normalizeRecoveryCode } from "../domain/two-factor";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { decryptSecret, hashPassword, sha256Hex, verifyPassword } from "../lib/crypto";
import { AppError, validationError } from "../lib/errors";
import { newId, newRecoveryCode } from "../lib/ids";
import { auditInsert } from "./audit";
import { securityNoticeInsert } from "./notifications";
import { deliverSoon } from "./outbox";
import { publicUserColumns, toPublicUser } from "./user-shape";

export const ChangePasswordInput = z.strictObject({
  currentPassword: z.string().check(z.minLength(1, "Enter your current password."), z.maxLength(1024)),
  newPassword: z.string().check(z.maxLength(1024)),
});
export const RegenerateCodesInput = z.strictObject({
  code: z.string().check(z.trim(), z.minLength(1, "Enter the code from your authenticator app."), z.maxLength(20)),
});

/** How many of the account's recovery codes are unused, as a query for a batch. */
export const unusedRecoveryCodesQuery = (deps: Deps, actor: Actor) =>
  deps.db.select({ n: count() }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, actor.id), isNull(recoveryCodes.usedAt)));

async function loadSelf(deps: Deps, actor: Actor) {
  const [user] = await deps.db.select().from(users).where(eq(users.id, actor.id));
  if (!user) throw new AppError("UNAUTHENTICATED", "Please sign in again.");
  return user;
}

export async function getMe(deps: Deps, actor: Actor) {
  // One round trip for the account and its unused recovery codes.
  const [[user], [codes]] = await deps.db.batch([
    deps.db.select(publicUserColumns).from(users).where(eq(users.id, actor.id)),
    unusedRecoveryCodesQuery(deps, actor),
  ]);
  if (!user) throw new AppError("UNAUTHENTICATED", "Please sign in again.");
  return { user: toPublicUser(user), recoveryCodesLeft: codes?.n ?? 0 };
}

/** The account page: the account, its unused recovery codes and its live sessions, in one round trip. */
export async function accountPage(deps: Deps, actor: Actor, currentSessionId: string | undefined) {
  const [[user], [codes], sessions] = await deps.db.batch([
    deps.db.select(publicUserColumns).from(users).where(eq(users.id, actor.id)),
    unusedRecoveryCodesQuery(deps, actor),
    sessionsQuery(deps, actor),
  ]);
  if (!user) throw new AppError("UNAUTHENTICATED", "Please sign in again.");
  return { user: toPublicUser(user), recoveryCodesLeft: codes?.n ?? 0, sessions: sessionSummaries(sessions, currentSessionId) };
}

/**
 * Ends every other session (F-07): sessions minted before now die, and a
 * fresh one for the current browser is minted in the same batch; the caller
 * sets its cookie. The stored hash comes with the session's read on this
 * route (`stored`); the update only applies while it is still that hash.
 */
export async function changePassword(
  deps: Deps,
  actor: Actor,
  input: z.infer<typeof ChangePasswordInput>,
  userAgent: string | null,
  stored?: OwnCredentials,
): Promise<{ secret: string }> {
  const { passwordHash } = stored ?? (await loadSelf(deps, actor));
  const pepper = deps.config.secret("PEPPER");
  if (!passwordHash || !(await verifyPassword(input.currentPassword, passwordHash, pepper))) {
    throw validationError({ currentPassword: "Your current password is not correct." });
  }
  const problem = passwordProblem(input.newPassword);
  if (problem) throw validationError({ newPassword: problem });
  const now = deps.now();
  const mailId = newId();
  // Minted at `now`: sessionsValidAfter = now ends only the sessions minted before it.
  const session = await prepareSession(deps, actor.id, userAgent);
  try {
    await deps.db.batch([
      deps.db
        .update(users)
        .set({ passwordHash: await hashPassword(input.newPassword, pepper), sessionsValidAfter: now, updatedAt: now })
        .where(and(eq(users.id, actor.id), eq(users.passwordHash, passwordHash))),
      guardChanged(deps.db),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "user.password_changed", targetType: "user", targetId: actor.id }),
      securityNoticeInsert(deps, actor, "password_changed", undefined, mailId),
      session.insert,
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("CONFLICT", "Your password was changed elsewhere meanwhile; nothing was changed. Sign in again with the new password.");
    throw e;
  }
  await session.store();
  deliverSoon(deps, [mailId]);
  return { secret: session.secret };
}

const JUST_USED =
  "That code was just used. If it made new recovery codes a moment ago (reloading the page sends the form again), " +
  "those codes replaced the earlier ones. If you did not save them, wait for the next code and generate a new set.";

/** New recovery codes replace the old ones; a fresh TOTP code proves the authenticator is at hand. */
export async function regenerateRecoveryCodes(deps: Deps, actor: Actor, input: z.infer<typeof RegenerateCodesInput>, stored?: OwnCredentials): Promise<string[]> {
  return (await regenerate(deps, actor, input, stored, null)).codes;
}

/**
 * The account page's twin: the new codes and the refreshed account page (as accountPage() gives it), read
 * in the same batch as the write (after it), so the page re-renders without another round trip.
 */
export async function regenerateRecoveryCodesAndPage(
  deps: Deps,
  actor: Actor,
  input: z.infer<typeof RegenerateCodesInput>,
  currentSessionId: string | undefined,
  stored?: OwnCredentials,
) {
  const { codes, page } = await regenerate(deps, actor, input, stored, { currentSessionId });
  return { codes, page: page! };
}

async function regenerate(
  deps: Deps,
  actor: Actor,
  input: z.infer<typeof RegenerateCodesInput>,
  stored: OwnCredentials | undefined,
  withPage: { currentSessionId: string | undefined } | null,
) {
  const { totpSecretEnc, totpLastStep } = stored ?? (await loadSelf(deps, actor));
  const now = deps.now();
  const step = totpSecretEnc ? matchTotpStep(await decryptSecret(totpSecretEnc, deps.config.secret("TOTP_ENCRYPTION_KEY")), input.code, now) : null;
  // The very step last used is most often this same form sent again (a reload of the page that showed the codes).
  if (step !== null && step === totpLastStep) throw validationError({ code: JUST_USED });
  if (step === null || (totpLastStep !== null && step <= totpLastStep)) throw validationError({ code: "That code is not valid or was already used." });
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((c) => sha256Hex(normalizeRecoveryCode(c))));
  const mailId = newId();
  let page: Awaited<ReturnType<typeof accountPage>> | undefined;
  try {
    const writes = [
      // The step is used once: it must be newer than the last one, in D1, at commit.
      deps.db.update(users).set({ totpLastStep: step, updatedAt: now }).where(and(eq(users.id, actor.id), totpLastStep === null ? isNull(users.totpLastStep) : eq(users.totpLastStep, totpLastStep))),
      guardChanged(deps.db),
      deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, actor.id)),
      deps.db.insert(recoveryCodes).values(hashes.map((codeHash) => ({ userId: actor.id, codeHash, createdAt: now }))),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "user.recovery_codes_regenerated", targetType: "user", targetId: actor.id }),
      securityNoticeInsert(deps, actor, "recovery_codes_regenerated", undefined, mailId),
    ] as const;
    if (withPage) {
      const results = await deps.db.batch([
        ...writes,
        deps.db.select(publicUserColumns).from(users).where(eq(users.id, actor.id)),
        unusedRecoveryCodesQuery(deps, actor),
        sessionsQuery(deps, actor),
      ]);
      const [after] = results[6];
      const [left] = results[7];
      if (!after) throw new AppError("UNAUTHENTICATED", "Please sign in again.");
      page = { user: toPublicUser(after), recoveryCodesLeft: left?.n ?? 0, sessions: sessionSummaries(results[8], withPage.currentSessionId) };
    } else {
      await deps.db.batch(writes);
    }
  } catch (e) {
    if (isGuardAbort(e)) throw validationError({ code: "That code is not valid or was already used." });
    throw e;
  }
  deliverSoon(deps, [mailId]);
  return { codes, page };
}
