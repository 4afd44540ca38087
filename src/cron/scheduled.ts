// The daily cron run: invitations about to expire get their one reminder (F-92),
// mail that failed earlier is retried, stale throttle rows go, and audit
// entries past the retention setting are deleted (F-96), and inactive accounts
// are reminded, then deactivated (F-70).
// "Now" is the event's scheduledTime, so a run can be replayed as of any moment.
import { lt } from "drizzle-orm";
import { loginThrottles } from "../db/schema";
import { createDeps, type Deps } from "../deps";
import type { Bindings } from "../env";
import { purgeExpiredAuditEvents } from "../services/audit-log";
import { sweepInactiveAccounts } from "../services/inactivity";
import { remindExpiringInvitations } from "../services/invitation-admin";
import { deliverOutbox, type DeliveryResult } from "../services/outbox";

/** Each delivery round costs two D1 queries; this keeps a run far below the 1,000-query limit. */
const MAX_DELIVERY_ROUNDS = 20;

export async function drainOutbox(deps: Deps): Promise<DeliveryResult> {
  const total: DeliveryResult = { sent: 0, failed: 0, dead: 0 };
  for (let round = 0; round < MAX_DELIVERY_ROUNDS; round++) {
    const r = await deliverOutbox(deps, { limit: 50 });
    total.sent += r.sent;
    total.failed += r.failed;
    total.dead += r.dead;
    if (r.sent + r.failed + r.dead < 50) break;
  }
  return total;
}

export async function runScheduled(controller: ScheduledController, env: Bindings, ctx: ExecutionContext) {
  const deps = createDeps(env, (p) => ctx.waitUntil(p), { now: () => controller.scheduledTime });
  const invitationReminders = await remindExpiringInvitations(deps);
  // Before the drain, so today's reminders and confirmations start going out in this run.
  const inactivity = await sweepInactiveAccounts(deps);
  const mail = await drainOutbox(deps);
  await deps.db.delete(loginThrottles).where(lt(loginThrottles.windowStartedAt, controller.scheduledTime - 24 * 3_600_000));
  const auditDeleted = await purgeExpiredAuditEvents(deps);
  console.log(JSON.stringify({ cron: controller.cron, at: new Date(controller.scheduledTime).toISOString(), invitationReminders, inactivity, mail, auditDeleted }));
}
