// Audit rows are built here and executed in the caller's batch, so a change and
// its audit entry commit together (F-50).
import type { Db } from "../db/client";
import { auditEvents } from "../db/schema";
import type { Deps } from "../deps";
import { newId } from "../lib/ids";

export interface AuditEntry {
  actorId: string | null;
  orgId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before?: unknown;
  after?: unknown;
}

export function auditInsert(deps: Pick<Deps, "db" | "now" | "ip">, entry: AuditEntry) {
  return (deps.db as Db).insert(auditEvents).values({
    id: newId(),
    at: deps.now(),
    actorId: entry.actorId,
    orgId: entry.orgId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    before: entry.before === undefined ? null : JSON.stringify(entry.before),
    after: entry.after === undefined ? null : JSON.stringify(entry.after),
    ip: deps.ip,
  });
}
