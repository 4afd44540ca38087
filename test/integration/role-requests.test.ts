// F-15, F-16, F-22: Purchaser and AAA only through requests. A Partner Manager
// asks for a user of their organization (rules checked: P for Regular or
// Partner Manager, AAA for Partner Manager); operators approve or reject from
// a queue (compare-and-swap on pending, rule re-checked against the user's
// current role); the requester is mailed the decision; all of it audited.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { roleRequests, users } from "../../src/db/schema";
import { api, auditOf, db, expectError, mailTo, makeOperator, makeUser, signIn } from "../helpers/fixtures";
import { partnerOrg, signedIn, userRow } from "../helpers/portal";
import { elements, pageHtml } from "../helpers/ui";

interface Request {
  id: string;
  kind: string;
  status: string;
  org: { id: string; name: string };
  user: { id: string; name: string; email: string; role: string };
  requestedBy: { id: string; name: string };
  decidedBy: { id: string; name: string } | null;
  decidedAt: string | null;
}

let operatorCookie: Promise<string> | undefined;
let operatorEmail = "";
const operator = () =>
  (operatorCookie ??= makeOperator().then((op) => {
    operatorEmail = op.email;
    return signIn(op);
  }));

const ask = (cookie: string, body: unknown) => api("/api/v1/requests", { cookie, body });
const decide = async (id: string, decision: "approve" | "reject") => api(`/api/v1/requests/${id}/${decision}`, { cookie: await operator(), body: {} });

async function created(res: Response) {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return (JSON.parse(text) as { request: Request }).request;
}

const decisionMails = async (email: string, word: "approved" | "rejected") => (await mailTo(email)).filter((m) => m.subject.includes(`was ${word}`));

describe("creating a request (F-16)", () => {
  it("a Partner Manager requests Purchaser for a Regular user: 201 pending, audited, operators mailed", async () => {
    await operator();
    const { org, manager, cookie } = await partnerOrg();
    const user = await makeUser({ orgId: org.id, role: "regular", name: "Rita Regular" });
    const request = await created(await ask(cookie, { kind: "purchaser", userId: user.id }));
    expect(request).toMatchObject({
      kind: "purchaser",
      status: "pending",
      org: { id: org.id },
      user: { id: user.id, name: "Rita Regular", role: "regular" },
      requestedBy: { id: manager.id },
      decidedBy: null,
    });
    const [audit] = await auditOf(request.id, "role_request.created");
    expect(audit!.actorId).toBe(manager.id);
    const opMail = (await mailTo(operatorEmail)).find((m) => m.subject.includes("Rita Regular"));
    expect(opMail?.subject).toMatch(/New request: Purchaser \(P\) for Rita Regular/);
    expect((await userRow(user.id)).purchaser).toBe(false);
  });

  it("refuses requests the rules forbid with 422 and a clear message", async () => {
    const { org, cookie } = await partnerOrg();
    const reader = await makeUser({ orgId: org.id, role: "read_only", name: "Rob Reader" });
    const regular = await makeUser({ orgId: org.id, role: "regular", name: "Reg Ular" });
    const gone = await makeUser({ orgId: org.id, role: "partner_manager", status: "deactivated" });

    const p = await expectError(await ask(cookie, { kind: "purchaser", userId: reader.id }), 422, "validation_failed");
    expect(p.message).toMatch(/Purchaser \(P\) can only be given to Regular Users and Partner Managers\. Rob Reader is a Read-only User/);
    expect(p.fields?.userId).toBe(p.message);
    const aaa = await expectError(await ask(cookie, { kind: "analytics_admin", userId: regular.id }), 422, "validation_failed");
    expect(aaa.message).toMatch(/Analytics Administrator \(AAA\) can only be given to Partner Managers\. Reg Ular is a Regular User/);
    await expectError(await ask(cookie, { kind: "analytics_admin", userId: gone.id }), 422, "validation_failed");
    await expectError(await ask(cookie, { kind: "owner", userId: regular.id }), 422, "validation_failed");
    expect(await db().select().from(roleRequests).where(eq(roleRequests.orgId, org.id))).toHaveLength(0);
  });

  it("answers 409 to a duplicate pending request and when the user already has the role", async () => {
    const { org, cookie } = await partnerOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager", purchaser: true });
    await created(await ask(cookie, { kind: "analytics_admin", userId: pm.id }));
    const dup = await expectError(await ask(cookie, { kind: "analytics_admin", userId: pm.id }), 409, "conflict");
    expect(dup.message).toMatch(/already waiting/);
    const has = await expectError(await ask(cookie, { kind: "purchaser", userId: pm.id }), 409, "conflict");
    expect(has.message).toMatch(/already has Purchaser/);
    expect(await db().select().from(roleRequests).where(eq(roleRequests.userId, pm.id))).toHaveLength(1);
  });

  it("keeps one pending request when two arrive at the same moment", async () => {
    const { org, cookie } = await partnerOrg();
    const user = await makeUser({ orgId: org.id, role: "regular" });
    const results = await Promise.all([ask(cookie, { kind: "purchaser", userId: user.id }), ask(cookie, { kind: "purchaser", userId: user.id })]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await db().select().from(roleRequests).where(eq(roleRequests.userId, user.id))).toHaveLength(1);
  });

  it("is for Partner Managers only: Regular, Read-only and operators get 403", async () => {
    const { org } = await partnerOrg();
    const user = await makeUser({ orgId: org.id, role: "regular" });
    for (const role of ["regular", "read_only"] as const) {
      const member = await signedIn(org.id, role);
      await expectError(await ask(member.cookie, { kind: "purchaser", userId: user.id }), 403, "forbidden");
      await expectError(await api("/api/v1/requests", { cookie: member.cookie }), 403, "forbidden");
    }
    await expectError(await ask(await operator(), { kind: "purchaser", userId: user.id }), 403, "forbidden");
    expect(await db().select().from(roleRequests).where(eq(roleRequests.userId, user.id))).toHaveLength(0);
  });
});

describe("deciding a request (F-16)", () => {
  it("approving Purchaser sets the flag, mails the requester, audits both changes; a second decision is 409", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const user = await makeUser({ orgId: org.id, role: "regular", name: "Pat Purchaser" });
    const request = await created(await ask(cookie, { kind: "purchaser", userId: user.id }));

    const res = await decide(request.id, "approve");
    expect(res.status).toBe(200);
    const { request: done } = (await res.json()) as { request: Request };
    expect(done).toMatchObject({ id: request.id, status: "approved", decidedBy: { id: expect.any(String) } });
    expect(done.decidedAt).not.toBeNull();
    expect(await userRow(user.id)).toMatchObject({ purchaser: true, analyticsAdmin: false });

    const mails = await decisionMails(manager.email, "approved");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toMatch(/give Pat Purchaser .* the Purchaser \(P\) role was approved/);
    expect(await auditOf(request.id, "role_request.approved")).toHaveLength(1);
    expect(await auditOf(user.id, "user.secondary_role_granted")).toHaveLength(1);

    await expectError(await decide(request.id, "approve"), 409, "conflict");
    await expectError(await decide(request.id, "reject"), 409, "conflict");
    expect(await decisionMails(manager.email, "approved")).toHaveLength(1);
  });

  it("approving AAA grants no analytics access by itself (F-22)", async () => {
    const { org, cookie } = await partnerOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager" });
    const request = await created(await ask(cookie, { kind: "analytics_admin", userId: pm.id }));
    expect((await decide(request.id, "approve")).status).toBe(200);
    expect(await userRow(pm.id)).toMatchObject({ analyticsAdmin: true, analyticsAccess: "N", purchaser: false });
    // F-17: the organization now sees its Analytics Administrator.
    const reader = await signedIn(org.id, "read_only");
    const { items } = (await (await api("/api/v1/users/managers", { cookie: reader.cookie })).json()) as { items: { id: string; analyticsAdmin: boolean }[] };
    expect(items.find((m) => m.id === pm.id)?.analyticsAdmin).toBe(true);
  });

  it("rejecting leaves the user unchanged and mails the requester", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const user = await makeUser({ orgId: org.id, role: "regular" });
    const request = await created(await ask(cookie, { kind: "purchaser", userId: user.id }));
    const res = await decide(request.id, "reject");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { request: Request }).request.status).toBe("rejected");
    expect((await userRow(user.id)).purchaser).toBe(false);
    expect(await decisionMails(manager.email, "rejected")).toHaveLength(1);
    expect(await auditOf(request.id, "role_request.rejected")).toHaveLength(1);
    // A new request may follow a rejection.
    await created(await ask(cookie, { kind: "purchaser", userId: user.id }));
  });

  it("re-checks the rule against the user's current role: a Partner Manager demoted meanwhile cannot get AAA (409)", async () => {
    const { org, manager, cookie } = await partnerOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager" });
    const request = await created(await ask(cookie, { kind: "analytics_admin", userId: pm.id }));
    await db().update(users).set({ role: "regular" }).where(eq(users.id, pm.id));

    const error = await expectError(await decide(request.id, "approve"), 409, "conflict");
    expect(error.message).toMatch(/only be given to Partner Managers/);
    expect((await userRow(pm.id)).analyticsAdmin).toBe(false);
    const [row] = await db().select().from(roleRequests).where(eq(roleRequests.id, request.id));
    expect(row!.status).toBe("pending");
    expect(await decisionMails(manager.email, "approved")).toHaveLength(0);
    // The operator rejects it instead.
    expect((await decide(request.id, "reject")).status).toBe(200);
  });

  it("only operators decide: the requesting Partner Manager gets 403; an unknown request is 404", async () => {
    const { org, cookie } = await partnerOrg();
    const user = await makeUser({ orgId: org.id, role: "regular" });
    const request = await created(await ask(cookie, { kind: "purchaser", userId: user.id }));
    await expectError(await api(`/api/v1/requests/${request.id}/approve`, { cookie, body: {} }), 403, "forbidden");
    await expectError(await api(`/api/v1/requests/${request.id}/reject`, { cookie, body: {} }), 403, "forbidden");
    await expectError(await decide("no-such-request", "approve"), 404, "not_found");
    expect((await userRow(user.id)).purchaser).toBe(false);
  });
});

describe("listing requests (F-16)", () => {
  it("shows a Partner Manager their organization's requests; operators all, pending first", async () => {
    const a = await partnerOrg();
    const b = await partnerOrg();
    const ua = await makeUser({ orgId: a.org.id, role: "regular" });
    const ub = await makeUser({ orgId: b.org.id, role: "regular" });
    const ub2 = await makeUser({ orgId: b.org.id, role: "partner_manager" });
    const ra = await created(await ask(a.cookie, { kind: "purchaser", userId: ua.id }));
    const rb = await created(await ask(b.cookie, { kind: "purchaser", userId: ub.id }));
    const rb2 = await created(await ask(b.cookie, { kind: "analytics_admin", userId: ub2.id }));
    expect((await decide(ra.id, "approve")).status).toBe(200);

    const mine = (await (await api("/api/v1/requests", { cookie: b.cookie })).json()) as { items: Request[] };
    expect(mine.items.map((r) => r.id).sort()).toEqual([rb.id, rb2.id].sort());

    const all = (await (await api("/api/v1/requests", { cookie: await operator() })).json()) as { items: Request[]; page: { total: number } };
    const ids = all.items.map((r) => r.id);
    expect(ids.indexOf(rb.id)).toBeLessThan(ids.indexOf(rb2.id)); // the queue: oldest pending first
    expect(ids.indexOf(rb2.id)).toBeLessThan(ids.indexOf(ra.id)); // decided after every pending one
    const pendingOnly = (await (await api("/api/v1/requests?status=pending", { cookie: await operator() })).json()) as { items: Request[] };
    expect(pendingOnly.items.every((r) => r.status === "pending")).toBe(true);
  });

  it("names each request's organization on the operators' queue, linked to its page; a Partner Manager's list has no such column", async () => {
    const a = await partnerOrg();
    const member = await makeUser({ orgId: a.org.id, role: "regular" });
    const request = await created(await ask(a.cookie, { kind: "purchaser", userId: member.id }));
    const [link] = await elements(await pageHtml("/requests?pageSize=100", await operator()), `#request-${request.id} a[href^='/orgs/']`);
    expect(link?.attrs.href).toBe(`/orgs/${a.org.id}`);
    expect(link?.text).toBe(a.org.name);
    expect(await elements(await pageHtml("/requests", a.cookie), `#request-${request.id} a[href^='/orgs/']`)).toEqual([]);
  });
});
