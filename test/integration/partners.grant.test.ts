// F-60/F-61/F-95: granting partner access by email or by picking users of a
// channel partner; each F-61 check's own error; answers that reveal nothing
// about accounts outside channel partners; who may grant; mails and audit.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { partnerGrants } from "../../src/db/schema";
import { api, db, expectError, makeOperator, makeUser, signIn, uniqueEmail } from "../helpers/fixtures";
import {
  DAY,
  grantsOf,
  mailsFor,
  makeChannelPartner,
  makeCustomerOrg,
  partnerAudit,
  signedVerified,
  type Signed,
} from "../helpers/partners";

interface Customer {
  org: { id: string; name: string };
  regular: Signed;
  readOnly: Signed;
  manager: Signed;
}

async function makeCustomer(): Promise<Customer> {
  const org = await makeCustomerOrg();
  const [regular, readOnly, manager] = await Promise.all([
    signedVerified(org.id, "regular"),
    signedVerified(org.id, "read_only"),
    signedVerified(org.id, "partner_manager"),
  ]);
  return { org, regular, readOnly, manager };
}

/** A fresh channel partner with two active users and a deactivated one, so every test owns its partner rows. */
async function makePartner(overrides: Parameters<typeof makeChannelPartner>[0] = {}) {
  const org = await makeChannelPartner(overrides);
  const [alice, bob, gone] = await Promise.all([
    makeUser({ orgId: org.id, role: "regular", name: "Alice Partner" }),
    makeUser({ orgId: org.id, role: "partner_manager", name: "Bob Partner" }),
    makeUser({ orgId: org.id, role: "regular", status: "deactivated" }),
  ]);
  return { org, alice, bob, gone };
}

type PartnerAnswer = {
  partner: { org: { id: string; name: string }; addedUsers: number; users: { id: string; name: string; email: string; expiresAt: string | null }[]; expiresAt: string | null };
};
type PartnersList = { items: { org: { id: string; name: string }; addedUsers: number; users: { id: string; email: string; expiresAt: string | null }[] }[] };

const grant = (cookie: string, body: unknown) => api("/api/v1/partners", { method: "POST", body, cookie });
const futureDate = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

let customer: Customer;
beforeAll(async () => {
  customer = await makeCustomer();
});

describe("grant by email (F-60)", () => {
  it("gives one partner user access and lists their organization in the partners table", async () => {
    const { org, alice } = await makePartner();
    const res = await grant(customer.regular.cookie, { email: `  ${alice.email.toUpperCase()} ` });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as PartnerAnswer;
    expect(body.partner).toEqual({
      org: { id: org.id, name: org.name },
      addedUsers: 1,
      users: [{ id: alice.id, name: alice.name, email: alice.email, expiresAt: null }],
      expiresAt: null,
    });
    const [row] = await db().select().from(partnerGrants).where(eq(partnerGrants.partnerUserId, alice.id));
    expect(row).toMatchObject({ customerOrgId: customer.org.id, partnerOrgId: org.id, grantedBy: customer.regular.user.id, expiresAt: null });

    const list = (await (await api(`/api/v1/partners?q=${encodeURIComponent(org.name)}`, { cookie: customer.regular.cookie })).json()) as PartnersList;
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ org: { id: org.id, name: org.name }, addedUsers: 1 });
  });

  it("mails the partner user and copies the customer's Partner Managers, and audits the change with the user lists", async () => {
    const { org, alice } = await makePartner();
    const expiresAt = futureDate(40);
    const res = await grant(customer.regular.cookie, { email: alice.email, expiresAt });
    expect(res.status).toBe(201);

    const [mail] = (await mailsFor(alice.email)).filter((m) => m.subject === `${customer.org.name} gave you access to its insights`);
    expect(mail, "grant mail to the partner user").toBeDefined();
    expect(mail!.text).toContain(`Hello ${alice.name},`);
    expect(mail!.text).toContain(`${expiresAt} 00:00 UTC`);
    expect(mail!.text).toContain("https://portico.test/partner-dashboard");

    const copies = (await mailsFor(customer.manager.user.email)).filter((m) => m.subject === `Partner access granted: ${org.name}`);
    expect(copies).toHaveLength(1);
    expect(copies[0]!.text).toContain(alice.email);
    expect(copies[0]!.text).toContain(customer.regular.user.name);
    // Only active Partner Managers of the granting organization get the copy.
    expect((await mailsFor(customer.regular.user.email)).filter((m) => m.subject.includes(org.name))).toHaveLength(0);

    const audit = (await partnerAudit(customer.org.id, "partner_access.granted")).filter((a) => a.targetId === org.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorId).toBe(customer.regular.user.id);
    expect(JSON.parse(audit[0]!.before!)).toMatchObject({ users: [] });
    expect(JSON.parse(audit[0]!.after!)).toMatchObject({ users: [{ id: alice.id, email: alice.email, expiresAt: `${expiresAt}T00:00:00.000Z` }] });
  });
});

describe("grant by picking a partner organization (F-60)", () => {
  it("lists only active channel partners, and only their active users", async () => {
    const tag = uniqueEmail("tag").slice(4, 16);
    const partner = await makePartner({ name: `Picker ${tag} channel` });
    const notChannel = await makeChannelPartner({ name: `Picker ${tag} plain`, channelPartner: false });
    const terminated = await makeChannelPartner({ name: `Picker ${tag} closed`, status: "terminated" });
    await makeCustomerOrg({ name: `Picker ${tag} customer` });

    const res = await api(`/api/v1/partners/organizations?q=${encodeURIComponent(`Picker ${tag}`)}`, { cookie: customer.regular.cookie });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([{ id: partner.org.id, name: partner.org.name }]);

    const members = await api(`/api/v1/partners/organizations/${partner.org.id}/users`, { cookie: customer.regular.cookie });
    const { items } = (await members.json()) as { items: { id: string; name: string; email: string }[] };
    expect(items.map((u) => u.id).sort()).toEqual([partner.alice.id, partner.bob.id].sort());
    expect(Object.keys(items[0]!).sort()).toEqual(["email", "id", "name"]);

    // Any other organization answers like one that does not exist.
    const unknown = await (await api(`/api/v1/partners/organizations/nope/users`, { cookie: customer.regular.cookie })).text();
    for (const id of [notChannel.id, terminated.id, customer.org.id]) {
      const other = await api(`/api/v1/partners/organizations/${id}/users`, { cookie: customer.regular.cookie });
      expect(other.status).toBe(404);
      expect(await other.text()).toBe(unknown);
    }
  });

  it("grants the ticked users", async () => {
    const { org, alice, bob } = await makePartner();
    const res = await grant(customer.regular.cookie, { orgId: org.id, userIds: [alice.id, bob.id] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as PartnerAnswer;
    expect(body.partner.addedUsers).toBe(2);
    expect(body.partner.users.map((u) => u.id).sort()).toEqual([alice.id, bob.id].sort());
    expect((await mailsFor(alice.email)).length).toBeGreaterThan(0);
    expect((await mailsFor(bob.email)).length).toBeGreaterThan(0);
  });

  it("an organization already in the table only gets users added or updated, never twice", async () => {
    const { org, alice, bob } = await makePartner();
    expect((await grant(customer.regular.cookie, { email: alice.email })).status).toBe(201);
    const expiresAt = futureDate(10);
    const res = await grant(customer.regular.cookie, { orgId: org.id, userIds: [alice.id, bob.id, bob.id], expiresAt });
    expect(res.status).toBe(201);
    const body = (await res.json()) as PartnerAnswer;
    expect(body.partner.addedUsers).toBe(2);
    expect(body.partner.expiresAt).toBe(`${expiresAt}T00:00:00.000Z`);
    const rows = (await grantsOf(customer.org.id)).filter((g) => g.partnerOrgId === org.id);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.expiresAt === Date.parse(`${expiresAt}T00:00:00Z`))).toBe(true);

    const list = (await (await api(`/api/v1/partners?q=${encodeURIComponent(org.name)}`, { cookie: customer.regular.cookie })).json()) as PartnersList;
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.addedUsers).toBe(2);
    const audits = (await partnerAudit(customer.org.id, "partner_access.granted")).filter((a) => a.targetId === org.id);
    expect(audits).toHaveLength(2);
    const second = audits.find((a) => JSON.parse(a.before!).users.length === 1)!;
    expect(JSON.parse(second.after!).users).toHaveLength(2);
    // Alice already had access: her end date moved, so she hears of the change, not of a new grant.
    expect((await mailsFor(alice.email)).map((m) => m.subject).sort()).toEqual(
      [`${customer.org.name} gave you access to its insights`, `Your access to ${customer.org.name}'s insights changed`].sort(),
    );

    // The same grant again changes nothing: no mail, no audit row.
    expect((await grant(customer.regular.cookie, { orgId: org.id, userIds: [alice.id, bob.id], expiresAt })).status).toBe(201);
    expect((await partnerAudit(customer.org.id, "partner_access.granted")).filter((a) => a.targetId === org.id)).toHaveLength(2);
    expect(await mailsFor(bob.email)).toHaveLength(1);
  });

  it("refuses users who are not active users of the picked organization (422 userIds)", async () => {
    const { org, alice, gone } = await makePartner();
    const other = await makePartner();
    for (const userIds of [[alice.id, gone.id], [other.alice.id], ["no-such-user"]]) {
      const error = await expectError(await grant(customer.regular.cookie, { orgId: org.id, userIds }), 422, "validation_failed");
      expect(error.fields?.userIds).toMatch(/active account/);
    }
    expect((await grantsOf(customer.org.id)).filter((g) => g.partnerOrgId === org.id)).toHaveLength(0);
  });
});

describe("F-61 checks, each with its own error", () => {
  it("grantor_not_verified: an account that never accepted the privacy policy cannot grant", async () => {
    const { alice } = await makePartner();
    const unverified = await makeUser({ orgId: customer.org.id, role: "regular" });
    const cookie = await signIn(unverified);
    const error = await expectError(await grant(cookie, { email: alice.email }), 403, "grantor_not_verified");
    expect(error.message).toMatch(/privacy policy/);
    expect(await db().select().from(partnerGrants).where(eq(partnerGrants.partnerUserId, alice.id))).toHaveLength(0);
  });

  it("target_in_own_organization: a colleague's address (field email)", async () => {
    const error = await expectError(await grant(customer.regular.cookie, { email: customer.readOnly.user.email }), 422, "target_in_own_organization");
    expect(error.fields?.email).toMatch(/your own organization/);
  });

  it("not_a_partner_account: unknown, inactive, customer, vendor and non-channel-partner addresses answer byte for byte the same", async () => {
    const plain = await makeChannelPartner({ channelPartner: false });
    const [plainUser, inactive, otherCustomerUser, operator, invited] = await Promise.all([
      makeUser({ orgId: plain.id }),
      makeUser({ orgId: (await makePartner()).org.id, status: "deactivated" }),
      makeUser({ orgId: (await makeCustomerOrg()).id }),
      makeOperator(),
      makeUser({ orgId: (await makePartner()).org.id, status: "invited" }),
    ]);
    const cases: Record<string, string> = {
      unknown: uniqueEmail("nobody"),
      "non-channel partner": plainUser.email,
      "deactivated account": inactive.email,
      "invited account": invited.email,
      "customer account": otherCustomerUser.email,
      "vendor account": operator.email,
    };
    const answers: Record<string, string> = {};
    for (const [label, email] of Object.entries(cases)) {
      const res = await grant(customer.regular.cookie, { email });
      expect(res.status, label).toBe(422);
      // The address itself is never echoed, so the bodies can be compared as they are.
      answers[label] = await res.text();
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
    }
    const distinct = new Set(Object.values(answers));
    expect(distinct.size, JSON.stringify(answers, null, 1)).toBe(1);
    const body = JSON.parse(answers.unknown!) as { error: { code: string; fields: Record<string, string> } };
    expect(body.error.code).toBe("not_a_partner_account");
    expect(Object.keys(body.error.fields)).toEqual(["email"]);
  });

  it("not_channel_partner: a picked organization that is not a channel partner (field orgId), same answer as an unknown id", async () => {
    const plain = await makeChannelPartner({ channelPartner: false });
    const plainUser = await makeUser({ orgId: plain.id });
    const closed = await makePartner({ status: "terminated" });
    const otherCustomer = await makeCustomerOrg();
    const customerUser = await makeUser({ orgId: otherCustomer.id });
    const answers = [];
    for (const [orgId, userId] of [
      [plain.id, plainUser.id],
      [closed.org.id, closed.alice.id],
      [otherCustomer.id, customerUser.id],
      ["no-such-org", plainUser.id],
    ] as const) {
      const res = await grant(customer.regular.cookie, { orgId, userIds: [userId] });
      const text = await res.text();
      expect(res.status, text).toBe(422);
      answers.push(text);
    }
    expect(new Set(answers).size).toBe(1);
    const body = JSON.parse(answers[0]!) as { error: { code: string; fields: Record<string, string> } };
    expect(body.error.code).toBe("not_channel_partner");
    expect(body.error.fields.orgId).toMatch(/not a channel partner/);
  });

  it("the grantor check comes first", async () => {
    const unverified = await makeUser({ orgId: customer.org.id, role: "partner_manager" });
    await expectError(await grant(await signIn(unverified), { email: uniqueEmail() }), 403, "grantor_not_verified");
  });
});

describe("input and expiry (F-95)", () => {
  it("an end date in the past or today is refused next to the field", async () => {
    const { alice } = await makePartner();
    for (const expiresAt of [futureDate(-1), futureDate(0), new Date(Date.now() - 60_000).toISOString()]) {
      const error = await expectError(await grant(customer.regular.cookie, { email: alice.email, expiresAt }), 422, "validation_failed");
      expect(error.fields?.expiresAt).toMatch(/future/);
    }
    const unreadable = await expectError(await grant(customer.regular.cookie, { email: alice.email, expiresAt: "next week" }), 422, "validation_failed");
    expect(unreadable.fields?.expiresAt).toMatch(/YYYY-MM-DD/);
    expect(await db().select().from(partnerGrants).where(eq(partnerGrants.partnerUserId, alice.id))).toHaveLength(0);
  });

  it("an ISO date-time in the future is kept to the millisecond", async () => {
    const { alice } = await makePartner();
    const at = new Date(Date.now() + 5 * DAY).toISOString();
    const res = await grant(customer.regular.cookie, { email: alice.email, expiresAt: at });
    expect(res.status).toBe(201);
    expect(((await res.json()) as PartnerAnswer).partner.users[0]!.expiresAt).toBe(at);
  });

  it("asks for one mode: an email, or an organization with users", async () => {
    const { org, alice } = await makePartner();
    expect((await expectError(await grant(customer.regular.cookie, {}), 422, "validation_failed")).fields?.email).toBeDefined();
    expect((await expectError(await grant(customer.regular.cookie, { email: alice.email, orgId: org.id, userIds: [alice.id] }), 422, "validation_failed")).fields?.email).toMatch(/not both/);
    expect((await expectError(await grant(customer.regular.cookie, { orgId: org.id }), 422, "validation_failed")).fields?.userIds).toBeDefined();
    expect((await expectError(await grant(customer.regular.cookie, { orgId: org.id, userIds: [] }), 422, "validation_failed")).fields?.userIds).toBeDefined();
    expect((await expectError(await grant(customer.regular.cookie, { email: "not-an-address" }), 422, "validation_failed")).fields?.email).toBeDefined();
  });
});

describe("who may grant", () => {
  it("a read-only user sees the partners table but cannot grant, edit or remove (403)", async () => {
    const { org, alice } = await makePartner();
    expect((await grant(customer.regular.cookie, { email: alice.email })).status).toBe(201);
    const list = await api("/api/v1/partners", { cookie: customer.readOnly.cookie });
    expect(list.status).toBe(200);
    expect(((await list.json()) as PartnersList).items.some((i) => i.org.id === org.id)).toBe(true);

    await expectError(await grant(customer.readOnly.cookie, { email: alice.email }), 403, "forbidden");
    await expectError(await api(`/api/v1/partners/${org.id}`, { method: "PUT", body: { userIds: [] }, cookie: customer.readOnly.cookie }), 403, "forbidden");
    await expectError(await api(`/api/v1/partners/${org.id}`, { method: "DELETE", cookie: customer.readOnly.cookie }), 403, "forbidden");
    await expectError(await api("/api/v1/partners/organizations", { cookie: customer.readOnly.cookie }), 403, "forbidden");
    expect((await grantsOf(customer.org.id)).filter((g) => g.partnerOrgId === org.id)).toHaveLength(1);
  });

  it("a Partner Manager of the customer may grant", async () => {
    const { alice } = await makePartner();
    expect((await grant(customer.manager.cookie, { email: alice.email })).status).toBe(201);
  });

  it("users of a partner organization and operators have no partners table (403)", async () => {
    const partner = await makePartner();
    const partnerUser = await signedVerified(partner.org.id, "partner_manager");
    const target = await makePartner();
    await expectError(await grant(partnerUser.cookie, { email: target.alice.email }), 403, "forbidden");
    await expectError(await api("/api/v1/partners", { cookie: partnerUser.cookie }), 403, "forbidden");
    const operator = await signedVerified((await makeOperator()).orgId, "operator");
    await expectError(await grant(operator.cookie, { email: target.alice.email }), 403, "forbidden");
  });

  it("needs a session (401)", async () => {
    await expectError(await api("/api/v1/partners"), 401, "unauthenticated");
  });
});

describe("partners table search (F-62)", () => {
  it("finds an organization by its name or by a granted user's email, and lists all its users", async () => {
    const own = await makeCustomer();
    const a = await makePartner();
    const b = await makePartner();
    await grant(own.regular.cookie, { orgId: a.org.id, userIds: [a.alice.id, a.bob.id] });
    await grant(own.regular.cookie, { email: b.alice.email });
    const search = async (q: string) => ((await (await api(`/api/v1/partners?q=${encodeURIComponent(q)}`, { cookie: own.readOnly.cookie })).json()) as PartnersList).items;

    expect((await search("")).map((i) => i.org.id).sort()).toEqual([a.org.id, b.org.id].sort());
    expect((await search(a.org.name)).map((i) => i.org.id)).toEqual([a.org.id]);
    const byEmail = await search(a.bob.email.toUpperCase());
    expect(byEmail.map((i) => i.org.id)).toEqual([a.org.id]);
    expect(byEmail[0]!.addedUsers).toBe(2);
    expect(await search("%")).toEqual([]);
  });

  it("shows only the caller's own organization's grants", async () => {
    const own = await makeCustomer();
    const { org, alice } = await makePartner();
    await grant(customer.regular.cookie, { email: alice.email });
    const list = (await (await api("/api/v1/partners", { cookie: own.regular.cookie })).json()) as PartnersList;
    expect(list.items.some((i) => i.org.id === org.id)).toBe(false);
    // Nor can it edit or remove another customer's partner.
    await expectError(await api(`/api/v1/partners/${org.id}`, { method: "DELETE", cookie: own.regular.cookie }), 404, "not_found");
  });
});
