// Runs the Worker's scheduled handler as the cron trigger would, as of any
// moment, and waits for its after-response work (mail delivery) too.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { DAILY_CRON } from "../../src/cron/scheduled";

export async function runCron(scheduledTime: number, options: { cron?: string; bindings?: Cloudflare.Env } = {}) {
  const controller = createScheduledController({ scheduledTime, cron: options.cron ?? DAILY_CRON });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, options.bindings ?? env, ctx);
  await waitOnExecutionContext(ctx);
}
