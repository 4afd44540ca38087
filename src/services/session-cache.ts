// Isolate-local copies of KV session records. The KV record only maps a
// cookie to its session; D1 decides on every request whether that session may
// still act (revoked, signed out everywhere, account deactivated, password
// changed). So a copy kept for a minute changes no security decision, and it
// saves the KV read that every signed-in request would otherwise pay.
import type { SessionRecord } from "./sessions";

/** No longer than the interval at which lastSeenAt is written back to KV. */
export const SESSION_COPY_MS = 60_000;
const MAX_COPIES = 2_000;

interface Copy {
  record: SessionRecord;
  until: number;
}

// Per namespace object: a different binding (another environment, a test's counting proxy) never shares copies.
const copiesByNamespace = new WeakMap<KVNamespace, Map<string, Copy>>();

function copiesOf(kv: KVNamespace): Map<string, Copy> {
  let copies = copiesByNamespace.get(kv);
  if (!copies) copiesByNamespace.set(kv, (copies = new Map()));
  return copies;
}

export function sessionCopy(kv: KVNamespace, hash: string, now: number): SessionRecord | undefined {
  const copies = copiesOf(kv);
  const copy = copies.get(hash);
  if (!copy) return undefined;
  if (copy.until <= now) {
    copies.delete(hash);
    return undefined;
  }
  return copy.record;
}

export function keepSessionCopy(kv: KVNamespace, hash: string, record: SessionRecord, now: number) {
  const copies = copiesOf(kv);
  copies.delete(hash);
  // Maps iterate in insertion order: the first key is the least recently kept.
  if (copies.size >= MAX_COPIES) copies.delete(copies.keys().next().value!);
  copies.set(hash, { record, until: now + SESSION_COPY_MS });
}

export function dropSessionCopy(kv: KVNamespace, hash: string) {
  copiesOf(kv).delete(hash);
}
