// F-52: resolving `Authorization: Bearer <token>` on the reporting endpoints.
// One D1 batch per request: the token with its account and organization, and
// the account's module grants. A token stops working the moment its account,
// organization, analytics access or Reporting API permission goes, because
// all of them are checked here on every request rather than at creation.
import { and, eq, isNull, sql } from "drizzle-orm";
import { aliased } from "../db/client";
import { apiTokens, organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { canUseModule, hasAnalyticsAccess } from "../domain/analytics";
import { sha256Hex } from "../lib/crypto";
import { moduleGrantsFrom, moduleGrantsQuery } from "./analytics-context";

/** Every token starts with this, so leaked ones are easy to spot in logs and by secret scanners. */
export const API_TOKEN_PREFIX = "ptk_";
/** last_used_at is written at most this often per token, keeping a busy token's requests read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashApiToken = (token: string) => sha256Hex(token);

export async function authenticateApiToken(deps: Deps, token: string): Promise<{ actor: Actor; tokenId: string } | null> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 100) return null;
  const hash = await hashApiToken(token);
  const [[row], grantRows] = await deps.db.batch([
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
  ]);
  if (!row) return null;
  const now = deps.now();
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
  if (row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    deps.waitUntil(deps.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId)));
  }
  return { actor, tokenId: row.tokenId };
}
