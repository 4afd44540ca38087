// The home page's "Needs your attention": for everyone their own account (an
// analytics invitation, recovery codes running out); then what waits in the
// lists their role looks after (the open access review, invitations,
// requests; for operators also overdue reviews and undelivered mail), with
// the same totals as those lists. GET /api/v1/me/attention answers the same.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accessReviews, invitations, outbox, recoveryCodes } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { api, db, makeOperator, makeUser, signIn, uniqueEmail } from "../helpers/fixtures";
import { page, partnerOrg, signedIn } from "../helpers/portal";
import { elements } from "../helpers/ui";

async function home(cookie: string) {
  const res = await page("/", cookie);
  expect(res.status).toBe(200);
  return res.text();
}

/** The attention list's entries as "link text → href". */
const attention = async (html: string) => (await elements(html, `section[aria-labelledby="attention-heading"] a`)).map((a) => `${a.text} → ${a.attrs.href}`);

const invite = async (cookie: string) => {
  const res = await api("/api/v1/users", { cookie, body: { email: uniqueEmail("invitee"), name: "Ivy Invitee", role: "regular" } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { user: { id: string } }).user;
};

/** `n` unused recovery codes, as enrollment leaves ten (the fixtures' accounts have none). */
async function giveCodes(userId: string, n: number) {
  const now = Date.now();
  if (n > 0) await db().insert(recoveryCodes).values(Array.from({ length: n }, () => ({ userId, codeHash: newId(), createdAt: now })));
}

/** A Partner Manager's organization, the manager holding a full set of recovery codes. */
async function managed() {
  const made = await partnerOrg();
  await giveCodes(made.manager.id, 10);
  return made;
}

const total = async (path: string, cookie: string) => {
  const res = await api(path, { cookie });
  expect(res.status).toBe(200);
  return ((await res.json()) as { page: { total: number } }).page.total;
};

describe("home page: needs your attention", () => {
  it("tells a Partner Manager of pending and expired invitations and of requests waiting for an operator, each linking to its list", async () => {
    const { org, cookie } = await managed();
    expect(await home(cookie)).toContain("Nothing is waiting for you.");

    const [, expiring, third] = [await invite(cookie), await invite(cookie), await invite(cookie)];
    await db().update(invitations).set({ expiresAt: Date.now() - 1 }).where(eq(invitations.userId, expiring.id));
    const regular = await makeUser({ orgId: org.id, role: "regular" });
    expect((await api("/api/v1/requests", { cookie, body: { kind: "purchaser", userId: regular.id } })).status).toBe(201);

    expect(await attention(await home(cookie))).toEqual([
      "2 invitations are waiting to be accepted → /invitations?state=pending",
      "1 invitation has expired: resend or revoke → /invitations?state=expired",
      "1 request is waiting for an operator → /requests?status=pending",
    ]);
    // The same totals as the lists the links open.
    expect(await total("/api/v1/invitations?state=pending", cookie)).toBe(2);
    expect(await total("/api/v1/invitations?state=expired", cookie)).toBe(1);

    // An open access review: its undecided users come first; each decision takes one off.
    const started = await api("/api/v1/access-reviews", { cookie, body: {} });
    expect(started.status).toBe(201);
    const review = (await started.json()) as { review: { id: string }; counts: { pending: number } };
    const pending = review.counts.pending;
    expect(pending).toBeGreaterThanOrEqual(2);
    const say = (n: number) => `${n} ${n === 1 ? "user still needs" : "users still need"} a decision in the open access review → /access-review`;
    expect((await attention(await home(cookie)))[0]).toBe(say(pending));
    expect((await api(`/api/v1/access-reviews/${review.review.id}/items/${regular.id}`, { cookie, body: { decision: "confirm" } })).status).toBe(200);
    expect((await attention(await home(cookie)))[0]).toBe(say(pending - 1));
    expect((await api(`/api/v1/access-reviews/${review.review.id}/confirm-remaining`, { cookie, body: {} })).status).toBe(200);
    expect((await attention(await home(cookie))).some((line) => line.includes("access review"))).toBe(false);

    // Revoked: no longer waiting.
    await db().update(invitations).set({ revokedAt: Date.now() }).where(eq(invitations.userId, third.id));
    expect((await attention(await home(cookie)))[0]).toBe("1 invitation is waiting to be accepted → /invitations?state=pending");
  });

  it("counts only the Partner Manager's own organization", async () => {
    const mine = await managed();
    const theirs = await managed();
    await invite(theirs.cookie);
    await invite(theirs.cookie);
    expect(await attention(await home(mine.cookie))).toEqual([]);
    expect(await home(mine.cookie)).toContain("Nothing is waiting for you.");
    expect(await attention(await home(theirs.cookie))).toEqual(["2 invitations are waiting to be accepted → /invitations?state=pending"]);
  });

  it("tells an operator of the requests to decide and the mail that could not be delivered, with the totals of those lists", async () => {
    const operatorUser = await makeOperator();
    await giveCodes(operatorUser.id, 10);
    const operator = await signIn(operatorUser);
    const { org, cookie } = await partnerOrg();
    const regular = await makeUser({ orgId: org.id, role: "regular" });
    expect((await api("/api/v1/requests", { cookie, body: { kind: "purchaser", userId: regular.id } })).status).toBe(201);
    // An open review past its due date.
    const started = await api("/api/v1/access-reviews", { cookie, body: {} });
    expect(started.status).toBe(201);
    const { review } = (await started.json()) as { review: { id: string } };
    await db().update(accessReviews).set({ dueAt: Date.now() - 1 }).where(eq(accessReviews.id, review.id));
    const now = Date.now();
    await db()
      .insert(outbox)
      .values([1, 2].map(() => ({ id: newId(), to: uniqueEmail("bounce"), subject: "Undelivered", text: "t", html: "<p>t</p>", status: "dead" as const, attempts: 8, nextAttemptAt: now, createdAt: now })));

    const requests = await total("/api/v1/requests?status=pending", operator);
    const overdue = await total("/api/v1/access-reviews/status?state=overdue", operator);
    const dead = await total("/api/v1/jobs/dead-letters", operator);
    expect(requests).toBeGreaterThanOrEqual(1);
    expect(overdue).toBeGreaterThanOrEqual(1);
    expect(dead).toBeGreaterThanOrEqual(2);
    const say = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    expect(await attention(await home(operator))).toEqual([
      `${say(requests, "request", "requests")} to decide → /requests?status=pending`,
      `${say(overdue, "organization has an overdue access review", "organizations have overdue access reviews")} → /access-review/status?state=overdue`,
      `${say(dead, "mail", "mails")} could not be delivered → /jobs#dead-letters`,
    ]);
  });

  it.each(["regular", "read_only"] as const)("tells a %s user only of their own account: none of those lists is theirs", async (role) => {
    const { org } = await managed();
    await invite((await managed()).cookie); // another organization's work is nobody's here
    const { user, cookie } = await signedIn(org.id, role);
    await giveCodes(user.id, 10);
    expect(await home(cookie)).toContain("Nothing is waiting for you.");
    expect(await attention(await home(cookie))).toEqual([]);
  });

  it("tells anyone of an analytics invitation to accept and of recovery codes running out", async () => {
    const { org } = await managed();
    const { user, cookie } = await signedIn(org.id, "regular", { analyticsAccess: "I" });
    expect(await attention(await home(cookie))).toEqual([
      "You are invited to Analytics: accept the invitation → /analytics/accept",
      "You have no recovery codes left: make new ones → /account#recovery-codes",
    ]);
    await giveCodes(user.id, 1);
    expect((await attention(await home(cookie)))[1]).toBe("Only 1 recovery code is left: make new ones → /account#recovery-codes");
    await giveCodes(user.id, 1);
    expect((await attention(await home(cookie)))[1]).toBe("Only 2 recovery codes are left: make new ones → /account#recovery-codes");
    await giveCodes(user.id, 1);
    expect(await attention(await home(cookie))).toEqual(["You are invited to Analytics: accept the invitation → /analytics/accept"]);
    // Used codes do not count.
    await db().update(recoveryCodes).set({ usedAt: Date.now() }).where(eq(recoveryCodes.userId, user.id));
    expect((await attention(await home(cookie)))[1]).toBe("You have no recovery codes left: make new ones → /account#recovery-codes");
    // The account page the line links to has the anchor.
    expect(await (await page("/account", cookie)).text()).toContain('id="recovery-codes"');
  });
});

describe("GET /api/v1/me/attention: the same list as JSON", () => {
  const items = async (cookie: string) => {
    const res = await api("/api/v1/me/attention", { cookie });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: { key: string; count: number; href: string }[] }).items;
  };

  it("answers what waits, in the page's order, with the page's counts and links", async () => {
    const { org, cookie } = await managed();
    expect(await items(cookie)).toEqual([]);
    await invite(cookie);
    await invite(cookie);
    const regular = await makeUser({ orgId: org.id, role: "regular" });
    expect((await api("/api/v1/requests", { cookie, body: { kind: "purchaser", userId: regular.id } })).status).toBe(201);

    const answered = await items(cookie);
    expect(answered).toEqual([
      { key: "invitationsPending", count: 2, href: "/invitations?state=pending" },
      { key: "requestsPending", count: 1, href: "/requests?status=pending" },
    ]);
    const links = (await attention(await home(cookie))).map((line) => line.split(" → ")[1]);
    expect(links).toEqual(answered.map((i) => i.href));
  });

  it("tells each account only of its own: a Regular user's invitation and codes, none of the manager's lists", async () => {
    const { org, cookie: managerCookie } = await managed();
    await invite(managerCookie);
    const { user, cookie } = await signedIn(org.id, "regular", { analyticsAccess: "I" });
    await giveCodes(user.id, 2);
    expect(await items(cookie)).toEqual([
      { key: "analyticsInvitation", count: 1, href: "/analytics/accept" },
      { key: "recoveryCodesLow", count: 2, href: "/account#recovery-codes" },
    ]);
  });

  it("refuses a request without a session (401)", async () => {
    const res = await api("/api/v1/me/attention");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
  });
});
