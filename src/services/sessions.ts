// Sessions (F-07) live in KV under the SHA-256 of their secret, so a leaked KV
// listing cannot be replayed as cookies (the approach of pilcrow's session
// guide); each isolate keeps a copy of a record for a minute (session-cache.ts).
// Every request re-reads the account in D1 together with the session's row in
// user_sessions, so deactivation, a password change, "sign out everywhere"
// (users.sessions_valid_after) and revoking one session end it at once, even
// where a KV delete has not propagated yet. A signed-in GET whose isolate holds
// the session makes that read part of its handler's first batch (heldSession).
import { and, desc, eq, gte, isNull, sql } from "drizzle-orm";
import { aliased } from "../db/client";
import type { HeldCheck } from "../db/held-check";
import { organizations, users, userSessions } from "../db/schema";
import type { Deps } from "../deps";
import { canHoldSession } from "../domain/account-state";
import { sameActor, type Actor } from "../domain/actor";
import { deviceLabel } from "../domain/device-label";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { sha256Hex } from "../lib/crypto";
import { AppError } from "../lib/errors";
import { newId, newSecret } from "../lib/ids";
import { moduleGrantsFrom, moduleGrantsQuery } from "./analytics-context";
import { auditInsert } from "./audit";
import { dropSessionCopy, heldCopy, keepConfirmedActor, keepSessionCopy, sessionCopy } from "./session-cache";

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

/** Write lastSeenAt at most this often: KV allows about one write per key per second. */
const TOUCH_EVERY_MS = 60_000;
const kvSessionKey = (hash: string) => `session:${hash}`;
const ttlSeconds = (ms: number) => Math.max(60, Math.ceil(ms / 1000));

export interface NewSession {
  secret: string;
  record: SessionRecord;
  /** The session's D1 row; it joins the batch that signs the user in. */
  insert: ReturnType<typeof insertSessionRow>;
  /** Writes the KV record; call once the batch with `insert` succeeded. */
  store: () => Promise<void>;
}

const insertSessionRow = (deps: Deps, record: SessionRecord, keyHash: string) =>
  deps.db.insert(userSessions).values({ id: record.id, userId: record.userId, keyHash, ip: record.ip, userAgent: record.userAgent?.slice(0, 200) ?? null, createdAt: record.createdAt });

/** A session ready to be written: its D1 row for the caller's batch, then its KV record. */
export async function prepareSession(deps: Deps, userId: string, userAgent: string | null): Promise<NewSession> {
  const secret = newSecret();
  const hash = await sha256Hex(secret);
  const now = deps.now();
  const record: SessionRecord = { id: newId(), userId, createdAt: now, lastSeenAt: now, csrf: newSecret(), ip: deps.ip, userAgent };
  const expirationTtl = ttlSeconds(deps.config.sessionAbsoluteMs);
  return {
    secret,
    record,
    insert: insertSessionRow(deps, record, hash),
    store: () => deps.kv.put(kvSessionKey(hash), JSON.stringify(record), { expirationTtl }),
  };
}

const actorColumns = {
  id: users.id,
  orgId: users.orgId,
  email: users.email,
  name: users.name,
  role: users.role,
  status: aliased<typeof users.$inferSelect.status>(users.status, "user_status"),
  purchaser: users.purchaser,
  analyticsAccess: users.analyticsAccess,
  analyticsAdmin: users.analyticsAdmin,
  analyticsOwner: users.analyticsOwner,
  sessionsValidAfter: users.sessionsValidAfter,
  sessionRevokedAt: userSessions.revokedAt,
  orgKind: organizations.kind,
  orgName: aliased<string>(organizations.name, "org_name"),
  // Aliased: inside a batch, same-named joined columns would collide.
  orgStatus: aliased<typeof organizations.$inferSelect.status>(organizations.status, "org_status"),
};

/**
 * The account's stored password hash and authenticator secret (encrypted),
 * with the last TOTP step used. They never travel on the actor: only a route
 * that verifies them asks for them.
 */
export interface OwnCredentials {
  passwordHash: string | null;
  totpSecretEnc: string | null;
  totpLastStep: number | null;
}

const credentialColumns = { passwordHash: users.passwordHash, totpSecretEnc: users.totpSecretEnc, totpLastStep: users.totpLastStep };

type LoadedSession = { session: SessionRecord; actor: Actor; credentials?: OwnCredentials };

const isExpired = (deps: Deps, r: SessionRecord, now: number) =>
  now - r.lastSeenAt > deps.config.sessionIdleMs || now - r.createdAt > deps.config.sessionAbsoluteMs;

/** D1's part of every session check: the session's row with its account and organization, and the account's module grants. */
function sessionCheckQueries(deps: Deps, record: SessionRecord, credentials: boolean) {
  return [
    deps.db
      .select({ ...actorColumns, ...(credentials ? credentialColumns : {}) })
      .from(users)
      .innerJoin(organizations, eq(organizations.id, users.orgId))
      .innerJoin(userSessions, and(eq(userSessions.id, record.id), eq(userSessions.userId, users.id)))
      .where(eq(users.id, record.userId))
      .limit(1),
    // The module grants ride in the same batch: analytics checks then cost no round trip of their own.
    moduleGrantsQuery(deps.db, record.userId),
  ] as const;
}

type SessionCheckRows = readonly [Awaited<ReturnType<typeof sessionCheckQueries>[0]>, Awaited<ReturnType<typeof sessionCheckQueries>[1]>];

/** The account the session may act as, or null when D1 says the session is over. */
function accountOfCheck(record: SessionRecord, [[row], grantRows]: SessionCheckRows, credentials: boolean): Omit<LoadedSession, "session"> | null {
  if (!row || row.sessionRevokedAt !== null || !canHoldSession(row.status) || row.orgStatus !== "active" || record.createdAt < row.sessionsValidAfter) return null;
  const { status: _s, sessionsValidAfter: _v, orgStatus: _o, sessionRevokedAt: _r, passwordHash, totpSecretEnc, totpLastStep, ...account } = row as typeof row & Partial<OwnCredentials>;
  const checked: Omit<LoadedSession, "session"> = { actor: { ...account, modules: moduleGrantsFrom(grantRows) } };
  if (credentials) checked.credentials = { passwordHash: passwordHash ?? null, totpSecretEnc: totpSecretEnc ?? null, totpLastStep: totpLastStep ?? null };
  return checked;
}

/** After D1 confirmed the session: keep the account with this isolate's copy, and write lastSeenAt back when due. */
function keepConfirmed(deps: Deps, hash: string, record: SessionRecord, actor: Actor, now: number) {
  if (now - record.lastSeenAt <= TOUCH_EVERY_MS) {
    keepConfirmedActor(deps.kv, hash, actor);
    return;
  }
  const touched = { ...record, lastSeenAt: now };
  const expirationTtl = ttlSeconds(record.createdAt + deps.config.sessionAbsoluteMs - now);
  keepSessionCopy(deps.kv, hash, touched, now, actor);
  deps.waitUntil(deps.kv.put(kvSessionKey(hash), JSON.stringify(touched), { expirationTtl }));
}

/**
 * Resolves a cookie secret to its session and account: one D1 read, and one KV
 * read unless this isolate holds a fresh copy of the record. With
 * `credentials`, the same read of the account's row also brings its stored
 * credentials, so a route that checks them makes no read of its own.
 * Returns null for anything that is not a live session of an active account.
 */
export async function loadSession(deps: Deps, secret: string, options: { credentials?: boolean } = {}): Promise<LoadedSession | null> {
  const hash = await sessionKeyOf(secret);
  return hash === null ? null : loadSessionByKey(deps, hash, options);
}

/** The key a cookie secret's session is stored under (its SHA-256), or null for what cannot be a secret. */
export const sessionKeyOf = async (secret: string): Promise<string | null> => (!secret || secret.length > 100 ? null : sha256Hex(secret));

/** loadSession for a secret already turned into its key (sessionKeyOf). */
export async function loadSessionByKey(deps: Deps, hash: string, options: { credentials?: boolean } = {}): Promise<LoadedSession | null> {
  const now = deps.now();
  const credentials = options.credentials ?? false;
  // A copy that looks expired may only be stale (another isolate saw the session later): ask KV then.
  let record = sessionCopy(deps.kv, hash, now);
  if (!record || isExpired(deps, record, now)) {
    record = (await deps.kv.get<SessionRecord>(kvSessionKey(hash), "json")) ?? undefined;
    if (!record) {
      dropSessionCopy(deps.kv, hash);
      return null;
    }
    keepSessionCopy(deps.kv, hash, record, now);
  }
  if (isExpired(deps, record, now)) return null;
  const checked = accountOfCheck(record, await deps.db.batch(sessionCheckQueries(deps, record, credentials)), credentials);
  if (!checked) {
    dropSessionCopy(deps.kv, hash);
    return null;
  }
  keepConfirmed(deps, hash, record, checked.actor, now);
  return { session: record, ...checked };
}

/**
 * The session behind a cookie's key (sessionKeyOf) as this isolate last saw D1 confirm it, or null
 * when it holds no such copy. Nothing may come of acting on it until D1
 * confirms it again: `check` is that confirmation, as queries for the
 * request's first batch and the verdict on their results (held-check.ts).
 */
export async function heldSession(deps: Deps, hash: string): Promise<{ session: SessionRecord; actor: Actor; check: HeldCheck } | null> {
  const now = deps.now();
  const held = heldCopy(deps.kv, hash, now);
  if (!held || isExpired(deps, held.record, now)) return null;
  const { record, actor } = held;
  return {
    session: record,
    actor,
    check: {
      queries: sessionCheckQueries(deps, record, false),
      confirm: (results) => {
        const checked = accountOfCheck(record, results as unknown as SessionCheckRows, false);
        // A changed account is not confirmed either: the request is answered again from a fresh read.
        if (!checked || !sameActor(checked.actor, actor)) return false;
        keepConfirmed(deps, hash, record, actor, now);
        return true;
      },
    },
  };
}

/** Ends the session behind a cookie secret (logout), with its audit entry. */
export async function endSession(deps: Deps, secret: string, record: SessionRecord, actor: Pick<Actor, "id" | "orgId">) {
  const now = deps.now();
  const hash = await sha256Hex(secret);
  dropSessionCopy(deps.kv, hash);
  await Promise.all([
    deps.kv.delete(kvSessionKey(hash)),
    deps.db.batch([
      deps.db.update(userSessions).set({ revokedAt: now }).where(and(eq(userSessions.id, record.id), isNull(userSessions.revokedAt))),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "auth.signed_out", targetType: "session", targetId: record.id }),
    ]),
  ]);
}

export interface SessionSummary {
  id: string;
  createdAt: string;
  ip: string | null;
  userAgent: string | null;
  /** The user agent as a person names it ("Firefox on Windows"): domain/device-label.ts. */
  device: string;
  current: boolean;
}

/** The account's live sessions, newest first, as a query that can join a batch. */
export function sessionsQuery(deps: Deps, actor: Actor) {
  const validAfter = sql`(SELECT ${users.sessionsValidAfter} FROM ${users} WHERE ${users.id} = ${actor.id})`;
  return deps.db
    .select({ id: userSessions.id, createdAt: userSessions.createdAt, ip: userSessions.ip, userAgent: userSessions.userAgent })
    .from(userSessions)
    .where(
      and(
        eq(userSessions.userId, actor.id),
        isNull(userSessions.revokedAt),
        gte(userSessions.createdAt, validAfter),
        gte(userSessions.createdAt, deps.now() - deps.config.sessionAbsoluteMs),
      ),
    )
    .orderBy(desc(userSessions.createdAt))
    .limit(100);
}

export const sessionSummaries = (rows: { id: string; createdAt: number; ip: string | null; userAgent: string | null }[], currentId: string | undefined): SessionSummary[] =>
  rows.map((r) => ({ id: r.id, createdAt: new Date(r.createdAt).toISOString(), ip: r.ip, userAgent: r.userAgent, device: deviceLabel(r.userAgent), current: r.id === currentId }));

export async function listSessions(deps: Deps, actor: Actor, currentId: string | undefined): Promise<SessionSummary[]> {
  return sessionSummaries(await sessionsQuery(deps, actor), currentId);
}

/** Revokes one of the actor's own sessions; another user's id is simply not found. */
export async function revokeSession(deps: Deps, actor: Actor, id: string) {
  const notFound = () => new AppError("NOT_FOUND", "That session does not exist or has already ended.");
  // Session ids are short (newId); a long one cannot exist.
  if (id.length > 64) throw notFound();
  let keyHash: string;
  try {
    const [[row]] = await deps.db.batch([
      deps.db
        .update(userSessions)
        .set({ revokedAt: deps.now() })
        .where(and(eq(userSessions.id, id), eq(userSessions.userId, actor.id), isNull(userSessions.revokedAt)))
        .returning({ keyHash: userSessions.keyHash }),
      guardChanged(deps.db),
      auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "session.revoked", targetType: "session", targetId: id }),
    ]);
    keyHash = row!.keyHash;
  } catch (e) {
    if (isGuardAbort(e)) throw notFound();
    throw e;
  }
  // D1 already refuses the session; removing the KV record (and this isolate's copy) only tidies up.
  dropSessionCopy(deps.kv, keyHash);
  deps.waitUntil(deps.kv.delete(kvSessionKey(keyHash)));
}

/**
 * Ends every session of the account minted before now. The D1 timestamp is the
 * rule; marking the rows revoked keeps the list honest, and the KV records
 * expire on their own.
 */
export async function revokeAllSessions(deps: Deps, actor: Actor) {
  const now = deps.now();
  await deps.db.batch([
    deps.db.update(users).set({ sessionsValidAfter: now, updatedAt: now }).where(eq(users.id, actor.id)),
    deps.db.update(userSessions).set({ revokedAt: now }).where(and(eq(userSessions.userId, actor.id), isNull(userSessions.revokedAt))),
    auditInsert(deps, { actorId: actor.id, orgId: actor.orgId, action: "session.revoked_all", targetType: "user", targetId: actor.id }),
  ]);
}
