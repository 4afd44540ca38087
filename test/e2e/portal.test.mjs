// End-to-end: Debian's Chromium drives a real `wrangler dev` (port 8788,
// fresh D1/KV) through the portal as its people use it. The flows build on
// each other in order (setup → onboarding → invitations → roles …), so a
// failed flow skips the ones after it instead of failing them confusingly.
// Every main page visited is screenshotted to test-results/screenshots/ and
// checked with axe-core (no serious or critical violation).
//
// Run: npm run test:e2e
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PASSWORD, account, activateFromMail, assertHeading, freshCode, linkFromMail, signIn } from "./support/accounts.mjs";
import { PHONE, RESULTS_DIR, SCREENSHOTS_DIR, checkPage, failureShots, launchChromium, openPerson, tally, visit } from "./support/browser.mjs";
import { startPortal } from "./support/server.mjs";

const PORT = 8788;
const started = Date.now();

let portal;
let startupMs = 0;
let browser;
let browserLaunch;

/** Everyone in the story, by role. */
const op = account("op@example.com", "Olga Operator");
const pm = account("pm@acme.example", "Pat Manager");
const reg = account("reg@acme.example", "Rey Regular");
const ro = account("ro@acme.example", "Rae Readonly");
const cm = account("cm@globex.example", "Cleo Customer");

/** Their browsers (one context each, so one session each), opened as the story reaches them. */
const people = {};
/** Ids the flows learn from the pages (organizations, companies, sites). */
const ids = {};

async function person(key) {
  people[key] ??= await openPerson(browser, portal.origin, key);
  return people[key];
}

before(async () => {
  rmSync(SCREENSHOTS_DIR, { recursive: true, force: true });
  rmSync(join(RESULTS_DIR, "failures"), { recursive: true, force: true });
  browserLaunch = launchChromium();
  portal = await startPortal({ port: PORT, logFile: join(RESULTS_DIR, "wrangler-dev.log") });
  startupMs = Date.now() - started;
  browser = await browserLaunch;
});

after(async () => {
  await (browser ?? (await browserLaunch?.catch(() => null)))?.close();
  await portal?.stop();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const s = (ms) => (ms / 1000).toFixed(1);
  console.log(
    `\ne2e: ${tally.pages} pages checked (${tally.screenshots} screenshots, ${s(tally.screenshotMs)} s; ${tally.axeRuns} axe-core runs, ${s(tally.axeMs)} s);` +
      ` Worker up in ${s(startupMs)} s; ${seconds} s in all.\n     Screenshots: test-results/screenshots/  Worker log: test-results/wrangler-dev.log`,
  );
});

let brokenBy = null;

/** One named flow; `slug` prefixes its screenshots. */
function flow(slug, name, fn) {
  test(name, { timeout: 120_000 }, async () => {
    // A flow that cannot run counts as failed, never as skipped: a red run names every flow it did not check.
    if (brokenBy) throw new Error(`not run: needs the state left by "${brokenBy}", which failed`);
    try {
      await fn(slug);
      const problems = Object.values(people).flatMap((p) => p.problems.splice(0));
      assert.deepEqual(problems, [], "uncaught script errors or CSP refusals in the browser");
    } catch (e) {
      brokenBy = name;
      await failureShots(Object.values(people), slug);
      throw e;
    }
  });
}

const main = (page) => page.locator("main");
const nav = (page) => page.getByRole("navigation", { name: "Main" });
const pathOf = (page) => new URL(page.url()).pathname;
const rowOf = (page, text) => main(page).locator("tr", { hasText: text });
/** A user's row in the users tables (not the Partner Managers list below them). */
const userRow = (page, email) => main(page).locator("tr[id^='user-']", { hasText: email });

async function absent(locator, what) {
  assert.equal(await locator.count(), 0, `${what} should not be shown`);
}

/** A refused page: the status, the error page's heading, and its checks. */
async function forbidden(page, path, f, name, status = 403) {
  await visit(page, path, { flow: f, name, status });
  await assertHeading(page, status === 403 ? "Not allowed" : "Page not found");
}

// ------------------------------------------------------------------ flows

flow("setup", "first-run setup creates the vendor and its operator, who enrolls TOTP on first sign-in", async (f) => {
  const { page } = await person("operator");
  await page.goto("/");
  assert.equal(pathOf(page), "/setup", "an empty portal sends everyone to first-run setup");
  await checkPage(page, f, "setup");

  const form = main(page);
  await form.getByLabel("Vendor organization name").fill("Vendor Inc");
  await form.getByLabel("Your name").fill(op.name);
  await form.getByLabel("Your email").fill(op.email);
  await form.getByLabel("Password", { exact: true }).fill("short");
  await form.getByRole("button", { name: "Create operator account" }).click();
  // A too-short password is refused beside its field; what was typed stays.
  await form.locator("#f-password-error").waitFor();
  assert.equal(await form.getByLabel("Vendor organization name").inputValue(), "Vendor Inc");
  await checkPage(page, f, "setup-error");

  await form.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await form.getByRole("button", { name: "Create operator account" }).click();
  await page.waitForURL(/\/login$/);
  await main(page).getByText("The operator account is ready").waitFor();

  await signIn(page, op, { flow: f, shots: true });
  await assertHeading(page, `Welcome, ${op.name}`);
  await checkPage(page, f, "home");

  // Setup is a one-time door: once an account exists it is gone.
  await forbidden(page, "/setup", f, "setup-closed", 404);
});

flow("onboard", "an operator onboards a channel partner with its first Partner Manager", async (f) => {
  const { page } = await person("operator");
  await visit(page, "/orgs", { flow: f, name: "orgs-empty" });
  const form = page.locator("#onboard");
  await form.getByLabel("Organization name").fill("Acme Resellers");
  await form.getByLabel("Kind").selectOption("partner");
  await form.getByLabel("Channel partner (partners only)").check();
  await form.getByLabel("First Partner Manager's name").fill(pm.name);
  await form.getByLabel("First Partner Manager's email").fill(pm.email);
  await form.getByRole("button", { name: "Create and send invitation" }).click();
  await main(page).locator("#flash").getByText(`Acme Resellers created; an invitation was sent to ${pm.email}.`).waitFor();
  await checkPage(page, f, "orgs");

  await main(page).getByRole("link", { name: "Acme Resellers" }).click();
  await assertHeading(page, "Acme Resellers");
  ids.acme = pathOf(page).split("/").pop();
  await main(page).getByText("channel partner").first().waitFor();
  await userRow(page, pm.email).getByRole("cell", { name: "Invited", exact: true }).waitFor();
  await checkPage(page, f, "org-detail");
});

flow("activate", "the Partner Manager activates from /dev/mail, sets a password and enrolls TOTP", async (f) => {
  const { page } = await person("pm");
  await activateFromMail(page, pm, { flow: f, shots: true });
  await assertHeading(page, `Welcome, ${pm.name}`);
  await nav(page).getByRole("link", { name: "Invitations" }).waitFor();
  await visit(page, "/account", { flow: f, name: "account" });
  await main(page).getByText(pm.email).first().waitFor();
});

flow("bulk-invite", "bulk invite previews every row, sends nothing until confirmed, then invites", async (f) => {
  const { page } = await person("pm");
  await visit(page, "/invitations", { flow: f, name: "invitations" });
  const csv = [
    "email,name,role",
    `${reg.email},${reg.name},Regular User`,
    `${ro.email},${ro.name},read_only`,
    `${pm.email},Pat Again,Partner Manager`,
    "not-an-email,Nobody,Regular User",
  ].join("\n");
  await main(page).getByLabel("Paste CSV").fill(csv);
  await main(page).getByRole("button", { name: "Preview" }).click();

  await main(page).getByRole("heading", { name: "Preview: nothing is sent yet" }).waitFor();
  await main(page).getByText("2 will be invited, 1 already has an account, 1 is invalid.").waitFor();
  await rowOf(page, reg.email).getByText("Will be invited").waitFor();
  await rowOf(page, pm.email).getByText("Already a user").waitFor();
  await rowOf(page, "not-an-email").getByText("Invalid").waitFor();
  await checkPage(page, f, "preview");

  // The preview sent nothing: no invitation mail yet.
  const before = await (await page.request.get("/dev/mail.json")).json();
  assert.equal(before.messages.filter((m) => m.to === reg.email || m.to === ro.email).length, 0, "a preview sends no mail");

  await main(page).getByRole("button", { name: "Send 2 invitations" }).click();
  await main(page).getByText("2 invitations sent.").waitFor();
  await checkPage(page, f, "report");
  const invitation = (email) => main(page).locator("tr[id^='invitation-']", { hasText: email });
  await invitation(reg.email).getByRole("cell", { name: "Pending", exact: true }).waitFor();
  await invitation(ro.email).getByRole("cell", { name: "Pending", exact: true }).waitFor();

  const regular = await person("regular");
  await activateFromMail(regular.page, reg, { flow: f });
  const readOnly = await person("readonly");
  await activateFromMail(readOnly.page, ro, { flow: f });
  await assertHeading(readOnly.page, `Welcome, ${ro.name}`);
});

flow("roles-users", "each role sees what it may do on the users page, and a forbidden page answers 403", async (f) => {
  // Partner Manager: account actions, role changes, the invite form.
  const { page: pmPage } = await person("pm");
  await visit(pmPage, "/users", { flow: f, name: "users-partner-manager" });
  await main(pmPage).getByRole("columnheader", { name: "Actions" }).waitFor();
  await main(pmPage).getByLabel(`Role of ${reg.name}`).waitFor();
  await userRow(pmPage, ro.email).getByRole("button", { name: "Deactivate" }).waitFor();
  await main(pmPage).getByRole("heading", { name: "Invite a colleague" }).waitFor();
  await main(pmPage).getByRole("columnheader", { name: "Partner Manager (you)" }).waitFor();
  await assertFiltersLineUp(pmPage, "/users");
  await visit(pmPage, "/audit", { flow: f, name: "audit-partner-manager" });
  await forbidden(pmPage, "/orgs", f, "orgs-forbidden");

  // Regular and Read-only: the list, no administration.
  for (const [key, acct, roleLabel] of [
    ["regular", reg, "Regular User"],
    ["readonly", ro, "Read-only User"],
  ]) {
    const { page } = await person(key);
    await visit(page, "/users", { flow: f, name: `users-${key}` });
    await userRow(page, pm.email).waitFor();
    await main(page).getByRole("columnheader", { name: `${roleLabel} (you)` }).waitFor();
    await absent(main(page).getByRole("columnheader", { name: "Actions" }), `${key}: the Actions column`);
    await absent(main(page).getByRole("button", { name: "Deactivate" }), `${key}: Deactivate`);
    await absent(main(page).getByLabel(`Role of ${acct.name}`), `${key}: the role selector`);
    await absent(main(page).getByRole("heading", { name: "Invite a colleague" }), `${key}: the invite form`);
    await absent(nav(page).getByRole("link", { name: "Invitations" }), `${key}: the Invitations link`);
    await main(page).getByRole("heading", { name: "Who is my Analytics Administrator?" }).waitFor();
  }
  const { page: regPage } = await person("regular");
  await forbidden(regPage, "/invitations", f, "invitations-forbidden");
  const { page: roPage } = await person("readonly");
  await forbidden(roPage, "/users/inactivity", f, "inactivity-forbidden");

  // Operator: administers accounts from each organization's page.
  const { page: opPage } = await person("operator");
  await opPage.goto("/users");
  assert.equal(pathOf(opPage), "/orgs", "an operator's /users leads to the organizations");
  await visit(opPage, `/orgs/${ids.acme}`, { flow: f, name: "org-accounts-operator" });
  await userRow(opPage, reg.email).getByRole("button", { name: "Reset 2FA" }).waitFor();
  await visit(opPage, "/audit", { flow: f, name: "audit-operator" });
  await assertFiltersLineUp(opPage, "/audit");
  await visit(opPage, "/jobs", { flow: f, name: "jobs-operator" });
});

flow("roles-companies", "each role's view of the companies pages; only a Purchaser sees prices and orders", async (f) => {
  // Partner Manager adds a company.
  const { page: pmPage } = await person("pm");
  await visit(pmPage, "/companies", { flow: f, name: "companies-empty" });
  await main(pmPage).getByLabel("Company name").fill("Initech");
  await main(pmPage).getByRole("button", { name: "Add company" }).click();
  await pmPage.waitForURL(/\/companies\/[^/?]+$/);
  await main(pmPage).locator("#flash").getByText("Company added.").waitFor();
  ids.initech = pathOf(pmPage).split("/").pop();
  await assertHeading(pmPage, "Initech");
  await checkPage(pmPage, f, "company-partner-manager");
  // The flash's close button sits at its right end, after the message; it closes the message.
  const flash = await pmPage.locator("#flash .notice").evaluate((notice) => {
    const box = notice.getBoundingClientRect();
    const close = notice.querySelector(".dismiss").getBoundingClientRect();
    return { gap: box.right - close.right, closeWidth: close.width };
  });
  assert.ok(flash.gap < 24 && flash.closeWidth < 48, `the flash's close button: ${JSON.stringify(flash)}`);
  await main(pmPage).getByRole("button", { name: "Dismiss message" }).click();
  assert.equal(await main(pmPage).locator("#flash .notice").count(), 0);

  // Regular: may manage companies and services.
  const { page: regPage } = await person("regular");
  await visit(regPage, "/companies", { flow: f, name: "companies-regular" });
  await main(regPage).getByRole("heading", { name: "Add a company" }).waitFor();
  await rowOf(regPage, "Initech").getByRole("button", { name: "Terminate" }).waitFor();
  await visit(regPage, `/companies/${ids.initech}`, { flow: f, name: "company-regular" });
  await main(regPage).getByLabel("Domain name").fill("video.initech.example");
  await main(regPage).getByRole("button", { name: "Add Domain hosting" }).click();
  await rowOf(regPage, "video.initech.example").getByText("Active").waitFor();
  await main(regPage).getByText("Prices, orders and renewals are for Purchasers.").waitFor();

  // Read-only: sees and exports, changes nothing.
  const { page: roPage } = await person("readonly");
  await visit(roPage, "/companies", { flow: f, name: "companies-read-only" });
  await rowOf(roPage, "Initech").waitFor();
  await absent(main(roPage).getByRole("heading", { name: "Add a company" }), "read-only: the add company form");
  await absent(main(roPage).getByRole("button", { name: "Terminate" }), "read-only: Terminate");
  await visit(roPage, `/companies/${ids.initech}`, { flow: f, name: "company-read-only" });
  await rowOf(roPage, "video.initech.example").waitFor();
  await absent(main(roPage).getByRole("button", { name: /^Add / }), "read-only: the add service forms");
  await absent(main(roPage).getByRole("button", { name: "Terminate company" }), "read-only: Terminate company");
  await main(roPage).getByRole("link", { name: "Printable handout" }).click();
  await assertHeading(roPage, "Services of Initech");
  await checkPage(roPage, f, "handout-read-only");

  // An operator's organization has no companies.
  const { page: opPage } = await person("operator");
  await forbidden(opPage, "/companies", f, "companies-forbidden");

  // Purchaser: the Partner Manager requests it for the Regular user, an operator approves.
  await visit(pmPage, "/requests", { flow: f, name: "requests-partner-manager" });
  await requestSecondaryRole(pmPage, "Purchaser (P)", reg.email);
  await visit(opPage, "/requests", { flow: f, name: "requests-operator" });
  await approveRequest(opPage, "Purchaser (P)", reg.name);

  await visit(regPage, `/companies/${ids.initech}`, { flow: f, name: "company-purchaser" });
  const plans = regPage.locator("#plans");
  await plans.getByRole("heading", { name: "Order a license plan" }).waitFor();
  await plans.getByLabel("Seats").fill("25");
  await plans.getByRole("button", { name: "Place order" }).click();
  await plans.getByRole("columnheader", { name: "Price per seat" }).waitFor();
  await plans.locator("tbody tr").first().getByText("25", { exact: true }).waitFor();
  await checkPage(regPage, f, "company-purchaser-ordered");

  // Read-only sees the plan, never its price.
  await visit(roPage, `/companies/${ids.initech}`, { flow: f, name: "company-read-only-plans" });
  await roPage.locator("#plans tbody tr").first().waitFor();
  await absent(roPage.locator("#plans").getByRole("columnheader", { name: "Price per seat" }), "read-only: prices");
  await absent(roPage.locator("#plans").getByRole("button", { name: "Place order" }), "read-only: the order form");
});

flow("analytics-invite", "an Analytics Administrator invites to Analytics and the invited users accept", async (f) => {
  const { page: pmPage } = await person("pm");
  const { page: opPage } = await person("operator");
  await pmPage.goto("/requests");
  await requestSecondaryRole(pmPage, "Analytics Administrator (AAA)", pm.email);
  await opPage.goto("/requests");
  await approveRequest(opPage, "Analytics Administrator (AAA)", pm.name);

  // AAA alone gives no access: the administrator invites themselves, then accepts.
  await visit(pmPage, "/users", { flow: f, name: "users-aaa" });
  // The widest users table (every column, the AA buttons, three account actions) fits 1280 px without a sideways scroll,
  // and no row is taller than two lines of buttons.
  const fit = await pmPage.locator(".table-wrap:has(table[aria-label=Users])").evaluate((wrap) => ({
    overflow: wrap.scrollWidth - wrap.clientWidth,
    tallest: Math.max(...[...wrap.querySelectorAll("tbody tr")].map((tr) => tr.getBoundingClientRect().height)),
    button: wrap.querySelector("tbody button").getBoundingClientRect().height,
  }));
  assert.ok(fit.overflow <= 0, `the users table scrolls sideways by ${fit.overflow} px`);
  assert.ok(fit.tallest < 3 * fit.button + 30, `a users row is ${fit.tallest} px tall (a button is ${fit.button} px)`);
  await userRow(pmPage, pm.email).getByRole("button", { name: "No access. Click to invite" }).click();
  await userRow(pmPage, pm.email).getByText("Invited to Analytics; a mail explains how to accept.").waitFor();
  await pmPage.reload();
  await nav(pmPage).getByRole("link", { name: "Analytics" }).click();
  await pmPage.waitForURL(/\/analytics\/accept$/);
  await checkPage(pmPage, f, "accept");
  await main(pmPage).getByRole("button", { name: "Accept the invitation" }).click();
  await assertHeading(pmPage, "Analytics access activated");
  await main(pmPage).getByText("you are now its owner").waitFor();
  await checkPage(pmPage, f, "accepted-owner");

  // The administrator invites the Regular user, who gets a mail and accepts.
  await pmPage.goto("/users");
  await userRow(pmPage, reg.email).getByRole("button", { name: "No access. Click to invite" }).click();
  await userRow(pmPage, reg.email).getByRole("button", { name: "Invited · resend" }).waitFor();
  const { page: regPage } = await person("regular");
  const mailLink = await linkFromMail(regPage, reg.email, "/analytics/accept");
  assert.ok(mailLink, "the invitation mail links to /analytics/accept");
  await regPage.goto("/analytics");
  assert.equal(pathOf(regPage), "/analytics/accept", "an invited user is shown where to accept");
  await main(regPage).getByRole("button", { name: "Accept the invitation" }).click();
  await main(regPage).getByText("Analytics access activated.").waitFor();
  await checkPage(regPage, f, "accepted");

  // Without an invitation the area is closed.
  const { page: roPage } = await person("readonly");
  await forbidden(roPage, "/analytics", f, "analytics-forbidden");
  await main(roPage).getByText("You have no analytics access").waitFor();
});

flow("site-permissions", "an owner adds sites and gives a user a level; the user sees exactly that", async (f) => {
  const { page: pmPage } = await person("pm");
  await visit(pmPage, "/analytics", { flow: f, name: "workspace-owner" });
  // A partner's Partner Manager with Analytics has the most sections of anyone in an organization.
  await assertHeaderOnOneLine(pmPage, "/analytics");
  ids.intranet = await addSite(pmPage, "Acme Intranet");
  ids.shop = await addSite(pmPage, "Acme Shop");
  await main(pmPage).getByText("Site added.").waitFor();
  await checkPage(pmPage, f, "site-owner");

  const level = async (label) => {
    const row = pmPage.locator("#permissions tr", { hasText: reg.email });
    await row.getByLabel(`Level of ${reg.name}`).selectOption({ label });
    await row.getByRole("button", { name: "Save" }).click();
    await pmPage.locator("#permissions tr", { hasText: reg.email }).getByText(`Saved: ${label}.`).waitFor();
  };
  await level("View");

  const { page: regPage } = await person("regular");
  await visit(regPage, "/analytics", { flow: f, name: "workspace-view" });
  await rowOf(regPage, "Acme Shop").getByText("View").waitFor();
  await absent(rowOf(regPage, "Acme Intranet"), "a site without a level");
  await absent(main(regPage).getByRole("heading", { name: "Add a site or app" }), "View: the add site form");
  await main(regPage).getByRole("link", { name: "Acme Shop" }).click();
  await main(regPage).getByText("your level: View").waitFor();
  await checkPage(regPage, f, "site-view");
  await absent(main(regPage).getByRole("heading", { name: "Add a tag" }), "View: the add tag form");
  await absent(main(regPage).locator("#permissions"), "View: the permissions table");
  await forbidden(regPage, `/analytics/sites/${ids.intranet}`, f, "site-not-found", 404);
  await forbidden(regPage, "/analytics/users", f, "analytics-users-forbidden");

  // Raised to Edit: the same page now offers the tag and settings forms.
  await level("Edit");
  await visit(regPage, `/analytics/sites/${ids.shop}`, { flow: f, name: "site-edit" });
  await main(regPage).getByText("your level: Edit").waitFor();
  await main(regPage).getByRole("heading", { name: "Add a tag" }).waitFor();
  await absent(main(regPage).locator("#permissions"), "Edit: the permissions table");
});

flow("collect-report", "hits posted with a site's key show in its report, chart, daily table and CSV", async (f) => {
  // Edit on the site but no Reporting module: the key is there, the report link is not.
  const { page: regPage } = await person("regular");
  await regPage.goto(`/analytics/sites/${ids.shop}`);
  const siteKey = (await main(regPage).locator("code.secret").first().innerText()).trim();
  await main(regPage).getByText("reports need the Reporting module").waitFor();
  await absent(main(regPage).getByRole("link", { name: "Report", exact: true }), "the report link without the Reporting module");
  // As a tracked page sends them: no cookie, the key in the body, text/plain as sendBeacon posts.
  const hit = (type) => fetch(`${portal.origin}/api/v1/collect`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ siteKey, type }) });
  for (const type of ["visit", "visit", "visit", "click", "download"]) assert.equal((await hit(type)).status, 204, `collect ${type}`);
  assert.equal((await hit("not_allowed_type")).status, 422, "an event type the workspace does not accept");

  const { page } = await person("pm");
  await page.goto(`/analytics/sites/${ids.shop}`);
  await main(page).getByRole("link", { name: "Report", exact: true }).click();
  await assertHeading(page, "Report: Acme Shop");
  const totals = main(page).locator("dl.report-totals");
  assert.equal(await totals.locator("div", { hasText: "Visits" }).locator("dd").innerText(), "3");
  assert.equal(await totals.locator("div", { hasText: "Events" }).locator("dd").innerText(), "2");
  // The day the hits counted on: today in UTC (yesterday, should midnight have passed since).
  const days = await main(page).locator("table.report-table tbody tr").evaluateAll((rows) => rows.map((r) => [r.querySelector("time").dateTime, ...[...r.querySelectorAll("td")].map((td) => td.textContent)]));
  const counted = days.filter(([, visits, events]) => visits !== "0" || events !== "0");
  assert.equal(counted.length, 1, `one day with hits: ${JSON.stringify(counted)}`);
  const [hitDay, visits, events] = counted[0];
  assert.deepEqual([visits, events], ["3", "2"]);
  assert.ok(Date.now() - Date.parse(`${hitDay}T00:00:00Z`) < 2 * 86_400_000, `the hits counted on ${hitDay}`);
  await main(page).locator("svg").first().waitFor();
  await checkPage(page, f, "site-report");

  // The CSV link is the same report, through the reporting API with the session.
  const csvHref = await main(page).getByRole("link", { name: "Download CSV" }).getAttribute("href");
  const csv = await page.request.get(csvHref);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()["content-type"], /text\/csv/);
  assert.match(await csv.text(), new RegExp(`^${hitDay},3,2\\b`, "m"));
});

flow("api-token", "a personal API token, shown once, reads the reporting API until it is revoked", async (f) => {
  const { page } = await person("pm");
  await page.goto("/analytics");
  await main(page).getByRole("link", { name: "API tokens" }).click();
  await assertHeading(page, "API tokens");
  await main(page).getByLabel("Name").fill("Nightly export");
  await main(page).getByRole("button", { name: "Create token" }).click();
  const secret = (await main(page).locator("#new-token-secret").innerText()).trim();
  await checkPage(page, f, "created");

  // Reloading the answer re-sends the form: refused, and still one token.
  await page.reload();
  await main(page).getByText("This form was already sent: it created the token “Nightly export”").waitFor();
  assert.equal(await main(page).locator("#new-token-secret").count(), 0);
  assert.equal(await rowOf(page, "Nightly export").count(), 1, "one token, not two");

  // A script at the edge: no cookie, the token as a Bearer credential.
  const report = () => fetch(`${portal.origin}/api/v1/reports/sites/${ids.shop}`, { headers: { authorization: `Bearer ${secret}` } });
  const ok = await report();
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.deepEqual((await ok.json()).totals, { visits: 3, events: 2 });

  // Shown once: the list has the token's name, never its secret again.
  await page.goto("/analytics/tokens");
  const row = rowOf(page, "Nightly export");
  await row.waitFor();
  assert.equal(await main(page).getByText(secret).count(), 0, "the secret is not shown again");
  await row.getByRole("button", { name: "Revoke" }).click(); // confirm() is accepted
  await rowOf(page, "Nightly export").getByRole("cell", { name: /^Revoked/ }).waitFor();
  await checkPage(page, f, "revoked");
  const refused = await report();
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error.code, "unauthenticated");
  await main(page).getByRole("link", { name: "← Analytics" }).click();
  await assertHeading(page, "Analytics");
});

flow("partner-grant", "a customer's Partner Manager grants a channel partner, whose user sees it on the partner dashboard", async (f) => {
  const { page: opPage } = await person("operator");
  await opPage.goto("/orgs");
  const form = opPage.locator("#onboard");
  await form.getByLabel("Organization name").fill("Globex Corp");
  await form.getByLabel("Kind").selectOption("customer");
  await form.getByLabel("First Partner Manager's name").fill(cm.name);
  await form.getByLabel("First Partner Manager's email").fill(cm.email);
  await form.getByRole("button", { name: "Create and send invitation" }).click();
  await waitForOnboarded(opPage);

  const { page: cmPage } = await person("customer");
  await activateFromMail(cmPage, cm, { flow: f });
  await nav(cmPage).getByRole("link", { name: "Partners" }).click();
  await assertHeading(cmPage, "Partners");
  await main(cmPage).getByText("You have not given any partner access yet.").waitFor();
  await checkPage(cmPage, f, "partners-empty");

  // F-61: an address that is not a channel partner's is refused beside the field.
  const byEmail = cmPage.locator("#add-email");
  await byEmail.getByLabel("Partner's email address").fill(op.email);
  await byEmail.getByRole("button", { name: "Add partner" }).click();
  await cmPage.locator("#add-email [role=alert]").first().waitFor();
  await checkPage(cmPage, f, "partners-refused");

  await cmPage.locator("#add-email").getByLabel("Partner's email address").fill(pm.email);
  await cmPage.locator("#add-email").getByRole("button", { name: "Add partner" }).click();
  await cmPage.waitForURL(/\/partners$/);
  await main(cmPage).locator("#flash").getByText("Partner access granted.").waitFor();
  const row = rowOf(cmPage, "Acme Resellers");
  await row.getByRole("cell", { name: "1", exact: true }).waitFor();
  await row.getByText(pm.email).waitFor();
  await checkPage(cmPage, f, "partners");

  const { page: pmPage } = await person("pm");
  await visit(pmPage, "/partner-dashboard", { flow: f, name: "partner-dashboard" });
  // Each trend is a line under its figure, as wide as the column: not a picture scaled up to the column's width.
  const sparklines = await main(pmPage).locator("svg.sparkline").evaluateAll((svgs) => svgs.map((s) => s.getBoundingClientRect().height));
  assert.equal(sparklines.length, 2, "a visits and an events trend for Globex");
  for (const height of sparklines) assert.ok(height <= 40, `a sparkline is ${height} px tall`);
  await main(pmPage).getByRole("link", { name: "Globex Corp" }).click();
  await assertHeading(pmPage, "Globex Corp");
  await checkPage(pmPage, f, "partner-customer");

  // Granted to one user: the others of the partner see nothing of Globex.
  const { page: regPage } = await person("regular");
  await visit(regPage, "/partner-dashboard", { flow: f, name: "partner-dashboard-not-granted" });
  await main(regPage).getByText("No customer has given you access to its insights yet.").waitFor();
  await forbidden(pmPage, "/partners", f, "partners-forbidden");
  await forbidden(cmPage, "/partner-dashboard", f, "partner-dashboard-forbidden");
});

flow("access-review", "a Partner Manager reviews every user: one by one or all remaining, then completes; operators see it completed", async (f) => {
  const { page } = await person("pm");
  await visit(page, "/access-review", { flow: f, name: "none-open" });
  await main(page).getByRole("button", { name: "Start an access review" }).click();
  await main(page).locator("#flash").getByText("Access review started.").waitFor();
  // Partner access received (from Globex, previous flow) shows on the row of the user it was granted to.
  await main(page).locator("tr", { hasText: pm.email }).getByText("Globex Corp").waitFor();
  await checkPage(page, f, "open");
  const complete = main(page).getByRole("button", { name: "Complete review" });
  assert.equal(await complete.isDisabled(), true, "Complete review waits for every decision");

  // One row by htmx: the row swaps itself and the progress box reloads itself.
  const regRow = () => main(page).locator("tr", { hasText: reg.email });
  await regRow().getByRole("button", { name: "Confirm", exact: true }).click();
  await regRow().getByRole("button", { name: "Confirmed ✓" }).waitFor();
  await main(page).locator("#review-progress").getByText(/^1 of \d+ decided: 1 confirmed/).waitFor();

  await main(page).getByRole("button", { name: /^Confirm all remaining/ }).click();
  await main(page).locator("#flash").getByText("Every remaining user was confirmed as they are.").waitFor();
  assert.equal(await complete.isDisabled(), false, "every user has a decision");
  await complete.click();
  await main(page).locator("#flash").getByText("Access review completed.").waitFor();
  await main(page).getByRole("button", { name: "Start an access review" }).waitFor();
  await checkPage(page, f, "completed");

  const { page: opPage } = await person("operator");
  await visit(opPage, "/access-review/status", { flow: f, name: "status" });
  const status = rowOf(opPage, "Acme Resellers");
  await status.getByRole("link").filter({ hasText: /\d{4}/ }).click();
  await main(opPage).getByText("by Pat Manager").first().waitFor();
  await checkPage(opPage, f, "completed-operator");
  await main(opPage).getByRole("link", { name: "← Access reviews" }).click();
  await assertHeading(opPage, "Access reviews");
});

flow("invite-revoke", "a colleague invited from the users page, then revoked: the link in their mail stops working", async (f) => {
  const { page } = await person("pm");
  const ivy = account("ivy@acme.example", "Ivy Invited");
  await page.goto("/users");
  const form = main(page).locator("form", { has: page.getByRole("button", { name: "Send invitation" }) });
  await form.getByLabel("Email").fill(ivy.email);
  await form.getByLabel("Name").fill(ivy.name);
  await form.getByLabel("Role").selectOption({ label: "Read-only User" });
  await form.getByRole("button", { name: "Send invitation" }).click();
  await main(page).locator("#flash").getByText(/invit/i).waitFor();
  const link = new URL(await linkFromMail(page, ivy.email, "/activate"));

  await page.goto("/invitations");
  const row = () => main(page).locator("tr[id^='invitation-']", { hasText: ivy.email });
  await row().getByRole("button", { name: "Revoke" }).click(); // confirm() is accepted
  await row().getByRole("cell", { name: "Revoked", exact: true }).waitFor();
  await checkPage(page, f, "revoked");

  const { page: ivyPage } = await person("invitee");
  await ivyPage.goto(link.pathname + link.search);
  await assertHeading(ivyPage, "Activation link not valid");
  await main(ivyPage).getByText("This invitation was withdrawn.").waitFor();
  await absent(main(ivyPage).getByRole("link", { name: "Get a new link" }), "a new link for a withdrawn invitation");
  await checkPage(ivyPage, f, "link-refused");
});

flow("deactivation", "deactivating a user ends their live session at their next request", async (f) => {
  const { page: roPage } = await person("readonly");
  await roPage.goto("/users");
  await assertHeading(roPage, "Users");

  const { page: pmPage } = await person("pm");
  await pmPage.goto("/users");
  await userRow(pmPage, ro.email).getByRole("button", { name: "Deactivate" }).click(); // confirm() is accepted
  await userRow(pmPage, ro.email).getByText("Deactivated.").waitFor();
  await userRow(pmPage, ro.email).getByRole("button", { name: "Activate" }).waitFor();
  // The answer replaced the whole row (the table's hx-target), not the button's content.
  assert.equal(await userRow(pmPage, ro.email).count(), 1);
  assert.equal(await userRow(pmPage, ro.email).locator("td").nth(2).innerText(), "Deactivated", "the Status column");
  await absent(userRow(pmPage, ro.email).getByRole("button", { name: "Deactivate" }), "the deactivated row's Deactivate");
  await checkPage(pmPage, f, "users-after-deactivation");

  await roPage.goto("/users");
  assert.equal(pathOf(roPage), "/login", "the deactivated user's next page is the sign-in page");
  assert.equal(new URL(roPage.url()).searchParams.get("next"), "/users");
  await checkPage(roPage, f, "login-after-deactivation");
});

flow("forgot-password", "a forgotten password is reset from a mailed link that works once; other sessions end, and the authenticator is still asked", async (f) => {
  const { page: signedInPage } = await person("regular");
  // The person who forgot it, in a browser that is not signed in.
  const { page } = await person("regular-signed-out");
  await page.goto("/login");
  await main(page).getByRole("link", { name: "Forgot your password?" }).click();
  await assertHeading(page, "Forgot your password?");
  await main(page).getByLabel("Email").fill(reg.email);
  await main(page).getByRole("button", { name: "Send reset link" }).click();
  await main(page).getByText("If an account uses that address, we have sent it a link.").waitFor();
  await checkPage(page, f, "sent");

  const link = new URL(await linkFromMail(page, reg.email, "/reset-password"));
  await page.goto(link.pathname + link.search);
  await assertHeading(page, "Choose a new password");
  await main(page).getByLabel("New password").fill("too short");
  await main(page).getByRole("button", { name: "Save password" }).click();
  await main(page).locator("[role=alert]").first().waitFor();
  await checkPage(page, f, "too-short");
  const newPassword = "a new and much longer passphrase";
  await main(page).getByLabel("New password").fill(newPassword);
  await main(page).getByRole("button", { name: "Save password" }).click();
  await page.waitForURL(/\/login$/);
  await main(page).getByText("Your password is changed.").waitFor();

  await page.goto(link.pathname + link.search);
  await assertHeading(page, "Reset link not valid");
  // The session signed in before the reset has ended.
  await signedInPage.goto("/users");
  assert.equal(pathOf(signedInPage), "/login", "a session from before the reset is over");

  // The old password no longer signs in; the new one does, with a TOTP code.
  await page.goto("/login");
  await main(page).getByLabel("Email").fill(reg.email);
  await main(page).getByLabel("Password").fill(reg.password);
  await main(page).getByRole("button", { name: "Continue" }).click();
  await main(page).getByText("Email or password is incorrect.").waitFor();
  reg.password = newPassword;
  await signIn(page, reg);
  await assertHeading(page, `Welcome, ${reg.name}`);
});

flow("recovery-code", "without the authenticator, a recovery code signs in once, and the same code is refused after", async (f) => {
  // A browser Rey has never signed in on.
  const { page } = await person("regular-new-laptop");
  const [code] = reg.recoveryCodes;
  assert.ok(code, "the recovery codes Rey saved at enrollment");
  const passwordStep = async () => {
    await page.goto("/login");
    await main(page).getByLabel("Email").fill(reg.email);
    await main(page).getByLabel("Password").fill(reg.password);
    await main(page).getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/\/login\/two-factor$/);
    await main(page).getByText("Use a recovery code instead").click();
    await main(page).getByLabel("Recovery code").fill(code);
    await main(page).getByRole("button", { name: "Sign in" }).click();
  };

  await passwordStep();
  await assertHeading(page, `Welcome, ${reg.name}`);
  await page.goto("/account");
  await main(page).getByText("You have 9 unused recovery codes.").waitFor();
  await page.locator("header").getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);

  await passwordStep();
  assert.match(pathOf(page), /^\/login/, "a spent recovery code does not sign in");
  // The refusal sits under the recovery code field, which stays open with what was typed.
  const field = main(page).getByLabel("Recovery code");
  await field.waitFor();
  assert.equal(await field.inputValue(), code);
  assert.equal(await field.getAttribute("aria-invalid"), "true");
  await main(page).locator("details[open]").getByText("That recovery code is not valid or was already used.").waitFor();
  await checkPage(page, f, "spent-code-refused");
});

flow("account", "on the account page a person ends another session, changes the password and replaces the recovery codes", async (f) => {
  const { page } = await person("customer");
  const { page: laptop } = await person("customer-laptop");
  await signIn(laptop, cm);

  await page.goto("/account");
  const sessions = main(page).locator("tr[id^='session-']");
  assert.equal(await sessions.count(), 2, "this browser and the laptop");
  await sessions.filter({ hasText: "this browser" }).getByText("Chrome (headless) on Linux").waitFor();
  await checkPage(page, f, "two-sessions");
  await sessions.getByRole("button", { name: "Sign out" }).click();
  await main(page).getByText("Session signed out.").waitFor();
  await laptop.goto("/partners");
  assert.equal(pathOf(laptop), "/login", "the laptop's session ended");

  // A wrong current password is refused beside its field and changes nothing.
  const password = page.locator("form[action='/account/password']");
  await password.getByLabel("Current password").fill("not the password at all");
  await password.getByLabel("New password").fill("another long passphrase");
  await password.getByRole("button", { name: "Change password" }).click();
  await page.locator("form[action='/account/password'] [role=alert], form[action='/account/password'] .error").first().waitFor();
  await checkPage(page, f, "wrong-password");
  await page.locator("form[action='/account/password']").getByLabel("Current password").fill(cm.password);
  await page.locator("form[action='/account/password']").getByLabel("New password").fill("another long passphrase");
  await page.locator("form[action='/account/password']").getByRole("button", { name: "Change password" }).click();
  await main(page).locator("#flash").getByText("Your password is changed.").waitFor();
  cm.password = "another long passphrase";

  // New recovery codes need a code from the authenticator, and are shown once.
  const codes = page.locator("form[action='/account/recovery-codes']");
  await codes.getByLabel("Code from your authenticator app").fill(await freshCode(cm));
  await codes.getByRole("button", { name: "Generate new recovery codes" }).click();
  await main(page).getByText("New recovery codes. Save them now").waitFor();
  assert.equal(await main(page).locator("ol.codes li").count(), 10);
  await checkPage(page, f, "new-codes");
  // A reload sends the form again: refused beside the code field, saying the codes just made are the ones that work.
  await page.reload();
  await main(page).getByText("That code was just used. If it made new recovery codes a moment ago").waitFor();
  await page.goto("/account");
  await main(page).getByText("You have 10 unused recovery codes.").waitFor();
  assert.equal(await main(page).locator("ol.codes li").count(), 0, "the codes are not shown again");

  // The new password passes the password step (the laptop again); its TOTP step is the logout flow's subject.
  await laptop.goto("/login");
  await main(laptop).getByLabel("Email").fill(cm.email);
  await main(laptop).getByLabel("Password").fill(cm.password);
  await main(laptop).getByRole("button", { name: "Continue" }).click();
  await laptop.waitForURL(/\/login\/two-factor$/);
});

flow("logout", "signing out ends the session; signing in again, a spent TOTP code is refused and the next one works", async (f) => {
  const { page } = await person("pm");
  const signOut = async () => {
    await page.locator("header").getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);
    await main(page).getByText("You are signed out.").waitFor();
  };
  await page.goto("/");
  await signOut();
  await checkPage(page, f, "signed-out");
  await page.goto("/companies");
  assert.equal(pathOf(page), "/login", "after signing out a page leads to the sign-in page");

  // Twice in a row: the second sign-in usually falls in the same 30 s step, which the
  // first one spent, so it must take the next step's code; the spent code is refused.
  await signIn(page, pm, { flow: f });
  const spent = pm.lastCode;
  await signOut();
  await main(page).getByLabel("Email").fill(pm.email);
  await main(page).getByLabel("Password").fill(PASSWORD);
  await main(page).getByRole("button", { name: "Continue" }).click();
  await main(page).getByLabel("6-digit code from your authenticator app").fill(spent);
  await main(page).getByRole("button", { name: "Sign in" }).click();
  await main(page).getByText("That code was already used.").first().waitFor();
  await checkPage(page, f, "two-factor-replayed");
  await signIn(page, pm, { flow: f });
  await assertHeading(page, `Welcome, ${pm.name}`);
});

flow("phone", "main pages at a 375 px wide viewport: no sideways scrolling, no serious axe findings", async (f) => {
  const pmPhone = await (await person("pm")).newPage(PHONE);
  const opPhone = await (await person("operator")).newPage(PHONE);
  const pages = [
    [pmPhone, "/", "home"],
    [pmPhone, "/users", "users"],
    [pmPhone, `/companies/${ids.initech}`, "company"],
    [pmPhone, `/analytics/sites/${ids.shop}`, "site"],
    [pmPhone, "/partner-dashboard", "partner-dashboard"],
    [opPhone, "/orgs", "orgs"],
    [opPhone, "/requests", "requests"],
  ];
  for (const [page, path, name] of pages) {
    await visit(page, path, { flow: f, name: `${name}-375` });
    const { width, culprits } = await page.evaluate(() => {
      // Where to look: the outermost elements past the viewport's right edge that no scrolling
      // container clips. An absolutely positioned element is clipped only by a scroller that is
      // (or contains) its containing block, so it can escape a .table-wrap.
      const style = (el) => getComputedStyle(el);
      const clipped = (el) => {
        const position = style(el).position;
        if (position === "fixed") return false;
        let a = el.parentElement;
        if (position === "absolute") while (a && a !== document.body && style(a).position === "static") a = a.parentElement;
        for (; a && a !== document.body; a = a.parentElement) if (style(a).overflowX !== "visible") return true;
        return false;
      };
      const over = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(el));
      const outermost = over.filter((el) => !over.includes(el.parentElement));
      const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.trim().replace(/\s+/g, ".")}` : ""}`;
      return { width: document.documentElement.scrollWidth, culprits: outermost.slice(0, 3).map((el) => `${describe(el.parentElement)} > ${describe(el)}`) };
    });
    assert.ok(width <= PHONE.width, `${path} is ${width} px wide at a ${PHONE.width} px viewport (sideways scrolling); widest: ${culprits.join(", ")}`);
  }
  // The folded menu opens to every section, the account (by name) and Sign out.
  await pmPhone.goto("/");
  await pmPhone.locator("header details.menu > summary").click();
  await pmPhone.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).waitFor();
  await pmPhone.locator("header").getByRole("link", { name: /^Pat Manager/ }).waitFor();
  await pmPhone.locator("header").getByRole("button", { name: "Sign out" }).waitFor();
  await checkPage(pmPhone, f, "menu-open-375");
  await pmPhone.close();
  await opPhone.close();
});

// Last: it moves the clock of the daily job months ahead. At that "now" every session has outlived its
// 12 hours (the run deletes their rows), and the people it deactivates stay deactivated.
flow("daily-run", "the daily cron run, as of 151 and 182 days on: reminds everyone, a mailed link keeps one account, the rest go but the last operator stays", async (f) => {
  const DAY = 86_400_000;
  const t0 = Date.now();
  // wrangler dev's trigger for a cron, as of a chosen moment (the job takes "now" from the event).
  const runDaily = async (at) => {
    const res = await fetch(`${portal.origin}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("0 3 * * *")}&time=${at}`);
    assert.equal(res.status, 200, await res.text());
  };

  await runDaily(t0 + 151 * DAY);
  // Rey keeps the account from the reminder, without signing in.
  const keeper = await (await person("regular")).newPage();
  const link = new URL(await linkFromMail(keeper, reg.email, "/keep-account"));
  await keeper.goto(link.pathname + link.search);
  await assertHeading(keeper, "Keep your account");
  await main(keeper).getByRole("button", { name: "Keep my account" }).click();
  await assertHeading(keeper, "Your account stays active");
  await checkPage(keeper, f, "kept");
  await keeper.close();

  // A month after the reminders: the accounts nobody kept are deactivated.
  await runDaily(t0 + 182 * DAY);
  const { page: pmPage } = await person("pm");
  await pmPage.goto("/login");
  await main(pmPage).getByLabel("Email").fill(pm.email);
  await main(pmPage).getByLabel("Password").fill(pm.password);
  await main(pmPage).getByRole("button", { name: "Continue" }).click();
  await main(pmPage).getByText("This account is deactivated. Ask your Partner Manager to activate it again.").waitFor();
  await checkPage(pmPage, f, "deactivated-sign-in");

  // The operator was as inactive as anyone, but is the vendor's last: they can still sign in, and see both runs.
  const { page: opPage } = await person("operator");
  await signIn(opPage, op);
  await visit(opPage, "/jobs?job=daily", { flow: f, name: "jobs" });
  const runs = main(opPage).locator("tr", { hasText: "Daily jobs" });
  await runs.nth(0).getByText(/inactivity reminded: \d+ · inactivity deactivated: [2-9]\d*\b/).waitFor();
  await runs.nth(1).getByText(/inactivity reminded: [4-9]\d* · inactivity deactivated: 0\b/).waitFor();
  await opPage.goto(`/orgs/${ids.acme}`);
  await userRow(opPage, pm.email).getByRole("cell", { name: "Deactivated", exact: true }).waitFor();
  await userRow(opPage, reg.email).getByRole("cell", { name: "Active", exact: true }).waitFor();
  await checkPage(opPage, f, "org-after-sweep");
});

// ------------------------------------------------------------------ steps shared by flows

/**
 * The list filter of the page shown: the fields of one row start at the same
 * height (a hint under one field must not lift it), and the row's buttons sit
 * level with its inputs.
 */
async function assertFiltersLineUp(page, path) {
  const rows = await page.evaluate(() => {
    const box = (el) => {
      const r = el.getBoundingClientRect();
      return { top: Math.round(r.top), bottom: Math.round(r.bottom), name: el.name || el.textContent.trim() };
    };
    const form = document.querySelector("main form.filters");
    if (!form) return null;
    // A row is the fields whose labels start at one height.
    const byLabelTop = new Map();
    for (const field of form.querySelectorAll(".field")) {
      const label = field.querySelector("label");
      const control = field.querySelector("input, select");
      if (!label || !control) continue;
      const key = box(label).top;
      byLabelTop.set(key, [...(byLabelTop.get(key) ?? []), box(control)]);
    }
    const buttons = [...form.querySelectorAll(":scope > button, :scope > .filter-buttons > button, :scope > .actions > button")].map(box);
    return { rows: [...byLabelTop.values()], buttons };
  });
  assert.ok(rows, `${path}: a list filter`);
  for (const row of rows.rows) {
    const tops = new Set(row.map((c) => c.top));
    assert.equal(tops.size, 1, `${path}: the filter fields of one row start at different heights: ${JSON.stringify(row)}`);
  }
  for (const button of rows.buttons) {
    const row = rows.rows.find((r) => r.some((c) => button.top < c.bottom && button.bottom > c.top));
    assert.ok(row, `${path}: the filter button "${button.name}" is level with no row of fields`);
    const input = row[0];
    assert.ok(Math.abs((button.top + button.bottom) / 2 - (input.top + input.bottom) / 2) <= 4, `${path}: the filter button "${button.name}" is not level with the inputs beside it: ${JSON.stringify({ button, input })}`);
  }
}

/** At the desktop width the header's sections, the name and Sign out share one line. */
async function assertHeaderOnOneLine(page, path) {
  const lines = await page.evaluate(() => {
    const items = [...document.querySelectorAll("header nav[aria-label=Main] li, header .who > *")];
    return [...new Set(items.map((el) => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2)))];
  });
  assert.equal(lines.length, 1, `${path}: the header's sections wrap onto ${lines.length} lines (their middles at ${lines.join(", ")} px)`);
}

/** The organizations page after onboarding, saying so (the flash of the redirect). */
async function waitForOnboarded(page) {
  await main(page).locator("#flash").getByText(/created; an invitation was sent to/).waitFor();
}

/** A Partner Manager's request on /requests for the user with `email`. */
async function requestSecondaryRole(page, kindLabel, email) {
  const form = page.locator("#request");
  await form.getByLabel("Role").selectOption({ label: kindLabel });
  const userId = await form.getByLabel("For").locator("option", { hasText: email }).getAttribute("value");
  await form.getByLabel("For").selectOption(userId);
  await form.getByRole("button", { name: "Send request" }).click();
  await page.waitForURL(/\/requests$/);
  await main(page).locator("#flash").getByText("Request sent.").waitFor();
}

/** An operator approves the pending request from the queue (htmx swaps the row). */
async function approveRequest(page, kindLabel, userName) {
  const row = main(page).locator("tr", { hasText: kindLabel }).filter({ hasText: userName }).filter({ hasText: "Pending" });
  await row.getByRole("button", { name: "Approve" }).click();
  await main(page).locator("tr", { hasText: kindLabel }).filter({ hasText: userName }).getByText("Approved; the requester is mailed.").waitFor();
}

/** Adds a site from the workspace overview; returns its id from the page it lands on. */
async function addSite(page, name) {
  await page.goto("/analytics");
  const form = page.locator("#add-site");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Address (optional)").fill(`https://${name.toLowerCase().replace(/\W+/g, "-")}.example`);
  await form.getByRole("button", { name: "Add" }).click();
  await page.waitForURL(/\/analytics\/sites\/[^/?]+$/);
  await assertHeading(page, name);
  return pathOf(page).split("/").pop();
}
