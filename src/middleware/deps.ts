// Builds the per-request dependencies once, before anything else runs.
import { createMiddleware } from "hono/factory";
import { createDeps } from "../deps";
import type { AppEnv } from "../env";

export const depsMiddleware = createMiddleware<AppEnv>(async (c, next) => {
  // Cloudflare sets CF-Connecting-IP at the edge; clients cannot forge it there.
  const ip = c.req.header("cf-connecting-ip") ?? null;
  c.set("deps", createDeps(c.env, (p) => c.executionCtx.waitUntil(p), { ip }));
  await next();
});
