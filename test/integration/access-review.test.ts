// F-93 access review through the Worker: a Partner Manager starts a review
// (one item per user who is not deactivated), confirms, changes or
// deactivates each user through the existing user services, and completes
// it; operators read every organization's state; the daily cron starts the
// quarterly reviews and reminds unfinished ones once.
import { and, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accessReviewItems, accessReviews, auditEvents, organizations, outbox, roleRequests, users as usersTable } from "../../src/db/schema";
import { api, auditOf, db, expectError, makeOperator, makeOrg, makeUser, signIn } from "../helpers/fixtures";
import { runCron } from "../helpers/cron";
import { measured } from "../helpers/io-count";
import { insertGrant, makeChannelPartner, makeCustomerOrg } from "../helpers/partners";
import { csrfFrom, flashOf, formPost, page, partnerOrg, signedIn, userRow } from "../helpers/portal";

const BASE = "/api/v1/access-reviews";

interface Item {
  userId: string;
  user: { id: string; role: string; status: string; purchaser: boolean; email: string } | null;
  snapshot: { role: string; purchaser: boolean; grants: unknown[] };
  grants: { customer: { id: string; name: string }; partnerUser: { id: string; email: string } }[];
  decision: string;
  decidedBy: { id: string } | null;
}
interface Detail {
  review: { id: string; status: string; org: { id: string }; startedBy: { id: string } | null; overdue: boolean };
  counts: { pending: number; confirmed: number; changed: number; deactivated: number; total: number };
  items: Item[];
  partnerAccess: { partnerUser: { id: string } }[];
}

const start = (cookie: string) => api(BASE, { cookie, body: {} });
const decide = (cookie: string, reviewId: string, userId: string, body: unknown) => api(`${BASE}/${reviewId}/items/${userId}`, { cookie, body });

async function started(cookie: string): Promise<Detail> {
  const res = await start(cookie);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Detail;
}

const itemOf = (detail: Detail, userId: string) => detail.items.find((i) => i.userId === userId)!;
const reviewAudit = (reviewId: string, action: string) => auditOf(reviewId, action);
const mailRows = (to: string, subject: string) =>
  db()
    .select()
    .from(outbox)
    .where(and(eq(outbox.to, to.toLowerCase()), like(outbox.subject, `%${subject}%`)));

/** A partner organization with a signed-in Partner Manager and colleagues of each kind. */
async function team() {
  const { org, manager, cookie } = await partnerOrg();
  const regular = await makeUser({ orgId: org.id, role: "regular", purchaser: true });
  const readOnly = await makeUser({ orgId: org.id, role: "read_only" });
  const invited = await makeUser({ orgId: org.id, role: "regular", status: "invited", passwordHash: null, totpSecretEnc: null });
  const gone = await makeUser({ orgId: org.id, role: "regular", status: "deactivated" });
  return { org, manager, cookie, regular, readOnly, invited, gone };
}

let operatorCookie: Promise<string> | undefined;
const operator = () => (operatorCookie ??= makeOperator().then(signIn));

describe("starting an access review on demand (F-93)", () => {
  it("creates one item per user who is not deactivated, with what each held, and audits the start", async () => {
    const { org, manager, cookie, regular, readOnly, invited, gone } = await team();
    const customer = await makeCustomerOrg({ name: "Acme Customer" });
    await insertGrant(customer.id, { id: regular.id, orgId: org.id });
    await makeUser({ orgId: (await makeOrg()).id, role: "regular" }); // another organization's user

    const detail = await started(cookie);
    expect(detail.review.status).toBe("open");
    expect(detail.review.startedBy?.id).toBe(manager.id);
    expect(detail.items.map((i) => i.userId).sort()).toEqual([manager.id, regular.id, readOnly.id, invited.id].sort());
    expect(detail.items.some((i) => i.userId === gone.id)).toBe(false);
    expect(detail.counts).toMatchObject({ pending: 4, total: 4 });

    const r = itemOf(detail, regular.id);
    expect(r.snapshot).toMatchObject({ role: "regular", purchaser: true });
    expect(r.snapshot.grants).toHaveLength(1);
    expect(r.grants.map((g) => g.customer.name)).toEqual(["Acme Customer"]);

    const rows = await db().select().from(accessReviewItems).where(eq(accessReviewItems.reviewId, detail.review.id));
    expect(rows).toHaveLength(4);
    const [entry] = await reviewAudit(detail.review.id, "access_review.started");
    expect(entry!.orgId).toBe(org.id);
    expect(entry!.actorId).toBe(manager.id);
    expect(JSON.parse(entry!.after!)).toMatchObject({ startedBy: "partner_manager", users: 4 });
  });

  it("refuses a second start while a review is open (409), and GET /current returns the open one", async () => {
    const { cookie } = await partnerOrg();
    const detail = await started(cookie);
    const error = await expectError(await start(cookie), 409, "conflict");
    expect(error.message).toMatch(/already open/);

    const current = (await (await api(`${BASE}/current`, { cookie })).json()) as { open: Detail | null; lastCompleted: unknown };
    expect(current.open?.review.id).toBe(detail.review.id);
    expect(current.lastCompleted).toBeNull();
  });

  it("answers 403 to Regular and Read-only users, whatever they ask", async () => {
    const { org, cookie } = await partnerOrg();
    const detail = await started(cookie);
    for (const role of ["regular", "read_only"] as const) {
      const { cookie: theirs, user } = await signedIn(org.id, role);
      await expectError(await start(theirs), 403, "forbidden");
      await expectError(await api(`${BASE}/current`, { cookie: theirs }), 403, "forbidden");
      await expectError(await api(`${BASE}/${detail.review.id}`, { cookie: theirs }), 403, "forbidden");
      await expectError(await decide(theirs, detail.review.id, user.id, { decision: "confirm" }), 403, "forbidden");
      await expectError(await api(`${BASE}/${detail.review.id}/complete`, { cookie: theirs, body: {} }), 403, "forbidden");
    }
  });
});

describe("deciding on each user (F-93)", () => {
  it("confirms a user as they are, recording who decided, in the audit log", async () => {
    const { manager, cookie, readOnly } = await team();
    const { review } = await started(cookie);
    const res = await decide(cookie, review.id, readOnly.id, { decision: "confirm" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { item: Item; counts: Detail["counts"] };
    expect(body.item.decision).toBe("confirmed");
    expect(body.item.decidedBy?.id).toBe(manager.id);
    expect(body.counts.confirmed).toBe(1);
    const [entry] = await reviewAudit(review.id, "access_review.decided");
    expect(JSON.parse(entry!.before!)).toEqual({ userId: readOnly.id, decision: "pending" });
    expect(JSON.parse(entry!.after!)).toMatchObject({ userId: readOnly.id, decision: "confirmed" });
  });

  it("changes a role through the users service: P removed with it, user.role_changed audited, the user mailed", async () => {
    const { cookie, regular } = await team();
    const { review } = await started(cookie);
    const res = await decide(cookie, review.id, regular.id, { decision: "change", role: "read_only" });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { item: Item; removed: string[] };
    expect(body.item.decision).toBe("changed");
    expect(body.item.user).toMatchObject({ role: "read_only", purchaser: false });
    expect(body.item.snapshot).toMatchObject({ role: "regular", purchaser: true });
    expect(body.removed).toEqual(["purchaser"]);

    expect(await userRow(regular.id)).toMatchObject({ role: "read_only", purchaser: false });
    const [roleEntry] = await auditOf(regular.id, "user.role_changed");
    expect(JSON.parse(roleEntry!.after!)).toMatchObject({ role: "read_only", removed: ["purchaser"] });
    const [decided] = await reviewAudit(review.id, "access_review.decided");
    expect(JSON.parse(decided!.after!)).toMatchObject({ decision: "changed", role: { from: "regular", to: "read_only" }, removed: ["purchaser"] });
    expect(await mailRows(regular.email, "Security notice")).toHaveLength(1);
  });

  it("deactivates a user through the user-admin service", async () => {
    const { cookie, readOnly } = await team();
    const { review } = await started(cookie);
    const res = await decide(cookie, review.id, readOnly.id, { decision: "deactivate" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { item: Item }).item).toMatchObject({ decision: "deactivated", user: { status: "deactivated" } });
    expect((await userRow(readOnly.id)).status).toBe("deactivated");
    expect(await auditOf(readOnly.id, "user.deactivated")).toHaveLength(1);
  });

  it("keeps the last-Partner-Manager rule: demoting yourself as the only manager is refused (409), the item stays pending", async () => {
    const { manager, cookie } = await partnerOrg();
    const { review } = await started(cookie);
    const error = await expectError(await decide(cookie, review.id, manager.id, { decision: "change", role: "regular" }), 409, "conflict");
    expect(error.message).toMatch(/last active Partner Manager/);
    expect((await userRow(manager.id)).role).toBe("partner_manager");
    const [item] = await db().select().from(accessReviewItems).where(and(eq(accessReviewItems.reviewId, review.id), eq(accessReviewItems.userId, manager.id)));
    expect(item!.decision).toBe("pending");
    expect(await reviewAudit(review.id, "access_review.decided")).toHaveLength(0);
  });

  it("files a request with the operators when a change asks for Purchaser", async () => {
    const { cookie, readOnly } = await team();
    const { review } = await started(cookie);
    const res = await decide(cookie, review.id, readOnly.id, { decision: "change", role: "regular", purchaser: true });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { requested: string[]; item: Item };
    expect(body.requested).toEqual(["purchaser"]);
    expect(body.item.user).toMatchObject({ role: "regular", purchaser: false });
  });

  it("answers 422 with fields for a decision it does not understand", async () => {
    const { cookie, readOnly } = await team();
    const { review } = await started(cookie);
    const unknown = await expectError(await decide(cookie, review.id, readOnly.id, { decision: "maybe" }), 422, "validation_failed");
    expect(unknown.fields?.decision).toBeDefined();
    const mixed = await expectError(await decide(cookie, review.id, readOnly.id, { decision: "confirm", role: "regular" }), 422, "validation_failed");
    expect(mixed.fields?.role).toMatch(/Only a change/);
    const same = await expectError(await decide(cookie, review.id, readOnly.id, { decision: "change", role: "read_only" }), 422, "validation_failed");
    expect(same.fields?.role).toMatch(/already a Read-only User/);
  });
});

describe("a change decision is one batch: all of it or nothing (F-93, issue 9)", () => {
  const changeBody = { decision: "change", role: "regular", analyticsAccess: "N", purchaser: true };

  /** A team whose manager is an Analytics Administrator, and a Read-only colleague with analytics access. */
  async function aaaTeam() {
    const org = await makeOrg({ channelPartner: true });
    const manager = await makeUser({ orgId: org.id, role: "partner_manager", analyticsAdmin: true, analyticsAccess: "Y" });
    const reader = await makeUser({ orgId: org.id, role: "read_only", analyticsAccess: "Y" });
    const cookie = await signIn(manager);
    const { review } = await started(cookie);
    return { org, manager, reader, cookie, review };
  }

  it("changes the role, revokes analytics access and files a Purchaser request in two D1 round trips, with every audit entry and mail", async () => {
    const { reader, cookie, review } = await aaaTeam();
    const { res, body, inRequest } = await measured(`${BASE}/${review.id}/items/${reader.id}`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify(changeBody),
    });
    expect(res.status, body).toBe(200);
    expect(inRequest.d1, inRequest.trips.join("\n")).toBe(2);
    const answer = JSON.parse(body) as { item: Item; removed: string[]; requested: string[] };
    expect(answer.item.decision).toBe("changed");
    expect(answer.removed).toEqual([]);
    expect(answer.requested).toEqual(["purchaser"]);

    expect(await userRow(reader.id)).toMatchObject({ role: "regular", analyticsAccess: "N", purchaser: false });
    expect(await auditOf(reader.id, "user.role_changed")).toHaveLength(1);
    expect(await auditOf(reader.id, "analytics.access_revoked")).toHaveLength(1);
    expect(await db().select().from(roleRequests).where(and(eq(roleRequests.userId, reader.id), eq(roleRequests.status, "pending")))).toHaveLength(1);
    const [decided] = await reviewAudit(review.id, "access_review.decided");
    expect(JSON.parse(decided!.after!)).toEqual({
      userId: reader.id,
      email: reader.email,
      decision: "changed",
      role: { from: "read_only", to: "regular" },
      analyticsAccess: { from: "Y", to: "N" },
      requested: ["purchaser"],
    });
    expect(await mailRows(reader.email, "Security notice")).toHaveLength(1);
  });

  it("leaves everything as it was when one step is refused: a Purchaser request already waiting keeps the role, access and item unchanged (409)", async () => {
    const { manager, reader, cookie, review } = await aaaTeam();
    // Regular may hold Purchaser; a request for the reader is already with the operators.
    await db().update(usersTable).set({ role: "regular" }).where(eq(usersTable.id, reader.id));
    await db().insert(roleRequests).values({ id: `rr-${reader.id}`, orgId: reader.orgId, userId: reader.id, kind: "purchaser", status: "pending", requestedBy: manager.id, createdAt: Date.now() });
    const mailsBefore = (await mailRows(reader.email, "")).length;

    const error = await expectError(await decide(cookie, review.id, reader.id, { decision: "change", role: "read_only", analyticsAccess: "N", purchaser: true }), 422, "validation_failed");
    expect(error.fields?.purchaser).toMatch(/Purchaser/);
    const refused = await expectError(await decide(cookie, review.id, reader.id, { decision: "change", analyticsAccess: "N", purchaser: true }), 409, "conflict");
    expect(refused.message).toMatch(/already waiting for an operator/);

    expect(await userRow(reader.id)).toMatchObject({ role: "regular", analyticsAccess: "Y" });
    expect(await auditOf(reader.id, "user.role_changed")).toHaveLength(0);
    expect(await auditOf(reader.id, "analytics.access_revoked")).toHaveLength(0);
    expect(await reviewAudit(review.id, "access_review.decided")).toHaveLength(0);
    expect((await mailRows(reader.email, "")).length).toBe(mailsBefore);
    const [item] = await db().select().from(accessReviewItems).where(and(eq(accessReviewItems.reviewId, review.id), eq(accessReviewItems.userId, reader.id)));
    expect(item!.decision).toBe("pending");
  });

  it("takes only the real changes when the role sent is the one the user has: the revocation alone is recorded", async () => {
    const { reader, cookie, review } = await aaaTeam();
    const res = await decide(cookie, review.id, reader.id, { decision: "change", role: "read_only", analyticsAccess: "N" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await userRow(reader.id)).toMatchObject({ role: "read_only", analyticsAccess: "N" });
    expect(await auditOf(reader.id, "user.role_changed")).toHaveLength(0);
    const [decided] = await reviewAudit(review.id, "access_review.decided");
    expect(JSON.parse(decided!.after!)).toEqual({ userId: reader.id, email: reader.email, decision: "changed", analyticsAccess: { from: "Y", to: "N" } });
  });

  it("refuses a revocation by a manager who is not an Analytics Administrator in its field (422), changing nothing", async () => {
    const { cookie, readOnly } = await team();
    await db().update(usersTable).set({ analyticsAccess: "Y" }).where(eq(usersTable.id, readOnly.id));
    const { review } = await started(cookie);
    const error = await expectError(await decide(cookie, review.id, readOnly.id, { decision: "change", role: "regular", analyticsAccess: "N" }), 422, "validation_failed");
    expect(error.fields?.analyticsAccess).toMatch(/Only an Analytics Administrator/);
    expect(await userRow(readOnly.id)).toMatchObject({ role: "read_only", analyticsAccess: "Y" });
  });
});

describe("completing a review (F-93)", () => {
  it("is refused while users are pending, works after Confirm all remaining, and audits the outcome counts", async () => {
    const { manager, cookie, regular, readOnly } = await team();
    const { review } = await started(cookie);
    await decide(cookie, review.id, readOnly.id, { decision: "deactivate" });
    await decide(cookie, review.id, regular.id, { decision: "change", role: "read_only" });

    const refused = await expectError(await api(`${BASE}/${review.id}/complete`, { cookie, body: {} }), 409, "conflict");
    expect(refused.message).toMatch(/2 users still need a decision/);
    expect(await reviewAudit(review.id, "access_review.completed")).toHaveLength(0);

    const confirm = await api(`${BASE}/${review.id}/confirm-remaining`, { cookie, body: {} });
    expect(confirm.status).toBe(200);
    expect(await confirm.json()).toMatchObject({ confirmed: 2, counts: { pending: 0 } });
    const [remaining] = await reviewAudit(review.id, "access_review.remaining_confirmed");
    expect(JSON.parse(remaining!.after!)).toEqual({ confirmed: 2 });

    const done = await api(`${BASE}/${review.id}/complete`, { cookie, body: {} });
    expect(done.status).toBe(200);
    const detail = (await done.json()) as Detail;
    expect(detail.review.status).toBe("completed");
    const [entry] = await reviewAudit(review.id, "access_review.completed");
    expect(entry!.actorId).toBe(manager.id);
    expect(JSON.parse(entry!.after!)).toEqual({ confirmed: 2, changed: 1, deactivated: 1, deleted: 0, total: 4 });

    await expectError(await decide(cookie, review.id, manager.id, { decision: "confirm" }), 409, "conflict");
    const current = (await (await api(`${BASE}/current`, { cookie })).json()) as { open: unknown; lastCompleted: { id: string } };
    expect(current.open).toBeNull();
    expect(current.lastCompleted.id).toBe(review.id);
    // A new review may start once the last one is completed.
    expect((await start(cookie)).status).toBe(201);
  });

  it("does not let one organization's Partner Manager see or act on another's review (404)", async () => {
    const mine = await team();
    const theirs = await partnerOrg();
    const { review } = await started(mine.cookie);
    await expectError(await api(`${BASE}/${review.id}`, { cookie: theirs.cookie }), 404, "not_found");
    await expectError(await decide(theirs.cookie, review.id, mine.regular.id, { decision: "deactivate" }), 404, "not_found");
    await expectError(await api(`${BASE}/${review.id}/confirm-remaining`, { cookie: theirs.cookie, body: {} }), 404, "not_found");
    await expectError(await api(`${BASE}/${review.id}/complete`, { cookie: theirs.cookie, body: {} }), 404, "not_found");
    expect((await userRow(mine.regular.id)).status).toBe("active");
    // Nor can a user of another organization be decided inside one's own review.
    const own = await started(theirs.cookie);
    await expectError(await decide(theirs.cookie, own.review.id, mine.regular.id, { decision: "confirm" }), 404, "not_found");
  });
});

describe("customer organizations (F-93 with F-60)", () => {
  it("lists the partner users who can see the organization's insights, and on each row the grants that user gave", async () => {
    const customer = await makeCustomerOrg();
    const manager = await makeUser({ orgId: customer.id, role: "partner_manager" });
    const cookie = await signIn(manager);
    const partner = await makeChannelPartner();
    const partnerUser = await makeUser({ orgId: partner.id, role: "regular" });
    await insertGrant(customer.id, partnerUser, { grantedBy: manager.id });

    const detail = await started(cookie);
    expect(detail.partnerAccess.map((g) => g.partnerUser.id)).toEqual([partnerUser.id]);
    expect(itemOf(detail, manager.id).grants.map((g) => g.partnerUser.email)).toEqual([partnerUser.email]);
    // Partner users are not the customer's users: they are not reviewed here.
    expect(detail.items.map((i) => i.userId)).toEqual([manager.id]);
  });
});

describe("operators (F-93)", () => {
  it("read any organization's review and the status of every organization, but decide nothing", async () => {
    const { org, cookie, readOnly } = await team();
    const never = await partnerOrg();
    const { review } = await started(cookie);
    const opCookie = await operator();

    expect((await api(`${BASE}/${review.id}`, { cookie: opCookie })).status).toBe(200);
    await expectError(await decide(opCookie, review.id, readOnly.id, { decision: "confirm" }), 403, "forbidden");
    await expectError(await start(opCookie), 403, "forbidden");

    type StatusRow = { org: { id: string }; state: string; open: { id: string; pending: number } | null };
    const status = async (query: string) => {
      const res = await api(`${BASE}/status?${query}`, { cookie: opCookie });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: StatusRow[] }).items;
    };
    const q = async (orgId: string) => `q=${encodeURIComponent((await db().select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId)))[0]!.name)}`;
    const mine = (await status(await q(org.id))).find((i) => i.org.id === org.id);
    expect(mine).toMatchObject({ state: "open", open: { id: review.id, pending: 4 } });
    expect((await status(`state=open&${await q(org.id)}`)).map((i) => i.org.id)).toContain(org.id);
    expect((await status(`state=never&${await q(org.id)}`)).map((i) => i.org.id)).not.toContain(org.id);
    expect((await status(`state=never&${await q(never.org.id)}`)).find((i) => i.org.id === never.org.id)).toMatchObject({ state: "never", open: null });

    await expectError(await api(`${BASE}/status`, { cookie: never.cookie }), 403, "forbidden");
    await expectError(await api(`${BASE}/status?state=later`, { cookie: opCookie }), 422, "validation_failed");
  });
});

describe("the quarterly schedule (F-93 cron)", () => {
  const QUARTER = Date.parse("2027-01-01T03:00:00Z");
  const reviewsOf = (orgId: string) => db().select().from(accessReviews).where(eq(accessReviews.orgId, orgId));

  it("on 2027-01-01 opens a review for each eligible organization, mails its active Partner Managers, and is idempotent", async () => {
    const partner = await makeOrg({ kind: "partner" });
    const pm = await makeUser({ orgId: partner.id, role: "partner_manager" });
    const pm2 = await makeUser({ orgId: partner.id, role: "partner_manager" });
    const colleague = await makeUser({ orgId: partner.id, role: "regular" });
    const formerPm = await makeUser({ orgId: partner.id, role: "partner_manager", status: "deactivated" });
    const customer = await makeCustomerOrg();
    const customerPm = await makeUser({ orgId: customer.id, role: "partner_manager" });
    // Not eligible: no active Partner Manager; terminated; already under review; the vendor.
    const noManager = await makeOrg({ kind: "partner" });
    await makeUser({ orgId: noManager.id, role: "partner_manager", status: "invited", passwordHash: null, totpSecretEnc: null });
    const terminated = await makeOrg({ kind: "partner", status: "terminated" });
    await makeUser({ orgId: terminated.id, role: "partner_manager" });
    const busy = await partnerOrg();
    const busyReview = await started(busy.cookie);
    const vendor = await makeOrg({ kind: "vendor", channelPartner: false });
    await makeUser({ orgId: vendor.id, role: "partner_manager" });

    await runCron(Date.parse("2026-12-31T03:00:00Z"));
    expect(await reviewsOf(partner.id)).toHaveLength(0);

    await runCron(QUARTER);
    const [review] = await reviewsOf(partner.id);
    expect(review).toMatchObject({ status: "open", startedBy: null, startedAt: QUARTER, dueAt: Date.parse("2027-01-15T03:00:00Z") });
    const items = await db().select().from(accessReviewItems).where(eq(accessReviewItems.reviewId, review!.id));
    expect(items.map((i) => i.userId).sort()).toEqual([pm.id, pm2.id, colleague.id].sort());
    expect(await reviewsOf(customer.id)).toHaveLength(1);
    for (const org of [noManager, terminated, vendor]) expect(await reviewsOf(org.id)).toHaveLength(0);
    expect((await reviewsOf(busy.org.id)).map((r) => r.id)).toEqual([busyReview.review.id]);

    for (const who of [pm, pm2, customerPm]) {
      const [mail, ...more] = await mailRows(who.email, "Quarterly access review");
      expect(more).toHaveLength(0);
      expect(mail!.text).toContain("https://portico.test/access-review");
      expect(mail!.text).toContain("2027-01-15");
    }
    expect(await mailRows(colleague.email, "access review")).toHaveLength(0);
    expect(await mailRows(formerPm.email, "access review")).toHaveLength(0);
    const [entry] = await reviewAudit(review!.id, "access_review.started");
    expect(JSON.parse(entry!.after!)).toMatchObject({ startedBy: "schedule", users: 3 });

    await runCron(QUARTER);
    expect(await reviewsOf(partner.id)).toHaveLength(1);
    expect(await db().select().from(accessReviewItems).where(eq(accessReviewItems.reviewId, review!.id))).toHaveLength(3);
    expect(await mailRows(pm.email, "Quarterly access review")).toHaveLength(1);
    expect(await reviewAudit(review!.id, "access_review.started")).toHaveLength(1);
  });

  it("reminds the Partner Managers of a review still open after 7 days, once", async () => {
    const april = Date.parse("2027-04-01T03:00:00Z");
    const org = await makeOrg({ kind: "partner" });
    const pm = await makeUser({ orgId: org.id, role: "partner_manager" });
    await makeUser({ orgId: org.id, role: "regular" });
    await runCron(april);
    const [review] = await reviewsOf(org.id);
    expect(review!.startedAt).toBe(april);

    await runCron(april + 6 * 86_400_000);
    expect(await mailRows(pm.email, "Reminder: access review")).toHaveLength(0);

    await runCron(april + 7 * 86_400_000);
    const [reminder, ...more] = await mailRows(pm.email, "Reminder: access review");
    expect(more).toHaveLength(0);
    expect(reminder!.text).toContain("2 user(s) still need a decision");
    expect((await reviewsOf(org.id))[0]!.remindedAt).toBe(april + 7 * 86_400_000);

    await runCron(april + 8 * 86_400_000);
    await runCron(april + 8 * 86_400_000);
    expect(await mailRows(pm.email, "Reminder: access review")).toHaveLength(1);
    expect(await db().select().from(auditEvents).where(and(eq(auditEvents.targetId, review!.id), eq(auditEvents.action, "access_review.reminded")))).toHaveLength(1);
  });
});

describe("the access review page (F-93)", () => {
  it("lets a Partner Manager start a review, decide a row with htmx and see Complete disabled while users are pending", async () => {
    const { cookie, readOnly } = await team();
    const empty = await page("/access-review", cookie);
    const emptyHtml = await empty.text();
    expect(empty.status).toBe(200);
    expect(emptyHtml).toContain("Start an access review");
    expect(emptyHtml).toContain('href="/access-review"');

    const token = await csrfFrom("/access-review", cookie);
    const startRes = await formPost("/access-review", {}, { cookie, token });
    expect(startRes.status).toBe(303);
    expect(startRes.headers.get("location")).toBe("/access-review");
    expect(flashOf(startRes)).toBe("Access review started. Decide each user, then complete the review.");

    const html = await (await page("/access-review", cookie)).text();
    expect(html).toContain(readOnly.email);
    expect(html).toMatch(/<button type="submit" disabled="" aria-describedby="complete-hint">Complete review/);
    expect(html).toContain("data-confirm=\"Deactivate");
    const reviewId = html.match(/\/access-review\/([\w-]+)\/items\//)![1]!;

    const row = await formPost(`/access-review/${reviewId}/items/${readOnly.id}/confirm`, {}, { cookie, token, htmx: true });
    expect(row.status).toBe(200);
    expect(row.headers.get("hx-trigger")).toBe("access-review-changed");
    const rowHtml = await row.text();
    expect(rowHtml).toMatch(new RegExp(`<tr id="review-item-${readOnly.id}"`));
    expect(rowHtml).toContain("Confirmed as is.");

    const demote = await formPost(`/access-review/${reviewId}/items/${readOnly.id}/role`, { role: "read_only" }, { cookie, token, htmx: true });
    expect(demote.status).toBe(422);
    expect(demote.headers.get("x-swap-error")).toBe("row");
    expect(await demote.text()).toContain("already a Read-only User");
  });

  it("shows operators the status page and refuses Regular users the review page", async () => {
    const { org, cookie } = await partnerOrg();
    await started(cookie);
    const [{ name }] = (await db().select({ name: organizations.name }).from(organizations).where(eq(organizations.id, org.id))) as [{ name: string }];
    // A fresh operator: the cron runs above happen in simulated future days, whose cleanup ends sessions minted today.
    const status = await page(`/access-review/status?q=${encodeURIComponent(name)}`, await makeOperator().then(signIn));
    expect(status.status).toBe(200);
    expect(await status.text()).toContain(`/orgs/${org.id}`);
    const { cookie: regular } = await signedIn(org.id, "regular");
    expect((await page("/access-review", regular)).status).toBe(403);
  });
});
