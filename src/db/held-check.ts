// Acting on something an isolate holds (a session's account as D1 last
// confirmed it) while D1 confirms it again in the same round trip as the
// handler's first read: a signed-in GET then costs one round trip, not two.
//
// Nothing can come of a hold D1 does not confirm. The check joins only a batch
// of plain SELECTs, whose rows stay inside the Worker; a batch that writes, or
// a single statement, first waits for the verdict and refuses to run on a
// failed one (HoldNotConfirmed); and the caller lets no response leave before
// `confirmed()` says yes, answering the request afresh otherwise.
import { is } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { SQLiteSelectBase } from "drizzle-orm/sqlite-core";
import { createDb, type Db } from "./client";

export interface HeldCheck {
  /** Queries for D1 to answer in the same batch as the handler's first reads. */
  queries: readonly BatchItem<"sqlite">[];
  /** Given those queries' results, whether the hold stands. */
  confirm: (results: unknown[]) => boolean;
}

/** Stops a handler whose hold D1 did not confirm; its answer is thrown away. */
export class HoldNotConfirmed extends Error {
  constructor() {
    super("The held session was not confirmed; the request is answered again.");
  }
}

/** Also when drizzle wrapped it (a single statement's failure comes back as its own error, with the cause attached). */
export const isHoldNotConfirmed = (e: unknown): boolean => e instanceof HoldNotConfirmed || (e instanceof Error && e.cause instanceof HoldNotConfirmed);

const realStatement = new WeakMap<object, D1PreparedStatement>();

/** A statement that waits for the verdict before it runs on its own. */
function waitingStatement(stmt: D1PreparedStatement, mustStand: () => Promise<void>): D1PreparedStatement {
  const waiting = {
    bind: (...values: unknown[]) => waitingStatement(stmt.bind(...values), mustStand),
    first: async (column?: string) => (await mustStand(), column === undefined ? stmt.first() : stmt.first(column)),
    all: async () => (await mustStand(), stmt.all()),
    run: async () => (await mustStand(), stmt.run()),
    raw: async (options?: { columnNames?: boolean }) => (await mustStand(), stmt.raw(options as { columnNames: true })),
  };
  realStatement.set(waiting, stmt);
  return waiting as unknown as D1PreparedStatement;
}

function waitingD1(d1: D1Database, mustStand: () => Promise<void>): D1Database {
  return {
    prepare: (query: string) => waitingStatement(d1.prepare(query), mustStand),
    // Batches are gated one level up, where drizzle still knows which queries only read.
    batch: (statements: D1PreparedStatement[]) => d1.batch(statements.map((s) => realStatement.get(s) ?? s)),
    exec: async (query: string) => (await mustStand(), d1.exec(query)),
    dump: () => d1.dump(),
    withSession: () => {
      throw new Error("D1 sessions are not used with a held check.");
    },
  } as unknown as D1Database;
}

const onlyReads = (queries: readonly unknown[]) => queries.every((q) => is(q, SQLiteSelectBase));

/**
 * A drizzle instance over `d1` whose first read-only batch carries `check`,
 * and `confirmed()`, the verdict (running the check on its own if the
 * handler never read).
 */
export function checkWithFirstRead(d1: D1Database, check: HeldCheck): { db: Db; confirmed: () => Promise<boolean> } {
  let verdict: Promise<boolean> | undefined;
  const judge = (results: unknown[]) => {
    try {
      return check.confirm(results);
    } catch {
      return false;
    }
  };
  const db = createDb(waitingD1(d1, () => mustStand()));
  const batch = db.batch.bind(db) as (queries: readonly unknown[]) => Promise<unknown[]>;
  const checkAlone = () => (verdict ??= batch(check.queries).then(judge, () => false));
  async function mustStand() {
    if (!(await checkAlone())) throw new HoldNotConfirmed();
  }
  async function batchWithCheck(queries: readonly unknown[]): Promise<unknown[]> {
    if (verdict || !onlyReads(queries)) {
      // Reads sent while the verdict is on its way need not wait: the response waits for it.
      if (!onlyReads(queries)) await mustStand();
      return batch(queries);
    }
    let settle!: (stands: boolean) => void;
    verdict = new Promise((resolve) => (settle = resolve));
    const n = check.queries.length;
    let results: unknown[];
    try {
      results = await batch([...check.queries, ...queries]);
    } catch (e) {
      settle(false);
      throw e;
    }
    const stands = judge(results.slice(0, n));
    settle(stands);
    if (!stands) throw new HoldNotConfirmed();
    return results.slice(n);
  }
  (db as unknown as { batch: typeof batchWithCheck }).batch = batchWithCheck;
  return { db, confirmed: checkAlone };
}
