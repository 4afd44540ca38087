// F-52 personal API tokens on /api/v1/reports: Bearer only there, checked in
// full on every request, so revocation, expiry, losing the Reporting API
// module, analytics access, the account or the organization refuse the very
// next request (401 with WWW-Authenticate).
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { analyticsModulePermissions, apiTokens, organizations, users } from "../../src/db/schema";
import type { Bindings } from "../../src/env";
import { newId, newSecret } from "../../src/lib/ids";
import { API_TOKEN_PREFIX, hashApiToken } from "../../src/services/api-token-auth";
import worker from "../../src/index";
import { grantMetaSite, grantModules, grantSite, makeAnalyticsUser, makeMetaSite, makeSite, seedStats } from "../helpers/analytics";
import { db, expectError, makeOrg, ORIGIN } from "../helpers/fixtures";
import { measured, meter } from "../helpers/io-count";

const RANGE = "from=2024-03-01&to=2024-03-03";

/** A workspace with one site, and an account that holds a token for it with Reporting API in full. */
async function tokenHolder(options: { expiresAt?: number | null } = {}) {
  const org = await makeOrg();
  const site = await makeSite(org.id, { name: "Token site" });
  await seedStats(site.id, [{ day: "2024-03-02", visits: 5, events: 7 }]);
  const user = await makeAnalyticsUser({ orgId: org.id });
  await grantSite(site.id, user.id, "view");
  await grantModules(user.id, { reporting_api: "full" });
  const secret = `${API_TOKEN_PREFIX}${newSecret()}`;
  const tokenId = newId();
  await db()
    .insert(apiTokens)
    .values({ id: tokenId, userId: user.id, name: "CI export", tokenHash: await hashApiToken(secret), prefix: secret.slice(0, 8), createdAt: Date.now(), expiresAt: options.expiresAt ?? null });
  return { org, site, user, secret, tokenId };
}

const withToken = (path: string, authorization: string) => SELF.fetch(`${ORIGIN}${path}`, { headers: { authorization } });
const read = (h: { site: { id: string }; secret: string }) => withToken(`/api/v1/reports/sites/${h.site.id}?${RANGE}`, `Bearer ${h.secret}`);

/** 401 as api.md says, with the challenge a Bearer client expects. */
async function expectTokenRefused(res: Response) {
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="reports"/);
  await expectError(res, 401, "unauthenticated");
}

describe("a valid token", () => {
  it("reads a site's report as JSON without a session or the Reporting module", async () => {
    const h = await tokenHolder();
    const res = await read(h);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toEqual({
      site: { id: h.site.id, name: "Token site" },
      from: "2024-03-01",
      to: "2024-03-03",
      licenseKey: null,
      rows: [
        { day: "2024-03-01", visits: 0, events: 0 },
        { day: "2024-03-02", visits: 5, events: 7 },
        { day: "2024-03-03", visits: 0, events: 0 },
      ],
      totals: { visits: 5, events: 7 },
    });
  });

  it("exports CSV too", async () => {
    const h = await tokenHolder();
    const res = await withToken(`/api/v1/reports/sites/${h.site.id}?${RANGE}&format=csv`, `Bearer ${h.secret}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("day,visits,events\r\n2024-03-01,0,0\r\n2024-03-02,5,7\r\n2024-03-03,0,0\r\n");
  });

  it("reads a meta site the account has a level on", async () => {
    const h = await tokenHolder();
    const meta = await makeMetaSite(h.org.id, [h.site.id]);
    await grantMetaSite(meta.id, h.user.id, "view");
    const res = await withToken(`/api/v1/reports/meta-sites/${meta.id}?${RANGE}`, `Bearer ${h.secret}`);
    const body = (await res.json()) as { totals: unknown };
    expect(res.status).toBe(200);
    expect(body.totals).toEqual({ visits: 5, events: 7 });
  });

  it("records when it was last used", async () => {
    const h = await tokenHolder();
    const ctx = createExecutionContext();
    const before = Date.now();
    const res = await worker.fetch(
      new Request(`${ORIGIN}/api/v1/reports/sites/${h.site.id}?${RANGE}`, { headers: { authorization: `Bearer ${h.secret}` } }),
      env as unknown as Bindings,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    const [row] = await db().select({ lastUsedAt: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, h.tokenId));
    expect(row?.lastUsedAt).toBeGreaterThanOrEqual(before);
  });

  it("still follows the site level: a site without a level answers 404", async () => {
    const h = await tokenHolder();
    const unshared = await makeSite(h.org.id);
    await expectError(await withToken(`/api/v1/reports/sites/${unshared.id}?${RANGE}`, `Bearer ${h.secret}`), 404, "not_found");
  });

  it("still needs License Key Filtering to filter by license key (403)", async () => {
    const h = await tokenHolder();
    await expectError(await withToken(`/api/v1/reports/sites/${h.site.id}?${RANGE}&licenseKey=LK-1`, `Bearer ${h.secret}`), 403, "forbidden");
  });

  it("cannot read another organization's site or meta site (404), even one its owner could", async () => {
    const h = await tokenHolder();
    const other = await tokenHolder();
    const otherMeta = await makeMetaSite(other.org.id, [other.site.id]);
    await db().update(users).set({ analyticsOwner: true }).where(eq(users.id, h.user.id));
    await expectError(await withToken(`/api/v1/reports/sites/${other.site.id}?${RANGE}`, `Bearer ${h.secret}`), 404, "not_found");
    await expectError(await withToken(`/api/v1/reports/meta-sites/${otherMeta.id}?${RANGE}`, `Bearer ${h.secret}`), 404, "not_found");
  });

  it("is accepted only on the reporting endpoints", async () => {
    const h = await tokenHolder();
    await expectError(await withToken("/api/v1/me", `Bearer ${h.secret}`), 401, "unauthenticated");
  });
});

describe("a token stops working on the very next request when", () => {
  it("it is revoked", async () => {
    const h = await tokenHolder();
    expect((await read(h)).status).toBe(200);
    await db().update(apiTokens).set({ revokedAt: Date.now() }).where(eq(apiTokens.id, h.tokenId));
    await expectTokenRefused(await read(h));
  });

  it("it expires", async () => {
    const h = await tokenHolder({ expiresAt: Date.now() + 3_600_000 });
    expect((await read(h)).status).toBe(200);
    await db().update(apiTokens).set({ expiresAt: Date.now() - 1 }).where(eq(apiTokens.id, h.tokenId));
    await expectTokenRefused(await read(h));
  });

  it("the Reporting API module is taken away", async () => {
    const h = await tokenHolder();
    expect((await read(h)).status).toBe(200);
    await db()
      .delete(analyticsModulePermissions)
      .where(and(eq(analyticsModulePermissions.userId, h.user.id), eq(analyticsModulePermissions.module, "reporting_api")));
    await expectTokenRefused(await read(h));
  });

  it("the account's analytics access is revoked (AA = N)", async () => {
    const h = await tokenHolder();
    expect((await read(h)).status).toBe(200);
    await db().update(users).set({ analyticsAccess: "N" }).where(eq(users.id, h.user.id));
    await expectTokenRefused(await read(h));
  });

  it("the account is deactivated", async () => {
    const h = await tokenHolder();
    expect((await read(h)).status).toBe(200);
    await db().update(users).set({ status: "deactivated" }).where(eq(users.id, h.user.id));
    await expectTokenRefused(await read(h));
  });

  it("the organization is terminated", async () => {
    const h = await tokenHolder();
    expect((await read(h)).status).toBe(200);
    await db().update(organizations).set({ status: "terminated" }).where(eq(organizations.id, h.org.id));
    await expectTokenRefused(await read(h));
  });
});

describe("a token the isolate holds", () => {
  /** Reads through a meter whose bindings (and so the isolate's token copies) last across requests. */
  function warmReader(h: { site: { id: string }; secret: string }) {
    const warm = meter();
    return (query = "") => measured(`/api/v1/reports/sites/${h.site.id}?${RANGE}${query}`, { headers: { authorization: `Bearer ${h.secret}` } }, warm);
  }

  it("reads in one D1 round trip, the token's check riding in the report's batch, with the same answer", async () => {
    const h = await tokenHolder();
    const read = warmReader(h);
    const first = await read();
    const held = await read();
    expect(first.res.status).toBe(200);
    expect(first.inRequest.d1).toBe(2);
    expect(held.res.status).toBe(200);
    expect(held.inRequest).toMatchObject({ kvReads: 0, d1: 1 });
    expect(held.body).toBe(first.body);
  });

  const changes: [string, (h: Awaited<ReturnType<typeof tokenHolder>>) => Promise<unknown>][] = [
    ["revoked", (h) => db().update(apiTokens).set({ revokedAt: Date.now() }).where(eq(apiTokens.id, h.tokenId))],
    ["expired", (h) => db().update(apiTokens).set({ expiresAt: Date.now() - 1 }).where(eq(apiTokens.id, h.tokenId))],
    [
      "stripped of the Reporting API module",
      (h) => db().delete(analyticsModulePermissions).where(and(eq(analyticsModulePermissions.userId, h.user.id), eq(analyticsModulePermissions.module, "reporting_api"))),
    ],
    ["left without an active account", (h) => db().update(users).set({ status: "deactivated" }).where(eq(users.id, h.user.id))],
  ];
  it.each(changes)("is refused on the very next request once %s", async (_, change) => {
    const h = await tokenHolder();
    const read = warmReader(h);
    expect((await read()).res.status).toBe(200);
    expect((await read()).inRequest.d1).toBe(1);
    await change(h);
    const refused = await read();
    await expectTokenRefused(new Response(refused.body, refused.res));
  });

  it("answers from the account as it is now when a module grant was added: the held account's 403 never reaches the client", async () => {
    const h = await tokenHolder();
    const read = warmReader(h);
    expect((await read()).res.status).toBe(200);
    expect((await read("&licenseKey=LK-1")).res.status).toBe(403);
    await grantModules(h.user.id, { license_key_filtering: "full" });
    const filtered = await read("&licenseKey=LK-1");
    expect(filtered.res.status, filtered.body).toBe(200);
  });
});

describe("refused tokens (401)", () => {
  it("an unknown token", async () => {
    const h = await tokenHolder();
    await expectTokenRefused(await withToken(`/api/v1/reports/sites/${h.site.id}?${RANGE}`, `Bearer ${API_TOKEN_PREFIX}${newSecret()}`));
  });

  it("an already expired token", async () => {
    const h = await tokenHolder({ expiresAt: Date.now() - 1000 });
    await expectTokenRefused(await read(h));
  });

  it.each([
    ["no token after Bearer", () => "Bearer "],
    ["another scheme", (s: string) => `Basic ${btoa(`user:${s}`)}`],
    ["two tokens", (s: string) => `Bearer ${s} ${s}`],
    ["the secret without the scheme", (s: string) => s],
    ["a secret without the token prefix", (s: string) => `Bearer ${s.slice(API_TOKEN_PREFIX.length)}`],
  ])("a malformed header: %s", async (_label, header) => {
    const h = await tokenHolder();
    await expectTokenRefused(await withToken(`/api/v1/reports/sites/${h.site.id}?${RANGE}`, header(h.secret)));
  });
});
