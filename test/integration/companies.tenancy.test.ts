// Tenant isolation on every companies and plans route (API and pages): a
// company, service or plan of another partner answers 404 exactly like one
// that does not exist, and nothing changes. The attacker holds every right
// (Partner Manager and Purchaser), so a 404 is the scope, not a missing right.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SERVICE_KIND_KEYS, SERVICE_KINDS } from "../../src/domain/company-services";
import { api, auditOf, expectError, makeOrg, makeUser, ORIGIN, signIn, uniqueEmail } from "../helpers/fixtures";
import { companyRow, makeCompany, makePlan, makeService, planRow, plansOf, servicesOf } from "../helpers/companies";

async function scenario() {
  const [ours, theirs] = await Promise.all([makeOrg({ kind: "partner" }), makeOrg({ kind: "partner" })]);
  const attacker = await makeUser({ orgId: ours.id, role: "partner_manager", purchaser: true });
  const cookie = await signIn(attacker);
  const own = await makeCompany(ours.id, { name: "Own Co" });
  const ownOther = await makeCompany(ours.id, { name: "Own Other Co" });
  const foreign = await makeCompany(theirs.id, { name: "Foreign Co" });
  const foreignServices = Object.fromEntries(await Promise.all(SERVICE_KIND_KEYS.map(async (k) => [k, await makeService(foreign.id, k)] as const)));
  const ownOtherServices = Object.fromEntries(await Promise.all(SERVICE_KIND_KEYS.map(async (k) => [k, await makeService(ownOther.id, k)] as const)));
  const ownServices = Object.fromEntries(await Promise.all(SERVICE_KIND_KEYS.map(async (k) => [k, await makeService(own.id, k)] as const)));
  const foreignPlan = await makePlan(foreign.id, { seats: 7 });
  return { ours, theirs, attacker, cookie, own, ownOther, foreign, foreignServices, ownOtherServices, ownServices, foreignPlan };
}

type Scenario = Awaited<ReturnType<typeof scenario>>;

/** The foreign company, its services and plan exactly as they were made. */
async function expectForeignUntouched(s: Scenario) {
  expect(await companyRow(s.foreign.id)).toMatchObject({ name: "Foreign Co", status: "active", managedBy: s.theirs.id });
  const services = await servicesOf(s.foreign.id);
  expect(services).toHaveLength(SERVICE_KIND_KEYS.length);
  for (const row of services) expect(row.status).toBe("active");
  expect(await plansOf(s.foreign.id)).toHaveLength(1);
  expect(await planRow(s.foreignPlan.id)).toMatchObject({ seats: 7, autoRenew: false, renewsAt: s.foreignPlan.renewsAt });
  expect(await auditOf(s.foreign.id)).toHaveLength(0);
  expect(await auditOf(s.foreignPlan.id)).toHaveLength(0);
}

describe("another partner's company through the JSON API", () => {
  it("is not listed and every route on it answers 404 not_found with nothing changed", async () => {
    const s = await scenario();
    const list = (await (await api("/api/v1/companies?pageSize=100", { cookie: s.cookie })).json()) as { items: { id: string }[] };
    expect(list.items.map((c) => c.id).sort()).toEqual([s.own.id, s.ownOther.id].sort());

    const f = `/api/v1/companies/${s.foreign.id}`;
    const calls: [string, string, unknown?][] = [
      ["GET", f],
      ["PATCH", f, { name: "Hijacked" }],
      ["POST", `${f}/terminate`],
      ["GET", `${f}/handout`],
      ["GET", `${f}/handout?format=csv`],
      ["GET", `${f}/plans`],
      ["POST", `${f}/plans`, { plan: "essentials", seats: 5 }],
      ["GET", `/api/v1/plans/${s.foreignPlan.id}`],
      ["PATCH", `/api/v1/plans/${s.foreignPlan.id}`, { seats: 99, autoRenew: true }],
      ["POST", `/api/v1/plans/${s.foreignPlan.id}/renew`],
    ];
    for (const kind of SERVICE_KIND_KEYS) {
      const { path, endVerb } = SERVICE_KINDS[kind];
      const body = kind === "eul_user" ? { email: uniqueEmail("x"), name: "X" } : kind === "domain" ? { domain: "hijack.example.com" } : { name: "Hijack" };
      calls.push(["GET", `${f}/${path}`], ["POST", `${f}/${path}`, body], ["POST", `${f}/${path}/${s.foreignServices[kind]!.id}/${endVerb}`]);
    }
    for (const [method, path, body] of calls) {
      const res = await api(path, { method, cookie: s.cookie, body: body ?? (method === "GET" ? undefined : {}) });
      const error = await expectError(res, 404, "not_found");
      expect(error.message, `${method} ${path}`).not.toContain("Foreign Co");
    }
    await expectForeignUntouched(s);
  });

  it("answers the same 404 for an id that does not exist", async () => {
    const s = await scenario();
    const missing = await api("/api/v1/companies/no-such-company", { cookie: s.cookie });
    const foreign = await api(`/api/v1/companies/${s.foreign.id}`, { cookie: s.cookie });
    expect(await missing.json()).toEqual(await foreign.json());
  });
});

describe("an item id that is not of the own company in the path", () => {
  it("answers 404 for another partner's item, another own company's item and an item of another kind; nothing ends", async () => {
    const s = await scenario();
    for (const kind of SERVICE_KIND_KEYS) {
      const { path, endVerb } = SERVICE_KINDS[kind];
      const otherKind = SERVICE_KIND_KEYS.find((k) => k !== kind)!;
      for (const itemId of [s.foreignServices[kind]!.id, s.ownOtherServices[kind]!.id, s.ownServices[otherKind]!.id, "no-such-item"]) {
        const res = await api(`/api/v1/companies/${s.own.id}/${path}/${itemId}/${endVerb}`, { method: "POST", cookie: s.cookie });
        await expectError(res, 404, "not_found");
      }
    }
    for (const row of [...(await servicesOf(s.own.id)), ...(await servicesOf(s.ownOther.id)), ...(await servicesOf(s.foreign.id))]) {
      expect(row.status).toBe("active");
      expect(await auditOf(row.id)).toHaveLength(0);
    }
  });
});

describe("users who have no companies", () => {
  it("answers 403 to a customer organization's own user, whose organization is the company", async () => {
    const s = await scenario();
    const insider = await makeUser({ orgId: s.foreign.id, role: "partner_manager", purchaser: true });
    const cookie = await signIn(insider);
    await expectError(await api("/api/v1/companies", { cookie }), 403, "forbidden");
    await expectError(await api(`/api/v1/companies/${s.foreign.id}`, { cookie }), 403, "forbidden");
    await expectError(await api("/api/v1/companies", { cookie, body: { name: "Nested" } }), 403, "forbidden");
    await expectError(await api(`/api/v1/companies/${s.foreign.id}/plans`, { cookie, body: { plan: "essentials", seats: 1 } }), 403, "forbidden");
    await expectForeignUntouched(s);
  });
});

/** Page twins: the same scope through the HTML routes, with the session's CSRF token. */
describe("another partner's company through the pages", () => {
  it("answers 404 to every page and form post, and changes nothing", async () => {
    const s = await scenario();
    const page = await SELF.fetch(`${ORIGIN}/companies`, { headers: { cookie: s.cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain("Foreign Co");
    const csrf = html.match(/name="_csrf" value="([^"]+)"/)![1]!;

    const f = `/companies/${s.foreign.id}`;
    for (const path of [f, `${f}/handout`, `${f}/handout?format=csv`]) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: s.cookie } });
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain("Foreign Co");
    }
    const posts: [string, Record<string, string>][] = [
      [f, { name: "Hijacked" }],
      [`${f}/terminate`, {}],
      [`${f}/plans`, { plan: "essentials", seats: "3" }],
      [`${f}/plans/${s.foreignPlan.id}`, { seats: "99", autoRenew: "on" }],
      [`${f}/plans/${s.foreignPlan.id}/renew`, {}],
      [`/companies/${s.own.id}/plans/${s.foreignPlan.id}`, { seats: "99" }],
      [`/companies/${s.own.id}/plans/${s.foreignPlan.id}/renew`, {}],
    ];
    for (const kind of SERVICE_KIND_KEYS) {
      const { path, endVerb } = SERVICE_KINDS[kind];
      posts.push(
        [`${f}/${path}`, kind === "eul_user" ? { email: uniqueEmail("x"), name: "X" } : kind === "domain" ? { domain: "hijack.example.com" } : { name: "Hijack" }],
        [`${f}/${path}/${s.foreignServices[kind]!.id}/${endVerb}`, {}],
        [`/companies/${s.own.id}/${path}/${s.foreignServices[kind]!.id}/${endVerb}`, {}],
      );
    }
    for (const [path, fields] of posts) {
      for (const hx of [false, true]) {
        const res = await SELF.fetch(`${ORIGIN}${path}`, {
          method: "POST",
          headers: { cookie: s.cookie, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded", ...(hx ? { "hx-request": "true" } : {}) },
          body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
          redirect: "manual",
        });
        expect(res.status, `${hx ? "htmx " : ""}POST ${path}`).toBe(404);
        expect(await res.text()).not.toContain("Foreign Co");
      }
    }
    await expectForeignUntouched(s);
  });
});
