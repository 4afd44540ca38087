// Isolate-local copies of KV session records. The KV record only maps a
// cookie to its session; D1 decides on every request whether that session may
// still act (revoked, signed out everywhere, account deactivated, password
// changed). So a copy kept for a minute changes no security decision, and it
// saves the KV read that every signed-in request would otherwise pay.
//
// A copy also holds the account as D1 last confirmed it. A signed-in GET acts
// on that account and has D1 confirm it with the handler's first read
// (src/db/held-check.ts), so the copy only decides which round trip carries
// the check, never whether the check happens.
import type { Actor } from "../domain/actor";
import { IsolateCopies } from "../lib/isolate-copies";
import type { SessionRecord } from "./sessions";

/** No longer than the interval at which lastSeenAt is written back to KV. */
export const SESSION_COPY_MS = 60_000;

interface Copy {
  record: SessionRecord;
  /** The account as D1 last confirmed it for this session. */
  actor?: Actor;
}

// Per KV namespace object: a test's counting proxy never shares copies with the real binding.
const copies = new IsolateCopies<Copy>(SESSION_COPY_MS, 2_000);

export const sessionCopy = (kv: KVNamespace, hash: string, now: number): SessionRecord | undefined => copies.get(kv, hash, now)?.record;

/** The record with the account D1 last confirmed for it, if this isolate holds both and they are fresh. */
export function heldCopy(kv: KVNamespace, hash: string, now: number): { record: SessionRecord; actor: Actor } | undefined {
  const copy = copies.get(kv, hash, now);
  return copy?.actor ? { record: copy.record, actor: copy.actor } : undefined;
}

export const keepSessionCopy = (kv: KVNamespace, hash: string, record: SessionRecord, now: number, actor?: Actor) => copies.keep(kv, hash, { record, actor }, now);

/** Notes the account D1 has just confirmed for a copy this isolate holds. */
export const keepConfirmedActor = (kv: KVNamespace, hash: string, actor: Actor) => copies.update(kv, hash, (copy) => ({ ...copy, actor }));

export const dropSessionCopy = (kv: KVNamespace, hash: string) => copies.drop(kv, hash);
