// Invitations and activation (F-03, F-04): a 256-bit token mailed once,
// stored as its SHA-256, valid 7 days, voided by a re-invite.
import { and, eq, gt, isNull, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import * as z from "../lib/zod";
import { invitations, organizations, outbox, users } from "../db/schema";
import type { Deps } from "../deps";
import { ACTIVATION_PROBLEMS, activationProblem, type ActivationProblem } from "../domain/activation-link";
import { passwordProblem } from "../domain/password-policy";
import { INVITATION_TTL_MS, linkState } from "../domain/tokens";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { hashPassword, sha256Hex } from "../lib/crypto";
import { AppError, validationError } from "../lib/errors";
import { newId, newSecret } from "../lib/ids";
import { invitationMail } from "../../views/mail/templates";
import { auditInsert } from "./audit";
import { outboxInsertSelect, outboxRow } from "./outbox";
import { filledMail, slot } from "./sql-mail";

export const activationUrl = (deps: Deps, token: string) => `${deps.config.origin}/activate?token=${encodeURIComponent(token)}`;

/**
 * A new invitation for one account: the row (token stored as its SHA-256 only)
 * and its mail as an outbox row. Bulk invites insert many of these chunked.
 */
export async function buildInvitation(
  deps: Deps,
  invitee: { id: string; email: string; name: string },
  orgName: string,
  inviter: { id: string; name: string } | null,
) {
  const token = newSecret();
  const now = deps.now();
  const mail = invitationMail({ appName: deps.config.appName, name: invitee.name, orgName, url: activationUrl(deps, token), inviter: inviter?.name ?? null });
  return {
    invitation: {
      id: newId(),
      userId: invitee.id,
      tokenHash: await sha256Hex(token),
      invitedBy: inviter?.id ?? null,
      createdAt: now,
      expiresAt: now + INVITATION_TTL_MS,
    } satisfies typeof invitations.$inferInsert,
    mail: outboxRow(deps, invitee.email, mail),
  };
}

/**
 * Statements that void the account's open invitations and issue a new one with
 * its mail; the caller adds them to the batch of the change that invites.
 */
export async function invitationStatements(
  deps: Deps,
  invitee: { id: string; email: string; name: string },
  orgName: string,
  inviter: { id: string; name: string } | null,
) {
  const { invitation, mail } = await buildInvitation(deps, invitee, orgName, inviter);
  return {
    mailId: mail.id,
    invitationId: invitation.id,
    statements: [
      deps.db
        .update(invitations)
        .set({ revokedAt: deps.now() })
        .where(and(eq(invitations.userId, invitee.id), isNull(invitations.usedAt), isNull(invitations.revokedAt))),
      deps.db.insert(invitations).values(invitation),
      deps.db.insert(outbox).values(mail),
    ] as const,
  };
}

/**
 * invitationStatements for an account the batch finds by SQL: `userId` is a
 * value or a subquery, and the address, name and organization of the mail are
 * read from the rows inside the batch, so no read is needed first. The caller
 * guards that the account exists and may be invited; the mail is queued only
 * if it does.
 */
export async function invitationStatementsFor(deps: Deps, userId: string | SQL, inviter: { id: string; name: string } | null) {
  const token = newSecret();
  const now = deps.now();
  const target = typeof userId === "string" ? sql`${userId}` : userId;
  const template = invitationMail({ appName: deps.config.appName, name: slot("name"), orgName: slot("org"), url: activationUrl(deps, token), inviter: inviter?.name ?? null });
  const invitation = { id: newId(), userId: target, tokenHash: await sha256Hex(token), invitedBy: inviter?.id ?? null, createdAt: now, expiresAt: now + INVITATION_TTL_MS };
  const mailId = newId();
  return {
    mailId,
    invitationId: invitation.id,
    statements: [
      deps.db
        .update(invitations)
        .set({ revokedAt: now })
        .where(and(eq(invitations.userId, target), isNull(invitations.usedAt), isNull(invitations.revokedAt))),
      deps.db.insert(invitations).values(invitation),
      outboxInsertSelect(
        deps,
        { id: mailId, to: sql`${users.email}`, ...filledMail(template, [["org", sql`${organizations.name}`], ["name", sql`${users.name}`]]) },
        sql`FROM ${users} JOIN ${organizations} ON ${organizations.id} = ${users.orgId} WHERE ${users.id} = ${target}`,
      ),
    ] as const,
  };
}

/** An activation link that no longer works, with why (domain/activation-link.ts): the page offers what helps. */
export class ActivationLinkError extends AppError {
  constructor(readonly problem: ActivationProblem) {
    super(ACTIVATION_PROBLEMS[problem].code, ACTIVATION_PROBLEMS[problem].message);
  }
}

const NEWEST = "newest_invitation";
const newest = alias(invitations, NEWEST);

/** Looks up an activation token: the invitation, its account and organization, and whether it can still be used. */
export async function findInvitation(deps: Deps, token: string) {
  if (!token || token.length > 100) throw new AppError("INVALID_TOKEN", "This activation link is not valid. Ask for a new invitation.");
  const [row] = await deps.db
    .select({
      invitation: invitations,
      user: users,
      orgName: organizations.name,
      // Whether a re-invite has replaced this link, in the same statement.
      latestId: sql<string>`(SELECT ${newest.id} FROM ${invitations} AS ${sql.identifier(NEWEST)} WHERE ${newest.userId} = ${invitations.userId} ORDER BY ${newest.createdAt} DESC, ${newest}.rowid DESC LIMIT 1)`,
    })
    .from(invitations)
    .innerJoin(users, eq(users.id, invitations.userId))
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(eq(invitations.tokenHash, await sha256Hex(token)));
  if (!row) throw new AppError("INVALID_TOKEN", "This activation link is not valid. Ask for a new invitation.");
  const problem = activationProblem(linkState(row.invitation, deps.now()), row.user.status, row.latestId === row.invitation.id);
  if (problem) throw new ActivationLinkError(problem);
  return row;
}

export const AcceptInvitationInput = z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(100)),
  password: z.string().check(z.maxLength(1024)),
  acceptPrivacyPolicy: z.literal(true, { error: "You must agree to the privacy policy to create your account." }),
});

/** F-04: set the password, record the privacy policy consent, and move on to 2FA enrollment. */
export async function acceptInvitation(deps: Deps, input: z.infer<typeof AcceptInvitationInput>) {
  const { invitation, user } = await findInvitation(deps, input.token);
  const problem = passwordProblem(input.password);
  if (problem) throw validationError({ password: problem });
  const now = deps.now();
  const passwordHash = await hashPassword(input.password, deps.config.secret("PEPPER"));
  try {
    await deps.db.batch([
      deps.db
        .update(invitations)
        .set({ usedAt: now })
        .where(and(eq(invitations.id, invitation.id), isNull(invitations.usedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now))),
      guardChanged(deps.db),
      deps.db
        .update(users)
        .set({ passwordHash, status: "pending_2fa", privacyPolicyVersion: deps.config.privacyPolicyVersion, privacyAcceptedAt: now, updatedAt: now })
        .where(and(eq(users.id, user.id), eq(users.status, "invited"))),
      guardChanged(deps.db),
      auditInsert(deps, {
        actorId: user.id,
        orgId: user.orgId,
        action: "user.activated",
        targetType: "user",
        targetId: user.id,
        before: { status: "invited" },
        after: { status: "pending_2fa", privacyPolicyVersion: deps.config.privacyPolicyVersion },
      }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw new AppError("INVALID_TOKEN", "This activation link was already used or replaced by a newer one.");
    throw e;
  }
  return { email: user.email };
}
