// F-33 renewals in the daily run: a plan whose term ended renews for one more
// term when auto-renew is on and expires otherwise; the partner's Purchasers
// are mailed, the partner's audit log records it, and a second run at the
// same moment changes nothing.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, companyPlans, outbox } from "../../src/db/schema";
import { addMonths } from "../../src/domain/license-plans";
import { db, makeOrg, makeUser } from "../helpers/fixtures";
import { makeCompany, makePlan } from "../helpers/companies";
import { runCron } from "../helpers/cron";

const DAY = 86_400_000;
const planRow = async (id: string) => (await db().select().from(companyPlans).where(eq(companyPlans.id, id)))[0]!;
const mailsTo = (email: string) => db().select().from(outbox).where(eq(outbox.to, email));
const auditOfPlan = (id: string, action: string) =>
  db().select().from(auditEvents).where(and(eq(auditEvents.targetId, id), eq(auditEvents.action, action)));

async function partnerWithCompany() {
  const partner = await makeOrg({ kind: "partner" });
  const purchaser = await makeUser({ orgId: partner.id, role: "regular", purchaser: true });
  const other = await makeUser({ orgId: partner.id, role: "regular" });
  const company = await makeCompany(partner.id, { name: "Acme <Labs>" });
  return { partner, purchaser, other, company };
}

describe("license plan renewals (F-33)", () => {
  it("renews an auto-renewing plan for one more term and tells the Purchasers", async () => {
    const { partner, purchaser, other, company } = await partnerWithCompany();
    const now = Date.now();
    const renewsAt = now - DAY;
    const plan = await makePlan(company.id, { autoRenew: true, renewsAt });

    await runCron(now);
    const after = await planRow(plan.id);
    expect(after.status).toBe("active");
    expect(after.renewsAt).toBe(addMonths(renewsAt, 12));

    const [mail, ...more] = await mailsTo(purchaser.email);
    expect(more).toHaveLength(0);
    expect(mail!.subject).toBe("License plan renewed: Professional for Acme <Labs>");
    expect(mail!.text).toContain(new Date(addMonths(renewsAt, 12)).toISOString().slice(0, 10));
    expect(mail!.html).toContain("Acme &lt;Labs&gt;");
    expect(mail!.html).not.toContain("Acme <Labs>");
    expect(await mailsTo(other.email)).toHaveLength(0);

    const [entry] = await auditOfPlan(plan.id, "plan.auto_renewed");
    expect(entry!.orgId).toBe(partner.id);
    expect(JSON.parse(entry!.after!)).toMatchObject({ status: "active", renewsAt: new Date(addMonths(renewsAt, 12)).toISOString() });
  });

  it("expires a plan without auto-renew at the end of its term", async () => {
    const { purchaser, company } = await partnerWithCompany();
    const now = Date.now();
    const plan = await makePlan(company.id, { autoRenew: false, renewsAt: now - 1 });
    await runCron(now);
    expect((await planRow(plan.id)).status).toBe("expired");
    expect((await mailsTo(purchaser.email)).map((m) => m.subject)).toEqual(["License plan expired: Professional for Acme <Labs>"]);
    expect(await auditOfPlan(plan.id, "plan.expired")).toHaveLength(1);
  });

  it("leaves plans whose term has not ended, and is idempotent at the same moment", async () => {
    const { purchaser, company } = await partnerWithCompany();
    const now = Date.now();
    const future = await makePlan(company.id, { autoRenew: false, renewsAt: now + 1 });
    const due = await makePlan(company.id, { autoRenew: true, renewsAt: now });
    await runCron(now);
    await runCron(now);
    expect((await planRow(future.id)).status).toBe("active");
    expect((await planRow(due.id)).renewsAt).toBe(addMonths(now, 12));
    expect(await mailsTo(purchaser.email)).toHaveLength(1);
    expect(await auditOfPlan(due.id, "plan.auto_renewed")).toHaveLength(1);
  });

  it("does not mail a Purchaser flag on a Read-only user or a deactivated Purchaser", async () => {
    const { partner, company } = await partnerWithCompany();
    const stale = await makeUser({ orgId: partner.id, role: "read_only", purchaser: true });
    const gone = await makeUser({ orgId: partner.id, role: "regular", purchaser: true, status: "deactivated" });
    await makePlan(company.id, { renewsAt: Date.now() - 1 });
    await runCron(Date.now());
    expect(await mailsTo(stale.email)).toHaveLength(0);
    expect(await mailsTo(gone.email)).toHaveLength(0);
  });
});
