// The commit-time guards of the companies services, against real D1: a change
// that lands between a service's checks and its batch (another request
// terminating the company, adding the same name, renewing the plan) makes the
// whole batch roll back, with no row and no audit entry, and the caller gets
// the error the new state calls for. The race is staged by running the
// competing write just before the service's batch executes.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { companyPlans, companyServices, organizations, outbox } from "../../src/db/schema";
import { createDeps, type Deps } from "../../src/deps";
import type { Actor } from "../../src/domain/actor";
import { AppError } from "../../src/lib/errors";
import { addCompany, editCompany, terminateCompany } from "../../src/services/companies";
import { addService, endService } from "../../src/services/company-services";
import { orderPlan, renewPlan, updatePlan } from "../../src/services/license-plans";
import { companyRow, makeCompany, makePlan, makeService, planRow, plansOf, servicesOf } from "../helpers/companies";
import { auditOf, db, makeOrg, uniqueEmail } from "../helpers/fixtures";

/** Deps whose next db.batch() first runs `meanwhile`, as a concurrent request would. */
function racingDeps(meanwhile: () => Promise<unknown>): Deps {
  const deps = createDeps(env, () => {});
  const realBatch = deps.db.batch.bind(deps.db);
  let fired = false;
  deps.db.batch = (async (statements: Parameters<typeof realBatch>[0]) => {
    // Only the write batch races; the read batches of the checks run as they are.
    if (!fired && statements.length > 2) {
      fired = true;
      await meanwhile();
    }
    return realBatch(statements);
  }) as unknown as typeof deps.db.batch;
  return deps;
}

async function partnerActor(overrides: Partial<Actor> = {}): Promise<Actor> {
  const org = await makeOrg({ kind: "partner" });
  return { id: `actor-${uniqueEmail()}`, orgId: org.id, orgKind: "partner", orgName: org.name, email: uniqueEmail("a"), name: "Actor", role: "regular", purchaser: true, analyticsAccess: "N", analyticsAdmin: false, analyticsOwner: false, modules: {}, ...overrides };
}

const terminate = (id: string) => () => db().update(organizations).set({ status: "terminated" }).where(eq(organizations.id, id));

async function rejects(promise: Promise<unknown>, code: AppError["code"], field?: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  if (field) expect((error as AppError).fields?.[field]).toMatch(/\S/);
}

describe("guards against a concurrent change", () => {
  it("adds no service to a company terminated meanwhile (409)", async () => {
    const actor = await partnerActor();
    const company = await makeCompany(actor.orgId);
    await rejects(addService(racingDeps(terminate(company.id)), actor, company.id, "team_vmr", { name: "VMR" }), "CONFLICT");
    expect(await servicesOf(company.id)).toHaveLength(0);
  });

  it("adds no second active service with a name added meanwhile (422 on the field)", async () => {
    const actor = await partnerActor();
    const company = await makeCompany(actor.orgId);
    const meanwhile = () => makeService(company.id, "domain", { name: "race.example.com" });
    await rejects(addService(racingDeps(meanwhile), actor, company.id, "domain", { domain: "race.example.com" }), "VALIDATION_FAILED", "domain");
    expect(await servicesOf(company.id)).toHaveLength(1);
  });

  it("ends no service of a company terminated meanwhile (409), and audits nothing", async () => {
    const actor = await partnerActor();
    const company = await makeCompany(actor.orgId);
    const service = await makeService(company.id, "endpoint");
    await rejects(endService(racingDeps(terminate(company.id)), actor, company.id, "endpoint", service.id), "CONFLICT");
    expect((await db().select().from(companyServices).where(eq(companyServices.id, service.id)))[0]!.status).toBe("active");
    expect(await auditOf(service.id)).toHaveLength(0);
  });

  it("creates no company whose name was taken meanwhile, and renames none onto it (422)", async () => {
    const actor = await partnerActor();
    const meanwhile = () => makeCompany(actor.orgId, { name: "Twin" });
    await rejects(addCompany(racingDeps(meanwhile), actor, { name: "twin" }), "VALIDATION_FAILED", "name");
    const mine = await makeCompany(actor.orgId, { name: "Solo" });
    await rejects(editCompany(racingDeps(() => makeCompany(actor.orgId, { name: "Pair" })), actor, mine.id, { name: "PAIR" }), "VALIDATION_FAILED", "name");
    expect((await companyRow(mine.id))!.name).toBe("Solo");
    expect(await auditOf(mine.id)).toHaveLength(0);
  });

  it("terminates once when another request terminated first (409)", async () => {
    const actor = await partnerActor();
    const company = await makeCompany(actor.orgId);
    await rejects(terminateCompany(racingDeps(terminate(company.id)), actor, company.id), "CONFLICT");
    expect(await auditOf(company.id)).toHaveLength(0);
  });

  it("orders no plan for a company terminated meanwhile, and mails nothing", async () => {
    const actor = await partnerActor();
    const company = await makeCompany(actor.orgId);
    await rejects(orderPlan(racingDeps(terminate(company.id)), actor, company.id, { plan: "essentials", seats: 3 }), "CONFLICT");
    expect(await plansOf(company.id)).toHaveLength(0);
    expect(await db().select().from(outbox).where(eq(outbox.to, actor.email))).toHaveLength(0);
  });

  it("an edit or renewal racing another applies on top of it and audits the state it replaced (no lost update)", async () => {
    const actor = await partnerActor();
    const company = await makeCompany(actor.orgId);
    const plan = await makePlan(company.id, { seats: 10 });
    // The services read nothing before their batch: a change committed just before is the state they change.
    const otherEdit = () => db().update(companyPlans).set({ seats: 11, updatedAt: plan.updatedAt + 5 }).where(eq(companyPlans.id, plan.id));
    await updatePlan(racingDeps(otherEdit), actor, plan.id, { seats: 50 });
    expect((await planRow(plan.id))!.seats).toBe(50);
    const [edit] = await auditOf(plan.id);
    expect(JSON.parse(edit!.before!)).toMatchObject({ seats: 11 });

    const renewsAt = (await planRow(plan.id))!.renewsAt;
    const otherRenewal = () => db().update(companyPlans).set({ renewsAt: renewsAt + 1000 }).where(eq(companyPlans.id, plan.id));
    await renewPlan(racingDeps(otherRenewal), actor, plan.id);
    const renewals = (await auditOf(plan.id)).filter((e) => e.action === "plan.renewed");
    expect(renewals).toHaveLength(1);
    expect(JSON.parse(renewals[0]!.before!).renewsAt).toBe(new Date(renewsAt + 1000).toISOString());
  });

  it("still succeeds when nothing raced (the guards do not fire on their own)", async () => {
    const actor = await partnerActor();
    const company = await makeCompany(actor.orgId);
    const deps = racingDeps(async () => {});
    const { item } = await addService(deps, actor, company.id, "eul_user", { email: uniqueEmail("e"), name: "E" });
    expect(item.status).toBe("active");
  });
});
