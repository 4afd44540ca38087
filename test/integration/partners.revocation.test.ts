// F-63 edit and remove, F-64 automatic revocation at read time, and the daily
// cron run that deletes grants that expired (F-95) or no longer hold, with
// mails and audit, idempotently.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditEvents, organizations, partnerGrants, users } from "../../src/db/schema";
import { api, db, expectError, makeOperator, makeUser, signIn, type TestUser } from "../helpers/fixtures";
import {
  DAY,
  grantsOf,
  insertGrant,
  mailsFor,
  makeChannelPartner,
  makeCustomerOrg,
  partnerAudit,
  runDailyCron,
  signedVerified,
  type Signed,
} from "../helpers/partners";

type Dashboard = { customers: { org: { id: string; name: string } }[] };
type PartnersList = { items: { org: { id: string }; addedUsers: number; users: { id: string; expiresAt: string | null }[] }[] };

const dashboardIds = async (cookie: string) => {
  const res = await api("/api/v1/partner-dashboard", { cookie });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as Dashboard).customers.map((c) => c.org.id);
};

const tableEntry = async (cookie: string, partnerOrgId: string) =>
  ((await (await api("/api/v1/partners", { cookie })).json()) as PartnersList).items.find((i) => i.org.id === partnerOrgId);

interface Setup {
  customer: { id: string; name: string };
  regular: Signed;
  manager: Signed;
  partner: { id: string; name: string };
  partnerManager: Signed;
  alice: Signed;
  bob: TestUser;
  carol: TestUser;
}

/** A customer and a channel partner whose Alice and Bob were granted access through the API. */
async function setup(): Promise<Setup> {
  const customer = await makeCustomerOrg();
  const partner = await makeChannelPartner();
  const [regular, manager, partnerManager, alice, bob, carol] = await Promise.all([
    signedVerified(customer.id, "regular"),
    signedVerified(customer.id, "partner_manager"),
    signedVerified(partner.id, "partner_manager"),
    signedVerified(partner.id, "regular"),
    makeUser({ orgId: partner.id, role: "regular", name: "Bob Partner" }),
    makeUser({ orgId: partner.id, role: "regular", name: "Carol Partner" }),
  ]);
  const res = await api("/api/v1/partners", { method: "POST", body: { orgId: partner.id, userIds: [alice.user.id, bob.id] }, cookie: regular.cookie });
  expect(res.status, await res.clone().text()).toBe(201);
  return { customer, regular, manager, partner, partnerManager, alice, bob, carol };
}

const put = (s: Setup, body: unknown) => api(`/api/v1/partners/${s.partner.id}`, { method: "PUT", body, cookie: s.regular.cookie });

describe("edit partner access (F-63)", () => {
  it("replaces the organization's users: removed users are mailed and lose the customer at once, added ones are mailed", async () => {
    const s = await setup();
    expect(await dashboardIds(s.alice.cookie)).toContain(s.customer.id);

    const res = await put(s, { userIds: [s.bob.id, s.carol.id] });
    expect(res.status, await res.clone().text()).toBe(200);
    const { partner } = (await res.json()) as { partner: { addedUsers: number; users: { id: string }[] } };
    expect(partner.addedUsers).toBe(2);
    expect(partner.users.map((u) => u.id).sort()).toEqual([s.bob.id, s.carol.id].sort());

    expect(await dashboardIds(s.alice.cookie)).not.toContain(s.customer.id);
    expect((await mailsFor(s.alice.user.email)).map((m) => m.subject)).toContain(`Your access to ${s.customer.name}'s insights ended`);
    expect((await mailsFor(s.carol.email)).map((m) => m.subject)).toContain(`${s.customer.name} gave you access to its insights`);
    // Bob kept his access unchanged: no mail beyond the first grant.
    expect((await mailsFor(s.bob.email)).map((m) => m.subject)).toEqual([`${s.customer.name} gave you access to its insights`]);

    const copies = (await mailsFor(s.manager.user.email)).filter((m) => m.subject === `Partner access changed: ${s.partner.name}`);
    expect(copies).toHaveLength(1);
    expect(copies[0]!.text).toContain(`Added: ${s.carol.email}.`);
    expect(copies[0]!.text).toContain(`Removed: ${s.alice.user.email}.`);

    const [audit] = await partnerAudit(s.customer.id, "partner_access.changed");
    expect(JSON.parse(audit!.before!).users.map((u: { id: string }) => u.id).sort()).toEqual([s.alice.user.id, s.bob.id].sort());
    expect(JSON.parse(audit!.after!).users.map((u: { id: string }) => u.id).sort()).toEqual([s.bob.id, s.carol.id].sort());
  });

  it("a new end date mails the kept users that it changed (F-95); sending the same again changes nothing", async () => {
    const s = await setup();
    const expiresAt = new Date(Date.now() + 20 * DAY).toISOString().slice(0, 10);
    const res = await put(s, { userIds: [s.alice.user.id, s.bob.id], expiresAt });
    expect(res.status).toBe(200);
    expect((await grantsOf(s.customer.id)).map((g) => g.expiresAt)).toEqual([Date.parse(`${expiresAt}T00:00:00Z`), Date.parse(`${expiresAt}T00:00:00Z`)]);
    const changed = (await mailsFor(s.bob.email)).filter((m) => m.subject === `Your access to ${s.customer.name}'s insights changed`);
    expect(changed).toHaveLength(1);
    expect(changed[0]!.text).toContain(`${expiresAt} 00:00 UTC`);

    expect((await put(s, { userIds: [s.alice.user.id, s.bob.id], expiresAt })).status).toBe(200);
    expect(await partnerAudit(s.customer.id, "partner_access.changed")).toHaveLength(1);
    // Omitting the end date keeps each user's.
    expect((await put(s, { userIds: [s.bob.id] })).status).toBe(200);
    expect((await grantsOf(s.customer.id)).map((g) => g.expiresAt)).toEqual([Date.parse(`${expiresAt}T00:00:00Z`)]);
  });

  it("an empty list removes the organization; unknown organizations and foreign users are refused", async () => {
    const s = await setup();
    const foreign = await makeUser({ orgId: (await makeChannelPartner()).id });
    expect((await expectError(await put(s, { userIds: [foreign.id] }), 422, "validation_failed")).fields?.userIds).toBeDefined();
    await expectError(await api(`/api/v1/partners/no-such-org`, { method: "PUT", body: { userIds: [s.bob.id] }, cookie: s.regular.cookie }), 404, "not_found");
    expect((await put(s, { userIds: [] })).status).toBe(200);
    expect(await grantsOf(s.customer.id)).toHaveLength(0);
    expect(await partnerAudit(s.customer.id, "partner_access.removed")).toHaveLength(1);
  });
});

describe("remove partner access (F-63)", () => {
  it("removes every user of the organization, mails them and the Partner Managers, audits; a second remove is 404", async () => {
    const s = await setup();
    const res = await api(`/api/v1/partners/${s.partner.id}`, { method: "DELETE", cookie: s.regular.cookie });
    expect(res.status).toBe(204);
    expect(await grantsOf(s.customer.id)).toHaveLength(0);
    expect(await dashboardIds(s.alice.cookie)).not.toContain(s.customer.id);
    for (const email of [s.alice.user.email, s.bob.email]) {
      expect((await mailsFor(email)).map((m) => m.subject)).toContain(`Your access to ${s.customer.name}'s insights ended`);
    }
    const copy = (await mailsFor(s.manager.user.email)).find((m) => m.subject === `Partner access removed: ${s.partner.name}`);
    expect(copy?.text).toContain(s.bob.email);
    const [audit] = await partnerAudit(s.customer.id, "partner_access.removed");
    expect(JSON.parse(audit!.before!).users).toHaveLength(2);
    expect(JSON.parse(audit!.after!).users).toEqual([]);
    expect(audit!.actorId).toBe(s.regular.user.id);

    await expectError(await api(`/api/v1/partners/${s.partner.id}`, { method: "DELETE", cookie: s.regular.cookie }), 404, "not_found");
  });
});

describe("automatic revocation at read time (F-64)", () => {
  let operator: Signed;
  beforeAll(async () => {
    const op = await makeOperator();
    operator = { user: op, cookie: await signIn(op) };
  });

  it("the organization stops being a channel partner: its users no longer see the customer on their next request", async () => {
    const s = await setup();
    const patch = await api(`/api/v1/orgs/${s.partner.id}`, { method: "PATCH", body: { channelPartner: false }, cookie: operator.cookie });
    expect(patch.status, await patch.clone().text()).toBe(200);
    expect(await dashboardIds(s.alice.cookie)).not.toContain(s.customer.id);
    await expectError(await api(`/api/v1/partner-dashboard/${s.customer.id}`, { cookie: s.alice.cookie }), 404, "not_found");
    expect(await tableEntry(s.regular.cookie, s.partner.id)).toBeUndefined();
    // Nor can the customer extend it while it does not hold.
    await expectError(await put(s, { userIds: [s.alice.user.id] }), 404, "not_found");
  });

  it("the organization is terminated: the grant no longer shows on either side", async () => {
    const s = await setup();
    const patch = await api(`/api/v1/orgs/${s.partner.id}`, { method: "PATCH", body: { status: "terminated" }, cookie: operator.cookie });
    expect(patch.status).toBe(200);
    // A terminated organization's sessions end as well (F-07).
    await expectError(await api("/api/v1/partner-dashboard", { cookie: s.alice.cookie }), 401, "unauthenticated");
    expect(await tableEntry(s.regular.cookie, s.partner.id)).toBeUndefined();
  });

  it("a user deactivated by their Partner Manager loses access; the other users keep it", async () => {
    const s = await setup();
    const res = await api(`/api/v1/users/${s.alice.user.id}/deactivate`, { method: "POST", cookie: s.partnerManager.cookie });
    expect(res.status, await res.clone().text()).toBe(200);
    await expectError(await api("/api/v1/partner-dashboard", { cookie: s.alice.cookie }), 401, "unauthenticated");
    const entry = await tableEntry(s.regular.cookie, s.partner.id);
    expect(entry?.users.map((u) => u.id)).toEqual([s.bob.id]);
    expect(entry?.addedUsers).toBe(1);
  });

  it("deactivation ends the grant in the same transaction: reactivating the user does not bring it back", async () => {
    const s = await setup();
    await api(`/api/v1/users/${s.alice.user.id}/deactivate`, { method: "POST", cookie: s.partnerManager.cookie });
    expect((await grantsOf(s.customer.id)).map((g) => g.partnerUserId)).toEqual([s.bob.id]);
    expect(await partnerAudit(s.customer.id, "partner_access.removed")).toHaveLength(1);
    expect((await mailsFor(s.manager.user.email)).some((m) => m.text.includes(s.alice.user.email))).toBe(true);
    const back = await api(`/api/v1/users/${s.alice.user.id}/activate`, { method: "POST", cookie: s.partnerManager.cookie });
    expect(back.status).toBe(200);
    expect((await tableEntry(s.regular.cookie, s.partner.id))?.users.map((u) => u.id)).toEqual([s.bob.id]);
  });

  it("leaving the channel program ends the grants at once: turning the flag back on does not restore them", async () => {
    const s = await setup();
    await api(`/api/v1/orgs/${s.partner.id}`, { method: "PATCH", body: { channelPartner: false }, cookie: operator.cookie });
    expect(await grantsOf(s.customer.id)).toEqual([]);
    await api(`/api/v1/orgs/${s.partner.id}`, { method: "PATCH", body: { channelPartner: true }, cookie: operator.cookie });
    expect(await dashboardIds(s.alice.cookie)).not.toContain(s.customer.id);
  });

  it("deleting a partner user through the API ends their grant and tells the customer's Partner Managers", async () => {
    const s = await setup();
    const res = await api(`/api/v1/users/${s.bob.id}`, { method: "DELETE", cookie: s.partnerManager.cookie });
    expect(res.status).toBe(204);
    expect((await grantsOf(s.customer.id)).map((g) => g.partnerUserId)).toEqual([s.alice.user.id]);
    expect(await partnerAudit(s.customer.id, "partner_access.removed")).toHaveLength(1);
  });

  it("a deleted user loses access", async () => {
    const s = await setup();
    await db().delete(users).where(eq(users.id, s.bob.id));
    expect((await tableEntry(s.regular.cookie, s.partner.id))?.users.map((u) => u.id)).toEqual([s.alice.user.id]);
  });

  it("a user who moved to another organization loses access", async () => {
    const s = await setup();
    const other = await makeChannelPartner();
    await db().update(users).set({ orgId: other.id }).where(eq(users.id, s.bob.id));
    expect((await tableEntry(s.regular.cookie, s.partner.id))?.users.map((u) => u.id)).toEqual([s.alice.user.id]);
  });

  it("an expired grant no longer shows, even before the cron deletes it (F-95)", async () => {
    const s = await setup();
    await db().update(partnerGrants).set({ expiresAt: Date.now() - 1_000 }).where(eq(partnerGrants.partnerUserId, s.alice.user.id));
    expect(await dashboardIds(s.alice.cookie)).not.toContain(s.customer.id);
    await expectError(await api(`/api/v1/partner-dashboard/${s.customer.id}`, { cookie: s.alice.cookie }), 404, "not_found");
    expect((await tableEntry(s.regular.cookie, s.partner.id))?.users.map((u) => u.id)).toEqual([s.bob.id]);
  });

  it("granting again over an expired grant the cron has not deleted yet starts a fresh grant", async () => {
    const s = await setup();
    await db().update(partnerGrants).set({ expiresAt: Date.now() - 1_000, createdAt: Date.UTC(2020, 0, 1) }).where(eq(partnerGrants.partnerUserId, s.alice.user.id));
    const before = Date.now();
    const res = await api("/api/v1/partners", { method: "POST", body: { email: s.alice.user.email }, cookie: s.regular.cookie });
    expect(res.status).toBe(201);
    const card = ((await (await api("/api/v1/partner-dashboard", { cookie: s.alice.cookie })).json()) as { customers: { org: { id: string }; grantedAt: string; expiresAt: string | null }[] }).customers.find(
      (c) => c.org.id === s.customer.id,
    );
    expect(card?.expiresAt).toBeNull();
    expect(Date.parse(card!.grantedAt)).toBeGreaterThanOrEqual(before - 1_000);
    // It was no longer shown, so Alice hears of a new grant rather than of a change.
    expect((await mailsFor(s.alice.user.email)).filter((m) => m.subject === `${s.customer.name} gave you access to its insights`)).toHaveLength(2);
  });

  it("a terminated customer is no longer shown to its partners", async () => {
    const s = await setup();
    await db().update(organizations).set({ status: "terminated" }).where(eq(organizations.id, s.customer.id));
    expect(await dashboardIds(s.alice.cookie)).not.toContain(s.customer.id);
  });
});

describe("daily cron run (F-64, F-95)", () => {
  it("deletes grants that expired or no longer hold, mails both sides, audits, and does nothing the second time", async () => {
    const now = Date.now() + 60_000;
    const customer = await makeCustomerOrg({ name: `Acme <b>"Q&A"</b>` });
    const manager = await makeUser({ orgId: customer.id, role: "partner_manager" });
    const formerManager = await makeUser({ orgId: customer.id, role: "partner_manager", status: "deactivated" });
    const partner = await makeChannelPartner();
    const plain = await makeChannelPartner({ channelPartner: false });
    const [valid, expiring, expired, deactivated, deleted, plainUser] = await Promise.all([
      makeUser({ orgId: partner.id, name: "Valid Vera" }),
      makeUser({ orgId: partner.id, name: "Later Lou" }),
      makeUser({ orgId: partner.id, name: "Expired Ed" }),
      makeUser({ orgId: partner.id, name: "Gone Gina", status: "deactivated" }),
      makeUser({ orgId: partner.id, name: "Deleted Dan" }),
      makeUser({ orgId: plain.id, name: "Plain Pat" }),
    ]);
    await Promise.all([
      insertGrant(customer.id, valid),
      insertGrant(customer.id, expiring, { expiresAt: now + DAY }),
      insertGrant(customer.id, expired, { expiresAt: now - 1 }),
      insertGrant(customer.id, deactivated),
      insertGrant(customer.id, deleted),
      insertGrant(customer.id, plainUser),
    ]);
    await db().delete(users).where(eq(users.id, deleted.id));

    await runDailyCron(now);

    expect((await grantsOf(customer.id)).map((g) => g.partnerUserId).sort()).toEqual([valid.id, expiring.id].sort());

    const ended = `Your access to ${customer.name}'s insights ended`;
    const [edMail] = (await mailsFor(expired.email)).filter((m) => m.subject === ended);
    expect(edMail!.text).toContain("Hello Expired Ed,");
    expect(edMail!.text).toMatch(/until a set date, which has now passed/);
    expect(edMail!.html).toContain("Acme &lt;b&gt;&quot;Q&amp;A&quot;&lt;/b&gt; gave you partner access");
    const [ginaMail] = (await mailsFor(deactivated.email)).filter((m) => m.subject === ended);
    expect(ginaMail!.text).toMatch(/no longer qualifies/);
    expect((await mailsFor(plainUser.email)).filter((m) => m.subject === ended)).toHaveLength(1);
    expect((await mailsFor(valid.email)).length + (await mailsFor(expiring.email)).length).toBe(0);

    const copies = await mailsFor(manager.email);
    const expiredCopy = copies.find((m) => m.subject === `Partner access expired: ${partner.name}`);
    expect(expiredCopy?.text).toContain(expired.email);
    const revokedCopy = copies.find((m) => m.subject === `Partner access ended: ${partner.name}`);
    expect(revokedCopy?.text).toContain(deactivated.email);
    expect(revokedCopy?.text).toContain("a deleted account");
    expect(revokedCopy?.text).not.toContain(expired.email);
    expect(copies.find((m) => m.subject === `Partner access ended: ${plain.name}`)?.text).toContain(plainUser.email);
    expect(await mailsFor(formerManager.email)).toHaveLength(0);

    const audits = await partnerAudit(customer.id);
    const forPartner = audits.find((a) => a.targetId === partner.id)!;
    expect(forPartner.action).toBe("partner_access.removed");
    expect(forPartner.actorId).toBeNull();
    const before = JSON.parse(forPartner.before!) as { users: { id: string }[] };
    const after = JSON.parse(forPartner.after!) as { users: { id: string }[]; automatic: boolean; ended: { id: string; reason: string }[] };
    expect(before.users.map((u) => u.id).sort()).toEqual([valid.id, expiring.id, expired.id, deactivated.id, deleted.id].sort());
    expect(after.users.map((u) => u.id).sort()).toEqual([valid.id, expiring.id].sort());
    expect(after.automatic).toBe(true);
    expect(after.ended.find((e) => e.id === expired.id)?.reason).toBe("expired");
    expect(after.ended.find((e) => e.id === deactivated.id)?.reason).toBe("revoked");
    expect(audits.find((a) => a.targetId === plain.id)?.action).toBe("partner_access.removed");

    // A second run finds nothing left: no mail, no audit.
    const mailCount = (await mailsFor(manager.email)).length;
    const auditCount = (await db().select().from(auditEvents).where(eq(auditEvents.orgId, customer.id))).length;
    await runDailyCron(now + 1_000);
    expect((await mailsFor(manager.email)).length).toBe(mailCount);
    expect((await db().select().from(auditEvents).where(eq(auditEvents.orgId, customer.id))).length).toBe(auditCount);

    // The next day Lou's grant has expired too: audited as expired.
    await runDailyCron(now + 2 * DAY);
    expect((await grantsOf(customer.id)).map((g) => g.partnerUserId)).toEqual([valid.id]);
    const lou = (await partnerAudit(customer.id, "partner_access.expired")).find((a) => a.targetId === partner.id);
    expect(JSON.parse(lou!.after!).users.map((u: { id: string }) => u.id)).toEqual([valid.id]);
  });
});
