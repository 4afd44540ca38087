// JSON built by SQLite from a row, for audit entries written by INSERT … SELECT
// in the same batch as the change (no read first).
import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

type Field = SQL | SQLiteColumn | string | number | boolean | null;

/** A boolean column as JSON true/false (SQLite stores 1/0). */
export const jsonBool = (column: SQL | SQLiteColumn) => sql`json(CASE WHEN ${column} THEN 'true' ELSE 'false' END)`;

/** A millisecond timestamp column as the ISO string JSON.stringify(new Date(ms)) gives. */
export const jsonIso = (column: SQL | SQLiteColumn) => sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`;

/** `json_object('key', value, …)`: values are SQL over the row, or constants. */
export function jsonObject(fields: Record<string, Field>): SQL {
  const parts = Object.entries(fields).map(([key, value]) => {
    if (typeof value === "boolean") return sql`${key}, json(${value ? "true" : "false"})`;
    // D1 binds every JS number as REAL: 12 would come out as 12.0, where JSON.stringify writes 12.
    if (typeof value === "number" && Number.isInteger(value)) return sql`${key}, CAST(${value} AS INTEGER)`;
    return sql`${key}, ${value}`;
  });
  return sql`json_object(${sql.join(parts, sql`, `)})`;
}
