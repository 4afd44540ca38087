// Drizzle over the D1 binding.
import { sql, type AnyColumn } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";

// No `{ schema }`: nothing uses relational queries, and building their config
// from the schema cost every request about a fifth of a page's own CPU.
export const createDb = (d1: D1Database) => drizzle(d1);
export type Db = ReturnType<typeof createDb>;

/**
 * Inside db.batch(), D1 returns rows as objects keyed by column name, so a
 * joined column named like one of the other table's (status, name) silently
 * overwrites it. Selecting it under an alias keeps both.
 */
export const aliased = <T>(column: AnyColumn, alias: string) => sql<T>`${column}`.as(alias);
