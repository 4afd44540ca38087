// F-52: personal Reporting API tokens — create (the secret is shown once and
// only its SHA-256 is kept), list own, revoke own. Authentication with a token
// lives in api-token-auth.ts and works on /api/v1/reports only.
import { and, count, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { apiTokens } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { hasAnalyticsAccess } from "../domain/analytics";
import { guardChanged, guardNot, isGuardAbort, isUniqueViolation } from "../lib/batch";
import { AppError } from "../lib/errors";
import { newId, newSecret } from "../lib/ids";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { requireModule } from "./analytics-context";
import { API_TOKEN_PREFIX, hashApiToken } from "./api-token-auth";
import { auditInsert, auditInsertSelect } from "./audit";
import { jsonObject } from "../lib/sql-json";
import { securityNoticeInsert } from "./notifications";
import { deliverSoon } from "./outbox";
import { iso } from "../lib/iso-time";

/** Live (not revoked, not expired) tokens one user may hold at once. */
export const MAX_LIVE_TOKENS = 20;
/** How much of the secret is kept in clear, so the user can tell tokens apart ("ptk_" + 8). */
const SHOWN_PREFIX_LENGTH = API_TOKEN_PREFIX.length + 8;
const DAY_MS = 86_400_000;

export const CreateTokenInput = z.strictObject({
  name: z.string({ error: "Enter a name." }).check(z.trim(), z.minLength(1, "Enter a name."), z.maxLength(80, "Use at most 80 characters.")),
  expiresInDays: z.blankable(
    z.coerce
      .number({ error: "Enter a number of days." })
      .check(
        z.int("Enter whole days."),
        z.minimum(1, "Choose between 1 and 365 days, or leave empty for no expiry."),
        z.maximum(365, "Choose between 1 and 365 days, or leave empty for no expiry."),
      ),
  ),
});

export const ListTokensInput = z.object({
  ...pageFields({ size: 50 }),
});

type TokenRow = typeof apiTokens.$inferSelect;

/** The token as the API and pages show it: never the secret or its hash. */
export function toPublicToken(t: TokenRow) {
  return { id: t.id, name: t.name, prefix: t.prefix, createdAt: iso(t.createdAt)!, expiresAt: iso(t.expiresAt), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) };
}
export type PublicToken = ReturnType<typeof toPublicToken>;

/** F-25 + F-44: tokens belong to users with analytics access and the Reporting API module in full. */
async function requireTokenRights(deps: Deps, actor: Actor) {
  if (!hasAnalyticsAccess(actor)) throw new AppError("FORBIDDEN", "You have no analytics access.");
  requireModule(actor, "reporting_api", "write");
}

const liveTokensOf = (userId: string, now: number) =>
  and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)));

const TOO_MANY = () =>
  new AppError("CONFLICT", `You already have ${MAX_LIVE_TOKENS} active API tokens. Revoke one you no longer use, then create a new one.`);

/**
 * Creates a token; the answer carries the secret, which is never stored and
 * never shown again. The limit is checked at commit time, with no count read
 * first (a guard counts the live tokens after the insert), and the F-91
 * notice goes in the same batch.
 */
export async function createApiToken(deps: Deps, actor: Actor, input: z.infer<typeof CreateTokenInput>) {
  const { token, secret } = await insertToken(deps, actor, input);
  return { token, secret };
}

/** The page's create form: the token fields and the key the form was rendered with. */
export const CreateTokenFormInput = z.extend(CreateTokenInput, {
  formKey: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{16,64}$/, "This form is damaged. Reload the page and try again."))),
});

/**
 * createApiToken from the page, also answering the caller's token list as the
 * insert left it (the page shows both): no read after. A form key that already
 * made a token (the browser re-sent the form) is refused with 409, naming that
 * token: its secret was shown once and cannot be shown again.
 */
export async function createApiTokenAndList(deps: Deps, actor: Actor, input: z.infer<typeof CreateTokenFormInput>, list: z.infer<typeof ListTokensInput>) {
  try {
    const { token, secret, listed } = await insertToken(deps, actor, input, list);
    return { token, secret, list: listed! };
  } catch (e) {
    if (!input.formKey || !isUniqueViolation(e)) throw e;
    const [made] = await deps.db
      .select({ name: apiTokens.name, prefix: apiTokens.prefix })
      .from(apiTokens)
      .where(and(eq(apiTokens.userId, actor.id), eq(apiTokens.formKey, input.formKey)));
    if (!made) throw e;
    throw new AppError(
      "CONFLICT",
      `This form was already sent: it created the token “${made.name}” (${made.prefix}…), and its secret was shown then, once. ` +
        "No second token was made. If you did not copy the secret, revoke that token and create a new one.",
    );
  }
}

async function insertToken(deps: Deps, actor: Actor, input: z.infer<typeof CreateTokenFormInput>, list?: z.infer<typeof ListTokensInput>) {
  await requireTokenRights(deps, actor);
  const now = deps.now();
  const secret = `${API_TOKEN_PREFIX}${newSecret()}`;
  const row: TokenRow = {
    id: newId(),
    userId: actor.id,
    name: input.name,
    tokenHash: await hashApiToken(secret),
    prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
    createdAt: now,
    expiresAt: input.expiresInDays ? now + input.expiresInDays * DAY_MS : null,
    lastUsedAt: null,
    revokedAt: null,
    formKey: input.formKey ?? null,
  };
  const expiry = row.expiresAt ? `It expires on ${new Date(row.expiresAt).toISOString().slice(0, 10)}.` : "It does not expire.";
  const mailId = newId();
  let listed: ReturnType<typeof tokenListFrom> | undefined;
  try {
    const [, , , , ...read] = await deps.db.batch([
      deps.db.insert(apiTokens).values(row),
      guardNot(deps.db, sql`(SELECT count(*) FROM ${apiTokens} WHERE ${liveTokensOf(actor.id, now)}) > ${MAX_LIVE_TOKENS}`),
      auditInsert(deps, {
        actorId: actor.id,
        orgId: actor.orgId,
        action: "api_token.created",
        targetType: "api_token",
        targetId: row.id,
        after: { name: row.name, prefix: row.prefix, expiresAt: iso(row.expiresAt) },
      }),
      securityNoticeInsert(deps, actor, "api_token_created", `Token "${row.name}" (${row.prefix}…). ${expiry} You can revoke it on the API tokens page.`, mailId),
      // After the writes: the list includes the new token.
      ...(list ? tokenListQueries(deps, actor, list) : []),
    ]);
    if (list) listed = tokenListFrom(read as unknown as TokenListRows, list);
  } catch (e) {
    if (isGuardAbort(e)) throw TOO_MANY();
    throw e;
  }
  deliverSoon(deps, [mailId]);
  return { token: toPublicToken(row), secret, listed };
}

/** Own tokens, newest first: live, expired and revoked ones alike (never a secret). */
export async function listApiTokens(deps: Deps, actor: Actor, input: z.infer<typeof ListTokensInput>) {
  await requireTokenRights(deps, actor);
  return tokenListFrom(await deps.db.batch(tokenListQueries(deps, actor, input)), input);
}

/** The page of own tokens and their count: two statements for a batch. */
function tokenListQueries(deps: Deps, actor: Actor, input: z.infer<typeof ListTokensInput>) {
  const mine = eq(apiTokens.userId, actor.id);
  return [
    deps.db
      .select()
      .from(apiTokens)
      .where(mine)
      .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
      .limit(input.pageSize)
      .offset(pageOffset(input)),
    deps.db.select({ n: count() }).from(apiTokens).where(mine),
  ] as const;
}
type TokenListRows = readonly [TokenRow[], { n: number }[]];

const tokenListFrom = ([rows, [total]]: TokenListRows, input: z.infer<typeof ListTokensInput>) => ({
  items: rows.map(toPublicToken),
  page: pageOf(input, total),
});

/**
 * Revokes an own token at once (the next request with it is refused). Another
 * user's token is not found; revoking a revoked token changes nothing.
 */
export async function revokeApiToken(deps: Deps, actor: Actor, tokenId: string) {
  await requireTokenRights(deps, actor);
  const now = deps.now();
  const live = and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, actor.id), isNull(apiTokens.revokedAt));
  try {
    // The audit row reads the token before the update, in the same batch: no read first.
    const [, updated] = await deps.db.batch([
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "api_token.revoked",
          targetType: "api_token",
          targetId: tokenId,
          before: jsonObject({ name: apiTokens.name, prefix: apiTokens.prefix }),
          after: { revokedAt: iso(now) },
        },
        sql`FROM ${apiTokens} WHERE ${live}`,
      ),
      deps.db.update(apiTokens).set({ revokedAt: now }).where(live).returning(),
      guardChanged(deps.db),
    ]);
    return { token: toPublicToken(updated[0]!), changed: true };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // Another user's or no token: not found. Already revoked (maybe by a concurrent request): the outcome the caller wanted.
    const [token] = await deps.db.select().from(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, actor.id)));
    if (!token) throw new AppError("NOT_FOUND", "API token not found.");
    if (token.revokedAt === null) throw new AppError("CONFLICT", "This API token was changed meanwhile. Reload and try again.");
    return { token: toPublicToken(token), changed: false };
  }
}
