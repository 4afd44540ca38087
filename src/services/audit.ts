// Audit rows are built here and executed in the caller's batch, so a change and
// its audit entry commit together (F-50).
import { SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditEvents } from "../db/schema";
import type { Deps } from "../deps";
import type { AuditAction } from "../domain/audit-actions";
import { newId } from "../lib/ids";

export interface AuditEntry {
  actorId: string | null;
  orgId: string | null;
  action: AuditAction;
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

type Expr = SQL | string | number | null;

export interface AuditSelectEntry {
  actorId: Expr;
  orgId: Expr;
  action: AuditAction;
  targetType: string;
  targetId: Expr;
  /** SQL over `from`'s row (see jsonObject), or a value stored as JSON. */
  before?: Expr | object;
  after?: Expr | object;
}

const isSql = (v: unknown): v is SQL => v instanceof SQL;
const jsonText = (v: Expr | object | undefined): SQL => {
  if (v === undefined || v === null) return sql`NULL`;
  if (isSql(v)) return v;
  return sql`${JSON.stringify(v)}`;
};
const valueOf = (v: Expr): SQL => (isSql(v) ? v : sql`${v}`);

/**
 * An audit row made by `INSERT … SELECT … from`: it is written only when
 * `from` finds the target, and its fields may be SQL over that row. Placed
 * ahead of the change in the same batch, `before` reads the row as it was,
 * so a change needs no read of its own first (issue 9: two round trips).
 */
export function auditInsertSelect(deps: Pick<Deps, "db" | "now" | "ip">, entry: AuditSelectEntry, from: SQL) {
  const values = [
    sql`${newId()}`,
    sql`${deps.now()}`,
    valueOf(entry.actorId),
    valueOf(entry.orgId),
    sql`${entry.action}`,
    sql`${entry.targetType}`,
    valueOf(entry.targetId),
    jsonText(entry.before),
    jsonText(entry.after),
    sql`${deps.ip}`,
  ];
  return (deps.db as Db).insert(auditEvents).select(sql`SELECT ${sql.join(values, sql`, `)} ${from}`);
}
