// F-13: POST /api/v1/users invites one colleague: account "invited", one
// invitation, its mail and an audit entry; one account per address in the
// whole system (422 fields.email); operators name the organization.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invitations, organizations, users } from "../../src/db/schema";
import { api, auditOf, db, expectError, linkIn, mailTo, makeOperator, makeOrg, makeUser, ORIGIN, signIn, uniqueEmail } from "../helpers/fixtures";
import { partnerOrg } from "../helpers/portal";

describe("POST /api/v1/users (F-13)", () => {
  it("invites into the manager's organization: 201, invited account, invitation, mail with a working link, audit", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const email = uniqueEmail("colleague");
    const res = await api("/api/v1/users", { cookie, body: { email: ` ${email.toUpperCase()} `, name: " Cora Colleague ", role: "partner_manager" } });
    expect(res.status).toBe(201);
    const { user } = (await res.json()) as { user: { id: string; email: string; name: string; role: string; status: string; orgId: string; purchaser: boolean } };
    expect(user).toMatchObject({ email, name: "Cora Colleague", role: "partner_manager", status: "invited", orgId: org.id, purchaser: false });
    const [inv] = await db().select().from(invitations).where(eq(invitations.userId, user.id));
    expect(inv!.invitedBy).toBe(manager.id);
    const [mail] = await mailTo(email);
    expect(mail!.text).toContain(`${manager.name} invited you to join ${org.name}`);
    expect(linkIn(mail!, "/activate").origin).toBe(ORIGIN);
    const [audit] = await auditOf(user.id, "user.invited");
    expect(JSON.parse(audit!.after!)).toEqual({ email, name: "Cora Colleague", role: "partner_manager" });
    expect(audit!.actorId).toBe(manager.id);
  });

  it("refuses an address that already has an account anywhere (422 fields.email) and writes nothing", async () => {
    const { cookie } = await partnerOrg();
    const elsewhere = await makeUser();
    const before = (await db().select({ id: users.id }).from(users)).length;
    const error = await expectError(await api("/api/v1/users", { cookie, body: { email: elsewhere.email.toUpperCase(), name: "Dup", role: "regular" } }), 422, "validation_failed");
    expect(error.fields?.email).toMatch(/already belongs to an account/);
    expect((await db().select({ id: users.id }).from(users)).length).toBe(before);
    expect((await mailTo(elsewhere.email)).filter((m) => /invited/.test(m.subject))).toHaveLength(0);
  });

  it("validates every field with field errors", async () => {
    const { cookie } = await partnerOrg();
    const error = await expectError(await api("/api/v1/users", { cookie, body: { email: "nope", name: "", role: "operator", admin: true } }), 422, "validation_failed");
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(["admin", "email", "name", "role"]);
    expect(error.fields?.role).toMatch(/Read-only User, Regular User or Partner Manager/);
  });

  it("lets an operator invite into a named partner organization, not without one, not into the vendor or a terminated one", async () => {
    const operator = await makeOperator();
    const opCookie = await signIn(operator);
    const org = await makeOrg();
    const body = { email: uniqueEmail("op-invite"), name: "Otto", role: "regular" };
    const missing = await expectError(await api("/api/v1/users", { cookie: opCookie, body }), 422, "validation_failed");
    expect(missing.fields?.orgId).toBeTruthy();
    await expectError(await api("/api/v1/users", { cookie: opCookie, body: { ...body, orgId: operator.orgId } }), 404, "not_found");
    await expectError(await api("/api/v1/users", { cookie: opCookie, body: { ...body, orgId: "no-such-org" } }), 404, "not_found");
    const gone = await makeOrg();
    await db().update(organizations).set({ status: "terminated" }).where(eq(organizations.id, gone.id));
    await expectError(await api("/api/v1/users", { cookie: opCookie, body: { ...body, orgId: gone.id } }), 409, "conflict");

    const res = await api("/api/v1/users", { cookie: opCookie, body: { ...body, orgId: org.id } });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { user: { orgId: string } }).user.orgId).toBe(org.id);
  });

  it("keeps two invitations of the same address at the same moment to one account", async () => {
    const { cookie } = await partnerOrg();
    const email = uniqueEmail("race");
    const results = await Promise.all([1, 2].map(() => api("/api/v1/users", { cookie, body: { email, name: "Race", role: "regular" } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
    expect(await db().select().from(users).where(eq(users.email, email))).toHaveLength(1);
  });
});
