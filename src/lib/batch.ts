// D1 has no interactive transactions, but a batch is atomic. A compare-and-swap
// (`UPDATE … WHERE state = expected`) followed by guardChanged() makes the whole
// batch roll back when the swap lost a race, so the audit row, the mail and the
// dependent writes happen exactly once.
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { batchGuards } from "../db/schema";

/**
 * Aborts the batch when the statement just before it changed no row:
 * batch_guards has a CHECK that every insert violates. `changes()` reads the
 * previous statement's row count on the same connection.
 */
export const guardChanged = (db: Db) => guardNot(db, sql`changes() = 0`);

/**
 * Aborts the batch when the condition (a SQL boolean) holds. Built as an
 * insert-select rather than db.run(): drizzle's D1 batch cannot bind
 * parameters of raw statements.
 */
export const guardNot = (db: Db, condition: SQL) => db.insert(batchGuards).select(sql`SELECT 1 WHERE ${condition}`);

export function isGuardAbort(error: unknown): boolean {
  const text = String((error as { cause?: unknown })?.cause ?? "") + String((error as Error)?.message ?? error);
  return text.includes("batch_guards_always_empty") || text.includes("CHECK constraint failed");
}

/**
 * Runs `statements` as one batch, the way every write checks and writes at
 * once. When a guard aborts it, `explain` names the refusal from the current
 * state (the reads the checks used to make) by throwing; other errors pass.
 */
export async function batchOrExplain<T extends readonly BatchItem<"sqlite">[]>(db: Db, statements: T, explain: () => Promise<never>): Promise<BatchResponse<T>> {
  try {
    return (await db.batch(statements as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as BatchResponse<T>;
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    return explain();
  }
}

export function isUniqueViolation(error: unknown): boolean {
  const text = String((error as { cause?: unknown })?.cause ?? "") + String((error as Error)?.message ?? error);
  return text.includes("UNIQUE constraint failed");
}

/** D1 caps bound parameters at 100 per statement. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Stays under D1's 100 bound parameters per statement. */
export const MAX_BOUND_PARAMS = 99;

/**
 * Multi-row inserts split so that no statement binds more than
 * MAX_BOUND_PARAMS values: drizzle binds every column of every row (defaults
 * included), so a chunk holds floor(99 / columns) rows.
 */
export function insertChunks<T extends SQLiteTable>(db: Db, table: T, rows: T["$inferInsert"][]) {
  const columns = Object.keys(getTableColumns(table)).length;
  const size = Math.max(1, Math.floor(MAX_BOUND_PARAMS / columns));
  return chunk(rows, size).map((part) => db.insert(table).values(part as never));
}
