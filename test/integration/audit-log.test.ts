// F-50, F-96: the audit log through GET /api/v1/audit and GET /audit — who may
// read it (Partner Managers their organization, operators all), each filter,
// pagination, "deleted user", the streamed CSV export of the same filter, and
// the retention sweep of the cron run.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { csvParseRows } from "d3-dsv";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { analyticsSegments, apiTokens, auditEvents, users } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { neutralize } from "../../src/lib/csv";
import { AUDIT_ACTIONS } from "../../src/domain/audit-actions";
import { AUDIT_CSV_HEADER, type AuditItem } from "../../src/services/audit-log";
import { api, db, expectError, makeOperator, makeOrg, makeUser, signIn, uniqueEmail } from "../helpers/fixtures";
import { makeMetaSite, makeSite } from "../helpers/analytics";
import { makeBlock, makeCampaign, makeLicenseKey } from "../helpers/analytics-modules";
import { makeTag } from "../helpers/analytics-workspace";
import { makeCompany, makePlan, makeService } from "../helpers/companies";
import { page, partnerOrg, signedIn } from "../helpers/portal";
import { elements } from "../helpers/ui";

interface ListAnswer {
  items: AuditItem[];
  page: { number: number; size: number; total: number };
}

const DAY = 86_400_000;
/** Far enough ahead that no other test's cron run (all before 2034) can have purged these entries. */
const T = Date.UTC(2040, 5, 15, 12, 0, 0);

const list = async (cookie: string, query = "") => {
  const res = await api(`/api/v1/audit${query}`, { cookie });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ListAnswer;
};

type EventRow = typeof auditEvents.$inferInsert;

/** Entries written straight to D1, chunked to stay under D1's 100 bound parameters per statement. */
async function insertEvents(rows: Partial<EventRow>[]) {
  const full = rows.map((r) => ({ id: newId(), at: T, action: "test.event", targetType: "user", ...r }));
  for (let i = 0; i < full.length; i += 9) await db().insert(auditEvents).values(full.slice(i, i + 9));
  return full;
}

/**
 * `n` entries in one set-based statement: ids `${prefix}00000`…, three
 * entries per timestamp (so ties on `at` are broken by id), one second apart.
 */
async function insertMany(n: number, o: { prefix: string; orgId: string; actorId: string | null; startAt: number; action: string }) {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1 - 1)
     INSERT INTO audit_events (id, at, actor_id, org_id, action, target_type, target_id, before_json, after_json, ip)
     SELECT ?2 || printf('%05d', i), ?3 - (i / 3) * 1000, ?4, ?5, ?6, 'user', 'target-' || i, NULL, '{"n":' || i || '}', '203.0.113.9' FROM seq`,
  )
    .bind(n, o.prefix, o.startAt, o.actorId, o.orgId, o.action)
    .run();
}

/** Newest first, ties on time by id descending: the order of the list and the export. */
const newestFirst = (a: { at: number; id: string }, b: { at: number; id: string }) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

async function invite(cookie: string, ip = "198.51.100.7") {
  const email = uniqueEmail("invitee");
  const res = await api("/api/v1/users", { cookie, body: { email, name: "Ivy Invitee", role: "regular" }, headers: { "cf-connecting-ip": ip } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { user: { id: string; email: string } }).user;
}

async function runCron(scheduledTime: number, bindings: Cloudflare.Env = env) {
  const controller = createScheduledController({ scheduledTime, cron: "0 3 * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, bindings, ctx);
  await waitOnExecutionContext(ctx);
}

async function csvOf(cookie: string, query: string) {
  const res = await api(`/api/v1/audit?format=csv${query}`, { cookie });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
  expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="audit-log\.csv"/);
  const text = await res.text();
  expect(text.endsWith("\r\n")).toBe(true);
  return csvParseRows(text);
}

describe("who may read the audit log (F-50)", () => {
  it("shows a Partner Manager only their own organization's entries, written by real actions", async () => {
    const a = await partnerOrg();
    const b = await partnerOrg();
    const first = await invite(a.cookie, "198.51.100.7");
    const second = await invite(a.cookie, "198.51.100.8");
    const theirs = await invite(b.cookie);

    // Signing in is audited too.
    const everything = await list(a.cookie);
    expect(everything.items.map((i) => i.action)).toEqual(["user.invited", "user.invited", "auth.signed_in"]);
    expect(everything.items.every((i) => i.orgId === a.org.id)).toBe(true);
    const body = await list(a.cookie, "?action=user.invited");
    expect(body.page).toEqual({ number: 1, size: 50, total: 2 });
    expect(body.items.map((i) => i.targetId)).toEqual([second.id, first.id]);
    expect(body.items.every((i) => i.orgId === a.org.id)).toBe(true);
    expect(body.items[1]).toEqual({
      id: expect.any(String),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      actor: { id: a.manager.id, name: a.manager.name, email: a.manager.email },
      orgId: a.org.id,
      action: "user.invited",
      actionLabel: "Invited a user",
      targetType: "user",
      targetId: first.id,
      targetLabel: `Ivy Invitee (${first.email})`,
      before: null,
      after: { email: first.email, name: "Ivy Invitee", role: "regular" },
      ip: "198.51.100.7",
    });
    expect(JSON.stringify(body)).not.toContain(theirs.id);
    // Naming the other organization, or filtering for its target, finds nothing.
    await expectError(await api(`/api/v1/audit?orgId=${b.org.id}`, { cookie: a.cookie }), 404, "not_found");
    expect((await list(a.cookie, `?target=${theirs.id}`)).items).toEqual([]);
    expect((await list(b.cookie, "?action=user.invited")).items.map((i) => i.targetId)).toEqual([theirs.id]);
  });

  it("refuses Regular and Read-only users: 403 from the API and its CSV export, the page refused, no navigation link", async () => {
    const { org, cookie: managerCookie } = await partnerOrg();
    await invite(managerCookie);
    for (const role of ["regular", "read_only"] as const) {
      const { cookie } = await signedIn(org.id, role);
      await expectError(await api("/api/v1/audit", { cookie }), 403, "forbidden");
      await expectError(await api("/api/v1/audit?format=csv", { cookie }), 403, "forbidden");
      const res = await page("/audit", cookie);
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain("user.invited");
      expect(await (await page("/", cookie)).text()).not.toContain('href="/audit"');
    }
    expect(await (await page("/", managerCookie)).text()).toContain('href="/audit">Audit log</a>');
  });

  it("asks for sign-in first", async () => {
    await expectError(await api("/api/v1/audit"), 401, "unauthenticated");
    const res = await page("/audit", "");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Faudit");
  });

  it("shows operators every organization's entries and filters by organization", async () => {
    const a = await partnerOrg();
    const b = await partnerOrg();
    const inA = await invite(a.cookie);
    const inB = await invite(b.cookie);
    const operator = await makeOperator();
    const cookie = await signIn(operator);

    const all = await list(cookie, "?action=user.invited&pageSize=100");
    const ids = all.items.map((i) => i.targetId);
    expect(ids).toContain(inA.id);
    expect(ids).toContain(inB.id);
    expect(new Set(all.items.map((i) => i.orgId)).size).toBeGreaterThan(1);

    const onlyA = await list(cookie, `?orgId=${a.org.id}&action=user.invited`);
    expect(onlyA.items.map((i) => i.targetId)).toEqual([inA.id]);
    expect(onlyA.page.total).toBe(1);

    const [entryOfB] = (await list(cookie, `?orgId=${b.org.id}&action=user.invited`)).items;
    expect(entryOfB!.targetId).toBe(inB.id);
    const html = await (await page(`/audit?orgId=${b.org.id}&action=user.invited`, cookie)).text();
    expect(html).toContain('<select id="f-orgId" name="orgId"');
    expect(html).toMatch(new RegExp(`<option value="${b.org.id}" selected="">`));
    expect(html).toContain(`id="audit-${entryOfB!.id}"`);
    expect(html).not.toContain(`id="audit-${onlyA.items[0]!.id}"`);
    // The navigation marks the open section: the link is there, with aria-current="page".
    expect(html).toMatch(/<a aria-current="page" href="\/audit">Audit log<\/a>/);
  });

  it("names each entry's organization for operators across organizations, linked to the same filter narrowed to it", async () => {
    const a = await partnerOrg();
    const b = await partnerOrg();
    const inA = await invite(a.cookie);
    const inB = await invite(b.cookie);
    const cookie = await signIn(await makeOperator());
    const orgCellOf = async (html: string, targetId: string) => {
      const [entry] = (await list(cookie, `?target=${targetId}`)).items;
      const [row] = await elements(html, `#audit-${entry!.id} td:nth-child(2) a`);
      return row;
    };

    const html = await (await page("/audit?action=user.invited&pageSize=100", cookie)).text();
    expect((await elements(html, "table th")).map((th) => th.text)).toEqual(["Time", "Organization", "Actor", "Action", "Target", "IP", "Before / after"]);
    const cellA = await orgCellOf(html, inA.id);
    expect(cellA?.text).toBe(a.org.name);
    expect(cellA?.attrs.href?.replaceAll("&amp;", "&")).toBe(`/audit?action=user.invited&orgId=${a.org.id}`);
    expect((await orgCellOf(html, inB.id))?.text).toBe(b.org.name);

    // Narrowed to one organization, or a Partner Manager's own log: the column would say the same on every row.
    const narrowed = await (await page(`/audit?orgId=${a.org.id}`, cookie)).text();
    expect((await elements(narrowed, "table th")).map((th) => th.text)).not.toContain("Organization");
    const own = await (await page("/audit", a.cookie)).text();
    expect((await elements(own, "table th")).map((th) => th.text)).not.toContain("Organization");
  });

  it("is linked from an organization's page, narrowed to that organization", async () => {
    const a = await partnerOrg();
    const inA = await invite(a.cookie);
    await invite((await partnerOrg()).cookie);
    const cookie = await signIn(await makeOperator());
    const [link] = await elements(await (await page(`/orgs/${a.org.id}`, cookie)).text(), "main a[href^='/audit']");
    expect(link?.text).toBe("Audit log");
    const html = await (await page(link!.attrs.href!, cookie)).text();
    expect(html).toMatch(new RegExp(`<option value="${a.org.id}" selected="">`));
    const [entry] = (await list(cookie, `?target=${inA.id}`)).items;
    const rows = await elements(html, "tbody tr");
    expect(rows.map((r) => r.attrs.id)).toContain(`audit-${entry!.id}`);
    expect((await list(cookie, `?orgId=${a.org.id}`)).page.total).toBe(rows.length);
  });
});

/** One organization with a known set of entries in June 2040. */
async function knownEntries() {
  const org = await makeOrg();
  const manager = await makeUser({ orgId: org.id, role: "partner_manager", name: "Mia Manager" });
  const colleague = await makeUser({ orgId: org.id, role: "regular", name: "Cole League" });
  const rows = await insertEvents([
    { orgId: org.id, actorId: manager.id, action: "user.invited", targetId: "u-1", at: Date.UTC(2040, 5, 1, 0, 0, 0), after: JSON.stringify({ role: "regular" }) },
    { orgId: org.id, actorId: manager.id, action: "user.role_changed", targetId: "u-1", at: Date.UTC(2040, 5, 2, 23, 59, 59), before: JSON.stringify({ role: "regular" }), after: JSON.stringify({ role: "partner_manager" }) },
    { orgId: org.id, actorId: colleague.id, action: "company.created", targetType: "company", targetId: "c-1", at: Date.UTC(2040, 5, 3, 10, 0, 0) },
    { orgId: org.id, actorId: colleague.id, action: "user.invited", targetId: "u-2", at: Date.UTC(2040, 5, 4, 0, 0, 0) },
    { orgId: org.id, actorId: null, action: "invitation.reminded", targetType: "invitation", targetId: "i-1", at: Date.UTC(2040, 5, 5, 3, 0, 0) },
  ]);
  const [invited1, roleChanged, company, invited2, reminded] = rows.map((r) => r.id) as [string, string, string, string, string];
  // Signing in writes a real entry, today: older than all of the above.
  const cookie = await signIn(manager);
  const [signedInRow] = await db().select({ id: auditEvents.id }).from(auditEvents).where(and(eq(auditEvents.actorId, manager.id), eq(auditEvents.action, "auth.signed_in")));
  return { org, manager, colleague, cookie, ids: { invited1, roleChanged, company, invited2, reminded, signedIn: signedInRow!.id } };
}

describe("GET /api/v1/audit filters and pages (F-50)", () => {
  it("lists newest first, with before/after parsed and the system as a null actor", async () => {
    const { cookie, ids, manager } = await knownEntries();
    const body = await list(cookie);
    expect(body.items.map((i) => i.id)).toEqual([ids.reminded, ids.invited2, ids.company, ids.roleChanged, ids.invited1, ids.signedIn]);
    expect(body.items[0]!.actor).toBeNull();
    expect(body.items[3]).toMatchObject({ action: "user.role_changed", before: { role: "regular" }, after: { role: "partner_manager" }, actor: { id: manager.id, email: manager.email } });
  });

  it("filters by actor id or email (any case)", async () => {
    const { cookie, ids, manager, colleague } = await knownEntries();
    expect((await list(cookie, `?actor=${manager.id}`)).items.map((i) => i.id)).toEqual([ids.roleChanged, ids.invited1, ids.signedIn]);
    expect((await list(cookie, `?actor=${encodeURIComponent(colleague.email.toUpperCase())}`)).items.map((i) => i.id)).toEqual([ids.invited2, ids.company]);
    expect((await list(cookie, "?actor=nobody@example.com")).page.total).toBe(0);
  });

  it("filters by action, exact or by prefix, with LIKE wildcards taken literally", async () => {
    const { cookie, ids } = await knownEntries();
    expect((await list(cookie, "?action=user.invited")).items.map((i) => i.id)).toEqual([ids.invited2, ids.invited1]);
    expect((await list(cookie, "?action=user.")).items.map((i) => i.id)).toEqual([ids.invited2, ids.roleChanged, ids.invited1]);
    expect((await list(cookie, "?action=user*")).items.map((i) => i.id)).toEqual([ids.invited2, ids.roleChanged, ids.invited1]);
    expect((await list(cookie, "?action=user")).page.total).toBe(0);
    expect((await list(cookie, "?action=%25.")).page.total).toBe(0);
    expect((await list(cookie, "?action=____.")).page.total).toBe(0);
  });

  it("filters by target id", async () => {
    const { cookie, ids } = await knownEntries();
    expect((await list(cookie, "?target=u-1")).items.map((i) => i.id)).toEqual([ids.roleChanged, ids.invited1]);
    expect((await list(cookie, "?target=c-1")).items.map((i) => i.id)).toEqual([ids.company]);
  });

  it("filters by from/to as inclusive UTC days, and combines filters", async () => {
    const { cookie, ids, manager } = await knownEntries();
    expect((await list(cookie, "?from=2040-06-02&to=2040-06-03")).items.map((i) => i.id)).toEqual([ids.company, ids.roleChanged]);
    expect((await list(cookie, "?from=2040-06-04")).items.map((i) => i.id)).toEqual([ids.reminded, ids.invited2]);
    expect((await list(cookie, "?from=2040-05-31&to=2040-06-01")).items.map((i) => i.id)).toEqual([ids.invited1]);
    expect((await list(cookie, "?to=2040-05-31")).items.map((i) => i.id)).toEqual([ids.signedIn]);
    expect((await list(cookie, "?from=2040-06-05&to=2040-06-05")).items.map((i) => i.id)).toEqual([ids.reminded]);
    expect((await list(cookie, `?from=2040-06-01&to=2040-06-30&action=user.&actor=${manager.id}&target=u-1`)).items.map((i) => i.id)).toEqual([ids.roleChanged, ids.invited1]);
    // An empty field ("any") is no filter.
    expect((await list(cookie, "?actor=&action=&target=&from=&to=")).page.total).toBe(6);
  });

  it("pages through the entries with the total of the filter", async () => {
    const { cookie, ids } = await knownEntries();
    const second = await list(cookie, "?pageSize=2&page=2");
    expect(second.page).toEqual({ number: 2, size: 2, total: 6 });
    expect(second.items.map((i) => i.id)).toEqual([ids.company, ids.roleChanged]);
    expect((await list(cookie, "?pageSize=2&page=3")).items.map((i) => i.id)).toEqual([ids.invited1, ids.signedIn]);
    expect((await list(cookie, "?pageSize=2&page=9")).items).toEqual([]);
    expect((await list(cookie, "?pageSize=2&action=user.")).page).toEqual({ number: 1, size: 2, total: 3 });
  });

  it("answers 422 with fields for a filter it does not understand", async () => {
    const { cookie } = await knownEntries();
    for (const [q, field] of [
      ["?from=yesterday", "from"],
      ["?to=2040-13-01", "to"],
      ["?from=2040-06-05&to=2040-06-01", "to"],
      ["?pageSize=1000", "pageSize"],
      ["?page=0", "page"],
      ["?format=xml", "format"],
      [`?action=${"x".repeat(81)}`, "action"],
    ] as const) {
      const error = await expectError(await api(`/api/v1/audit${q}`, { cookie }), 422, "validation_failed");
      expect(Object.keys(error.fields ?? {}), q).toContain(field);
    }
  });

  it("names an actor whose account no longer exists \"deleted user\"", async () => {
    const { org, cookie } = await knownEntries();
    const leaver = await makeUser({ orgId: org.id, name: "Lee Leaver" });
    const [row] = await insertEvents([{ orgId: org.id, actorId: leaver.id, action: "company.updated", targetId: "c-9", at: T }]);
    await db().delete(users).where(eq(users.id, leaver.id));
    const [item] = (await list(cookie, "?target=c-9")).items;
    expect(item).toMatchObject({ id: row!.id, actor: { id: leaver.id, name: "deleted user", email: null, deleted: true } });
    // Still findable by the id it had.
    expect((await list(cookie, `?actor=${leaver.id}`)).items.map((i) => i.id)).toEqual([row!.id]);
    const html = await (await page("/audit?target=c-9", cookie)).text();
    expect(html).toContain("deleted user");
  });
});

describe("actions in words (F-50)", () => {
  it("shows each action's words with its code, keeps the code of an action no longer written, and suggests actions and prefixes in the filter", async () => {
    const { org, cookie } = await partnerOrg();
    await insertEvents([
      { orgId: org.id, action: "user.role_changed", targetId: "u-words", at: T },
      { orgId: org.id, action: "legacy.thing_done", targetId: "u-words", at: T + 1 },
    ]);
    const items = (await list(cookie, "?target=u-words")).items;
    expect(items.map((i) => [i.action, i.actionLabel])).toEqual([
      ["legacy.thing_done", "legacy.thing_done"],
      ["user.role_changed", "Changed a role"],
    ]);

    const html = await (await page("/audit?target=u-words", cookie)).text();
    // The words, then the code; an action without words shows its code once.
    const cells = (await elements(html, "tbody tr td:nth-child(3)")).map((td) => td.text);
    expect(cells).toEqual(["legacy.thing_done", "Changed a roleuser.role_changed"]);
    expect((await elements(html, "tbody tr td:nth-child(3) code")).map((c) => c.text)).toEqual(["legacy.thing_done", "user.role_changed"]);
    const [input] = await elements(html, "input[name=action]");
    expect(input?.attrs.list).toBe("audit-actions");
    const options = (await elements(html, "datalist#audit-actions option")).map((o) => o.attrs.value);
    expect(options).toContain("user.");
    expect(options).toContain("analytics.site.");
    expect(options).toContain("user.role_changed");
    expect(options.filter((v) => !v!.endsWith("."))).toHaveLength(Object.keys(AUDIT_ACTIONS).length);
  });
});

describe("targets by name (F-50)", () => {
  it("names each target as it is called now, inside the entry's own organization only; other ids stay ids", async () => {
    const { org, cookie } = await partnerOrg();
    const other = await makeOrg({ name: "Elsewhere Ltd" });
    const [tess, stranger, gone] = await Promise.all([
      makeUser({ orgId: org.id, name: "Tess Target", email: uniqueEmail("tess") }),
      makeUser({ orgId: other.id, name: "Sam Stranger" }),
      makeUser({ orgId: org.id, name: "Gone Soon" }),
    ]);
    const [company, foreignCompany, site, foreignSite] = await Promise.all([
      makeCompany(org.id, { name: "Initech" }),
      makeCompany(other.id, { name: "Foreign Co" }),
      makeSite(org.id, { name: "Main shop" }),
      makeSite(other.id, { name: "Their shop" }),
    ]);
    const [meta, campaign, key, foreignCampaign] = await Promise.all([
      makeMetaSite(org.id, [site.id], { name: "All shops" }),
      makeCampaign(org.id, { name: "Spring launch" }),
      makeLicenseKey(org.id, { key: "KEY-ACME-0001" }),
      makeCampaign(other.id, { name: "Their launch" }),
    ]);
    const action = `label.${newId()}`;
    const rows = await insertEvents(
      (
        [
          ["user", tess.id],
          ["user", stranger.id],
          ["user", gone.id],
          ["organization", org.id],
          ["organization", other.id],
          ["company", company.id],
          ["company", foreignCompany.id],
          ["analytics_site", site.id],
          ["analytics_site", foreignSite.id],
          ["analytics_meta_site", meta.id],
          ["analytics_campaign", campaign.id],
          ["analytics_campaign", foreignCampaign.id],
          ["analytics_license_key", key.id],
          ["plan", "p-1"],
        ] as const
      ).map(([targetType, targetId], i) => ({ orgId: org.id, action, targetType, targetId, at: T + i })),
    );
    await db().delete(users).where(eq(users.id, gone.id));

    const labels = Object.fromEntries((await list(cookie, `?action=${action}`)).items.map((i) => [i.targetId, i.targetLabel]));
    expect(labels).toEqual({
      [tess.id]: `Tess Target (${tess.email})`,
      [stranger.id]: null,
      [gone.id]: null,
      [org.id]: org.name,
      [other.id]: null,
      [company.id]: "Initech",
      [foreignCompany.id]: null,
      [site.id]: "Main shop",
      [foreignSite.id]: null,
      [meta.id]: "All shops",
      [campaign.id]: "Spring launch",
      [foreignCampaign.id]: null,
      [key.id]: "KEY-ACME-0001",
      "p-1": null,
    });
    expect(rows).toHaveLength(14);

    // The page shows the name, with the type and id beside it; a target without a name keeps its id.
    const html = await (await page(`/audit?action=${action}`, cookie)).text();
    expect(html).toContain(`Tess Target (${tess.email})`);
    expect(html).toContain(`user <code>${tess.id}</code>`);
    expect(html).not.toContain("Sam Stranger");
    expect(html).not.toContain("Their shop");
    expect(html).toContain(`analytics_site <code>${foreignSite.id}</code>`);
  });

  it("names what an organization owns through a parent (tag, segment, token, a company's service and plan) and its blocks, only when the parent is the entry's organization's", async () => {
    const { org, cookie, manager } = await partnerOrg();
    const other = await makeOrg({ name: "Elsewhere Ltd" });
    const stranger = await makeUser({ orgId: other.id });
    const [site, foreignSite, company, foreignCompany] = await Promise.all([
      makeSite(org.id, { name: "Main shop" }),
      makeSite(other.id, { name: "Their shop" }),
      makeCompany(org.id, { name: "Initech" }),
      makeCompany(other.id, { name: "Foreign Co" }),
    ]);
    const [meta, foreignMeta] = await Promise.all([makeMetaSite(org.id, [site.id], { name: "All shops" }), makeMetaSite(other.id, [foreignSite.id], { name: "Their shops" })]);
    const [tag, foreignTag, service, foreignService, plan, foreignPlan, block, foreignBlock] = await Promise.all([
      makeTag(site.id, { name: "Checkout pixel" }),
      makeTag(foreignSite.id, { name: "Their pixel" }),
      makeService(company.id, "domain", { name: "initech.example" }),
      makeService(foreignCompany.id, "domain", { name: "foreign.example" }),
      makePlan(company.id, { plan: "enterprise" }),
      makePlan(foreignCompany.id),
      makeBlock(org.id, { kind: "ip", value: "203.0.113.9" }),
      makeBlock(other.id, { kind: "client", value: "their-bot" }),
    ]);
    const now = Date.now();
    const segment = { id: newId(), metaSiteId: meta.id, name: "Big spenders", definition: "{}", createdAt: now, updatedAt: now };
    const foreignSegment = { ...segment, id: newId(), metaSiteId: foreignMeta.id, name: "Their segment" };
    const token = { id: newId(), userId: manager.id, name: "Nightly export", tokenHash: newId(), prefix: "pt_1", createdAt: now };
    const foreignToken = { ...token, id: newId(), userId: stranger.id, name: "Their export", tokenHash: newId() };
    await db().batch([db().insert(analyticsSegments).values([segment, foreignSegment]), db().insert(apiTokens).values([token, foreignToken])]);

    const action = `label.${newId()}`;
    await insertEvents(
      (
        [
          ["analytics_tag", tag.id],
          ["analytics_tag", foreignTag.id],
          ["analytics_segment", segment.id],
          ["analytics_segment", foreignSegment.id],
          ["api_token", token.id],
          ["api_token", foreignToken.id],
          ["company_service", service.id],
          ["company_service", foreignService.id],
          ["plan", plan.id],
          ["plan", foreignPlan.id],
          ["analytics_block", block.id],
          ["analytics_block", foreignBlock.id],
          // The right id under another kind names nothing.
          ["analytics_segment", tag.id],
        ] as const
      ).map(([targetType, targetId], i) => ({ orgId: org.id, action, targetType, targetId, at: T + i })),
    );

    const items = (await list(cookie, `?action=${action}`)).items;
    expect(items.map((i) => [i.targetType, i.targetId, i.targetLabel])).toEqual(
      [
        ["analytics_tag", tag.id, "Checkout pixel (Main shop)"],
        ["analytics_tag", foreignTag.id, null],
        ["analytics_segment", segment.id, "Big spenders (All shops)"],
        ["analytics_segment", foreignSegment.id, null],
        ["api_token", token.id, `Nightly export (${manager.email})`],
        ["api_token", foreignToken.id, null],
        ["company_service", service.id, "initech.example (Initech)"],
        ["company_service", foreignService.id, null],
        ["plan", plan.id, "Enterprise (Initech)"],
        ["plan", foreignPlan.id, null],
        ["analytics_block", block.id, "ip 203.0.113.9"],
        ["analytics_block", foreignBlock.id, null],
        ["analytics_segment", tag.id, null],
      ].reverse(),
    );
  });
});

describe("CSV export (F-50)", () => {
  it("has the header and the same rows as the filtered list, in the same order", async () => {
    const { cookie, manager } = await knownEntries();
    const query = "&action=user.&from=2040-06-01&to=2040-06-30";
    const rows = await csvOf(cookie, query);
    const listed = (await list(cookie, `?${query.slice(1)}`)).items;
    expect(rows[0]).toEqual(AUDIT_CSV_HEADER);
    expect(rows.slice(1)).toEqual(
      // Random ids may start with "-": the export quotes those like any formula-looking cell.
      listed.map((i) => [i.at, i.actor?.id ?? "", i.actor?.name ?? "system", i.actor?.email ?? "", i.orgId, i.action, i.targetType, i.targetId ?? "", i.before === null ? "" : JSON.stringify(i.before), i.after === null ? "" : JSON.stringify(i.after), i.ip ?? ""].map(neutralize)),
    );
    expect(rows).toHaveLength(4);
    expect(rows[2]!.slice(1, 4)).toEqual([neutralize(manager.id), "Mia Manager", manager.email]);
    // A filter matching nothing still answers the header.
    expect(await csvOf(cookie, "&action=nothing.")).toEqual([AUDIT_CSV_HEADER]);
  });

  it("streams a large export completely and in order, across chunk boundaries and ties on time", async () => {
    const org = await makeOrg();
    const manager = await makeUser({ orgId: org.id, role: "partner_manager" });
    const prefix = `bulk-${newId()}-`;
    await insertMany(1_200, { prefix, orgId: org.id, actorId: manager.id, startAt: T, action: "bulk.row" });
    await insertEvents([{ orgId: (await makeOrg()).id, actorId: null, action: "bulk.row", at: T }]); // another organization's
    const cookie = await signIn(manager);

    const rows = await csvOf(cookie, "&action=bulk.");
    expect(rows[0]).toEqual(AUDIT_CSV_HEADER);
    const body = rows.slice(1);
    expect(body).toHaveLength(1_200);
    const inDb = await db().select({ id: auditEvents.id, at: auditEvents.at, targetId: auditEvents.targetId }).from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.action, "bulk.row")));
    const expected = inDb.sort(newestFirst).map((r) => r.targetId);
    expect(body.map((r) => r[7])).toEqual(expected);
    expect(new Set(body.map((r) => r[7])).size).toBe(1_200);
    expect(body[0]!.slice(4, 6)).toEqual([neutralize(org.id), "bulk.row"]);
    expect((await list(cookie, "?action=bulk.row&pageSize=1")).page.total).toBe(1_200);
  });
});

describe("retention (F-96)", () => {
  it("the cron run deletes entries older than 400 days, in chunks, and keeps newer ones", async () => {
    const now = Date.now();
    const org = await makeOrg();
    const prefix = `old-${newId()}-`;
    // More than one delete chunk (5,000) of expired entries.
    await insertMany(5_100, { prefix, orgId: org.id, actorId: null, startAt: now - 401 * DAY, action: "retention.old" });
    const kept = await insertEvents([
      { orgId: org.id, action: "retention.kept", at: now - 399 * DAY },
      { orgId: org.id, action: "retention.kept", at: now - DAY },
    ]);

    await runCron(now);

    const left = await db().select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.orgId, org.id));
    expect(left.map((r) => r.id).sort()).toEqual(kept.map((r) => r.id).sort());
  });

  it("respects AUDIT_RETENTION_DAYS from the environment", async () => {
    const now = Date.now();
    const org = await makeOrg();
    const [older, newer] = await insertEvents([
      { orgId: org.id, action: "retention.override", at: now - 31 * DAY },
      { orgId: org.id, action: "retention.override", at: now - 29 * DAY },
    ]);
    await runCron(now);
    expect(await db().select({ id: auditEvents.id }).from(auditEvents).where(inArray(auditEvents.id, [older!.id, newer!.id]))).toHaveLength(2);

    await runCron(now, { ...env, AUDIT_RETENTION_DAYS: "30" });
    const left = await db().select({ id: auditEvents.id }).from(auditEvents).where(inArray(auditEvents.id, [older!.id, newer!.id]));
    expect(left.map((r) => r.id)).toEqual([newer!.id]);
  });
});

describe("GET /audit page (F-50)", () => {
  it("renders the filter values, the matching rows with before/after, pagination and an Export CSV link of the same filter", async () => {
    const { cookie, ids, manager } = await knownEntries();
    const res = await page(`/audit?actor=${encodeURIComponent(manager.email)}&action=user.&from=2040-06-01&to=2040-06-30&target=u-1`, cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`name="actor" type="text" value="${manager.email}"`);
    expect(html).toContain('name="action" type="text" value="user."');
    expect(html).toContain('name="target" type="text" value="u-1"');
    expect(html).toContain('name="from" type="date" value="2040-06-01"');
    expect(html).toContain('name="to" type="date" value="2040-06-30"');
    for (const col of ["Time", "Actor", "Action", "Target", "IP"]) expect(html).toContain(`<th scope="col">${col}</th>`);
    const row = html.match(new RegExp(`<tr id="audit-${ids.roleChanged}">[\\s\\S]*?</tr>`))?.[0] ?? "";
    expect(row).toContain('Changed a role<br/><code class="muted">user.role_changed</code>');
    expect(row).toContain("Mia Manager");
    expect(row).toContain("<details>");
    expect(row).toContain("&quot;partner_manager&quot;");
    expect(html).toContain(`id="audit-${ids.invited1}"`);
    expect(html).not.toContain(`id="audit-${ids.company}"`);
    expect(html).toContain("Page 1 of 1 · 2 entries");
    const exportHref = html.match(/<a href="([^"]+)"[^>]*>\s*Export CSV/)?.[1]?.replaceAll("&amp;", "&");
    expect(exportHref).toBeDefined();
    const url = new URL(exportHref!, "https://portico.test");
    expect(url.pathname).toBe("/api/v1/audit");
    expect(Object.fromEntries(url.searchParams)).toEqual({ actor: manager.email, action: "user.", from: "2040-06-01", to: "2040-06-30", target: "u-1", format: "csv" });
    // The link answers the same rows.
    url.searchParams.delete("format");
    expect((await csvOf(cookie, `&${url.searchParams}`)).slice(1).map((r) => r[7])).toEqual(["u-1", "u-1"]);
  });

  it("links the next page with the filter kept, and shows an empty state", async () => {
    const { cookie } = await knownEntries();
    const html = await (await page("/audit?action=user.&pageSize=2", cookie)).text();
    expect(html).toContain('href="/audit?action=user.&amp;pageSize=2&amp;page=2"');
    const empty = await (await page("/audit?action=nothing.", cookie)).text();
    expect(empty).toContain("No audit entries match this filter.");
    expect(empty).not.toContain("<table");
  });

  it("shows a filter it does not understand next to its field with a 422", async () => {
    const { cookie } = await knownEntries();
    const res = await page("/audit?from=yesterday", cookie);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('value="yesterday"');
    expect(html).toContain("Use a date like 2026-01-31.");
  });
});
