// Sessions (F-07) live in KV under the SHA-256 of their secret, so a leaked KV
// listing cannot be replayed as cookies (the approach of pilcrow's session
// guide). Every request re-reads the account in D1, so deactivation, a password
// change or "sign out everywhere" (users.sessions_valid_after) end a session at
// once even where a KV delete has not propagated yet.
import { eq } from "drizzle-orm";
import { organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import { canHoldSession } from "../domain/account-state";
import type { Actor } from "../domain/actor";
import { sha256Hex } from "../lib/crypto";
import { AppError } from "../lib/errors";
import { newId, newSecret } from "../lib/ids";
import { auditInsert } from "./audit";

export interface SessionRecord {
  /** Public id, safe to show and to use in URLs; the cookie secret is never stored. */
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  csrf: string;
  ip: string | null;
  userAgent: string | null;
}

interface SessionIndexMeta {
  createdAt: number;
  ip: string | null;
  userAgent: string | null;
}

/** Write lastSeenAt at most this often: KV allows about one write per key per second. */
const TOUCH_EVERY_MS = 60_000;
const kvSessionKey = (hash: string) => `session:${hash}`;
const kvIndexKey = (userId: string, id: string) => `user-session:${userId}:${id}`;
const ttlSeconds = (ms: number) => Math.max(60, Math.ceil(ms / 1000));

export async function createSession(deps: Deps, userId: string, userAgent: string | null): Promise<{ secret: string; record: SessionRecord }> {
  const secret = newSecret();
  const hash = await sha256Hex(secret);
  const now = deps.now();
  const record: SessionRecord = { id: newId(), userId, createdAt: now, lastSeenAt: now, csrf: newSecret(), ip: deps.ip, userAgent };
  const expirationTtl = ttlSeconds(deps.config.sessionAbsoluteMs);
  const meta: SessionIndexMeta = { createdAt: now, ip: deps.ip, userAgent: userAgent?.slice(0, 200) ?? null };
  await Promise.all([
    deps.kv.put(kvSessionKey(hash), JSON.stringify(record), { expirationTtl }),
    deps.kv.put(kvIndexKey(userId, record.id), hash, { expirationTtl, metadata: meta }),
  ]);
  return { secret, record };
}

const actorColumns = {
  id: users.id,
  orgId: users.orgId,
  email: users.email,
  name: users.name,
  role: users.role,
  status: users.status,
  purchaser: users.purchaser,
  analyticsAccess: users.analyticsAccess,
  analyticsAdmin: users.analyticsAdmin,
  analyticsOwner: users.analyticsOwner,
  sessionsValidAfter: users.sessionsValidAfter,
  orgKind: organizations.kind,
  orgStatus: organizations.status,
};

/**
 * Resolves a cookie secret to its session and account: one KV read, one D1 read.
 * Returns null for anything that is not a live session of an active account.
 */
export async function loadSession(deps: Deps, secret: string): Promise<{ session: SessionRecord; actor: Actor } | null> {
  if (!secret || secret.length > 100) return null;
  const hash = await sha256Hex(secret);
  const record = await deps.kv.get<SessionRecord>(kvSessionKey(hash), "json");
  if (!record) return null;
  const now = deps.now();
  const { sessionIdleMs, sessionAbsoluteMs } = deps.config;
  if (now - record.lastSeenAt > sessionIdleMs || now - record.createdAt > sessionAbsoluteMs) return null;
  const [row] = await deps.db
    .select(actorColumns)
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(eq(users.id, record.userId))
    .limit(1);
  if (!row || !canHoldSession(row.status) || row.orgStatus !== "active" || record.createdAt < row.sessionsValidAfter) return null;
  if (now - record.lastSeenAt > TOUCH_EVERY_MS) {
    const touched = { ...record, lastSeenAt: now };
    const expirationTtl = ttlSeconds(record.createdAt + sessionAbsoluteMs - now);
    deps.waitUntil(deps.kv.put(kvSessionKey(hash), JSON.stringify(touched), { expirationTtl }));
  }
  const { status: _s, sessionsValidAfter: _v, orgStatus: _o, ...actor } = row;
  return { session: record, actor };
}

/** Deletes the session behind a cookie secret (logout). */
export async function endSession(deps: Deps, secret: string, record: SessionRecord) {
  await Promise.all([deps.kv.delete(kvSessionKey(await sha256Hex(secret))), deps.kv.delete(kvIndexKey(record.userId, record.id))]);
}

export interface SessionSummary {
  id: string;
  createdAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export async function listSessions(deps: Deps, actor: Actor, currentId: string | undefined): Promise<SessionSummary[]> {
  const [listing, [user]] = await Promise.all([
    deps.kv.list<SessionIndexMeta>({ prefix: kvIndexKey(actor.id, "") }),
    deps.db.select({ validAfter: users.sessionsValidAfter }).from(users).where(eq(users.id, actor.id)),
  ]);
  const validAfter = user?.validAfter ?? 0;
  return listing.keys
    .filter((k) => k.metadata && k.metadata.createdAt >= validAfter)
    .map((k) => {
      const id = k.name.slice(kvIndexKey(actor.id, "").length);
      return { id, createdAt: new Date(k.metadata!.createdAt).toISOString(), ip: k.metadata!.ip, userAgent: k.metadata!.userAgent, current: id === currentId };
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Revokes one of the actor's own sessions; another user's id is simply not found. */
export async function revokeSession(deps: Deps, actor: Actor, id: string) {
  const indexKey = kvIndexKey(actor.id, id);
  const hash = await deps.kv.get(indexKey);
  if (!hash) throw new AppError("NOT_FOUND", "That session does not exist or has already ended.");
  await Promise.all([deps.kv.delete(kvSessionKey(hash)), deps.kv.delete(indexKey)]);
  await auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "session.revoked", targetType: "session", targetId: id });
}

/**
 * Ends every session of the account minted before now. The D1 timestamp is the
 * rule; deleting the KV entries only tidies up.
 */
export async function revokeAllSessions(deps: Deps, actor: Actor) {
  const now = deps.now();
  await deps.db.batch([
    deps.db.update(users).set({ sessionsValidAfter: now, updatedAt: now }).where(eq(users.id, actor.id)),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "session.revoked_all", targetType: "user", targetId: actor.id }),
  ]);
  const listing = await deps.kv.list({ prefix: kvIndexKey(actor.id, "") });
  deps.waitUntil(Promise.all(listing.keys.map((k) => deps.kv.delete(k.name))));
}
