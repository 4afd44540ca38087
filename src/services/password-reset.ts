// F-90 forgot password: the same answer whether or not the address has an
// account; an invitee who never activated gets a fresh activation link instead.
import { and, count, desc, eq, gt, isNull, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { aliased } from "../db/client";
import { invitations, organizations, passwordResets, users } from "../db/schema";
import type { Deps } from "../deps";
import { emailSchema, normalizeEmail } from "../domain/email";
import { passwordProblem } from "../domain/password-policy";
import { linkState, PASSWORD_RESET_TTL_MS } from "../domain/tokens";
import { guardChanged, guardNot, isGuardAbort } from "../lib/batch";
import { hashPassword, sha256Hex } from "../lib/crypto";
import { AppError, validationError } from "../lib/errors";
import { newId, newSecret } from "../lib/ids";
import { passwordResetMail } from "../../views/mail/templates";
import type { AuditAction } from "../domain/audit-actions";
import { auditInsert } from "./audit";
import { invitationStatements } from "./invitations";
import { securityNoticeInsert } from "./notifications";
import { deliverSoon, mailInsert } from "./outbox";

export const ForgotPasswordInput = z.strictObject({ email: emailSchema });
export const ResetPasswordInput = z.strictObject({ token: z.string().check(z.minLength(1), z.maxLength(100)), password: z.string().check(z.maxLength(1024)) });

/** At most this many reset mails per account per hour, so the form cannot flood a mailbox. */
const RESETS_PER_HOUR = 3;

export async function requestPasswordReset(deps: Deps, input: z.infer<typeof ForgotPasswordInput>): Promise<void> {
  const email = normalizeEmail(input.email);
  const now = deps.now();
  const hourAgo = now - 3_600_000;
  const [[row], [recentResets], [recentInvites], [latestInvite]] = await deps.db.batch([
    deps.db.select({ user: users, orgName: aliased<string>(organizations.name, "org_name") }).from(users).innerJoin(organizations, eq(organizations.id, users.orgId)).where(eq(users.email, email)),
    deps.db
      .select({ n: count() })
      .from(passwordResets)
      .innerJoin(users, eq(users.id, passwordResets.userId))
      .where(and(eq(users.email, email), gt(passwordResets.createdAt, hourAgo))),
    deps.db
      .select({ n: count() })
      .from(invitations)
      .innerJoin(users, eq(users.id, invitations.userId))
      .where(and(eq(users.email, email), gt(invitations.createdAt, hourAgo))),
    deps.db
      .select({ revokedAt: invitations.revokedAt })
      .from(invitations)
      .innerJoin(users, eq(users.id, invitations.userId))
      .where(eq(users.email, email))
      .orderBy(desc(invitations.createdAt), sql`${invitations}.rowid DESC`)
      .limit(1),
  ]);
  if (!row) return;
  // F-92: a Partner Manager revoked this invitation (a re-invite would have left a newer one):
  // the invitee cannot mint a new link for themselves.
  if (row.user.status === "invited" && latestInvite?.revokedAt) return;
  const recent = row.user.status === "invited" ? recentInvites : recentResets;
  if ((recent?.n ?? 0) >= RESETS_PER_HOUR) return;
  const { user, orgName } = row;
  const audit = (action: AuditAction) => auditInsert(deps, { actorId: null, orgId: user.orgId, action, targetType: "user", targetId: user.id });
  // The count above is only an early exit: parallel requests all pass it, so the
  // batch itself re-checks the limit and aborts when it is reached.
  const limitGuard = (table: typeof passwordResets | typeof invitations) =>
    guardNot(deps.db, sql`(SELECT count(*) FROM ${table} WHERE ${and(eq(table.userId, user.id), gt(table.createdAt, hourAgo))}) >= ${RESETS_PER_HOUR}`);
  const batchWithinLimit = async (statements: Parameters<typeof deps.db.batch>[0]) => {
    try {
      await deps.db.batch(statements);
      return true;
    } catch (e) {
      if (isGuardAbort(e)) return false;
      throw e;
    }
  };

  if (user.status === "invited") {
    const invite = await invitationStatements(deps, user, orgName, null);
    if (await batchWithinLimit([limitGuard(invitations), ...invite.statements, audit("user.activation_link_resent")])) deliverSoon(deps, [invite.mailId]);
    return;
  }
  if (user.status !== "active" && user.status !== "pending_2fa") return;
  const token = newSecret();
  const mailId = newId();
  const sent = await batchWithinLimit([
    limitGuard(passwordResets),
    deps.db.insert(passwordResets).values({ id: newId(), userId: user.id, tokenHash: await sha256Hex(token), createdAt: now, expiresAt: now + PASSWORD_RESET_TTL_MS }),
    audit("user.password_reset_requested"),
    mailInsert(deps, user.email, passwordResetMail({ appName: deps.config.appName, name: user.name, url: `${deps.config.origin}/reset-password?token=${encodeURIComponent(token)}` }), mailId),
  ]);
  if (sent) deliverSoon(deps, [mailId]);
}

export async function findPasswordReset(deps: Deps, token: string) {
  const invalid = () => new AppError("INVALID_TOKEN", "This reset link is not valid or was already used. Ask for a new one.");
  if (!token || token.length > 100) throw invalid();
  const [row] = await deps.db
    .select({ reset: passwordResets, user: users })
    .from(passwordResets)
    .innerJoin(users, eq(users.id, passwordResets.userId))
    .where(eq(passwordResets.tokenHash, await sha256Hex(token)));
  if (!row) throw invalid();
  const state = linkState(row.reset, deps.now());
  if (state === "expired") throw new AppError("EXPIRED_TOKEN", "This reset link has expired. Ask for a new one.");
  if (state !== "usable" || (row.user.status !== "active" && row.user.status !== "pending_2fa")) throw invalid();
  return row;
}

/** Sets the new password and ends every session; the next sign-in still asks for the second factor. */
export async function resetPassword(deps: Deps, input: z.infer<typeof ResetPasswordInput>) {
  const { reset, user } = await findPasswordReset(deps, input.token);
  const problem = passwordProblem(input.password);
  if (problem) throw validationError({ password: problem });
  const now = deps.now();
  const mailId = newId();
  try {
    await deps.db.batch([
      deps.db.update(passwordResets).set({ usedAt: now }).where(and(eq(passwordResets.id, reset.id), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now))),
      guardChanged(deps.db),
      deps.db.update(users).set({ passwordHash: await hashPassword(input.password, deps.config.secret("PEPPER")), sessionsValidAfter: now, updatedAt: now }).where(eq(users.id, user.id)),
      auditInsert(deps, { actorId: user.id, orgId: user.orgId, action: "user.password_reset", targetType: "user", targetId: user.id }),
      securityNoticeInsert(deps, user, "password_changed", undefined, mailId),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("INVALID_TOKEN", "This reset link is not valid or was already used. Ask for a new one.");
    throw e;
  }
  deliverSoon(deps, [mailId]);
  return { email: user.email };
}
