// The Worker: pages and JSON API on fetch, the daily jobs on the cron trigger.
import { createApp } from "./app";
import { runScheduled } from "./cron/scheduled";
import type { Bindings } from "./env";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: runScheduled,
} satisfies ExportedHandler<Bindings>;
