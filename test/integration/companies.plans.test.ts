// F-33 / F-15 license plans through the JSON API: everyone in the partner
// organization sees a company's plans, but the price fields exist only in a
// Purchaser's answers; ordering, editing and renewing are Purchaser-only (403
// for everyone else, nothing changes), validated (422), audited without
// prices, and an order mails the Purchaser a confirmation.
import { describe, expect, it } from "vitest";
import { addMonths, MAX_SEATS } from "../../src/domain/license-plans";
import { api, auditOf, expectError, mailTo, makeUser, signIn } from "../helpers/fixtures";
import { expectFields, findPriceFields, makeCompany, makePlan, planRow, plansOf, sharedTeam } from "../helpers/companies";

const team = sharedTeam();

interface PlanJson {
  id: string;
  plan: string;
  label: string;
  seats: number;
  autoRenew: boolean;
  status: string;
  renewsAt: string;
  unitPriceCents?: number;
  currency?: string;
  totalCents?: number;
}
interface PlansBody {
  items: PlanJson[];
  catalog: { key: string; label: string; termMonths: number; unitPriceCents?: number; currency?: string }[];
  page: { total: number };
}

describe("seeing plans", () => {
  it.each(["read_only", "regular", "partner_manager"] as const)("a non-Purchaser %s sees plans and catalog with no price field anywhere", async (role) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id, { plan: "enterprise", seats: 3, unitPriceCents: 3900 });
    const res = await api(`/api/v1/companies/${company.id}/plans`, { cookie: t[role].cookie });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as PlansBody;
    expect(body.items).toEqual([expect.objectContaining({ id: plan.id, plan: "enterprise", label: "Enterprise", seats: 3, status: "active" })]);
    expect(body.catalog.map((c) => c.key)).toEqual(["essentials", "professional", "enterprise"]);
    expect(findPriceFields(body)).toEqual([]);
    expect(text).not.toContain("3900");
    expect(text).not.toContain("EUR");

    const one = await api(`/api/v1/plans/${plan.id}`, { cookie: t[role].cookie });
    expect(one.status).toBe(200);
    expect(findPriceFields(await one.json())).toEqual([]);
  });

  it("a Purchaser sees unit price, currency and total on plans and prices in the catalog", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id, { plan: "essentials", seats: 4, unitPriceCents: 900 });
    const body = (await (await api(`/api/v1/companies/${company.id}/plans`, { cookie: t.purchaser.cookie })).json()) as PlansBody;
    expect(body.items[0]).toMatchObject({ id: plan.id, unitPriceCents: 900, currency: "EUR", totalCents: 3600 });
    expect(body.catalog[0]).toEqual({ key: "essentials", label: "Essentials", termMonths: 12, unitPriceCents: 900, currency: "EUR" });
    const one = (await (await api(`/api/v1/plans/${plan.id}`, { cookie: t.purchaser.cookie })).json()) as { plan: PlanJson };
    expect(one.plan).toMatchObject({ unitPriceCents: 900, currency: "EUR", totalCents: 3600 });
  });

  it("a stale Purchaser flag on a Read-only user grants neither prices nor writes", async () => {
    const t = await team();
    const stale = await makeUser({ orgId: t.orgId, role: "read_only", purchaser: true });
    const cookie = await signIn(stale);
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id);
    expect(findPriceFields(await (await api(`/api/v1/companies/${company.id}/plans`, { cookie })).json())).toEqual([]);
    await expectError(await api(`/api/v1/companies/${company.id}/plans`, { cookie, body: { plan: "essentials", seats: 1 } }), 403, "forbidden");
    await expectError(await api(`/api/v1/plans/${plan.id}/renew`, { method: "POST", cookie }), 403, "forbidden");
  });
});

describe("Purchaser-only writes", () => {
  const NON_PURCHASERS = ["read_only", "regular", "partner_manager", "operator"] as const;

  it.each(NON_PURCHASERS)("a %s without Purchaser gets 403 on order, edit and renew; nothing changes", async (role) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id, { seats: 10 });
    const cookie = t[role].cookie;
    await expectError(await api(`/api/v1/companies/${company.id}/plans`, { cookie, body: { plan: "essentials", seats: 5 } }), 403, "forbidden");
    await expectError(await api(`/api/v1/plans/${plan.id}`, { method: "PATCH", cookie, body: { seats: 20, autoRenew: true } }), 403, "forbidden");
    await expectError(await api(`/api/v1/plans/${plan.id}/renew`, { method: "POST", cookie }), 403, "forbidden");
    expect(await plansOf(company.id)).toHaveLength(1);
    expect(await planRow(plan.id)).toEqual(plan);
    expect(await auditOf(plan.id)).toHaveLength(0);
  });

  it("a Purchaser orders a plan: 201 with prices, stored with the catalog price, audited without prices, confirmation mailed", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId, { name: "Ordering Co" });
    const before = Date.now();
    const res = await api(`/api/v1/companies/${company.id}/plans`, { cookie: t.purchaser.cookie, body: { plan: "professional", seats: 25 } });
    expect(res.status).toBe(201);
    const { plan } = (await res.json()) as { plan: PlanJson };
    expect(plan).toMatchObject({ plan: "professional", seats: 25, autoRenew: false, status: "active", unitPriceCents: 1900, currency: "EUR", totalCents: 47_500 });
    const row = await planRow(plan.id);
    expect(row).toMatchObject({ companyId: company.id, plan: "professional", seats: 25, unitPriceCents: 1900, currency: "EUR", status: "active" });
    expect(row!.startsAt).toBeGreaterThanOrEqual(before);
    expect(row!.renewsAt).toBe(addMonths(row!.startsAt, 12));

    const [audit] = await auditOf(plan.id, "plan.ordered");
    expect(audit).toMatchObject({ actorId: t.purchaser.user.id, orgId: t.orgId });
    expect(JSON.parse(audit!.after!)).toMatchObject({ companyId: company.id, plan: "professional", seats: 25 });
    expect(findPriceFields(JSON.parse(audit!.after!))).toEqual([]);

    const mails = (await mailTo(t.purchaser.user.email)).filter((m) => m.subject.includes("Ordering Co"));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe("Order confirmation: Professional for Ordering Co");
    expect(mails[0]!.text).toContain("Seats: 25");
    expect(mails[0]!.text).toContain("EUR 475.00");
    expect(mails[0]!.text).toContain(`https://portico.test/companies/${company.id}#plans`);
  });

  it("a Partner Manager with Purchaser may order too", async () => {
    const t = await team();
    const pm = await makeUser({ orgId: t.orgId, role: "partner_manager", purchaser: true });
    const company = await makeCompany(t.orgId);
    const res = await api(`/api/v1/companies/${company.id}/plans`, { cookie: await signIn(pm), body: { plan: "essentials", seats: 1 } });
    expect(res.status).toBe(201);
    expect(await plansOf(company.id)).toHaveLength(1);
  });

  it("a Purchaser edits seats and auto-renewal, with the audit before and after", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id, { seats: 10, autoRenew: false, unitPriceCents: 1900 });
    const res = await api(`/api/v1/plans/${plan.id}`, { method: "PATCH", cookie: t.purchaser.cookie, body: { seats: 12 } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { plan: PlanJson }).plan).toMatchObject({ seats: 12, autoRenew: false, totalCents: 22_800 });
    const res2 = await api(`/api/v1/plans/${plan.id}`, { method: "PATCH", cookie: t.purchaser.cookie, body: { autoRenew: true } });
    expect(res2.status).toBe(200);
    expect(await planRow(plan.id)).toMatchObject({ seats: 12, autoRenew: true, unitPriceCents: 1900 });
    const audits = await auditOf(plan.id, "plan.updated");
    expect(audits.map((a) => [JSON.parse(a.before!), JSON.parse(a.after!)])).toEqual(
      expect.arrayContaining([
        [{ seats: 10, autoRenew: false }, { seats: 12, autoRenew: false }],
        [{ seats: 12, autoRenew: false }, { seats: 12, autoRenew: true }],
      ]),
    );
  });

  it("a Purchaser renews: renewsAt moves on by exactly one term per renewal that answered 200, each audited (two at once never lose one)", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const renewsAt = Date.now() + 30 * 86_400_000;
    const plan = await makePlan(company.id, { plan: "enterprise", renewsAt });
    const results = await Promise.all([1, 2].map(() => api(`/api/v1/plans/${plan.id}/renew`, { method: "POST", cookie: t.purchaser.cookie })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    // Two at once: each answer 200 is one more term and one audit entry; a 409 changed nothing.
    const row = await planRow(plan.id);
    const renewals = await auditOf(plan.id, "plan.renewed");
    expect(renewals).toHaveLength(statuses[1] === 200 ? 2 : 1);
    expect(row!.renewsAt).toBe(statuses[1] === 200 ? addMonths(addMonths(renewsAt, 12), 12) : addMonths(renewsAt, 12));
    expect(JSON.parse(renewals[0]!.before!).renewsAt).toBe(new Date(renewsAt).toISOString());
  });

  it("renews a lapsed plan from today, not into the past, and makes it active again", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id, { renewsAt: Date.now() - 90 * 86_400_000, status: "expired" });
    const before = Date.now();
    const res = await api(`/api/v1/plans/${plan.id}/renew`, { method: "POST", cookie: t.purchaser.cookie });
    expect(res.status).toBe(200);
    const row = await planRow(plan.id);
    expect(row!.status).toBe("active");
    expect(row!.renewsAt).toBeGreaterThanOrEqual(addMonths(before, 12));
    expect(row!.renewsAt).toBeLessThanOrEqual(addMonths(Date.now(), 12));
  });
});

describe("plan validation and state", () => {
  it("answers 422 with fields for an unknown plan, bad seat counts and unknown fields; orders nothing", async () => {
    const t = await team();
    const cookie = t.purchaser.cookie;
    const company = await makeCompany(t.orgId);
    const url = `/api/v1/companies/${company.id}/plans`;
    await expectFields(await api(url, { cookie, body: { plan: "platinum", seats: 1 } }), "plan");
    await expectFields(await api(url, { cookie, body: { seats: 1 } }), "plan");
    for (const seats of [0, -1, 1.5, MAX_SEATS + 1, "10", null]) await expectFields(await api(url, { cookie, body: { plan: "essentials", seats } }), "seats");
    await expectFields(await api(url, { cookie, body: { plan: "essentials", seats: 1, unitPriceCents: 1 } }), "unitPriceCents");
    expect((await api(url, { cookie, body: { plan: "essentials", seats: MAX_SEATS } })).status).toBe(201);
    expect(await plansOf(company.id)).toHaveLength(1);

    const plan = await makePlan(company.id);
    const patch = (body: unknown) => api(`/api/v1/plans/${plan.id}`, { method: "PATCH", cookie, body });
    await expectFields(await patch({}), "body");
    await expectFields(await patch({ seats: 0 }), "seats");
    await expectFields(await patch({ autoRenew: "yes" }), "autoRenew");
    await expectFields(await patch({ seats: 2, currency: "USD" }), "currency");
    await expectFields(await patch({ plan: "enterprise" }), "plan");
    expect(await planRow(plan.id)).toEqual(plan);
  });

  it("refuses to order for, edit or renew a plan of a terminated company (409)", async () => {
    const t = await team();
    const cookie = t.purchaser.cookie;
    const company = await makeCompany(t.orgId, { status: "terminated" });
    const plan = await makePlan(company.id);
    await expectError(await api(`/api/v1/companies/${company.id}/plans`, { cookie, body: { plan: "essentials", seats: 1 } }), 409, "conflict");
    await expectError(await api(`/api/v1/plans/${plan.id}`, { method: "PATCH", cookie, body: { seats: 2 } }), 409, "conflict");
    await expectError(await api(`/api/v1/plans/${plan.id}/renew`, { method: "POST", cookie }), 409, "conflict");
    expect(await planRow(plan.id)).toEqual(plan);
    expect(await plansOf(company.id)).toHaveLength(1);
    // Still visible.
    expect((await api(`/api/v1/companies/${company.id}/plans`, { cookie: t.read_only.cookie })).status).toBe(200);
  });

  it("refuses to edit an expired plan until it is renewed (409)", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id, { status: "expired", renewsAt: Date.now() - 86_400_000 });
    await expectError(await api(`/api/v1/plans/${plan.id}`, { method: "PATCH", cookie: t.purchaser.cookie, body: { seats: 2 } }), 409, "conflict");
    expect(await planRow(plan.id)).toEqual(plan);
  });
});
