// The /partners and /partner-dashboard pages (F-60…F-65): plain form flows
// without JavaScript, errors next to their fields with the typed values kept,
// and what each role sees.
import { beforeAll, describe, expect, it } from "vitest";
import { makeUser, uniqueEmail, type TestUser } from "../helpers/fixtures";
import { makeSite, seedStats } from "../helpers/analytics";
import { makePlan } from "../helpers/companies";
import { csrfFrom, flashOf, followRedirect, formPost, page } from "../helpers/portal";
import { grantsOf, insertGrant, makeChannelPartner, makeCustomerOrg, signedVerified, type Signed } from "../helpers/partners";

let customer: { id: string; name: string };
let regular: Signed;
let readOnly: Signed;

beforeAll(async () => {
  customer = await makeCustomerOrg({ name: "Pages Customer" });
  [regular, readOnly] = await Promise.all([signedVerified(customer.id, "regular"), signedVerified(customer.id, "read_only")]);
});

async function makePartner() {
  const org = await makeChannelPartner({ name: `Partner ${uniqueEmail("p").slice(8, 18)}` });
  const [alice, bob] = await Promise.all([makeUser({ orgId: org.id, name: "Alice Pages" }), makeUser({ orgId: org.id, name: "Bob Pages" })]);
  return { org, alice, bob };
}

const post = async (path: string, fields: Record<string, string>, who: Signed = regular) =>
  formPost(path, fields, { cookie: who.cookie, token: await csrfFrom("/partners", who.cookie) });

const fieldError = (html: string, id: string) => html.match(new RegExp(`id="${id}-error"[^>]*>([^<]*)<`))?.[1];

describe("/partners", () => {
  it("adds a partner by email and lists it with its users and actions", async () => {
    const { org, alice } = await makePartner();
    const res = await post("/partners", { email: alice.email, expiresAt: "" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/partners");
    const html = await (await followRedirect(res, regular.cookie)).text();
    expect(html).toContain("Partner access granted.");
    expect(html).toContain(org.name);
    expect(html).toContain(alice.email);
    expect(html).toContain(`&lt;${alice.email}&gt; · <span class="muted">no end date</span>`);
    expect(html).toContain(`href="/partners/${org.id}/edit"`);
    expect(html).toContain(`href="/partners/${org.id}/remove"`);
    expect(html).not.toMatch(/ style=/);
  });

  it("shows an F-61 refusal next to the email field and keeps what was typed", async () => {
    const typed = uniqueEmail("nobody");
    const res = await post("/partners", { email: typed, expiresAt: "2031-01-01" });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(fieldError(html, "f-add-email")).toBe("This email address does not belong to an active account of a channel partner.");
    expect(html).toContain(`value="${typed}"`);
    expect(html).toContain('value="2031-01-01"');
  });

  it("a past end date is refused next to the date field", async () => {
    const { alice } = await makePartner();
    const res = await post("/partners", { email: alice.email, expiresAt: "2001-01-01" });
    expect(res.status).toBe(422);
    expect(fieldError(await res.text(), "f-add-email-expires")).toMatch(/future/);
  });

  it("adds users of an existing channel partner: search, Next, tick, Add", async () => {
    const { org, alice, bob } = await makePartner();
    const search = await (await page(`/partners?orgQ=${encodeURIComponent(org.name)}`, regular.cookie)).text();
    expect(search).toContain(`name="pick" value="${org.id}"`);

    const picked = await (await page(`/partners?orgQ=${encodeURIComponent(org.name)}&pick=${org.id}`, regular.cookie)).text();
    expect(picked).toContain(`Users of ${org.name}`);
    expect(picked).toContain(`name="user.${alice.id}"`);
    expect(picked).toContain(`name="user.${bob.id}"`);

    const none = await post("/partners/organization", { orgId: org.id, expiresAt: "" });
    expect(none.status).toBe(422);
    const noneHtml = await none.text();
    expect(fieldError(noneHtml, "f-userIds")).toBe("Pick at least one user.");
    expect(noneHtml).toContain(`name="user.${alice.id}"`);

    const res = await post("/partners/organization", { orgId: org.id, [`user.${bob.id}`]: "on", expiresAt: "" });
    expect(res.status).toBe(303);
    expect((await grantsOf(customer.id)).filter((g) => g.partnerOrgId === org.id).map((g) => g.partnerUserId)).toEqual([bob.id]);
  });

  it("a picked organization that is not a channel partner is explained in place", async () => {
    const plain = await makeChannelPartner({ channelPartner: false });
    const html = await (await page(`/partners?pick=${plain.id}`, regular.cookie)).text();
    expect(html).toContain("That organization is not a channel partner");
  });

  it("edits with checkboxes and an end date, then removes after a confirmation", async () => {
    const { org, alice, bob } = await makePartner();
    await post("/partners/organization", { orgId: org.id, [`user.${alice.id}`]: "on", [`user.${bob.id}`]: "on", expiresAt: "" });

    const edit = await (await page(`/partners/${org.id}/edit`, regular.cookie)).text();
    expect(edit).toMatch(new RegExp(`name="user.${alice.id}" value="on" checked`));
    const bad = await post(`/partners/${org.id}`, { [`user.${alice.id}`]: "on", expiresAt: "2001-01-01" });
    expect(bad.status).toBe(422);
    expect(fieldError(await bad.text(), "f-edit-expires")).toMatch(/future/);

    const saved = await post(`/partners/${org.id}`, { [`user.${alice.id}`]: "on", expiresAt: "2040-06-01" });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/partners");
    expect(flashOf(saved)).toBe("Partner access saved.");
    const rows = (await grantsOf(customer.id)).filter((g) => g.partnerOrgId === org.id);
    expect(rows.map((g) => [g.partnerUserId, g.expiresAt])).toEqual([[alice.id, Date.UTC(2040, 5, 1)]]);
    expect(await (await page("/partners", regular.cookie)).text()).toMatch(new RegExp(`&lt;${alice.email}&gt; · ends <time datetime="2040-06-01T00:00:00.000Z"`));

    const confirm = await (await page(`/partners/${org.id}/remove`, regular.cookie)).text();
    expect(confirm).toContain("Yes, remove access");
    const removed = await post(`/partners/${org.id}/remove`, {});
    expect(removed.status).toBe(303);
    expect((await grantsOf(customer.id)).filter((g) => g.partnerOrgId === org.id)).toHaveLength(0);
  });

  it("a read-only user sees the table without Add, Edit or Remove", async () => {
    const { org, alice } = await makePartner();
    await insertGrant(customer.id, alice);
    const html = await (await page("/partners", readOnly.cookie)).text();
    expect(html).toContain(org.name);
    expect(html).not.toContain("Add a partner");
    expect(html).not.toContain(`/partners/${org.id}/edit`);
    expect((await page(`/partners/${org.id}/edit`, readOnly.cookie)).status).toBe(403);
    expect((await page(`/partners/${org.id}/remove`, readOnly.cookie)).status).toBe(403);
  });
});

describe("/partner-dashboard", () => {
  let partnerUser: Signed;
  let alice: TestUser;
  beforeAll(async () => {
    const org = await makeChannelPartner();
    partnerUser = await signedVerified(org.id, "regular");
    alice = partnerUser.user;
    const site = await makeSite(customer.id, { name: "Main site" });
    await seedStats(site.id, [{ day: new Date().toISOString().slice(0, 10), visits: 42, events: 7 }]);
    await makePlan(customer.id, { plan: "enterprise", seats: 12 });
    await insertGrant(customer.id, alice);
  });

  it("shows a card per customer with its numbers, an accessible sparkline and capacity, without prices or inline styles", async () => {
    const res = await page("/partner-dashboard", partnerUser.cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`href="/partner-dashboard/${customer.id}"`);
    expect(html).toContain(">42<");
    expect(html).toMatch(/<svg class="sparkline visits"[^>]*role="img"[^>]*aria-labelledby="spark-visits-[^"]+"[^>]*><title id="spark-visits-[^"]+">Visits per day, last 30 days: 42 in total/);
    expect(html).toContain("Enterprise");
    expect(html).not.toMatch(/EUR|unitPrice| style=/);
  });

  it("shows one customer's sites; a customer without a grant is not found", async () => {
    const detail = await (await page(`/partner-dashboard/${customer.id}`, partnerUser.cookie)).text();
    expect(detail).toContain("Main site");
    const other = await makeCustomerOrg();
    expect((await page(`/partner-dashboard/${other.id}`, partnerUser.cookie)).status).toBe(404);
  });
});
