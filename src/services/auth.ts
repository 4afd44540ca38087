// Sign-in (F-05…F-08): password step → challenge → TOTP (or recovery code) → session.
import { and, eq, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import { aliased } from "../db/client";
import { knownDevices, organizations, recoveryCodes, users } from "../db/schema";
import type { Deps } from "../deps";
import { canStartSignIn } from "../domain/account-state";
import { deviceLabel } from "../domain/device-label";
import { normalizeEmail } from "../domain/email";
import { RECOVERY_CODE_COUNT } from "../domain/tokens";
import { matchTotpStep, newTotpSecret, normalizeRecoveryCode, totpUri } from "../domain/two-factor";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { decryptSecret, encryptSecret, hashPassword, sha256Hex, verifyPassword } from "../lib/crypto";
import { AppError } from "../lib/errors";
import { newId, newRecoveryCode } from "../lib/ids";
import { securityNoticeMail } from "../../views/mail/templates";
import type { AuditAction } from "../domain/audit-actions";
import { auditInsert } from "./audit";
import { type Challenge, createChallenge, deleteChallenge, readChallenge } from "./challenges";
import { securityNoticeInsert } from "./notifications";
import { deliverSoon, mailInsertWhere } from "./outbox";
import { prepareSession } from "./sessions";
import { assertNotLocked, clearAccountFailures, recordFailure, throttleKeys, throttleRowsQuery, withIpKey } from "./throttle";
import { toPublicUser } from "./user-shape";

export const LoginInput = z.strictObject({
  email: z.string().check(z.trim(), z.minLength(1, "Enter your email address."), z.maxLength(254)),
  password: z.string().check(z.minLength(1, "Enter your password."), z.maxLength(1024)),
});

export const TotpInput = z
  .strictObject({
    challenge: z.string().check(z.minLength(1), z.maxLength(100)),
    code: z.optional(z.string().check(z.trim(), z.maxLength(20))),
    recoveryCode: z.optional(z.string().check(z.trim(), z.maxLength(40))),
  })
  .check(
    z.refine((v) => Boolean(v.code) !== Boolean(v.recoveryCode), {
      message: "Enter the 6-digit code from your authenticator app or one recovery code.",
      path: ["code"],
    }),
  );

const WRONG_CREDENTIALS = "Email or password is incorrect.";
const WRONG_CODE = "That code is not valid. Check your authenticator app and try again.";

/** Hash of a throwaway password, so an unknown email costs the same PBKDF2 time as a wrong password. */
let dummyHash: Promise<string> | undefined;
const timingDummy = (pepper: string) => (dummyHash ??= hashPassword("timing-equalizer-not-a-password", pepper));

export type LoginResult =
  | { next: "totp"; challenge: string }
  | { next: "totp_enroll"; challenge: string; totp: { secret: string; uri: string } };

/** The password step: never creates a session, only a challenge bound to the account. */
export async function startLogin(deps: Deps, input: z.infer<typeof LoginInput>, next?: string): Promise<LoginResult> {
  const email = normalizeEmail(input.email);
  const keys = await throttleKeys(deps, email);
  const [throttles, [row]] = await deps.db.batch([throttleRowsQuery(deps, keys), userWithOrgStatus(deps, eq(users.email, email))]);
  assertNotLocked(deps, throttles);
  const user = row?.user;

  const pepper = deps.config.secret("PEPPER");
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? (await timingDummy(pepper)), pepper);
  if (!user || !user.passwordHash || !passwordOk || !canStartSignIn(user.status) || row.orgStatus !== "active") {
    // A failed attempt on an existing account is in its organization's audit log (F-50); an unknown address has no log to go in.
    await recordFailure(deps, keys, user ? signInFailedAudit(deps, user, "password") : undefined);
    // Only someone who knows the password learns why it did not work.
    if (user && passwordOk && user.status === "deactivated") {
      throw new AppError("UNAUTHENTICATED", "This account is deactivated. Ask your Partner Manager to activate it again.");
    }
    if (user && passwordOk && row.orgStatus !== "active") {
      throw new AppError("UNAUTHENTICATED", "Your organization no longer has access to the portal.");
    }
    throw new AppError("UNAUTHENTICATED", WRONG_CREDENTIALS);
  }
  // The account's failures are cleared only once the second factor is done too
  // (completeSignIn): clearing here would let whoever knows the password reset
  // the count of wrong TOTP codes with every new password step.

  if (user.status === "pending_2fa" || !user.totpSecretEnc) {
    const secret = newTotpSecret();
    const pendingSecretEnc = await encryptSecret(secret, deps.config.secret("TOTP_ENCRYPTION_KEY"));
    const challenge = await createChallenge(deps, { userId: user.id, throttleKey: keys.account, kind: "enroll", pendingSecretEnc, next });
    return { next: "totp_enroll", challenge, totp: { secret, uri: totpUri(secret, deps.config.appName, user.email) } };
  }
  return { next: "totp", challenge: await createChallenge(deps, { userId: user.id, throttleKey: keys.account, kind: "verify", next }) };
}

/** Nobody is signed in yet, so the entry has no actor; the account tried is the target. */
const signInFailedAudit = (deps: Deps, user: { id: string; orgId: string }, step: "password" | "two_factor") =>
  auditInsert(deps, { actorId: null, orgId: user.orgId, action: "auth.sign_in_failed", targetType: "user", targetId: user.id, after: { step } });

const userWithOrgStatus = (deps: Deps, where: SQL) =>
  deps.db.select({ user: users, orgStatus: aliased<"active" | "terminated">(organizations.status, "org_status") }).from(users).innerJoin(organizations, eq(organizations.id, users.orgId)).where(where).limit(1);

/** The enrollment details of a live challenge, so the page can show the QR code again after a typo. */
/** `known`: the challenge the caller already read for this id in this request (saves a KV read). */
export async function enrollmentOf(deps: Deps, challengeId: string, known?: Challenge | null) {
  const challenge = known !== undefined ? known : await readChallenge(deps, challengeId);
  if (!challenge || challenge.kind !== "enroll" || !challenge.pendingSecretEnc) return null;
  const [user] = await deps.db.select({ email: users.email }).from(users).where(eq(users.id, challenge.userId));
  if (!user) return null;
  const secret = await decryptSecret(challenge.pendingSecretEnc, deps.config.secret("TOTP_ENCRYPTION_KEY"));
  return { secret, uri: totpUri(secret, deps.config.appName, user.email) };
}

export interface SignedIn {
  user: ReturnType<typeof toPublicUser>;
  recoveryCodes?: string[];
  sessionSecret: string;
  next?: string;
}

/**
 * The second step. Exactly one session per accepted TOTP step: the step is
 * recorded with a compare-and-swap on users.totp_last_step in the same batch
 * as the audit entry, so a replay or a parallel duplicate loses (RFC 6238 §5.2).
 */
/**
 * `known`: the challenge the caller already read for `input.challenge` in this request (the page reads it to
 * render its form), so KV is read once. The TOTP step-once rule is enforced by the D1 batch either way.
 */
export async function completeSignIn(deps: Deps, input: z.infer<typeof TotpInput>, userAgent: string | null, known?: Challenge | null): Promise<SignedIn> {
  const challenge = known !== undefined ? known : await readChallenge(deps, input.challenge);
  if (!challenge) throw new AppError("UNAUTHENTICATED", "Your sign-in has expired. Enter your email and password again.");
  // The challenge carries the account's throttle key, so the account and its counters come in one round trip.
  const keys = withIpKey(deps, challenge.throttleKey);
  const [throttles, [row]] = await deps.db.batch([throttleRowsQuery(deps, keys), userWithOrgStatus(deps, eq(users.id, challenge.userId))]);
  const user = row?.user;
  const expectedStatus = challenge.kind === "enroll" ? "pending_2fa" : "active";
  if (!user || user.status !== expectedStatus || row.orgStatus !== "active") {
    throw new AppError("UNAUTHENTICATED", "Your sign-in has expired. Enter your email and password again.");
  }
  assertNotLocked(deps, throttles);

  const key = deps.config.secret("TOTP_ENCRYPTION_KEY");
  const now = deps.now();
  const fail = async (message = WRONG_CODE): Promise<never> => {
    await recordFailure(deps, keys, signInFailedAudit(deps, user, "two_factor"));
    // The field the person filled: a refused recovery code is reported on its own field, not on the TOTP code's.
    throw new AppError("UNAUTHENTICATED", message, { [input.recoveryCode ? "recoveryCode" : "code"]: message });
  };

  const signInAudit = (action: AuditAction) => auditInsert(deps, { actorId: user.id, orgId: user.orgId, action, targetType: "user", targetId: user.id });
  const deviceStatements = await newDeviceStatements(deps, user, userAgent);
  const mailIds: string[] = [deviceStatements.mailId];
  let recoveryCodesShown: string[] | undefined;
  let statements;

  if (challenge.kind === "enroll") {
    if (!input.code) return fail("Enter the 6-digit code your authenticator app shows for the new account.");
    const secret = await decryptSecret(challenge.pendingSecretEnc!, key);
    const step = matchTotpStep(secret, input.code, now);
    if (step === null) return fail();
    recoveryCodesShown = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const hashes = await Promise.all(recoveryCodesShown.map((c) => sha256Hex(normalizeRecoveryCode(c))));
    const noticeId = newId();
    mailIds.push(noticeId);
    statements = [
      deps.db
        .update(users)
        .set({ totpSecretEnc: await encryptSecret(secret, key), totpLastStep: step, status: "active", ...signInActivity(now), updatedAt: now })
        .where(and(eq(users.id, user.id), eq(users.status, "pending_2fa"))),
      guardChanged(deps.db),
      deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
      deps.db.insert(recoveryCodes).values(hashes.map((codeHash) => ({ userId: user.id, codeHash, createdAt: now }))),
      signInAudit("auth.two_factor_enrolled"),
      securityNoticeInsert(deps, user, "two_factor_enrolled", undefined, noticeId),
    ];
  } else if (input.code) {
    const step = matchTotpStep(await decryptSecret(user.totpSecretEnc!, key), input.code, now);
    if (step === null) return fail();
    if (user.totpLastStep !== null && step <= user.totpLastStep) return fail("That code was already used. Wait for the next code in your app.");
    statements = [
      deps.db
        .update(users)
        .set({ totpLastStep: step, ...signInActivity(now) })
        .where(and(eq(users.id, user.id), eq(users.status, "active"), or(isNull(users.totpLastStep), lt(users.totpLastStep, step)))),
      guardChanged(deps.db),
      signInAudit("auth.signed_in"),
    ];
  } else {
    const codeHash = await sha256Hex(normalizeRecoveryCode(input.recoveryCode!));
    const noticeId = newId();
    mailIds.push(noticeId);
    statements = [
      deps.db
        .update(recoveryCodes)
        .set({ usedAt: now })
        .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt))),
      guardChanged(deps.db),
      deps.db.update(users).set(signInActivity(now)).where(eq(users.id, user.id)),
      signInAudit("auth.signed_in_with_recovery_code"),
      securityNoticeInsert(deps, user, "recovery_code_used", undefined, noticeId),
    ];
  }

  // The session's row commits with the sign-in; its KV record follows once the batch succeeded.
  const session = await prepareSession(deps, user.id, userAgent);
  try {
    await deps.db.batch([...statements, ...deviceStatements.statements, session.insert] as unknown as Parameters<typeof deps.db.batch>[0]);
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    return fail(input.recoveryCode ? "That recovery code is not valid or was already used." : "That code was already used. Wait for the next code in your app.");
  }
  const hadFailures = throttles.some((t) => t.key === keys.account);
  const sessionSecret = session.secret;
  await Promise.all([
    session.store(),
    deleteChallenge(deps, input.challenge),
    hadFailures ? clearAccountFailures(deps, keys) : undefined,
  ]);
  deliverSoon(deps, mailIds);
  const signedInUser = { ...user, status: "active" as const, lastLoginAt: now };
  return { user: toPublicUser(signedInUser), recoveryCodes: recoveryCodesShown, sessionSecret, next: challenge.next };
}

/**
 * F-91 "new sign-in": mail the holder when this user agent + address has not
 * signed in before (not on the very first sign-in), then remember it. Set-based,
 * so it joins the sign-in batch without an extra round trip.
 */
async function newDeviceStatements(deps: Deps, user: { id: string; email: string; name: string }, userAgent: string | null) {
  const fingerprint = await sha256Hex(`${userAgent ?? ""}|${deps.ip ?? ""}`);
  const now = deps.now();
  const mailId = newId();
  const { appName, origin } = deps.config;
  const detail = `Device: ${deviceLabel(userAgent)}${userAgent ? ` (${userAgent.slice(0, 120)})` : ""}. Address: ${deps.ip ?? "unknown"}. Time: ${new Date(now).toISOString()}.`;
  const mail = securityNoticeMail({ appName, name: user.name, notice: "new_sign_in", detail, origin });
  const seen = (extra: SQL | undefined) => sql`SELECT 1 FROM ${knownDevices} WHERE ${and(eq(knownDevices.userId, user.id), extra)}`;
  return {
    mailId,
    statements: [
      mailInsertWhere(deps, user.email, mail, sql`EXISTS (${seen(undefined)}) AND NOT EXISTS (${seen(eq(knownDevices.fingerprint, fingerprint))})`, mailId),
      deps.db
        .insert(knownDevices)
        .values({ userId: user.id, fingerprint, firstSeenAt: now, lastSeenAt: now })
        .onConflictDoUpdate({ target: [knownDevices.userId, knownDevices.fingerprint], set: { lastSeenAt: now } }),
    ],
  };
}

/** A sign-in is activity (F-70): it resets the inactivity clock and voids an outstanding reminder and its keep link. */
const signInActivity = (now: number) => ({ lastLoginAt: now, lastActivityAt: now, inactivityRemindedAt: null });
