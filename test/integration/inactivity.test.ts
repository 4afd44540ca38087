// F-70 inactivity sweep and F-94 "keep my account" + the Partner Manager's dry run.
import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { auditEvents, outbox, users } from "../../src/db/schema";
import { api, cookieFrom, db, expectError, linkIn, makeOperator, makeOrg, makeUser, ORIGIN, signIn, type MailMessage } from "../helpers/fixtures";
import { page, partnerOrg, signedIn, userRow } from "../helpers/portal";

const DAY = 86_400_000;

async function runCron(scheduledTime: number) {
  const controller = createScheduledController({ scheduledTime, cron: "0 3 * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled!(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Mail rows straight from D1 (the dev mailbox lists only the newest 100). */
async function mailsFor(email: string): Promise<MailMessage[]> {
  const rows = await db().select().from(outbox).where(eq(outbox.to, email));
  return rows.map((r) => ({ id: r.id, to: r.to, subject: r.subject, text: r.text, html: r.html, createdAt: String(r.createdAt) }));
}
const reminders = async (email: string) => (await mailsFor(email)).filter((m) => /will be deactivated soon/.test(m.subject));
const goodbyes = async (email: string) => (await mailsFor(email)).filter((m) => /was deactivated$/.test(m.subject));
const auditFor = (id: string, action: string) =>
  db().select().from(auditEvents).where(and(eq(auditEvents.targetId, id), eq(auditEvents.action, action)));

/**
 * Every test sweeps the whole table, so each runs at its own moment far from
 * the others and from the accounts other tests create "now".
 */
let epoch = Date.UTC(2040, 0, 1, 3);
const nextEpoch = () => (epoch += 2_000 * DAY);

/** An active account whose only activity was `ageDays` before `now`. */
async function inactiveFor(now: number, ageDays: number, overrides: Parameters<typeof makeUser>[0] = {}) {
  const at = now - ageDays * DAY;
  return makeUser({ createdAt: at - DAY, lastLoginAt: at, ...overrides });
}

describe("inactivity reminder (F-70)", () => {
  it("reminds only at 150 days or more without activity, once", async () => {
    const now = nextEpoch();
    const d149 = await inactiveFor(now, 149);
    const d150 = await inactiveFor(now, 150);
    const d151 = await inactiveFor(now, 151);
    const neverLoggedIn = await makeUser({ createdAt: now - 200 * DAY, lastLoginAt: null });

    await runCron(now);

    expect(await reminders(d149.email)).toHaveLength(0);
    expect(await reminders(d150.email)).toHaveLength(1);
    expect(await reminders(d151.email)).toHaveLength(1);
    expect(await reminders(neverLoggedIn.email)).toHaveLength(1);
    expect((await userRow(d149.id)).inactivityRemindedAt).toBeNull();
    expect((await userRow(d150.id)).inactivityRemindedAt).toBe(now);
    expect((await userRow(d150.id)).status).toBe("active");
    const [mail] = await reminders(d150.email);
    expect(mail!.text).toContain(`Hello ${d150.name},`);
    const link = linkIn(mail!, "/keep-account");
    expect(link.origin).toBe(ORIGIN);
    expect(link.searchParams.get("u")).toBe(d150.id);
    // 256-bit HMAC, base64url.
    expect(link.searchParams.get("t")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // A day later: no second reminder.
    await runCron(now + DAY);
    expect(await reminders(d150.email)).toHaveLength(1);
    expect(await reminders(d149.email)).toHaveLength(1);
  });

  it("escapes the account name in the HTML body and keeps it verbatim in the text", async () => {
    const now = nextEpoch();
    const user = await inactiveFor(now, 200, { name: `Eve <b>"O'Hara"</b> & co %%PORTICO_TOKEN%%` });
    await runCron(now);
    const [mail] = await reminders(user.email);
    expect(mail!.text).toContain(`Hello Eve <b>"O'Hara"</b> & co %%PORTICO_TOKEN%%,`);
    expect(mail!.html).toContain("Hello Eve &lt;b&gt;&quot;O&#39;Hara&quot;&lt;/b&gt; &amp; co %%PORTICO_TOKEN%%,");
  });

  it("does not sweep accounts that were never activated or are already deactivated", async () => {
    const now = nextEpoch();
    const invited = await makeUser({ status: "invited", passwordHash: null, totpSecretEnc: null, createdAt: now - 400 * DAY });
    const pending = await makeUser({ status: "pending_2fa", totpSecretEnc: null, createdAt: now - 400 * DAY });
    const gone = await inactiveFor(now, 400, { status: "deactivated" });
    await runCron(now);
    await runCron(now + 31 * DAY);
    for (const u of [invited, pending, gone]) {
      expect(await mailsFor(u.email)).toHaveLength(0);
      expect((await userRow(u.id)).inactivityRemindedAt).toBeNull();
    }
    expect((await userRow(invited.id)).status).toBe("invited");
    expect((await userRow(pending.id)).status).toBe("pending_2fa");
  });
});

describe("inactivity deactivation (F-70)", () => {
  it("deactivates only 30 days or more after the reminder, with mail and audit", async () => {
    const now = nextEpoch();
    const remindedAt = now - 30 * DAY;
    const make = (days: number) => inactiveFor(now, 150 + days, { inactivityRemindedAt: now - days * DAY });
    const d29 = await make(29);
    const d30 = await make(30);
    const d31 = await make(31);

    await runCron(now);

    expect((await userRow(d29.id)).status).toBe("active");
    expect(await goodbyes(d29.email)).toHaveLength(0);
    for (const u of [d30, d31]) {
      const row = await userRow(u.id);
      expect(row.status).toBe("deactivated");
      expect(row.analyticsAccess).toBe("N");
      expect(row.sessionsValidAfter).toBe(now);
      expect(await goodbyes(u.email)).toHaveLength(1);
      const [audit] = await auditFor(u.id, "user.deactivated_inactive");
      expect(audit!.actorId).toBeNull();
      expect(audit!.orgId).toBe(u.orgId);
      expect(JSON.parse(audit!.after!)).toEqual({ status: "deactivated", analyticsAccess: "N" });
    }
    expect(remindedAt).toBe(now - 30 * DAY);
  });

  it("is idempotent: a second run at the same moment changes nothing more", async () => {
    const now = nextEpoch();
    const toRemind = await inactiveFor(now, 160);
    const toDeactivate = await inactiveFor(now, 200, { inactivityRemindedAt: now - 40 * DAY });
    await runCron(now);
    const snapshot = async () => ({
      rows: await db().select().from(users).where(inArray(users.id, [toRemind.id, toDeactivate.id])).orderBy(users.id),
      mails: (await mailsFor(toRemind.email)).length + (await mailsFor(toDeactivate.email)).length,
      audit: (await auditFor(toDeactivate.id, "user.deactivated_inactive")).length,
    });
    const first = await snapshot();
    expect(first.mails).toBe(2);
    expect(first.audit).toBe(1);
    await runCron(now);
    expect(await snapshot()).toEqual(first);
  });

  it("never deactivates the vendor's last operator: the most recently active one stays, inactive operators before them go", async () => {
    const now = nextEpoch();
    const vendor = await makeOrg({ kind: "vendor" });
    const reminded = { inactivityRemindedAt: now - 40 * DAY };
    const older = await inactiveFor(now, 220, { role: "operator", orgId: vendor.id, ...reminded });
    const newest = await inactiveFor(now, 200, { role: "operator", orgId: vendor.id, ...reminded });
    const partner = await inactiveFor(now, 200, reminded);

    await runCron(now);

    expect((await userRow(older.id)).status).toBe("deactivated");
    expect((await userRow(partner.id)).status).toBe("deactivated");
    expect((await userRow(newest.id)).status).toBe("active");
    expect(await goodbyes(newest.email)).toHaveLength(0);
    expect(await auditFor(newest.id, "user.deactivated_inactive")).toHaveLength(0);

    // Still the last one a month on: the sweep leaves them, day after day, until someone signs in.
    await runCron(now + 30 * DAY);
    expect((await userRow(newest.id)).status).toBe("active");
  });

  it("leaves the last operator standing even when two were equally inactive: the one with the greater id stays", async () => {
    const now = nextEpoch();
    const vendor = await makeOrg({ kind: "vendor" });
    const same = { role: "operator" as const, orgId: vendor.id, inactivityRemindedAt: now - 40 * DAY };
    const pair = [await inactiveFor(now, 200, same), await inactiveFor(now, 200, same)].sort((a, b) => (a.id < b.id ? -1 : 1));

    await runCron(now);

    expect((await userRow(pair[0]!.id)).status).toBe("deactivated");
    expect((await userRow(pair[1]!.id)).status).toBe("active");
  });

  it("a sign-in after the reminder resets the clock and clears the reminder", async () => {
    const user = await makeUser({ createdAt: Date.now() - 400 * DAY, lastLoginAt: Date.now() - 200 * DAY });
    const remindAt = Date.now() - 10 * DAY;
    await runCron(remindAt);
    expect((await userRow(user.id)).inactivityRemindedAt).toBe(remindAt);

    await signIn(user);
    const row = await userRow(user.id);
    expect(row.inactivityRemindedAt).toBeNull();

    await runCron(remindAt + 31 * DAY);
    expect((await userRow(user.id)).status).toBe("active");
    expect(await goodbyes(user.email)).toHaveLength(0);
  });

  it("kills the sessions of a deactivated account", async () => {
    const user = await makeUser({ createdAt: Date.now() - 400 * DAY });
    const cookie = await signIn(user);
    expect((await api("/api/v1/me", { cookie })).status).toBe(200);
    // Reminded long ago, no activity recorded since (the sign-in above is rewound).
    await db()
      .update(users)
      .set({ lastLoginAt: Date.now() - 300 * DAY, lastActivityAt: Date.now() - 300 * DAY, inactivityRemindedAt: Date.now() - 100 * DAY })
      .where(eq(users.id, user.id));

    await runCron(Date.now());

    expect((await userRow(user.id)).status).toBe("deactivated");
    await expectError(await api("/api/v1/me", { cookie }), 401, "unauthenticated");
  });

  it("a reactivated account starts a fresh clock", async () => {
    const now = Date.now();
    const org = await makeOrg();
    const manager = await makeUser({ orgId: org.id, role: "partner_manager" });
    const cookie = await signIn(manager);
    const user = await makeUser({ orgId: org.id, createdAt: now - 400 * DAY, lastLoginAt: now - 300 * DAY, inactivityRemindedAt: now - 100 * DAY });
    await runCron(now);
    expect((await userRow(user.id)).status).toBe("deactivated");

    const res = await api(`/api/v1/users/${user.id}/activate`, { cookie, body: {} });
    expect(res.status).toBe(200);
    const row = await userRow(user.id);
    expect(row.status).toBe("active");
    expect(row.inactivityRemindedAt).toBeNull();
    expect(row.lastActivityAt).toBeGreaterThanOrEqual(now);

    await runCron(now + 149 * DAY);
    expect((await userRow(user.id)).inactivityRemindedAt).toBeNull();
    expect((await userRow(user.id)).status).toBe("active");
  });
});

/** GET the keep page (pre-login CSRF cookie and field), then POST it as the browser would. */
async function useKeepLink(link: URL) {
  const get = await SELF.fetch(`${ORIGIN}${link.pathname}${link.search}`, { redirect: "manual" });
  expect(get.status).toBe(200);
  expect(get.headers.get("referrer-policy")).toBe("no-referrer");
  const html = await get.text();
  const csrf = html.match(/name="_csrf" value="([^"]+)"/)![1]!;
  const cookie = cookieFrom(get, "__Host-csrf")!;
  return SELF.fetch(`${ORIGIN}/keep-account`, {
    method: "POST",
    headers: { cookie, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, u: link.searchParams.get("u")!, t: link.searchParams.get("t")! }).toString(),
    redirect: "manual",
  });
}

describe('"keep my account" link (F-94)', () => {
  it("counts as activity without a sign-in, works once, and GET changes nothing", async () => {
    const now = Date.now();
    const user = await makeUser({ createdAt: now - 400 * DAY, lastLoginAt: now - 200 * DAY });
    await runCron(now - DAY);
    const [mail] = await reminders(user.email);
    const link = linkIn(mail!, "/keep-account");

    await SELF.fetch(`${ORIGIN}${link.pathname}${link.search}`);
    expect((await userRow(user.id)).inactivityRemindedAt).toBe(now - DAY);

    const first = await useKeepLink(link);
    expect(first.status).toBe(200);
    expect(first.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await first.text()).toContain("Your account stays active");
    const row = await userRow(user.id);
    expect(row.inactivityRemindedAt).toBeNull();
    // Signed, not stored: the token appears nowhere in the account's row.
    expect(JSON.stringify(row)).not.toContain(link.searchParams.get("t"));
    expect(row.lastLoginAt).toBe(now - 200 * DAY);
    expect(row.lastActivityAt).toBeGreaterThanOrEqual(now);
    expect(await auditFor(user.id, "user.kept_active")).toHaveLength(1);

    const second = await useKeepLink(link);
    expect(second.status).toBe(400);
    expect(await second.text()).toContain("not valid or was already used");
    expect(await auditFor(user.id, "user.kept_active")).toHaveLength(1);

    await runCron(now + 40 * DAY);
    expect((await userRow(user.id)).status).toBe("active");
    expect(await reminders(user.email)).toHaveLength(1);
  });

  it("a link from an earlier reminder no longer works once a later reminder went out", async () => {
    const now = Date.now();
    const user = await makeUser({ createdAt: now - 600 * DAY, lastLoginAt: now - 400 * DAY });
    await runCron(now - 200 * DAY);
    const oldLink = linkIn((await reminders(user.email))[0]!, "/keep-account");
    // Activity in between (as a sign-in would), then a new reminder much later.
    await db().update(users).set({ inactivityRemindedAt: null, lastActivityAt: now - 190 * DAY }).where(eq(users.id, user.id));
    await runCron(now - DAY);
    expect(await reminders(user.email)).toHaveLength(2);
    expect((await useKeepLink(oldLink)).status).toBe(400);
    expect((await userRow(user.id)).inactivityRemindedAt).toBe(now - DAY);
  });

  it("refuses a wrong token and another account's id", async () => {
    const now = Date.now();
    const user = await makeUser({ createdAt: now - 400 * DAY, lastLoginAt: now - 200 * DAY });
    const other = await makeUser({ createdAt: now - 400 * DAY, lastLoginAt: now - 200 * DAY });
    await runCron(now - DAY);
    const link = linkIn((await reminders(user.email))[0]!, "/keep-account");

    const wrong = new URL(link);
    wrong.searchParams.set("t", "0".repeat(32));
    expect((await useKeepLink(wrong)).status).toBe(400);
    const swapped = new URL(link);
    swapped.searchParams.set("u", other.id);
    expect((await useKeepLink(swapped)).status).toBe(400);
    expect((await userRow(user.id)).inactivityRemindedAt).toBe(now - DAY);
    expect((await userRow(other.id)).inactivityRemindedAt).toBe(now - DAY);
  });
});

describe("inactivity dry run for Partner Managers (F-94)", () => {
  it("lists who in the own organization will be reminded or deactivated in the next 30 days", async () => {
    const now = Date.now();
    const { org, cookie } = await partnerOrg();
    const soonReminded = await makeUser({ orgId: org.id, createdAt: now - 300 * DAY, lastLoginAt: now - 140 * DAY });
    const soonDeactivated = await makeUser({ orgId: org.id, createdAt: now - 300 * DAY, lastLoginAt: now - 170 * DAY, inactivityRemindedAt: now - 10 * DAY });
    const fine = await makeUser({ orgId: org.id, createdAt: now - 300 * DAY, lastLoginAt: now - 100 * DAY });
    const invited = await makeUser({ orgId: org.id, status: "invited", passwordHash: null, totpSecretEnc: null, createdAt: now - 300 * DAY });
    const otherOrg = await makeOrg();
    const elsewhere = await makeUser({ orgId: otherOrg.id, createdAt: now - 300 * DAY, lastLoginAt: now - 140 * DAY });

    const res = await api("/api/v1/users/inactivity", { cookie });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { id: string; action: string; on: string }[] };
    const ids = items.map((i) => i.id);
    expect(ids).toContain(soonReminded.id);
    expect(ids).toContain(soonDeactivated.id);
    expect(ids).not.toContain(fine.id);
    expect(ids).not.toContain(invited.id);
    expect(ids).not.toContain(elsewhere.id);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(items.find((i) => i.id === soonReminded.id)).toMatchObject({ action: "reminder", on: day(now + 10 * DAY) });
    expect(items.find((i) => i.id === soonDeactivated.id)).toMatchObject({ action: "deactivation", on: day(now + 20 * DAY) });

    const html = await (await page("/users/inactivity", cookie)).text();
    expect(html).toContain(soonReminded.email);
    expect(html).toContain(soonDeactivated.email);
    expect(html).not.toContain(elsewhere.email);
    expect(await (await page("/users", cookie)).text()).toContain('href="/users/inactivity"');
  });

  it("is forbidden to regular and read-only users", async () => {
    const org = await makeOrg();
    for (const role of ["regular", "read_only"] as const) {
      const { cookie } = await signedIn(org.id, role);
      await expectError(await api("/api/v1/users/inactivity", { cookie }), 403, "forbidden");
      expect((await page("/users/inactivity", cookie)).status).toBe(403);
    }
    expect(makeOperator).toBeDefined();
  });
});
