// What every main page owes its users (issue 8, points 2 and 3), checked on
// the HTML the server sends with data in every list: each htmx action shows
// progress and cannot be sent twice, destructive actions ask first (with and
// without htmx), every field has a label, ids are unique, dates carry their
// machine-readable time for localizing; errors and row outcomes are
// announced; empty lists say what to do.
import { describe, expect, it } from "vitest";
import { makeMetaSite, makeSite } from "../helpers/analytics";
import { makeBlock, makeCampaign, makeLicenseKey } from "../helpers/analytics-modules";
import { makeTag } from "../helpers/analytics-workspace";
import { makeCompany, makePlan, makeService } from "../helpers/companies";
import { api, makeOperator, makeOrg, makeUser, PASSWORD, signIn, uniqueEmail } from "../helpers/fixtures";
import { formOnPage, withCookies } from "../helpers/audit-scenarios.pages";
import { insertGrant, makeChannelPartner, makeCustomerOrg } from "../helpers/partners";
import { csrfFrom, formPost, page } from "../helpers/portal";
import { duplicateIds, elements, hxActions, hxActionsInForms, hxActionTargets, hxPath, pageHtml, unlabelledControls } from "../helpers/ui";

/** Actions that end, remove or revoke something: each must ask before it is sent. */
const DESTRUCTIVE = /\/(deactivate|delete|revoke|terminate|reset-2fa|remove|revoke-all)$/;

interface World {
  manager: string;
  purchaser: string;
  operator: string;
  customer: string;
  /** Pages to check, each with the cookie of an account that sees its actions. */
  pages: [path: string, cookie: string][];
}

/**
 * A partner organization with something in every list: users (one invited),
 * a company with services and a plan, a pending request, analytics sites,
 * tags, a meta site, keys, campaigns, blocks and a token; a customer that
 * granted a partner user access; an operator.
 */
async function makeWorld(): Promise<World> {
  const org = await makeOrg({ kind: "partner", channelPartner: true });
  const pm = await makeUser({ orgId: org.id, role: "partner_manager", analyticsAccess: "Y", analyticsOwner: true, analyticsAdmin: true });
  const regular = await makeUser({ orgId: org.id, role: "regular", analyticsAccess: "Y" });
  await makeUser({ orgId: org.id, role: "read_only", analyticsAccess: "I" });
  await makeUser({ orgId: org.id, role: "regular", status: "deactivated" });
  const buyer = await makeUser({ orgId: org.id, role: "regular", purchaser: true });
  const [manager, purchaser, operator] = await Promise.all([signIn(pm), signIn(buyer), signIn(await makeOperator())]);

  const token = await csrfFrom("/users", manager);
  expect((await formPost("/users", { email: uniqueEmail("invitee"), name: "Ivy Invitee", role: "regular" }, { cookie: manager, token })).status).toBe(303);
  expect((await formPost("/requests", { kind: "purchaser", userId: regular.id }, { cookie: manager, token })).status).toBe(303);
  expect((await formPost("/access-review", {}, { cookie: manager, token })).status).toBe(303);

  const company = await makeCompany(org.id, { name: "Initech" });
  for (const kind of ["eul_user", "team_vmr", "endpoint", "domain"] as const) await makeService(company.id, kind);
  await makePlan(company.id);

  const site = await makeSite(org.id, { name: "Main site" });
  await makeTag(site.id);
  const meta = await makeMetaSite(org.id, [site.id], { name: "All sites" });
  await Promise.all([makeLicenseKey(org.id), makeCampaign(org.id), makeCampaign(org.id, { status: "active" }), makeBlock(org.id)]);
  expect((await api("/api/v1/tokens", { cookie: manager, body: { name: "Nightly export" }, headers: { origin: "https://portico.test" } })).status).toBe(201);

  const customerOrg = await makeCustomerOrg();
  const customerUser = await makeUser({ orgId: customerOrg.id, role: "partner_manager" });
  const partnerOrg = await makeChannelPartner();
  await insertGrant(customerOrg.id, await makeUser({ orgId: partnerOrg.id, role: "regular" }));
  const customer = await signIn(customerUser);

  const reviewId = (await elements(await pageHtml("/access-review", manager), "form[action*='/items/']")).map((f) => f.attrs.action!.split("/")[2])[0];
  return {
    manager,
    purchaser,
    operator,
    customer,
    pages: [
      ["/", manager],
      ["/", operator],
      ["/users", manager],
      ["/invitations", manager],
      ["/requests", manager],
      ["/companies", manager],
      [`/companies/${company.id}`, manager],
      [`/companies/${company.id}`, purchaser],
      ["/access-review", manager],
      ...(reviewId ? ([[`/access-review/${reviewId}`, manager]] as [string, string][]) : []),
      ["/analytics", manager],
      [`/analytics/sites/${site.id}`, manager],
      [`/analytics/meta-sites/${meta.id}`, manager],
      ["/analytics/users", manager],
      [`/analytics/users/${regular.id}`, manager],
      ["/analytics/tokens", manager],
      ["/analytics/license-keys", manager],
      ["/analytics/campaigns", manager],
      ["/analytics/blocks", manager],
      ["/analytics/settings", manager],
      ["/analytics/billing", manager],
      ["/audit", manager],
      ["/account", manager],
      ["/orgs", operator],
      [`/orgs/${org.id}`, operator],
      ["/requests", operator],
      ["/jobs", operator],
      ["/access-review/status", operator],
      ["/partners", customer],
    ],
  };
}

let world: Promise<World> | undefined;
const shared = () => (world ??= makeWorld());

describe("every main page", () => {
  it("has data in its lists (the checks below look at real rows)", async () => {
    const w = await shared();
    const html = await pageHtml("/users", w.manager);
    expect((await hxActions(html)).length).toBeGreaterThan(5);
  });

  it("gives every htmx action a loading indicator and disables it while the request runs", async () => {
    const w = await shared();
    const missing: string[] = [];
    let seen = 0;
    for (const [path, cookie] of w.pages) {
      for (const el of await hxActions(await pageHtml(path, cookie))) {
        seen++;
        if (!el.attrs["hx-indicator"] || !el.attrs["hx-disabled-elt"]) missing.push(`${path}: ${hxPath(el)}`);
      }
    }
    expect(seen).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  it("gives every htmx action a target to swap with the answer, its own or its table's", async () => {
    const w = await shared();
    const aimless: string[] = [];
    for (const [path, cookie] of w.pages) {
      for (const a of await hxActionTargets(await pageHtml(path, cookie))) if (!a.target || !a.swap) aimless.push(`${path}: ${a.path} (target ${a.target}, swap ${a.swap})`);
    }
    expect(aimless).toEqual([]);
  });

  it("puts every htmx action on a submit button inside a form posting to the same address, so it works without JavaScript", async () => {
    const w = await shared();
    const stranded: string[] = [];
    for (const [path, cookie] of w.pages) {
      for (const a of await hxActionsInForms(await pageHtml(path, cookie))) {
        if (a.tag !== "button" || a.type !== "submit" || a.form !== a.path) stranded.push(`${path}: <${a.tag}> ${a.path} in form ${a.form}`);
      }
    }
    expect(stranded).toEqual([]);
  });

  it("asks before a destructive action: data-confirm on the form (plain post) and hx-confirm on its htmx button", async () => {
    const w = await shared();
    const unasked: string[] = [];
    let destructive = 0;
    for (const [path, cookie] of w.pages) {
      const html = await pageHtml(path, cookie);
      for (const form of await elements(html, "form[action]")) {
        if (!DESTRUCTIVE.test(form.attrs.action!)) continue;
        destructive++;
        if (!form.attrs["data-confirm"]) unasked.push(`${path}: form ${form.attrs.action}`);
      }
      for (const el of await hxActions(html)) if (DESTRUCTIVE.test(hxPath(el)) && !el.attrs["hx-confirm"]) unasked.push(`${path}: htmx ${hxPath(el)}`);
    }
    expect(destructive).toBeGreaterThan(10);
    expect(unasked).toEqual([]);
  });

  it("labels every field, and uses each id once", async () => {
    const w = await shared();
    const problems: string[] = [];
    for (const [path, cookie] of w.pages) {
      const html = await pageHtml(path, cookie);
      for (const control of await unlabelledControls(html)) problems.push(`${path}: unlabelled ${control}`);
      for (const id of await duplicateIds(html)) problems.push(`${path}: duplicate id ${id}`);
    }
    expect(problems).toEqual([]);
  });

  it("writes every date as <time datetime> in ISO-8601 UTC for the browser to show in its own locale", async () => {
    const w = await shared();
    let times = 0;
    for (const [path, cookie] of w.pages) {
      for (const time of await elements(await pageHtml(path, cookie), "time")) {
        times++;
        expect(time.attrs.datetime, path).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(time.attrs["data-local"], path).toBe("datetime");
        expect(time.text, path).toMatch(/ UTC$/);
      }
    }
    expect(times).toBeGreaterThan(10);
  });
});

describe("errors and outcomes are announced", () => {
  it("a form field with an error is aria-invalid and described by its message, which is an alert", async () => {
    const w = await shared();
    const token = await csrfFrom("/users", w.manager);
    const res = await formPost("/users", { email: "not-an-email", name: "Nia Name", role: "regular" }, { cookie: w.manager, token });
    expect(res.status).toBe(422);
    const html = await res.text();
    const [email] = await elements(html, "#invite input[name=email]");
    expect(email?.attrs["aria-invalid"]).toBe("true");
    expect(email?.attrs.value).toBe("not-an-email");
    const describedBy = email!.attrs["aria-describedby"]!.split(" ");
    const messages = await elements(html, describedBy.map((id) => `#${id}`).join(", "));
    const alert = messages.find((m) => m.attrs.role === "alert");
    expect(alert?.text).toBeTruthy();
  });

  it("an htmx row action answers with its row, the outcome inside it as role=status for the live region", async () => {
    const w = await shared();
    const orgUsers = await elements(await pageHtml("/users", w.manager), "button[hx-post$='/reinvite']");
    expect(orgUsers.length).toBeGreaterThan(0);
    const path = hxPath(orgUsers[0]!);
    const token = await csrfFrom("/users", w.manager);
    const res = await formPost(path, {}, { cookie: w.manager, token, htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<tr id="user-/);
    const [status] = await elements(html, "[role=status]");
    expect(status?.text).toBe("Invitation sent again.");
  });
});

describe("empty lists say what to do", () => {
  it("companies: a Partner Manager is pointed at the add form, a Read-only user at who can add", async () => {
    const org = await makeOrg({ kind: "partner" });
    const [pm, reader] = await Promise.all([makeUser({ orgId: org.id, role: "partner_manager" }), makeUser({ orgId: org.id, role: "read_only" })]);
    const [pmHtml, readerHtml] = await Promise.all([pageHtml("/companies", await signIn(pm)), pageHtml("/companies", await signIn(reader))]);
    expect((await elements(pmHtml, ".empty")).map((e) => e.text)).toEqual(["Your organization has no companies yet. Add the first one with the form below."]);
    expect((await elements(readerHtml, ".empty")).map((e) => e.text)).toEqual(["Your organization has no companies yet. A Regular User or Partner Manager can add them."]);
    expect(await elements(pmHtml, "main table")).toHaveLength(0);
  });

  it("a search with no match offers the way back to the whole list", async () => {
    const org = await makeOrg({ kind: "partner" });
    const html = await pageHtml("/companies?q=nothing-like-this", await signIn(await makeUser({ orgId: org.id, role: "regular" })));
    expect((await elements(html, ".empty p")).map((p) => p.text)).toEqual(["No company matches this search.", "Show all companies"]);
    expect(await elements(html, ".empty a[href='/companies']")).toHaveLength(1);
  });

  it("partners, API tokens and invitations each name the next step", async () => {
    const customerOrg = await makeCustomerOrg();
    const customer = await signIn(await makeUser({ orgId: customerOrg.id, role: "partner_manager" }));
    expect((await elements(await pageHtml("/partners", customer), ".empty"))[0]?.text).toMatch(/^You have not given any partner access yet\. Give access below/);

    const org = await makeOrg({ kind: "partner" });
    const pm = await signIn(await makeUser({ orgId: org.id, role: "partner_manager", analyticsAccess: "Y", analyticsOwner: true }));
    expect((await elements(await pageHtml("/analytics/tokens", pm), ".empty"))[0]?.text).toBe("You have no API tokens yet. Create one below to read reports from a script.");
    const invitations = await elements(await pageHtml("/invitations", pm), ".empty a[href='/users#invite']");
    expect(invitations).toHaveLength(1);
  });
});

describe("without JavaScript", () => {
  it("two-factor enrollment names its authenticator link for the browser's QR code, and prints the key to type", async () => {
    const user = await makeUser({ status: "pending_2fa", totpSecretEnc: null });
    const login = await formOnPage("/login", "", "/login", "form");
    const res = await formPost("/login", { email: user.email, password: PASSWORD }, login);
    expect(res.headers.get("location")).toBe("/login/two-factor");
    const html = await (await page("/login/two-factor", withCookies(login.cookie, res))).text();
    const [qr] = await elements(html, ".qr");
    // HTMLRewriter hands attribute values over as written, entities included.
    const uri = new URL(qr!.attrs["data-otpauth"]!.replaceAll("&amp;", "&"));
    expect(uri.protocol).toBe("otpauth:");
    expect(qr!.attrs["data-qr-module"]).toMatch(/^\/build\/uqr\.[0-9a-f]{12}\.mjs$/);
    const [key] = await elements(html, ".secret");
    expect(key!.text.replace(/\s+/g, "")).toBe(uri.searchParams.get("secret"));
  });

  it("deleting a user opens a confirmation page (the form is a GET there), and the page's own form posts", async () => {
    const w = await shared();
    const [form] = await elements(await pageHtml("/users", w.manager), "form[action$='/delete']");
    expect(form?.attrs.method).toBe("get");
    const confirm = await page(form!.attrs.action!, w.manager);
    expect(confirm.status).toBe(200);
    const [post] = await elements(await confirm.text(), "main form[method=post]");
    expect(post?.attrs.action).toBe(form!.attrs.action);
  });
});
