// Issue 9, point 2: what a request costs in bindings. Every GET route of the
// app (from Hono's own route table, so a new route must join this walk) and
// the hot write path POST /api/v1/collect are called through the Worker's
// fetch with D1 and KV wrapped in counters. An authenticated page or API call
// may read KV once (the session) and reach D1 twice (the session's account
// read, then one db.batch() for everything the handler needs); a GET whose
// isolate already holds the session needs neither the KV read nor the
// separate account read (held-check.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { measured, meter, type IoCount } from "../helpers/io-count";
import { readRoutes, routeKey, type RouteEntry } from "../helpers/route-table";
import { api, db, makeOperator, signIn, type TestUser } from "../helpers/fixtures";
import { makeMetaSite, makeSite, seedStats } from "../helpers/analytics";
import { makeTag } from "../helpers/analytics-workspace";
import { makeCompany, makePlan } from "../helpers/companies";
import { insertGrant, makeChannelPartner, makeCustomerOrg, makeVerifiedUser } from "../helpers/partners";
import { users } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";

const BUDGET = { kvReads: 1, d1: 2 };
const USERS_IN_ORG = 50;
const REPORT_DAYS = 90;

interface World {
  pm: TestUser;
  pmCookie: string;
  opCookie: string;
  customerCookie: string;
  token: string;
  ids: Record<string, string>;
}
let w: World;

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${r.status} ${text}`);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  const partner = await makeChannelPartner();
  const pm = await makeVerifiedUser({ orgId: partner.id, role: "partner_manager", purchaser: true, analyticsAccess: "Y", analyticsOwner: true, analyticsAdmin: true });
  // The rest of a 50-person organization, written in bulk (no sign-in needed).
  const now = Date.now();
  const others = Array.from({ length: USERS_IN_ORG - 1 }, (_, i) => ({
    id: newId(),
    orgId: partner.id,
    email: `member-${i}-${newId().slice(0, 6)}@example.com`,
    name: `Member ${i}`,
    role: "regular" as const,
    status: "active" as const,
    createdAt: now,
    updatedAt: now,
  }));
  // Six rows a statement: D1 binds at most 100 parameters.
  for (let i = 0; i < others.length; i += 6) await db().insert(users).values(others.slice(i, i + 6));

  const customer = await makeCustomerOrg();
  const customerPm = await makeVerifiedUser({ orgId: customer.id, role: "partner_manager" });
  await insertGrant(customer.id, pm);
  const op = await makeOperator();
  const [pmCookie, opCookie, customerCookie] = [await signIn(pm), await signIn(op), await signIn(customerPm)];

  const site = await makeSite(partner.id);
  const meta = await makeMetaSite(partner.id, [site.id]);
  const tag = await makeTag(site.id);
  const days = Array.from({ length: REPORT_DAYS }, (_, i) => ({ day: new Date(now - i * 86_400_000).toISOString().slice(0, 10), visits: 10 + i, events: 20 + i }));
  for (let i = 0; i < days.length; i += 15) await seedStats(site.id, days.slice(i, i + 15));
  const company = await makeCompany(partner.id);
  const plan = await makePlan(company.id);

  const call = (method: string, path: string, body?: unknown) => api(path, { method, body, cookie: pmCookie });
  const { licenseKey } = await json<{ licenseKey: { id: string } }>(call("POST", "/api/v1/analytics/license-keys", { key: "LK-BUDGET-1", label: "Budget" }));
  const { campaign } = await json<{ campaign: { id: string } }>(call("POST", "/api/v1/analytics/campaigns", { name: "Budget campaign", message: "Hi there" }));
  await json(call("POST", `/api/v1/analytics/meta-sites/${meta.id}/segments`, { name: "All", siteIds: [site.id] }));
  const { review } = await json<{ review: { id: string } }>(call("POST", "/api/v1/access-reviews"));
  const token = await json<{ secret: string }>(call("POST", "/api/v1/tokens", { name: "bench" }));

  w = {
    pm,
    pmCookie,
    opCookie,
    customerCookie,
    token: token.secret,
    ids: {
      site: site.id,
      meta: meta.id,
      tag: tag.id,
      company: company.id,
      plan: plan.id,
      licenseKey: licenseKey.id,
      campaign: campaign.id,
      review: review.id,
      partnerOrg: partner.id,
      customerOrg: customer.id,
      member: others[0]!.id,
      siteKey: site.siteKey,
    },
  };
});

/** Who calls a route: operators' areas, a customer's partner pages, everyone else the partner's manager. */
function callerOf(path: string): "operator" | "customer" | "partner manager" | "nobody" {
  if (PUBLIC.has(path)) return "nobody";
  if (/^\/(api\/v1\/)?(orgs|jobs)\b/.test(path) || path.endsWith("/status")) return "operator";
  if (/^\/(api\/v1\/)?partners\b/.test(path)) return "customer";
  return "partner manager";
}

/** Routes anyone may open; their cost is held to the same budget. */
const PUBLIC = new Set([
  "/healthz",
  "/api/v1/openapi.json",
  "/api/docs",
  "/setup",
  "/login",
  "/login/two-factor",
  "/activate",
  "/forgot-password",
  "/reset-password",
  "/privacy",
  "/keep-account",
  "/dev/mail",
  "/dev/mail.json",
]);

/** An analytics member opening the invitation page is sent on to the workspace. */
const EXPECTED_STATUS: Record<string, number> = { "/analytics/accept": 303 };

/** A real id for each route parameter, by the resource the path names. */
function samplePath(route: RouteEntry): string {
  const id = (resource: string) => {
    const ids = w.ids;
    const byResource: Record<string, string | undefined> = {
      sites: ids.site,
      "meta-sites": ids.meta,
      tags: ids.tag,
      companies: ids.company,
      plans: ids.plan,
      "license-keys": ids.licenseKey,
      campaigns: ids.campaign,
      "access-reviews": ids.review,
      "access-review": ids.review,
      orgs: ids.partnerOrg,
      organizations: ids.partnerOrg,
      partners: ids.partnerOrg,
      "partner-dashboard": ids.customerOrg,
      users: ids.member,
    };
    const found = byResource[resource];
    if (!found) throw new Error(`no sample id for a ${resource} parameter in ${routeKey(route)}: add one to samplePath`);
    return found;
  };
  const parts = route.path.split("/");
  return parts.map((part, i) => (part.startsWith(":") ? id(parts[i - 1]!) : part)).join("/");
}

const cookieOf = (path: string) => {
  const caller = callerOf(path);
  return caller === "operator" ? w.opCookie : caller === "customer" ? w.customerCookie : caller === "partner manager" ? w.pmCookie : undefined;
};

const describeTrips = (count: IoCount) => `${count.d1} D1 round trips:\n  ${count.trips.map((t) => t.slice(0, 160)).join("\n  ")}`;

function expectWithinBudget(count: IoCount, budget = BUDGET) {
  expect(count.kvReads, `${count.kvReads} KV reads`).toBeLessThanOrEqual(budget.kvReads);
  expect(count.d1, describeTrips(count)).toBeLessThanOrEqual(budget.d1);
}

describe("every GET route stays within 1 KV read and 2 D1 round trips", () => {
  const routes = readRoutes();

  it("walks the whole route table (more than 90 GET routes)", () => {
    expect(routes.length).toBeGreaterThan(90);
  });

  it.each(routes.map((r) => [routeKey(r), r] as const))("%s", async (_key, route) => {
    const path = samplePath(route);
    const cookie = cookieOf(path);
    const { res, inRequest } = await measured(path, { headers: cookie ? { cookie } : {} });
    // Authenticated routes must answer their real page or JSON, not a refusal that skipped the work.
    if (cookie) expect(res.status, `${path} as ${callerOf(path)}`).toBe(EXPECTED_STATUS[path] ?? 200);
    expectWithinBudget(inRequest);
  });
});

describe("the issue's benchmark routes, with their data", () => {
  it(`GET /api/v1/users lists ${USERS_IN_ORG} users within budget`, async () => {
    const { res, body, inRequest } = await measured(`/api/v1/users?pageSize=${USERS_IN_ORG}`, { headers: { cookie: w.pmCookie } });
    expect(res.status).toBe(200);
    expect((JSON.parse(body) as { items: unknown[] }).items).toHaveLength(USERS_IN_ORG);
    expectWithinBudget(inRequest);
  });

  it(`the users page shows ${USERS_IN_ORG} users within budget`, async () => {
    const { res, body, inRequest } = await measured(`/users?pageSize=${USERS_IN_ORG}`, { headers: { cookie: w.pmCookie } });
    expect(res.status).toBe(200);
    expect(body).toContain("Member 48");
    expectWithinBudget(inRequest);
  });

  it(`a ${REPORT_DAYS}-day site report within budget, by session and by Bearer token`, async () => {
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const path = `/api/v1/reports/sites/${w.ids.site}?from=${day(REPORT_DAYS - 1)}&to=${day(0)}`;
    for (const headers of [{ cookie: w.pmCookie }, { authorization: `Bearer ${w.token}` }] as Record<string, string>[]) {
      const { res, body, inRequest } = await measured(path, { headers });
      expect(res.status, body).toBe(200);
      expect((JSON.parse(body) as { rows: unknown[] }).rows).toHaveLength(REPORT_DAYS);
      expectWithinBudget(inRequest, headers.authorization ? { kvReads: 0, d1: 2 } : BUDGET);
    }
  });

  it("with the session held by a warm isolate, each signed-in benchmark route costs no KV read and one D1 round trip", async () => {
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const range = `from=${day(REPORT_DAYS - 1)}&to=${day(0)}`;
    const warm = meter();
    const paths = ["/api/v1/me", `/api/v1/users?pageSize=${USERS_IN_ORG}`, `/users?pageSize=${USERS_IN_ORG}`, `/api/v1/reports/sites/${w.ids.site}?${range}`, `/analytics/sites/${w.ids.site}/report?${range}`];
    await measured(paths[0]!, { headers: { cookie: w.pmCookie } }, warm);
    for (const path of paths) {
      const { res, body, inRequest } = await measured(path, { headers: { cookie: w.pmCookie } }, warm);
      expect(res.status, `${path}: ${body.slice(0, 200)}`).toBe(200);
      expectWithinBudget(inRequest, { kvReads: 0, d1: 1 });
    }
  });

  it("with the API token held by a warm isolate, a Bearer report costs one D1 round trip", async () => {
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const path = `/api/v1/reports/sites/${w.ids.site}?from=${day(REPORT_DAYS - 1)}&to=${day(0)}`;
    const headers = { authorization: `Bearer ${w.token}` };
    const warm = meter();
    await measured(path, { headers }, warm);
    const { res, body, inRequest } = await measured(path, { headers }, warm);
    expect(res.status, body).toBe(200);
    expectWithinBudget(inRequest, { kvReads: 0, d1: 1 });
  });

  it("the sign-in page reads neither D1 nor KV (the first-run redirect lives on /)", async () => {
    const { res, body, inRequest } = await measured("/login");
    expect(res.status).toBe(200);
    expect(body).toContain("<form");
    expectWithinBudget(inRequest, { kvReads: 0, d1: 0 });
  });

  it("POST /api/v1/collect records a hit with no KV read and one D1 round trip", async () => {
    const { res, inRequest } = await measured("/api/v1/collect", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://customer.example" },
      body: JSON.stringify({ siteKey: w.ids.siteKey, type: "pageview" }),
    });
    expect(res.status).toBeLessThan(300);
    expectWithinBudget(inRequest, { kvReads: 0, d1: 1 });
  });
});
