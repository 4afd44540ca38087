// F-01/F-02 organizations through the JSON API: operators only, onboarding of
// partners and managed customers, validation that never ends in a 500, updates
// and termination, each with its audit entry.
import { SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invitations, organizations, users } from "../../src/db/schema";
import { api, auditOf, db, type ErrorBody, mailTo, makeOperator, makeOrg, makeUser, ORIGIN, signIn, uniqueEmail } from "../helpers/fixtures";
import type { PublicUser } from "../../src/services/user-shape";

interface PublicOrg {
  id: string;
  name: string;
  kind: string;
  channelPartner: boolean;
  managedBy: string | null;
  status: string;
  createdAt: string;
}
let operatorCookie: Promise<string> | undefined;
/** One signed-in operator for the file; tests only read its identity. */
const operator = () => (operatorCookie ??= makeOperator().then((op) => signIn(op)));

async function orgRow(id: string) {
  const [row] = await db().select().from(organizations).where(eq(organizations.id, id));
  return row;
}

const countOrgs = async () => (await db().select({ id: organizations.id }).from(organizations)).length;

const partnerBody = (overrides: Record<string, unknown> = {}) => ({
  name: `Partner ${uniqueEmail("p")}`,
  kind: "partner",
  channelPartner: true,
  manager: { email: uniqueEmail("pm"), name: "Pat Manager" },
  ...overrides,
});

async function onboard(body: unknown) {
  return api("/api/v1/orgs", { cookie: await operator(), body });
}

async function expectValidation(res: Response, field: string) {
  expect(res.status).toBe(422);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe("validation_failed");
  expect(body.error.fields?.[field], `fields: ${JSON.stringify(body.error.fields)}`).toMatch(/\S/);
  return body.error.fields!;
}

describe("access: operators only", () => {
  it("answers 401 to GET and POST /api/v1/orgs without a session", async () => {
    for (const res of [await api("/api/v1/orgs"), await api("/api/v1/orgs", { body: partnerBody() })]) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe("unauthenticated");
    }
  });

  it("answers 403 to a Partner Manager and a Regular user for list, onboard and update, and creates nothing", async () => {
    const org = await makeOrg();
    const before = await countOrgs();
    for (const role of ["partner_manager", "regular", "read_only"] as const) {
      const cookie = await signIn(await makeUser({ orgId: org.id, role }));
      const list = await api("/api/v1/orgs", { cookie });
      expect(list.status).toBe(403);
      expect(((await list.json()) as ErrorBody).error.code).toBe("forbidden");
      expect((await api("/api/v1/orgs", { cookie, body: partnerBody() })).status).toBe(403);
      expect((await api(`/api/v1/orgs/${org.id}`, { method: "PATCH", cookie, body: { name: "Hijacked" } })).status).toBe(403);
    }
    expect(await countOrgs()).toBe(before);
    expect((await orgRow(org.id))!.name).not.toBe("Hijacked");
  });

  it("lists organizations for an operator with paging and search", async () => {
    const marker = `Zebra ${uniqueEmail("z")}`;
    const made = await makeOrg({ name: marker });
    const res = await api(`/api/v1/orgs?q=${encodeURIComponent(marker)}`, { cookie: await operator() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: PublicOrg[]; page: { number: number; size: number; total: number } };
    expect(body.items.map((o) => o.id)).toEqual([made.id]);
    expect(body.page).toEqual({ number: 1, size: 25, total: 1 });

    const all = (await (await api("/api/v1/orgs?pageSize=1&page=1", { cookie: await operator() })).json()) as { items: PublicOrg[]; page: { total: number } };
    expect(all.items).toHaveLength(1);
    expect(all.page.total).toBeGreaterThanOrEqual(2);

    const bad = await api("/api/v1/orgs?pageSize=1000", { cookie: await operator() });
    await expectValidation(bad, "pageSize");
  });
});

describe("onboarding (F-02)", () => {
  it("creates a partner with its first Partner Manager invited, in D1 with audit entries and an invitation mail", async () => {
    const email = uniqueEmail("Manager");
    const res = await onboard(partnerBody({ name: "  Acme Resellers  ", manager: { email: `  ${email.toUpperCase()} `, name: "Pat" } }));
    expect(res.status).toBe(201);
    const { org, user } = (await res.json()) as { org: PublicOrg; user: PublicUser };
    expect(org).toMatchObject({ name: "Acme Resellers", kind: "partner", channelPartner: true, managedBy: null, status: "active" });
    expect(user).toMatchObject({ email: email.toLowerCase(), role: "partner_manager", status: "invited", orgId: org.id });

    expect(await orgRow(org.id)).toMatchObject({ name: "Acme Resellers", kind: "partner", channelPartner: true, status: "active" });
    const [row] = await db().select().from(users).where(eq(users.id, user.id));
    expect(row).toMatchObject({ orgId: org.id, email: email.toLowerCase(), role: "partner_manager", status: "invited", passwordHash: null });
    expect(await db().select().from(invitations).where(eq(invitations.userId, user.id))).toHaveLength(1);
    expect(await mailTo(email)).toHaveLength(1);

    const [created] = await auditOf(org.id, "organization.created");
    expect(created).toBeDefined();
    expect(created!.orgId).toBe(org.id);
    expect(JSON.parse(created!.after!)).toMatchObject({ id: org.id, name: "Acme Resellers", kind: "partner", channelPartner: true });
    const [invited] = await auditOf(user.id, "user.invited");
    expect(JSON.parse(invited!.after!)).toEqual({ email: email.toLowerCase(), role: "partner_manager" });
  });

  it("creates a customer managed by a partner, never a channel partner", async () => {
    const partner = await makeOrg({ kind: "partner" });
    const res = await onboard({ name: "Customer Co", kind: "customer", channelPartner: true, managedBy: partner.id, manager: { email: uniqueEmail("cm"), name: "Cus Tomer" } });
    expect(res.status).toBe(201);
    const { org, user } = (await res.json()) as { org: PublicOrg; user: PublicUser };
    expect(org).toMatchObject({ kind: "customer", managedBy: partner.id, channelPartner: false });
    expect(await orgRow(org.id)).toMatchObject({ kind: "customer", managedBy: partner.id, channelPartner: false });
    expect(user.role).toBe("partner_manager");
    expect(await auditOf(org.id, "organization.created")).toHaveLength(1);
  });

  it("refuses managedBy that is a customer, an unknown or empty id, the vendor, or set on a partner (422 fields.managedBy)", async () => {
    const customer = await makeOrg({ kind: "customer", channelPartner: false });
    const partner = await makeOrg({ kind: "partner" });
    const vendor = await makeOrg({ kind: "vendor", channelPartner: false });
    const before = await countOrgs();
    const bodies = [
      { kind: "customer", managedBy: customer.id },
      { kind: "customer", managedBy: "no-such-org" },
      { kind: "customer", managedBy: "" },
      { kind: "customer", managedBy: vendor.id },
      { kind: "partner", managedBy: partner.id },
    ];
    for (const extra of bodies) {
      const email = uniqueEmail("mb");
      const res = await onboard({ name: "Managed", manager: { email, name: "M" }, ...extra });
      await expectValidation(res, "managedBy");
      expect(await db().select().from(users).where(eq(users.email, email))).toHaveLength(0);
    }
    expect(await countOrgs()).toBe(before);
  });

  it("answers 422 with fields for invalid input, never 500, and creates nothing", async () => {
    const before = await countOrgs();
    const cases: [unknown, string][] = [
      [partnerBody({ manager: { name: "No Email" } }), "manager.email"],
      [partnerBody({ manager: { email: "not-an-email", name: "Bad" } }), "manager.email"],
      [partnerBody({ manager: { email: uniqueEmail(), name: "  " } }), "manager.name"],
      [partnerBody({ manager: { email: uniqueEmail(), name: "X", phone: "123" } }), "manager.phone"],
      [partnerBody({ admin: true }), "admin"],
      [partnerBody({ name: "" }), "name"],
      [partnerBody({ name: "x".repeat(121) }), "name"],
      [partnerBody({ kind: "vendor" }), "kind"],
      [partnerBody({ channelPartner: "yes" }), "channelPartner"],
      [partnerBody({ manager: undefined }), "manager"],
      [{}, "name"],
    ];
    for (const [body, field] of cases) {
      const res = await onboard(body);
      await expectValidation(res, field);
    }
    expect(await countOrgs()).toBe(before);

    // A body that is not JSON at all is a 400, not a 500.
    const notJson = await SELF.fetch(`${ORIGIN}/api/v1/orgs`, {
      method: "POST",
      headers: { cookie: await operator(), "content-type": "application/json" },
      body: "{ not json",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ErrorBody).error.code).toBe("bad_request");
  });

  it("refuses a manager email that already belongs to an account, compared case-insensitively (422 fields.manager.email)", async () => {
    const existing = await makeUser();
    const before = await countOrgs();
    const res = await onboard(partnerBody({ manager: { email: ` ${existing.email.toUpperCase()} `, name: "Dup" } }));
    const fields = await expectValidation(res, "manager.email");
    expect(fields["manager.email"]).toMatch(/already/i);
    expect(await countOrgs()).toBe(before);
  });

  it("refuses a state-changing call from a foreign Origin and a non-JSON content type", async () => {
    const cookie = await operator();
    const foreign = await api("/api/v1/orgs", { cookie, body: partnerBody(), headers: { origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    const form = await api("/api/v1/orgs", { cookie, body: partnerBody(), headers: { "content-type": "text/plain" } });
    expect(form.status).toBe(415);
  });
});

describe("updating and terminating (PATCH /api/v1/orgs/:id)", () => {
  it("changes name and channelPartner and writes an audit entry with before and after", async () => {
    const org = await makeOrg({ name: "Old Name", kind: "partner", channelPartner: false });
    const res = await api(`/api/v1/orgs/${org.id}`, { method: "PATCH", cookie: await operator(), body: { name: "  New Name ", channelPartner: true } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { org: PublicOrg };
    expect(body.org).toMatchObject({ id: org.id, name: "New Name", channelPartner: true, status: "active" });
    expect(await orgRow(org.id)).toMatchObject({ name: "New Name", channelPartner: true });

    const audit = await auditOf(org.id, "organization.updated");
    expect(audit).toHaveLength(1);
    expect(audit[0]!.targetType).toBe("organization");
    expect(audit[0]!.actorId).toMatch(/\S/);
    expect(JSON.parse(audit[0]!.before!)).toMatchObject({ id: org.id, name: "Old Name", channelPartner: false, status: "active" });
    expect(JSON.parse(audit[0]!.after!)).toMatchObject({ id: org.id, name: "New Name", channelPartner: true, status: "active" });
  });

  it("terminates an organization with its own audit action", async () => {
    const org = await makeOrg({ kind: "partner" });
    const res = await api(`/api/v1/orgs/${org.id}`, { method: "PATCH", cookie: await operator(), body: { status: "terminated" } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { org: PublicOrg }).org.status).toBe("terminated");
    expect((await orgRow(org.id))!.status).toBe("terminated");
    const [audit] = await auditOf(org.id, "organization.terminated");
    expect(JSON.parse(audit!.before!)).toMatchObject({ status: "active" });
    expect(JSON.parse(audit!.after!)).toMatchObject({ status: "terminated" });
    expect(await auditOf(org.id, "organization.updated")).toHaveLength(0);
  });

  it("refuses channelPartner on a customer (422), other statuses and unknown fields (422), and unknown or vendor ids (404)", async () => {
    const cookie = await operator();
    const customer = await makeOrg({ kind: "customer", channelPartner: false });
    const partner = await makeOrg({ kind: "partner" });
    const vendor = await makeOrg({ kind: "vendor", channelPartner: false });
    const patch = (id: string, body: unknown) => api(`/api/v1/orgs/${id}`, { method: "PATCH", cookie, body });

    await expectValidation(await patch(customer.id, { channelPartner: true }), "channelPartner");
    await expectValidation(await patch(partner.id, { status: "active" }), "status");
    await expectValidation(await patch(partner.id, { kind: "customer" }), "kind");
    await expectValidation(await patch(partner.id, { name: "" }), "name");
    for (const id of ["no-such-org", vendor.id]) {
      const res = await patch(id, { name: "Renamed" });
      expect(res.status).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe("not_found");
    }

    expect(await orgRow(customer.id)).toMatchObject({ channelPartner: false });
    expect(await orgRow(partner.id)).toMatchObject({ kind: "partner", status: "active" });
    expect((await orgRow(vendor.id))!.name).not.toBe("Renamed");
    for (const id of [customer.id, partner.id, vendor.id]) {
      expect(await auditOf(id, "organization.updated")).toHaveLength(0);
    }
  });
});
