// F-33 renewals, run daily: an active plan whose term has ended renews for
// another term when auto-renew is on and expires otherwise. Set-based: the
// audit rows and the mails to the managing partner's Purchasers are inserted
// from the same predicates the updates then change, all in one D1 batch, so
// a second run at the same moment finds nothing due.
import { sql, type SQL } from "drizzle-orm";
import { auditEvents, companyPlans, organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import { addTermSql, PLAN_CATALOG, PLAN_KEYS } from "../domain/license-plans";
import { planTermEndedMail } from "../../views/mail/templates";
import { outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";

const planLabel = sql.raw(`(CASE plan ${PLAN_KEYS.map((k) => `WHEN '${k}' THEN '${PLAN_CATALOG[k].label.replace(/'/g, "''")}'`).join(" ")} ELSE plan END)`);
/** renews_at moved on by one term. */
const nextRenewal = addTermSql(sql`${companyPlans.renewsAt}`);

export interface PlanRenewalResult {
  renewed: number;
  expired: number;
}

export async function renewOrExpirePlans(deps: Deps): Promise<PlanRenewalResult> {
  const now = deps.now();
  const { db, config } = deps;
  const due = (autoRenew: boolean) => sql`${companyPlans.status} = 'active' AND ${companyPlans.renewsAt} <= ${now} AND ${companyPlans.autoRenew} = ${autoRenew ? 1 : 0}`;

  const steps = (renewed: boolean) => {
    const template = planTermEndedMail({
      appName: config.appName,
      companyName: slot("company"),
      planLabel: slot("plan"),
      renewed,
      until: slot("until"),
      url: `${config.origin}/companies/${slot("company_id")}`,
    });
    const until: SQL = renewed ? sql`date(${nextRenewal} / 1000, 'unixepoch')` : sql`date(${companyPlans.renewsAt} / 1000, 'unixepoch')`;
    const company = sql`company`;
    return [
      db.insert(auditEvents).select(
        sql`SELECT lower(hex(randomblob(12))), ${now}, NULL, ${company}.managed_by, ${renewed ? "plan.auto_renewed" : "plan.expired"}, 'company_plan', ${companyPlans.id},
          json_object('status', 'active', 'renewsAt', strftime('%Y-%m-%dT%H:%M:%fZ', ${companyPlans.renewsAt} / 1000.0, 'unixepoch')),
          json_object('status', ${renewed ? "active" : "expired"}, 'renewsAt', strftime('%Y-%m-%dT%H:%M:%fZ', ${renewed ? nextRenewal : sql`${companyPlans.renewsAt}`} / 1000.0, 'unixepoch')),
          NULL
          FROM ${companyPlans} JOIN ${organizations} AS company ON company.id = ${companyPlans.companyId}
          WHERE ${due(renewed)}`,
      ),
      outboxInsertSelect(
        deps,
        {
          to: sql`${users.email}`,
          ...filledMail(template, [
            ["company_id", sql`${companyPlans.companyId}`],
            ["plan", planLabel],
            ["until", until],
            ["company", sql`${company}.name`],
          ]),
        },
        sql`FROM ${companyPlans} JOIN ${organizations} AS company ON company.id = ${companyPlans.companyId}
          JOIN ${users} ON ${users.orgId} = company.managed_by AND ${users.purchaser} = 1 AND ${users.status} = 'active'
            AND ${users.role} IN ('regular', 'partner_manager')
          WHERE ${due(renewed)}`,
      ),
      renewed
        ? db.update(companyPlans).set({ renewsAt: nextRenewal, updatedAt: now }).where(due(true))
        : db.update(companyPlans).set({ status: "expired", updatedAt: now }).where(due(false)),
    ] as const;
  };
  const [, , renewedUpdate, , , expiredUpdate] = await db.batch([...steps(true), ...steps(false)]);
  return { renewed: renewedUpdate.meta.changes, expired: expiredUpdate.meta.changes };
}
