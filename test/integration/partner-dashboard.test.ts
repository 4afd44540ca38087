// F-65: the partner dashboard's numbers against known seeded data, capacity
// without prices, and isolation: only customers whose grant to this very
// user holds are reachable, everything else answers like nothing exists.
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError, makeUser, signIn } from "../helpers/fixtures";
import { makeSite, seedStats } from "../helpers/analytics";
import { findPriceFields, makePlan } from "../helpers/companies";
import { DAY, insertGrant, makeChannelPartner, makeCustomerOrg, signedVerified, type Signed } from "../helpers/partners";

const day = (offset: number) => new Date(Date.now() - offset * DAY).toISOString().slice(0, 10);

interface Card {
  org: { id: string; name: string };
  grantedAt: string;
  expiresAt: string | null;
  stats: {
    sites: number;
    visits30d: number;
    events30d: number;
    visitsPrev30d: number;
    eventsPrev30d: number;
    trend: { day: string; visits: number; events: number }[];
    activeSites30d: number;
  };
  capacity: { plan: string; label: string; seats: number; status: string; renewsAt: string }[];
}
type Dashboard = { window: { from: string; to: string }; customers: Card[] };
type Detail = { customer: Card; sites: { id: string; name: string; kind: string; visits30d: number; events30d: number }[] };

let alice: Signed;
let bob: Signed;
let customer: { id: string; name: string };
let other: { id: string; name: string };
let sites: { shop: { id: string }; app: { id: string }; idle: { id: string } };
const renewsAt = Date.UTC(2031, 5, 1);
const expiresAt = Date.now() + 90 * DAY;

beforeAll(async () => {
  const partner = await makeChannelPartner();
  [alice, bob] = await Promise.all([signedVerified(partner.id, "regular"), signedVerified(partner.id, "read_only")]);
  customer = await makeCustomerOrg({ name: "Zeta Customer" });
  other = await makeCustomerOrg({ name: "Alpha Customer" });
  const ungranted = await makeCustomerOrg({ name: "Hidden Customer" });

  const [shop, app, idle, otherSite, hiddenSite] = await Promise.all([
    makeSite(customer.id, { name: "Shop" }),
    makeSite(customer.id, { name: "Mobile", kind: "app" }),
    makeSite(customer.id, { name: "Idle" }),
    makeSite(other.id, { name: "Other" }),
    makeSite(ungranted.id, { name: "Hidden" }),
  ]);
  sites = { shop, app, idle };
  await Promise.all([
    // Last 30 days: today (0) through 29 days ago; the 30 before: 30…59; 60 is outside both.
    seedStats(shop.id, [
      { day: day(0), visits: 10, events: 20 },
      { day: day(29), visits: 5, events: 1 },
      { day: day(30), visits: 100, events: 200 },
      { day: day(59), visits: 7, events: 3 },
      { day: day(60), visits: 9_999, events: 9_999 },
    ]),
    // Two license-key rows of the same day add up.
    seedStats(app.id, [
      { day: day(3), visits: 4, events: 6, licenseKey: "" },
      { day: day(3), visits: 1, events: 2, licenseKey: "LK-1" },
    ]),
    // Idle: only zero rows recently, and traffic long ago: not active.
    seedStats(idle.id, [
      { day: day(1), visits: 0, events: 0 },
      { day: day(45), visits: 2, events: 2 },
    ]),
    seedStats(otherSite.id, [{ day: day(2), visits: 1_000, events: 1_000 }]),
    seedStats(hiddenSite.id, [{ day: day(2), visits: 555, events: 555 }]),
    makePlan(customer.id, { plan: "enterprise", seats: 25, unitPriceCents: 3900, renewsAt }),
    makePlan(customer.id, { plan: "essentials", seats: 3, status: "expired", renewsAt: Date.UTC(2024, 0, 1) }),
    makePlan(ungranted.id, { plan: "professional", seats: 999 }),
    insertGrant(customer.id, alice.user, { expiresAt, createdAt: Date.UTC(2025, 0, 2) }),
    insertGrant(other.id, alice.user),
  ]);
});

const dashboard = async (cookie: string) => {
  const res = await api("/api/v1/partner-dashboard", { cookie });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Dashboard;
};

describe("partner dashboard (F-65)", () => {
  it("lists every customer whose grant holds, by name, with the statistics of the last 30 days and the 30 before", async () => {
    const { customers, window } = await dashboard(alice.cookie);
    expect(customers.map((c) => c.org.name)).toEqual(["Alpha Customer", "Zeta Customer"]);
    expect(window).toEqual({ from: day(29), to: day(0) });
    const card = customers[1]!;
    expect(card.org).toEqual({ id: customer.id, name: "Zeta Customer" });
    expect(card.grantedAt).toBe("2025-01-02T00:00:00.000Z");
    expect(card.expiresAt).toBe(new Date(expiresAt).toISOString());
    const { trend, ...numbers } = card.stats;
    expect(numbers).toEqual({ sites: 3, visits30d: 10 + 5 + 4 + 1, events30d: 20 + 1 + 6 + 2, visitsPrev30d: 100 + 7 + 2, eventsPrev30d: 200 + 3 + 2, activeSites30d: 2 });
    expect(customers[0]!.stats).toMatchObject({ sites: 1, visits30d: 1_000, events30d: 1_000, activeSites30d: 1 });
  });

  it("the trend has the last 30 days, oldest first, zero-filled", async () => {
    const card = (await dashboard(alice.cookie)).customers.find((c) => c.org.id === customer.id)!;
    expect(card.stats.trend).toHaveLength(30);
    expect(card.stats.trend.map((t) => t.day)).toEqual(Array.from({ length: 30 }, (_, i) => day(29 - i)));
    expect(card.stats.trend[29]).toEqual({ day: day(0), visits: 10, events: 20 });
    expect(card.stats.trend[26]).toEqual({ day: day(3), visits: 5, events: 8 });
    expect(card.stats.trend[0]).toEqual({ day: day(29), visits: 5, events: 1 });
    expect(card.stats.trend[10]).toEqual({ day: day(19), visits: 0, events: 0 });
  });

  it("shows licensed capacity without any price", async () => {
    const body = await dashboard(alice.cookie);
    const card = body.customers.find((c) => c.org.id === customer.id)!;
    expect(card.capacity).toEqual([
      { plan: "enterprise", label: "Enterprise", seats: 25, status: "active", renewsAt: new Date(renewsAt).toISOString() },
      { plan: "essentials", label: "Essentials", seats: 3, status: "expired", renewsAt: "2024-01-01T00:00:00.000Z" },
    ]);
    expect(findPriceFields(body)).toEqual([]);
  });

  it("one customer's detail has per-site totals for the last 30 days", async () => {
    const res = await api(`/api/v1/partner-dashboard/${customer.id}`, { cookie: alice.cookie });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Detail;
    expect(body.customer.stats.visits30d).toBe(20);
    expect(body.sites).toEqual([
      { id: sites.shop.id, name: "Shop", kind: "site", visits30d: 15, events30d: 21 },
      { id: sites.app.id, name: "Mobile", kind: "app", visits30d: 5, events30d: 8 },
      { id: sites.idle.id, name: "Idle", kind: "site", visits30d: 0, events30d: 0 },
    ]);
    expect(findPriceFields(body)).toEqual([]);
    // Nothing else of the customer: no site URLs or keys.
    expect(JSON.stringify(body)).not.toMatch(/siteKey|sk_|https:\/\/example\.com/);
  });
});

describe("isolation", () => {
  it("a customer without a grant to this user answers 404, exactly like one that does not exist", async () => {
    const unknown = await api("/api/v1/partner-dashboard/no-such-org", { cookie: alice.cookie });
    expect(unknown.status).toBe(404);
    const unknownBody = await unknown.text();
    const ungranted = (await makeCustomerOrg()).id;
    for (const id of [ungranted, alice.user.orgId]) {
      const res = await api(`/api/v1/partner-dashboard/${id}`, { cookie: alice.cookie });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(unknownBody);
    }
  });

  it("a grant to another user of the same partner organization does not leak to a colleague", async () => {
    expect((await dashboard(bob.cookie)).customers).toEqual([]);
    await expectError(await api(`/api/v1/partner-dashboard/${customer.id}`, { cookie: bob.cookie }), 404, "not_found");
  });

  it("a user without any grant sees an empty dashboard", async () => {
    const lone = await signedVerified((await makeChannelPartner()).id, "partner_manager");
    expect((await dashboard(lone.cookie)).customers).toEqual([]);
  });

  it("customer and operator accounts have no partner dashboard (403)", async () => {
    const customerUser = await signedVerified(customer.id, "partner_manager");
    await expectError(await api("/api/v1/partner-dashboard", { cookie: customerUser.cookie }), 403, "forbidden");
    await expectError(await api(`/api/v1/partner-dashboard/${customer.id}`, { cookie: customerUser.cookie }), 403, "forbidden");
    const operator = await makeUser({ role: "operator" });
    await expectError(await api("/api/v1/partner-dashboard", { cookie: await signIn(operator) }), 403, "forbidden");
  });

  it("needs a session (401)", async () => {
    await expectError(await api("/api/v1/partner-dashboard"), 401, "unauthenticated");
  });
});
