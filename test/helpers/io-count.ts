// Counts what one request costs in bindings: D1 round trips (a batch is one,
// like a single statement) and KV reads. The Worker is called with the same
// bindings wrapped in counting proxies, so nothing in src knows it is measured.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import type { Bindings } from "../../src/env";
import { ORIGIN } from "./fixtures";

export interface IoCount {
  d1: number;
  kvReads: number;
  /** The SQL of each round trip, for a readable failure. */
  trips: string[];
}

const real = new WeakMap<object, D1PreparedStatement>();

function countedStatement(stmt: D1PreparedStatement, count: IoCount, sql: string): D1PreparedStatement {
  const trip = () => {
    count.d1++;
    count.trips.push(sql);
  };
  const wrapped = {
    bind: (...values: unknown[]) => countedStatement(stmt.bind(...values), count, sql),
    first: (col?: string) => (trip(), col === undefined ? stmt.first() : stmt.first(col)),
    all: () => (trip(), stmt.all()),
    run: () => (trip(), stmt.run()),
    raw: (options?: { columnNames?: boolean }) => (trip(), stmt.raw(options as { columnNames: true })),
  };
  real.set(wrapped, stmt);
  return wrapped as unknown as D1PreparedStatement;
}

function countedD1(db: D1Database, count: IoCount): D1Database {
  return {
    prepare: (sql: string) => countedStatement(db.prepare(sql), count, sql),
    batch: (stmts: D1PreparedStatement[]) => {
      count.d1++;
      count.trips.push(`batch of ${stmts.length}`);
      return db.batch(stmts.map((s) => real.get(s) ?? s));
    },
    exec: (sql: string) => {
      count.d1++;
      count.trips.push(sql);
      return db.exec(sql);
    },
    dump: () => db.dump(),
    withSession: () => {
      throw new Error("withSession is not counted");
    },
  } as unknown as D1Database;
}

function countedKv(kv: KVNamespace, count: IoCount): KVNamespace {
  const read =
    <F extends (...a: never[]) => unknown>(f: F) =>
    (...args: Parameters<F>) => {
      count.kvReads++;
      return f(...args);
    };
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      const bound = value.bind(target);
      return prop === "get" || prop === "getWithMetadata" || prop === "list" ? read(bound) : bound;
    },
  });
}

export interface Measured {
  res: Response;
  body: string;
  /** Until the response body was read: what the client waits for. */
  inRequest: IoCount;
}

/**
 * Bindings wrapped in counters. Each `measured` call makes its own unless given
 * one: a meter shared by several calls keeps its KV namespace object, and with
 * it the isolate's session copies, as a warm isolate would.
 */
export function meter(): { bindings: Bindings; count: IoCount } {
  const count: IoCount = { d1: 0, kvReads: 0, trips: [] };
  const bindings = { ...(env as unknown as Bindings), DB: countedD1(env.DB, count), KV: countedKv(env.KV, count) };
  return { bindings, count };
}

/** One request through the Worker's fetch with counted bindings. */
export async function measured(path: string, init: RequestInit = {}, { bindings, count } = meter()): Promise<Measured> {
  Object.assign(count, { d1: 0, kvReads: 0, trips: [] });
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${path}`, { redirect: "manual", ...init }), bindings, ctx);
  const body = await res.text();
  const inRequest = { ...count, trips: [...count.trips] };
  await waitOnExecutionContext(ctx);
  return { res, body, inRequest };
}
