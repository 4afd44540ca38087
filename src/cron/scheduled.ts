// The cron trigger runs two jobs, each recorded in job_runs for operators (F-10, F-70):
// - daily (DAILY_CRON): invitation reminders (F-92), the inactivity sweep
//   (F-70), partner grants that expired or no longer hold (F-64, F-95), a
//   first mail drain, stale throttle rows, audit retention (F-96);
// - mail (MAIL_CRON, every 5 minutes): drains the outbox at Resend's rate, so
//   100,000 reminders queued by one sweep all go out within the day while no
//   invocation comes near 1,000 D1 queries.
// "Now" is the event's scheduledTime, so a run can be replayed as of any moment.
import { lt } from "drizzle-orm";
import { loginThrottles, passwordResets, userSessions } from "../db/schema";
import { createDeps, type Deps } from "../deps";
import type { Bindings } from "../env";
import { remindOpenReviews, startQuarterlyReviews } from "../services/access-review-schedule";
import { purgeExpiredAuditEvents } from "../services/audit-log";
import { sweepInactiveAccounts } from "../services/inactivity";
import { remindExpiringInvitations } from "../services/invitation-admin";
import { sweepPartnerGrants } from "../services/partner-access-sweep";
import { recordJobRun } from "../services/job-runs";
import { drainOutbox } from "../services/outbox";
import { renewOrExpirePlans } from "../services/plan-renewals";

export const DAILY_CRON = "0 3 * * *";
export const MAIL_CRON = "*/5 * * * *";

/**
 * Delivery rounds per invocation; each costs two D1 queries and sends up to
 * 100 mails. 300 rounds = 600 queries and 30,000 mails, about 150 s at
 * Resend's 2 calls per second; the daily job keeps room for its other steps.
 */
export const MAIL_ROUNDS = { daily: 150, mail: 300 } as const;

/** Runs the steps in order and records how long each took (shown on /jobs as stepMs). */
function stepTimer() {
  const stepMs: Record<string, number> = {};
  return {
    stepMs,
    async step<T>(name: string, work: () => Promise<T>): Promise<T> {
      const started = Date.now();
      try {
        return await work();
      } finally {
        stepMs[name] = Date.now() - started;
      }
    },
  };
}

export const JOBS = {
  async daily(deps: Deps) {
    const { step, stepMs } = stepTimer();
    const invitationReminders = await step("invitationReminders", () => remindExpiringInvitations(deps));
    // Before the drain, so today's reminders and confirmations start going out in this run.
    const inactivity = await step("inactivity", () => sweepInactiveAccounts(deps));
    // After the inactivity sweep, so grants of accounts it just deactivated end in the same run (F-64).
    const partnerAccess = await step("partnerAccess", () => sweepPartnerGrants(deps));
    const plans = await step("plans", () => renewOrExpirePlans(deps));
    // F-93, before the drain so the review mails go out in this run.
    const accessReviewsStarted = await step("accessReviewsStarted", () => startQuarterlyReviews(deps));
    const accessReviewReminders = await step("accessReviewReminders", () => remindOpenReviews(deps));
    const mail = await step("mail", () => drainOutbox(deps, MAIL_ROUNDS.daily));
    const day = 24 * 3_600_000;
    // Spent sign-in state: throttle windows, reset links (used or expired) and ended sessions, older than a day.
    await step("cleanup", () =>
      deps.db.batch([
        deps.db.delete(loginThrottles).where(lt(loginThrottles.windowStartedAt, deps.now() - day)),
        deps.db.delete(passwordResets).where(lt(passwordResets.expiresAt, deps.now() - day)),
        // Session rows outlive their use by a day at most: past the absolute lifetime, no cookie can revive them.
        deps.db.delete(userSessions).where(lt(userSessions.createdAt, deps.now() - deps.config.sessionAbsoluteMs - day)),
      ]),
    );
    const auditDeleted = await step("auditRetention", () => purgeExpiredAuditEvents(deps));
    return { invitationReminders, inactivity, partnerAccess, plans, accessReviewsStarted, accessReviewReminders, mail, auditDeleted, stepMs };
  },
  async mail(deps: Deps) {
    return { mail: await drainOutbox(deps, MAIL_ROUNDS.mail) };
  },
} satisfies Record<string, (deps: Deps) => Promise<Record<string, unknown>>>;
export type JobName = keyof typeof JOBS;

/** The job a cron expression runs; anything but the mail schedule is the daily job. */
export const jobFor = (cron: string): JobName => (cron === MAIL_CRON ? "mail" : "daily");

export async function runScheduled(controller: ScheduledController, env: Bindings, ctx: ExecutionContext) {
  const deps = createDeps(env, (p) => ctx.waitUntil(p), { now: () => controller.scheduledTime });
  const job = jobFor(controller.cron);
  await recordJobRun(deps, job, controller.cron, () => JOBS[job](deps));
}
