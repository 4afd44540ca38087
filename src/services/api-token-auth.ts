// F-52: resolving `Authorization: Bearer <token>` on the reporting endpoints.
// One D1 batch per request: the token with its account and organization, and
// the account's module grants. A token stops working the moment its account,
// organization, analytics access or Reporting API permission goes, because
// all of them are checked on every request rather than at creation. A GET in
// an isolate that accepted the token within the minute sends that check with
// the handler's first batch instead of before it (heldApiToken).
import { and, eq, isNull, sql } from "drizzle-orm";
import { aliased } from "../db/client";
import type { HeldCheck } from "../db/held-check";
import { apiTokens, organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import { sameActor, type Actor } from "../domain/actor";
import { canUseModule, hasAnalyticsAccess } from "../domain/analytics";
import { sha256Hex } from "../lib/crypto";
import { IsolateCopies } from "../lib/isolate-copies";
import { moduleGrantsFrom, moduleGrantsQuery } from "./analytics-context";

/** Every token starts with this, so leaked ones are easy to spot in logs and by secret scanners. */
export const API_TOKEN_PREFIX = "ptk_";
/** last_used_at is written at most this often per token, keeping a busy token's requests read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashApiToken = (token: string) => sha256Hex(token);

/** The token's row with its account and organization, and the account's module grants: one batch. */
function tokenCheckQueries(deps: Deps, hash: string) {
  return [
    deps.db
      .select({
        tokenId: aliased<string>(apiTokens.id, "token_id"),
        expiresAt: apiTokens.expiresAt,
        lastUsedAt: apiTokens.lastUsedAt,
        id: users.id,
        orgId: users.orgId,
        email: users.email,
        name: users.name,
        role: users.role,
        status: aliased<string>(users.status, "user_status"),
        purchaser: users.purchaser,
        analyticsAccess: users.analyticsAccess,
        analyticsAdmin: users.analyticsAdmin,
        analyticsOwner: users.analyticsOwner,
        orgKind: organizations.kind,
        orgName: aliased<string>(organizations.name, "org_name"),
        orgStatus: aliased<string>(organizations.status, "org_status"),
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .innerJoin(organizations, eq(organizations.id, users.orgId))
      .where(and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt))),
    moduleGrantsQuery(deps.db, sql`(SELECT ${apiTokens.userId} FROM ${apiTokens} WHERE ${apiTokens.tokenHash} = ${hash})`),
  ] as const;
}

type TokenCheckRows = readonly [Awaited<ReturnType<typeof tokenCheckQueries>[0]>, Awaited<ReturnType<typeof tokenCheckQueries>[1]>];
type TokenAuth = { actor: Actor; tokenId: string };

/** What the token may act as now, or null; with when it was last marked used. */
function tokenAuthOf([[row], grantRows]: TokenCheckRows, now: number): (TokenAuth & { lastUsedAt: number | null }) | null {
  if (!row) return null;
  if (row.expiresAt !== null && row.expiresAt <= now) return null;
  if (row.status !== "active" || row.orgStatus !== "active") return null;
  const actor: Actor = {
    id: row.id,
    orgId: row.orgId,
    orgKind: row.orgKind,
    orgName: row.orgName,
    email: row.email,
    name: row.name,
    role: row.role,
    purchaser: row.purchaser,
    analyticsAccess: row.analyticsAccess,
    analyticsAdmin: row.analyticsAdmin,
    analyticsOwner: row.analyticsOwner,
    modules: moduleGrantsFrom(grantRows),
  };
  if (!hasAnalyticsAccess(actor) || !canUseModule(actor, actor.modules, "reporting_api", "write")) return null;
  return { actor, tokenId: row.tokenId, lastUsedAt: row.lastUsedAt };
}

// What D1 last accepted each token as, for a minute: a GET acts on it while D1 checks it again (heldApiToken).
const tokenCopies = new IsolateCopies<TokenAuth>(LAST_USED_RESOLUTION_MS, 2_000);

/** After D1 accepted the token: keep it in this isolate, and mark it used when due. */
function keepAccepted(deps: Deps, hash: string, auth: TokenAuth & { lastUsedAt: number | null }, now: number) {
  tokenCopies.keep(deps.kv, hash, { actor: auth.actor, tokenId: auth.tokenId }, now);
  if (auth.lastUsedAt === null || now - auth.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    deps.waitUntil(deps.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, auth.tokenId)));
  }
}

/** The hash a token is stored under, or null for what cannot be a token. */
export const tokenKeyOf = async (token: string): Promise<string | null> => (token.startsWith(API_TOKEN_PREFIX) && token.length <= 100 ? hashApiToken(token) : null);

/** The account a token (by its key, tokenKeyOf) may act as now, read from D1; null when refused. */
export async function authenticateApiToken(deps: Deps, hash: string): Promise<TokenAuth | null> {
  const now = deps.now();
  const auth = tokenAuthOf(await deps.db.batch(tokenCheckQueries(deps, hash)), now);
  if (!auth) {
    tokenCopies.drop(deps.kv, hash);
    return null;
  }
  keepAccepted(deps, hash, auth, now);
  return { actor: auth.actor, tokenId: auth.tokenId };
}

/**
 * The token (by its key) as this isolate last saw D1 accept it, or null. Nothing may come
 * of acting on it until D1 accepts it again: `check` is that, for the
 * request's first batch (src/db/held-check.ts).
 */
export async function heldApiToken(deps: Deps, hash: string): Promise<(TokenAuth & { check: HeldCheck }) | null> {
  const now = deps.now();
  const held = tokenCopies.get(deps.kv, hash, now);
  if (!held) return null;
  return {
    ...held,
    check: {
      queries: tokenCheckQueries(deps, hash),
      confirm: (results) => {
        const auth = tokenAuthOf(results as unknown as TokenCheckRows, now);
        if (!auth || auth.tokenId !== held.tokenId || !sameActor(auth.actor, held.actor)) return false;
        keepAccepted(deps, hash, auth, now);
        return true;
      },
    },
  };
}
