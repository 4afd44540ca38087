// Letting the rest of a request act on what the isolate holds (a session's or
// an API token's account as D1 last confirmed it) while D1 confirms it in the
// handler's first read (src/db/held-check.ts). Only a GET or HEAD may: it
// only reads. When D1 does not confirm, the answer is thrown away and
// createApp's fetch answers the request again, this time reading first.
import type { Context, Next } from "hono";
import { checkWithFirstRead, type HeldCheck } from "../db/held-check";
import type { AppEnv } from "../env";

const readFirst = new WeakSet<Request>();

/** Whether this request's answer must be thrown away and the request answered again (see createApp). */
export const mustAnswerAgain = (request: Request) => readFirst.has(request);

/** A GET or HEAD that is not already being answered again. */
export const mayActOnHold = (c: Context) => (c.req.method === "GET" || c.req.method === "HEAD") && !readFirst.has(c.req.raw);

/** Runs the rest of the request as `hold` sets it up (actor …), with `check` riding in the handler's first batch. */
export async function actOnHold<E extends AppEnv>(c: Context<E>, next: Next, check: HeldCheck, hold: () => void): Promise<void> {
  const gate = checkWithFirstRead(c.env.DB, check);
  c.set("deps", { ...c.var.deps, db: gate.db });
  hold();
  await next();
  if (!(await gate.confirmed())) readFirst.add(c.req.raw);
}
