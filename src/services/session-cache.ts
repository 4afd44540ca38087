// Isolate-local copies of KV session records. The KV record only maps a
// cookie to its session; D1 decides on every request whether that session may
// still act (revoked, signed out everywhere, account deactivated, password
// changed). So a copy kept for a minute changes no security decision, and it
// saves the KV read that every signed-in request would otherwise pay.
//
// A copy also holds the account as D1 last confirmed it. A signed-in GET acts
// on that account and has D1 confirm it with the handler's first read
// (held-session.ts), so the copy only decides which round trip carries the
// check, never whether the check happens.
import type { Actor } from "../domain/actor";
import type { SessionRecord } from "./sessions";

/** No longer than the interval at which lastSeenAt is written back to KV. */
export const SESSION_COPY_MS = 60_000;
const MAX_COPIES = 2_000;

interface Copy {
  record: SessionRecord;
  until: number;
  /** The account as D1 last confirmed it for this session. */
  actor?: Actor;
}

// Per namespace object: a different binding (another environment, a test's counting proxy) never shares copies.
const copiesByNamespace = new WeakMap<KVNamespace, Map<string, Copy>>();

function copiesOf(kv: KVNamespace): Map<string, Copy> {
  let copies = copiesByNamespace.get(kv);
  if (!copies) copiesByNamespace.set(kv, (copies = new Map()));
  return copies;
}

function freshCopy(kv: KVNamespace, hash: string, now: number): Copy | undefined {
  const copies = copiesOf(kv);
  const copy = copies.get(hash);
  if (!copy) return undefined;
  if (copy.until <= now) {
    copies.delete(hash);
    return undefined;
  }
  return copy;
}

export const sessionCopy = (kv: KVNamespace, hash: string, now: number): SessionRecord | undefined => freshCopy(kv, hash, now)?.record;

/** The record with the account D1 last confirmed for it, if this isolate holds both and they are fresh. */
export function heldCopy(kv: KVNamespace, hash: string, now: number): { record: SessionRecord; actor: Actor } | undefined {
  const copy = freshCopy(kv, hash, now);
  return copy?.actor ? { record: copy.record, actor: copy.actor } : undefined;
}

export function keepSessionCopy(kv: KVNamespace, hash: string, record: SessionRecord, now: number, actor?: Actor) {
  const copies = copiesOf(kv);
  copies.delete(hash);
  // Maps iterate in insertion order: the first key is the least recently kept.
  if (copies.size >= MAX_COPIES) copies.delete(copies.keys().next().value!);
  copies.set(hash, { record, until: now + SESSION_COPY_MS, actor });
}

/** Notes the account D1 has just confirmed for a copy this isolate holds. */
export function keepConfirmedActor(kv: KVNamespace, hash: string, actor: Actor) {
  const copy = copiesOf(kv).get(hash);
  if (copy) copy.actor = actor;
}

export function dropSessionCopy(kv: KVNamespace, hash: string) {
  copiesOf(kv).delete(hash);
}
