// Operators: /jobs shows the cron's runs and the dead letters (F-10, F-70);
// "Send again" posts the same service as POST /api/v1/jobs/dead-letters/:id/retry.
import { Hono } from "hono";
import { RequestContext } from "hono/jsx-renderer";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { requirePageSession } from "../../middleware/require-auth";
import { jobsPage, ListJobRunsInput, retryDeadLetter } from "../../services/job-runs";
import { DeadLetterRow, JobsPage } from "../../../views/jobs";
import { seeOther } from "./flash";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const jobPages = new Hono<Authed>();
jobPages.use(requirePageSession);

jobPages.get("/", async (c) => {
  const { deps, actor } = c.var;
  const filter = ListJobRunsInput.safeParse(c.req.query());
  const input = filter.success ? filter.data : ListJobRunsInput.parse({});
  const { runs, dead } = await jobsPage(deps, actor, input);
  return c.render(<JobsPage runs={runs} dead={dead} job={input.job} />, { title: "Scheduled jobs" });
});

jobPages.post("/dead-letters/:id/retry", async (c) => {
  const { mail } = await retryDeadLetter(c.var.deps, c.var.actor, c.req.param("id"));
  if (!c.req.header("hx-request")) return seeOther(c, "/jobs#dead-letters", `The mail to ${mail.to} was queued again.`);
  return c.html(
    <RequestContext.Provider value={c}>
      <DeadLetterRow mail={mail} resent />
    </RequestContext.Provider>,
  );
});
