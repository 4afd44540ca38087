// Substring search for `?q=`: the user's text is matched literally, so a `%`
// or `_` they type is not a LIKE wildcard (SQLite LIKE is ASCII case-insensitive).
import { sql, type AnyColumn, type SQL } from "drizzle-orm";

export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

export const contains = (column: AnyColumn | SQL, q: string): SQL => sql`${column} LIKE ${likePattern(q)} ESCAPE '\\'`;
