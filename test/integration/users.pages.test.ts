// The users, invitations and requests pages: what each role sees (actions
// only for Partner Managers), the F-11 matrix rendered from the same data as
// enforcement, page forms that work without JavaScript, and htmx row actions
// that answer with the row and its result.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { roleRequests, users } from "../../src/db/schema";
import { PERMISSION_KEYS, PORTAL_PERMISSIONS } from "../../src/domain/roles";
import { api, db, mailTo, makeOperator, makeOrg, makeUser, signIn, uniqueEmail } from "../helpers/fixtures";
import { csrfFrom, flashOf, followRedirect, formPost, page, partnerOrg, signedIn, userRow } from "../helpers/portal";
import { elements, hxActionTargets } from "../helpers/ui";

async function html(path: string, cookie: string) {
  const res = await page(path, cookie);
  expect(res.status, path).toBe(200);
  return res.text();
}

/** The <tr> of one user on a page. */
const rowOf = (body: string, userId: string) => body.match(new RegExp(`<tr id="user-${userId}">[\\s\\S]*?</tr>`))?.[0] ?? "";

describe("GET /users for each role", () => {
  it("shows a Partner Manager the list with P/AA/AAA, row actions, the invite form, the managers and the matrix", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const invited = await makeUser({ orgId: org.id, name: "Ina Invited", status: "invited", passwordHash: null, totpSecretEnc: null });
    const buyer = await makeUser({ orgId: org.id, name: "Bea Buyer", purchaser: true, analyticsAccess: "I" });
    const gone = await makeUser({ orgId: org.id, name: "Gus Gone", status: "deactivated" });
    const body = await html("/users", cookie);

    const head = body.match(/<table aria-label="Users" class="dense"><thead>[\s\S]*?<\/thead>/)?.[0] ?? "";
    expect([...head.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1])).toEqual(["User", "Role", "Status", "Last sign-in", "P", "AA", "AAA", "Actions"]);
    const buyerRow = rowOf(body, buyer.id);
    // One column for the person: the name, with the email under it.
    expect(buyerRow).toContain(`<td class="person">Bea Buyer<span class="email">${buyer.email}</span></td>`);
    expect(buyerRow).toMatch(/<td>Y<\/td>\s*<td title="I — invited">I<\/td>\s*<td>N<\/td>/);
    // Role change and account actions, each a plain form with its htmx twin.
    expect(buyerRow).toContain(`action="/users/${buyer.id}/role"`);
    expect(buyerRow).toContain(`hx-post="/users/${buyer.id}/deactivate"`);
    expect(buyerRow).toMatch(/data-confirm="Deactivate [^"]+"/);
    expect(buyerRow).toMatch(/data-confirm="Reset two-factor[^"]+"/);
    expect(rowOf(body, invited.id)).toContain(`/users/${invited.id}/reinvite`);
    expect(rowOf(body, gone.id)).toContain(`/users/${gone.id}/activate`);
    // The manager's own row: role change yes, deactivate no.
    const own = rowOf(body, manager.id);
    expect(own).toContain(`/users/${manager.id}/role`);
    expect(own).not.toContain(`/users/${manager.id}/deactivate`);

    // Every row action, the AA cell's included, swaps its own row: the table body says so once.
    const targets = await hxActionTargets(body);
    expect(targets.length).toBeGreaterThan(8);
    expect(targets.filter((t) => t.path.startsWith("/users/") && (t.target !== "closest tr" || t.swap !== "outerHTML"))).toEqual([]);
    expect(buyerRow).not.toContain("hx-target=");

    expect(body).toContain('action="/users" class="card" id="invite"');
    expect(body).toContain("Who is my Analytics Administrator?");
    expect(body).toMatch(/href="\/api\/v1\/users\?format=csv"/);
    for (const key of PERMISSION_KEYS) expect(body).toContain(PORTAL_PERMISSIONS[key].label);
    expect(body).toContain("Partner Manager (you)");
  });

  it.each(["regular", "read_only"] as const)("shows a %s user the list, the managers and the matrix, but no actions and no invite form", async (role) => {
    const org = await makeOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager", name: "Mia Manager", analyticsAdmin: true });
    const member = await signedIn(org.id, role);
    const body = await html("/users", member.cookie);
    expect(rowOf(body, pm.id)).toContain("Mia Manager");
    expect(body).not.toContain("hx-post=");
    expect(body).not.toContain("/role\"");
    expect(body).not.toContain('id="invite"');
    expect(body).not.toContain(">Actions<");
    expect(body).toContain("Who is my Analytics Administrator?");
    expect(body).toMatch(/Mia Manager<\/td>\s*<td><a href="mailto:[^"]+">[^<]+<\/a><\/td>\s*<td>Yes<\/td>/);
    expect(body).toContain(`${role === "regular" ? "Regular User" : "Read-only User"} (you)`);
    // The matrix rows render from PORTAL_PERMISSIONS: "change portal user role" is No, No, Yes.
    expect(body).toMatch(/Change portal user role<\/th>\s*<td>No<\/td>\s*<td>No<\/td>\s*<td>Yes<\/td>/);
    expect(body).toMatch(/Export handouts<\/th>\s*<td>Yes<\/td>\s*<td>Yes<\/td>\s*<td>Yes<\/td>/);
    // The invitations page is not theirs.
    expect((await page("/invitations", member.cookie)).status).toBe(403);
  });

  it("sends operators to the organizations pages, where the same row actions work", async () => {
    const opCookie = await signIn(await makeOperator());
    const res = await page("/users", opCookie);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/orgs");
    const { org } = await partnerOrg();
    const member = await makeUser({ orgId: org.id, role: "regular" });
    const orgPage = await html(`/orgs/${org.id}`, opCookie);
    expect(rowOf(orgPage, member.id)).toContain(`hx-post="/users/${member.id}/deactivate"`);
    const token = await csrfFrom(`/orgs/${org.id}`, opCookie);
    const done = await formPost(`/users/${member.id}/deactivate`, {}, { cookie: opCookie, token });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`/orgs/${org.id}`);
    expect((await userRow(member.id)).status).toBe("deactivated");
  });

  it("filters, paginates and links the CSV export of the current filter", async () => {
    const { org, cookie } = await partnerOrg();
    for (let i = 0; i < 3; i++) await makeUser({ orgId: org.id, role: "read_only", name: `Reader ${i}` });
    const body = await html("/users?role=read_only&pageSize=2&q=Reader", cookie);
    expect(body).toContain("Page 1 of 2 · 3 users");
    expect(body).toContain('href="/users?q=Reader&amp;role=read_only&amp;page=2"');
    expect(body).toContain('href="/api/v1/users?q=Reader&amp;role=read_only&amp;format=csv"');
    expect(body).toContain("Reader 0");
    expect(body).not.toContain("Reader 2");
    expect(await html("/users?role=read_only&q=Reader 1", cookie)).toContain("Page 1 of 1 · 1 user<");
    const bad = await html("/users?role=boss", cookie);
    expect(bad).toContain("The filter was not understood");
  });
});

describe("page forms and htmx row actions", () => {
  it("a Partner Manager invites through the page form (token from the page) and sees the new row", async () => {
    const { org, cookie } = await partnerOrg();
    const token = await csrfFrom("/users", cookie);
    const email = uniqueEmail("page-invite");
    const res = await formPost("/users", { email: `  ${email.toUpperCase()} `, name: "Page Person", role: "read_only" }, { cookie, token });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toBe(`/users?q=${encodeURIComponent(email)}`);
    expect(flashOf(res)).toBe(`Invitation sent to ${email}.`);
    const [created] = await db().select().from(users).where(eq(users.email, email));
    expect(created).toMatchObject({ orgId: org.id, role: "read_only", status: "invited", name: "Page Person" });
    expect(await mailTo(email)).toHaveLength(1);

    const after = await (await followRedirect(res, cookie)).text();
    expect(after).toContain(`Invitation sent to ${email}.`);
    const row = rowOf(after, created!.id);
    expect(row).toContain("Page Person");
    expect(row).toContain(">Invited<");
    expect(row).toContain(`/users/${created!.id}/reinvite`);
  });

  it("shows field errors next to the invite fields and keeps what was typed", async () => {
    const { cookie } = await partnerOrg();
    const taken = await makeUser();
    const token = await csrfFrom("/users", cookie);
    const bad = await formPost("/users", { email: "nope", name: "Kept Name", role: "regular" }, { cookie, token });
    expect(bad.status).toBe(422);
    const body = await bad.text();
    expect(body).toMatch(/id="f-email-error"[^>]*>Enter a valid email address\./);
    expect(body).toContain('value="Kept Name"');
    const dup = await formPost("/users", { email: taken.email, name: "Dup", role: "regular" }, { cookie, token });
    expect(dup.status).toBe(422);
    expect(await dup.text()).toMatch(/already belongs to an account/);
  });

  it("refuses a form without the page's CSRF token", async () => {
    const { org, cookie } = await partnerOrg();
    const member = await makeUser({ orgId: org.id });
    const res = await formPost(`/users/${member.id}/deactivate`, {}, { cookie, token: "forged" });
    expect(res.status).toBe(403);
    expect((await userRow(member.id)).status).toBe("active");
  });

  it("changes a role by htmx: the row comes back with the new role and what was removed", async () => {
    const { org, cookie } = await partnerOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager", analyticsAdmin: true, purchaser: true });
    const token = await csrfFrom("/users", cookie);
    const res = await formPost(`/users/${pm.id}/role`, { role: "regular" }, { cookie, token, htmx: true });
    expect(res.status).toBe(200);
    const row = await res.text();
    expect(row).toMatch(new RegExp(`^<tr id="user-${pm.id}">`));
    expect(row).toContain('<option value="regular" selected="">Regular User</option>');
    expect(row).toContain("Role changed to Regular User. Removed: Analytics Administrator (AAA).");
    expect(await userRow(pm.id)).toMatchObject({ role: "regular", purchaser: true, analyticsAdmin: false });
  });

  it("shows a refusal inside the row (409, marked for swapping): demoting oneself as the last manager", async () => {
    const { manager, cookie } = await partnerOrg();
    const token = await csrfFrom("/users", cookie);
    const res = await formPost(`/users/${manager.id}/role`, { role: "regular" }, { cookie, token, htmx: true });
    expect(res.status).toBe(409);
    expect(res.headers.get("x-swap-error")).toBe("row");
    const row = await res.text();
    expect(row).toMatch(new RegExp(`^<tr id="user-${manager.id}">`));
    expect(row).toMatch(/role="alert">This is the last active Partner Manager/);
    expect((await userRow(manager.id)).role).toBe("partner_manager");

    // Without JavaScript: the page again, with the message, same status.
    const plain = await formPost(`/users/${manager.id}/role`, { role: "regular" }, { cookie, token });
    expect(plain.status).toBe(409);
    expect(await plain.text()).toContain("This is the last active Partner Manager");
  });

  it("deactivates, activates, re-invites and resets 2FA by htmx, each row showing its result", async () => {
    const { org, cookie } = await partnerOrg();
    const member = await makeUser({ orgId: org.id });
    const invited = await makeUser({ orgId: org.id, status: "invited", passwordHash: null, totpSecretEnc: null });
    const token = await csrfFrom("/users", cookie);
    const post = (path: string) => formPost(path, {}, { cookie, token, htmx: true });

    const off = await post(`/users/${member.id}/deactivate`);
    expect(off.status).toBe(200);
    const offRow = await off.text();
    expect(offRow).toContain(">Deactivated<");
    expect(offRow).toContain('role="status">Deactivated.');
    expect(offRow).toContain(`/users/${member.id}/activate`);
    const on = await post(`/users/${member.id}/activate`);
    expect(await on.text()).toContain('role="status">Activated.');
    const reset = await post(`/users/${member.id}/reset-2fa`);
    expect(await reset.text()).toContain("2FA reset");
    expect((await userRow(member.id)).status).toBe("pending_2fa");
    const again = await post(`/users/${invited.id}/reinvite`);
    expect(await again.text()).toContain("Invitation sent again.");
    expect(await mailTo(invited.email)).toHaveLength(1);

    // Without JavaScript the same action redirects back, and the page says what was done.
    const plain = await formPost(`/users/${member.id}/deactivate`, {}, { cookie, token });
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe("/users");
    const [said] = await elements(await (await followRedirect(plain, cookie)).text(), "#flash");
    expect(said?.text).toBe(`${member.email}: Deactivated.`);
  });

  it.each(["regular", "read_only"] as const)("refuses row actions of a %s user with 403 and changes nothing", async (role) => {
    const org = await makeOrg();
    const target = await makeUser({ orgId: org.id });
    const member = await signedIn(org.id, role);
    const token = await csrfFrom("/users", member.cookie);
    for (const path of ["deactivate", "reset-2fa"]) {
      expect((await formPost(`/users/${target.id}/${path}`, {}, { cookie: member.cookie, token, htmx: true })).status).toBe(403);
    }
    expect((await formPost(`/users/${target.id}/role`, { role: "partner_manager" }, { cookie: member.cookie, token })).status).toBe(403);
    expect((await formPost("/users", { email: uniqueEmail(), name: "X", role: "regular" }, { cookie: member.cookie, token })).status).toBe(403);
    expect(await userRow(target.id)).toMatchObject({ status: "active", role: "regular" });
  });
});

describe("invitations page (F-92)", () => {
  it("previews a pasted CSV, then sends it with the confirm button; the list shows the new invitations", async () => {
    const { cookie } = await partnerOrg();
    const taken = await makeUser();
    const token = await csrfFrom("/invitations", cookie);
    const fresh = uniqueEmail("paste");
    const csv = `email,name,role\n${fresh},Pia Paste,Regular User\n${taken.email},Old,regular\nbad,Bad,regular`;

    const preview = await formPost("/invitations/preview", { csv }, { cookie, token });
    expect(preview.status).toBe(200);
    const body = await preview.text();
    expect(body).toContain("Preview: nothing is sent yet");
    expect(body).toContain("1 will be invited, 1 already has an account, 1 is invalid.");
    expect(body).toMatch(/Will be invited/);
    expect(body).toMatch(/Already a user/);
    expect(body).toMatch(/Invalid<\/strong><span class="muted"> — &quot;bad&quot; is not a valid email address\./);
    expect(body).toContain('action="/invitations/bulk"');
    expect(await mailTo(fresh)).toHaveLength(0);

    const confirmCsv = body.match(/<textarea id="f-confirm-csv" name="csv" rows="4" readonly="">([\s\S]*?)<\/textarea>/)![1]!;
    const decoded = confirmCsv.replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
    expect(decoded).toBe(csv);
    const done = await formPost("/invitations/bulk", { csv: decoded }, { cookie, token });
    expect(done.status).toBe(200);
    const report = await done.text();
    expect(report).toContain("1 invitation sent. 1 already a user, 1 invalid.");
    expect(await mailTo(fresh)).toHaveLength(1);
    expect(report).toMatch(new RegExp(`<td>Pia Paste</td>\\s*<td>${fresh.replace(/[.+]/g, "\\$&")}</td>`));
  });

  it("previews an uploaded CSV file (multipart)", async () => {
    const { cookie } = await partnerOrg();
    const token = await csrfFrom("/invitations", cookie);
    const fresh = uniqueEmail("upload");
    const file = new File([`${fresh},Uma Upload,Partner Manager\n`], "team.csv", { type: "text/csv" });
    const res = await formPost("/invitations/preview", { csv: "" }, { cookie, token, files: { file } });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain("1 will be invited");
    expect(body).toContain("Uma Upload");
  });

  it("shows the error next to the CSV field when nothing was given", async () => {
    const { cookie } = await partnerOrg();
    const token = await csrfFrom("/invitations", cookie);
    const res = await formPost("/invitations/preview", { csv: "" }, { cookie, token });
    expect(res.status).toBe(422);
    expect(await res.text()).toMatch(/id="f-csv-error" role="alert">Paste or upload a CSV/);
  });

  it("revokes and resends from the list by htmx", async () => {
    const { cookie } = await partnerOrg();
    const email = uniqueEmail("row");
    expect((await api("/api/v1/users", { cookie, body: { email, name: "Row Person", role: "regular" } })).status).toBe(201);
    const listPage = await html("/invitations", cookie);
    const id = listPage.match(/<tr id="invitation-([^"]+)">/)![1]!;
    expect(listPage).toMatch(/data-confirm="Revoke the invitation of [^"]+"/);
    const token = await csrfFrom("/invitations", cookie);

    const revoked = await formPost(`/invitations/${id}/revoke`, {}, { cookie, token, htmx: true });
    expect(revoked.status).toBe(200);
    const revokedRow = await revoked.text();
    expect(revokedRow).toContain(">Revoked<");
    expect(revokedRow).toContain("Revoked: the link no longer works.");
    expect(revokedRow).not.toContain("/revoke");

    const again = await formPost(`/invitations/${id}/revoke`, {}, { cookie, token, htmx: true });
    expect(again.status).toBe(409);
    expect(again.headers.get("x-swap-error")).toBe("row");

    const resent = await formPost(`/invitations/${id}/resend`, {}, { cookie, token, htmx: true });
    expect(resent.status).toBe(200);
    const resentRow = await resent.text();
    expect(resentRow).toContain(">Pending<");
    expect(resentRow).not.toContain(`invitation-${id}"`);
    expect(await mailTo(email)).toHaveLength(2);
  });
});

describe("requests page (F-16)", () => {
  it("a Partner Manager requests by form and sees the request; an operator approves it by htmx", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const user = await makeUser({ orgId: org.id, role: "regular", name: "Quinn Queue" });
    const token = await csrfFrom("/requests", cookie);
    const form = await html("/requests", cookie);
    expect(form).toContain('action="/requests" class="card" id="request"');
    expect(form).toContain("Quinn Queue");

    const bad = await formPost("/requests", { kind: "analytics_admin", userId: user.id }, { cookie, token });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/id="f-userId-error" role="alert">Analytics Administrator \(AAA\) can only be given to Partner Managers/);

    const sent = await formPost("/requests", { kind: "purchaser", userId: user.id }, { cookie, token });
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe("/requests");
    const mine = await (await followRedirect(sent, cookie)).text();
    expect(mine).toContain("Request sent.");
    expect(mine).toMatch(/Purchaser \(P\)<\/td>\s*<td>Quinn Queue/);
    expect(mine).not.toContain("/approve");

    const [request] = await db().select().from(roleRequests).where(eq(roleRequests.userId, user.id));
    const operator = await makeOperator();
    const opCookie = await signIn(operator);
    const queue = await html("/requests", opCookie);
    expect(queue).toContain("Requests queue");
    expect(queue).toContain(`hx-post="/requests/${request!.id}/approve"`);
    expect(queue).toMatch(new RegExp(`data-confirm="Reject the request`));
    expect(queue).not.toContain('id="request"');

    const opToken = await csrfFrom("/requests", opCookie);
    const approved = await formPost(`/requests/${request!.id}/approve`, {}, { cookie: opCookie, token: opToken, htmx: true });
    expect(approved.status).toBe(200);
    const row = await approved.text();
    expect(row).toContain("Approved");
    expect(row).toContain("Approved; the requester is mailed.");
    expect(row).not.toContain("/approve");
    expect((await userRow(user.id)).purchaser).toBe(true);
    expect((await mailTo(manager.email)).some((m) => /was approved/.test(m.subject))).toBe(true);
  });

  it.each(["regular", "read_only"] as const)("is not for a %s user (403)", async (role) => {
    const org = await makeOrg();
    const member = await signedIn(org.id, role);
    expect((await page("/requests", member.cookie)).status).toBe(403);
  });
});
