// What services need from the outside world, built once per request or cron run.
import { createDb, type Db } from "./db/client";
import type { Bindings } from "./env";
import { readConfig, type Config } from "./lib/config";
import { devMailbox, noMailer, resendMailer, type Mailer } from "./lib/mailer";

export interface Deps {
  db: Db;
  kv: KVNamespace;
  config: Config;
  mailer: Mailer;
  /** Milliseconds; the cron passes its scheduledTime so a sweep can run "as of" any moment. */
  now: () => number;
  /** The client's address for audit and throttling; null in cron runs. */
  ip: string | null;
  /** Counts collected hits per site and sender (services/collect.ts). */
  collectLimiter: RateLimit;
  /** Work that may finish after the response (mail delivery). */
  waitUntil: (promise: Promise<unknown>) => void;
}

/**
 * Config and mailer depend on the bindings alone, and workerd passes every
 * request of an isolate the same env object, so they are read once per
 * isolate rather than once per request.
 */
const fromBindings = new WeakMap<Bindings, Pick<Deps, "config" | "mailer">>();

function configAndMailer(env: Bindings): Pick<Deps, "config" | "mailer"> {
  let known = fromBindings.get(env);
  if (!known) {
    const config = readConfig(env);
    const mailer = config.resendApiKey
      ? resendMailer(config.resendApiKey, config.mailFrom, config.mailRatePerSecond)
      : config.isProduction
        ? noMailer
        : devMailbox;
    known = { config, mailer };
    fromBindings.set(env, known);
  }
  return known;
}

export function createDeps(
  env: Bindings,
  waitUntil: Deps["waitUntil"],
  options: { now?: () => number; ip?: string | null } = {},
): Deps {
  const { config, mailer } = configAndMailer(env);
  return { db: createDb(env.DB), kv: env.KV, config, mailer, now: options.now ?? Date.now, ip: options.ip ?? null, collectLimiter: env.COLLECT_LIMITER, waitUntil };
}
