// F-30…F-33 pages: each role sees exactly the forms and buttons the matrix
// gives it; the forms work without JavaScript (303 back to the page, or the
// page again with field errors and the typed values, 422), and htmx row
// actions answer the fragment to swap with a visible result. Destructive
// actions carry a confirmation.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORIGIN, uniqueEmail } from "../helpers/fixtures";
import { companiesManagedBy, companyRow, makeCompany, makePlan, makeService, planRow, plansOf, serviceRow, servicesOf, sharedTeam, type Team } from "../helpers/companies";
import { flashOf } from "../helpers/portal";

const team = sharedTeam();
type Who = keyof Omit<Team, "orgId">;

async function page(path: string, cookie: string) {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: res.status, html: await res.text(), res };
}

const csrfOf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)![1]!;
const csrfCache = new Map<string, Promise<string>>();
/** The session's CSRF token, as the pages embed it. */
const csrf = (cookie: string) => {
  if (!csrfCache.has(cookie)) csrfCache.set(cookie, page("/account", cookie).then((p) => csrfOf(p.html)));
  return csrfCache.get(cookie)!;
};

async function post(path: string, cookie: string, fields: Record<string, string>, options: { hx?: boolean } = {}) {
  const res = await SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: {
      cookie,
      origin: ORIGIN,
      "content-type": "application/x-www-form-urlencoded",
      ...(options.hx ? { "hx-request": "true", "x-csrf-token": await csrf(cookie) } : {}),
    },
    body: new URLSearchParams(options.hx ? fields : { _csrf: await csrf(cookie), ...fields }).toString(),
    redirect: "manual",
  });
  return { status: res.status, html: await res.text(), location: res.headers.get("location"), flash: flashOf(res) };
}

async function companyWithEverything(t: Team) {
  const company = await makeCompany(t.orgId, { name: `Page Co ${uniqueEmail("p")}` });
  const services = {
    eul_user: await makeService(company.id, "eul_user"),
    team_vmr: await makeService(company.id, "team_vmr"),
    endpoint: await makeService(company.id, "endpoint"),
    domain: await makeService(company.id, "domain"),
  };
  const plan = await makePlan(company.id, { plan: "professional", seats: 10, unitPriceCents: 1900 });
  return { company, services, plan };
}

const ADD_ACTIONS = ["eul-users", "team-vmrs", "endpoints", "domains"];
const END_ACTIONS = { eul_user: "eul-users/%/disable", team_vmr: "team-vmrs/%/deactivate", endpoint: "endpoints/%/disable", domain: "domains/%/terminate" } as const;

describe("what each role sees", () => {
  it("a Read-only user sees companies, services, plans and handout links, but no add, end, edit, terminate, price or order", async () => {
    const t = await team();
    const { company, services, plan } = await companyWithEverything(t);
    const list = await page("/companies", t.read_only.cookie);
    expect(list.status).toBe(200);
    expect(list.html).toContain(company.name);
    expect(list.html).not.toContain('id="add-company"');
    expect(list.html).not.toContain("/terminate");

    const { status, html } = await page(`/companies/${company.id}`, t.read_only.cookie);
    expect(status).toBe(200);
    for (const s of Object.values(services)) expect(html).toContain(s.name);
    expect(html).toContain(`href="/companies/${company.id}/handout"`);
    expect(html).toContain(`href="/companies/${company.id}/handout?format=csv"`);
    expect(html).toContain("Professional");
    for (const path of ADD_ACTIONS) expect(html).not.toContain(`action="/companies/${company.id}/${path}"`);
    for (const [kind, pattern] of Object.entries(END_ACTIONS)) expect(html).not.toContain(pattern.replace("%", services[kind as keyof typeof services].id));
    expect(html).not.toContain(`action="/companies/${company.id}"`);
    expect(html).not.toContain(`action="/companies/${company.id}/terminate"`);
    expect(html).not.toContain(`action="/companies/${company.id}/plans"`);
    expect(html).not.toContain(`/plans/${plan.id}/renew`);
    expect(html).not.toMatch(/EUR|19\.00|190\.00|Price per seat/);
    expect(html).toContain("Prices, orders and renewals are for Purchasers");
  });

  it("a Regular user sees add forms, confirmed end buttons, edit and terminate; plans still without prices", async () => {
    const t = await team();
    const { company, services, plan } = await companyWithEverything(t);
    const list = await page("/companies", t.regular.cookie);
    expect(list.html).toContain('id="add-company"');
    expect(list.html).toContain(`hx-post="/companies/${company.id}/terminate"`);

    const { html } = await page(`/companies/${company.id}`, t.regular.cookie);
    for (const path of ADD_ACTIONS) expect(html).toContain(`action="/companies/${company.id}/${path}"`);
    for (const [kind, pattern] of Object.entries(END_ACTIONS)) {
      const path = `/companies/${company.id}/${pattern.replace("%", services[kind as keyof typeof services].id)}`;
      expect(html).toMatch(new RegExp(`<form method="post" action="${path}" class="inline" data-confirm="[^"]+">`));
      expect(html).toContain(`hx-post="${path}"`);
    }
    expect(html).toContain(`action="/companies/${company.id}"`);
    expect(html).toMatch(new RegExp(`action="/companies/${company.id}/terminate" data-confirm="Terminate`));
    expect(html).not.toMatch(/EUR|Price per seat/);
    expect(html).not.toContain(`action="/companies/${company.id}/plans"`);
    expect(html).not.toContain(`/plans/${plan.id}/renew`);
  });

  it("a Purchaser sees prices, the order form, and edit and renew (confirmed) on each plan", async () => {
    const t = await team();
    const { company, plan } = await companyWithEverything(t);
    const { html } = await page(`/companies/${company.id}`, t.purchaser.cookie);
    expect(html).toContain("Price per seat");
    expect(html).toContain("EUR 19.00");
    expect(html).toContain("EUR 190.00");
    expect(html).toContain(`action="/companies/${company.id}/plans"`);
    expect(html).toContain(`action="/companies/${company.id}/plans/${plan.id}"`);
    expect(html).toMatch(new RegExp(`action="/companies/${company.id}/plans/${plan.id}/renew" class="inline" data-confirm="Renew Professional`));
  });

  it("a terminated company shows no change forms to anyone", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId, { status: "terminated" });
    const service = await makeService(company.id, "team_vmr");
    await makePlan(company.id);
    const { html } = await page(`/companies/${company.id}`, t.purchaser.cookie);
    expect(html).toContain("This company is terminated");
    expect(html).toContain(service.name);
    expect(html).not.toMatch(/method="post" action="\/companies\//);
  });

  it.each<[Who, number]>([["operator", 403]])("%s gets %s on the companies pages", async (who, status) => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    expect((await page("/companies", t[who].cookie)).status).toBe(status);
    expect((await page(`/companies/${company.id}`, t[who].cookie)).status).toBe(status);
  });
});

describe("forms without JavaScript", () => {
  it("adds a company and lands on its page", async () => {
    const t = await team();
    const name = `Form Co ${uniqueEmail("f")}`;
    const res = await post("/companies", t.regular.cookie, { name });
    expect(res.status).toBe(303);
    const created = (await companiesManagedBy(t.orgId)).find((c) => c.name === name)!;
    expect(res.location).toBe(`/companies/${created.id}`);
    expect(res.flash).toBe("Company added.");
    // A new company's empty sections say so in plain sentences, service names in running-text case.
    const { html } = await page(`/companies/${created.id}`, t.regular.cookie);
    for (const none of ["No EUL users yet.", "No Team VMRs yet.", "No endpoint subscriptions yet.", "No hosted domains yet."]) expect(html).toContain(`${none} Add one with the form below.`);
  });

  it("shows the list again with the error and the typed name for a duplicate (422)", async () => {
    const t = await team();
    const taken = await makeCompany(t.orgId, { name: `Taken ${uniqueEmail("t")}` });
    const res = await post("/companies", t.regular.cookie, { name: taken.name.toUpperCase() });
    expect(res.status).toBe(422);
    expect(res.html).toContain("already has an active company with this name");
    expect(res.html).toContain(`value="${taken.name.toUpperCase()}"`);
  });

  it("adds a domain, and refuses a bad one with the error next to the field and the value kept", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const bad = await post(`/companies/${company.id}/domains`, t.regular.cookie, { domain: "not a domain" });
    expect(bad.status).toBe(422);
    expect(bad.html).toMatch(/<p class="error" id="f-domain-domain-error" role="alert">Enter a domain name/);
    expect(bad.html).toContain('value="not a domain"');
    expect(bad.html).toContain("<html");
    const ok = await post(`/companies/${company.id}/domains`, t.regular.cookie, { domain: "Form.Example.com" });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe(`/companies/${company.id}#svc-domain`);
    expect(ok.flash).toBe("Domain hosting added.");
    expect((await servicesOf(company.id)).map((s) => s.name)).toEqual(["form.example.com"]);
  });

  it("disables an EUL user, renames and terminates the company", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const eul = await makeService(company.id, "eul_user");
    const end = await post(`/companies/${company.id}/eul-users/${eul.id}/disable`, t.partner_manager.cookie, {});
    expect(end.status).toBe(303);
    expect((await serviceRow(eul.id))!.status).toBe("ended");
    const rename = await post(`/companies/${company.id}`, t.partner_manager.cookie, { name: "Renamed by form" });
    expect(rename.status).toBe(303);
    expect((await companyRow(company.id))!.name).toBe("Renamed by form");
    const terminate = await post(`/companies/${company.id}/terminate`, t.partner_manager.cookie, {});
    expect(terminate.status).toBe(303);
    expect(terminate.location).toBe(`/companies/${company.id}`);
    expect(terminate.flash).toBe("Company terminated.");
    expect((await companyRow(company.id))!.status).toBe("terminated");
  });

  it("refuses a Read-only user's posts with 403 and changes nothing", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId, { name: `RO ${uniqueEmail("r")}` });
    const vmr = await makeService(company.id, "team_vmr");
    for (const hx of [false, true]) {
      expect((await post(`/companies/${company.id}/team-vmrs`, t.read_only.cookie, { name: "Sneaky" }, { hx })).status).toBe(403);
      expect((await post(`/companies/${company.id}/team-vmrs/${vmr.id}/deactivate`, t.read_only.cookie, {}, { hx })).status).toBe(403);
      expect((await post(`/companies/${company.id}/terminate`, t.read_only.cookie, {}, { hx })).status).toBe(403);
      expect((await post(`/companies/${company.id}`, t.read_only.cookie, { name: "Renamed" }, { hx })).status).toBe(403);
    }
    expect(await servicesOf(company.id)).toEqual([expect.objectContaining({ id: vmr.id, status: "active" })]);
    expect(await companyRow(company.id)).toMatchObject({ name: company.name, status: "active" });
  });

  it("lets a Purchaser order, edit and renew a plan; a non-Purchaser's posts are refused (403)", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const order = await post(`/companies/${company.id}/plans`, t.purchaser.cookie, { plan: "essentials", seats: "3" });
    expect(order.status).toBe(303);
    const [plan] = await plansOf(company.id);
    expect(plan).toMatchObject({ plan: "essentials", seats: 3 });
    const bad = await post(`/companies/${company.id}/plans`, t.purchaser.cookie, { plan: "essentials", seats: "0" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("Order at least 1 seat.");

    const edit = await post(`/companies/${company.id}/plans/${plan!.id}`, t.purchaser.cookie, { seats: "5", autoRenew: "on" });
    expect(edit.status).toBe(303);
    expect(await planRow(plan!.id)).toMatchObject({ seats: 5, autoRenew: true });
    const renew = await post(`/companies/${company.id}/plans/${plan!.id}/renew`, t.purchaser.cookie, {});
    expect(renew.status).toBe(303);
    expect((await planRow(plan!.id))!.renewsAt).toBeGreaterThan(plan!.renewsAt);

    const before = await planRow(plan!.id);
    expect((await post(`/companies/${company.id}/plans`, t.regular.cookie, { plan: "essentials", seats: "1" })).status).toBe(403);
    expect((await post(`/companies/${company.id}/plans/${plan!.id}`, t.partner_manager.cookie, { seats: "9" })).status).toBe(403);
    expect((await post(`/companies/${company.id}/plans/${plan!.id}/renew`, t.read_only.cookie, {})).status).toBe(403);
    expect(await planRow(plan!.id)).toEqual(before);
    expect(await plansOf(company.id)).toHaveLength(1);
  });
});

describe("htmx row actions", () => {
  it("ending a service answers its row with the new status and a message", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const vmr = await makeService(company.id, "team_vmr", { name: "Huddle" });
    const res = await post(`/companies/${company.id}/team-vmrs/${vmr.id}/deactivate`, t.regular.cookie, {}, { hx: true });
    expect(res.status).toBe(200);
    expect(res.html).not.toContain("<html");
    expect(res.html).toMatch(new RegExp(`^<tr id="service-${vmr.id}">`));
    expect(res.html).toContain("Huddle");
    expect(res.html).toContain('<p class="muted" role="status">Deactivated.</p>');
    expect(res.html).not.toContain("hx-post");
    expect((await serviceRow(vmr.id))!.status).toBe("ended");
  });

  it("adding a service answers its section with the new row and a notice; a duplicate answers 422 with the error", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const email = uniqueEmail("hx");
    const res = await post(`/companies/${company.id}/eul-users`, t.regular.cookie, { name: "Hex User", email }, { hx: true });
    expect(res.status).toBe(200);
    expect(res.html).toMatch(/^<section id="svc-eul_user"/);
    expect(res.html).toContain("EUL user added.");
    expect(res.html).toContain(email);
    const dup = await post(`/companies/${company.id}/eul-users`, t.regular.cookie, { name: "Again", email }, { hx: true });
    expect(dup.status).toBe(422);
    expect(dup.html).toMatch(/^<section id="svc-eul_user"/);
    expect(dup.html).toContain("already has an active EUL user with this email address");
    expect(dup.html).toContain('value="Again"');
    expect(await servicesOf(company.id)).toHaveLength(1);
  });

  it("terminating from the list answers the row, terminated", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId, { name: `Row Co ${uniqueEmail("r")}` });
    await makeService(company.id, "domain");
    const res = await post(`/companies/${company.id}/terminate`, t.regular.cookie, { from: "list" }, { hx: true });
    expect(res.status).toBe(200);
    expect(res.html).toMatch(new RegExp(`^<tr id="company-${company.id}">`));
    expect(res.html).toContain("Terminated.");
    expect(res.html).toContain("<td>1</td>");
    expect((await companyRow(company.id))!.status).toBe("terminated");
    const again = await post(`/companies/${company.id}/terminate`, t.regular.cookie, { from: "list" }, { hx: true });
    expect(again.status).toBe(409);
    expect(again.html).toContain("already terminated");
  });

  it("editing and renewing a plan answer its row with a message", async () => {
    const t = await team();
    const company = await makeCompany(t.orgId);
    const plan = await makePlan(company.id, { seats: 10 });
    const edit = await post(`/companies/${company.id}/plans/${plan.id}`, t.purchaser.cookie, { seats: "11" }, { hx: true });
    expect(edit.status).toBe(200);
    expect(edit.html).toMatch(new RegExp(`^<tr id="plan-${plan.id}">`));
    expect(edit.html).toContain("Saved.");
    expect(edit.html).toContain("EUR 209.00");
    const bad = await post(`/companies/${company.id}/plans/${plan.id}`, t.purchaser.cookie, { seats: "lots" }, { hx: true });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("Enter the number of seats.");
    const renew = await post(`/companies/${company.id}/plans/${plan.id}/renew`, t.purchaser.cookie, {}, { hx: true });
    expect(renew.status).toBe(200);
    expect(renew.html).toMatch(/Renewed until \d{4}-\d\d-\d\d\./);
    expect(await planRow(plan.id)).toMatchObject({ seats: 11, autoRenew: false });
  });
});

describe("list page", () => {
  it("searches, treats an empty status as any, and pages", async () => {
    const t = await team();
    const marker = `Findable ${uniqueEmail("f")}`;
    await makeCompany(t.orgId, { name: marker });
    const { html } = await page(`/companies?q=${encodeURIComponent(marker)}&status=`, t.read_only.cookie);
    expect(html).toContain(marker);
    expect(html).toContain("1 company");
    expect(html).toContain(`value="${marker}"`);
  });
});
