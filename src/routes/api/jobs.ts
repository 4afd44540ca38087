// Operators: the last cron job runs and the mail that could not be delivered (F-10, F-70).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { ListDeadLettersInput, listDeadLetters, ListJobRunsInput, listJobRuns, retryDeadLetter } from "../../services/job-runs";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const jobsApi = new Hono<Authed>();
jobsApi.use(requireApiSession);

jobsApi.get("/", queryParams(ListJobRunsInput), async (c) => c.json(await listJobRuns(c.var.deps, c.var.actor, c.req.valid("query"))));
jobsApi.get("/dead-letters", queryParams(ListDeadLettersInput), async (c) => c.json(await listDeadLetters(c.var.deps, c.var.actor, c.req.valid("query"))));
jobsApi.post("/dead-letters/:id/retry", async (c) => c.json(await retryDeadLetter(c.var.deps, c.var.actor, c.req.param("id"))));
