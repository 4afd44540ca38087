// F-52: personal Reporting API tokens — who may manage them (AA = Y and the
// Reporting API module in full), the secret shown once with only its SHA-256
// at rest, listing without secrets, revoking own tokens only, the live-token
// limit, the F-91 notice, the page, and that a token authenticates nothing
// outside /api/v1/reports (which another suite covers).
import { SELF } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiTokens, auditEvents } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { MAX_LIVE_TOKENS, type PublicToken } from "../../src/services/api-tokens";
import { api, auditOf, db, expectError, mailTo, makeOrg, makeUser, ORIGIN, signIn, type TestUser } from "../helpers/fixtures";
import { grantModules, makeAnalyticsUser } from "../helpers/analytics";
import { csrfFrom, flashOf, formPost, page } from "../helpers/portal";

interface Created {
  token: PublicToken;
  secret: string;
}

const create = (cookie: string, body: unknown) => api("/api/v1/tokens", { cookie, body });
const list = (cookie: string) => api("/api/v1/tokens", { cookie });
const revoke = (cookie: string, id: string) => api(`/api/v1/tokens/${id}`, { method: "DELETE", cookie });
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** A signed-in analytics user (AA = Y) with the Reporting API module in full. */
async function reporter(orgId?: string): Promise<{ user: TestUser; cookie: string }> {
  const user = await makeAnalyticsUser(orgId ? { orgId } : {});
  await grantModules(user.id, { reporting_api: "full" });
  return { user, cookie: await signIn(user) };
}

async function createOk(cookie: string, body: unknown = { name: "Nightly export" }): Promise<Created> {
  const res = await create(cookie, body);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Created;
}

const tokenRow = async (id: string) => (await db().select().from(apiTokens).where(eq(apiTokens.id, id)))[0];

async function insertTokens(userId: string, n: number, overrides: Partial<typeof apiTokens.$inferInsert> = {}) {
  const now = Date.now();
  const rows = Array.from({ length: n }, (_, i) => ({ id: newId(), userId, name: `t${i}`, tokenHash: newId(), prefix: "ptk_seeded", createdAt: now, ...overrides }));
  for (const row of rows) await db().insert(apiTokens).values(row);
}

describe("who may manage API tokens", () => {
  it("refuses an analytics user without the Reporting API module (403) on list, create and revoke", async () => {
    const user = await makeAnalyticsUser();
    await grantModules(user.id, { reporting: "full" });
    const cookie = await signIn(user);
    const err = await expectError(await create(cookie, { name: "x" }), 403, "forbidden");
    expect(err.message).toMatch(/Reporting API/);
    await expectError(await list(cookie), 403, "forbidden");
    await expectError(await revoke(cookie, "any"), 403, "forbidden");
    expect(await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id))).toHaveLength(0);
  });

  it("refuses users without analytics access (AA N or I) even with the module granted, and callers without a session (401)", async () => {
    for (const analyticsAccess of ["N", "I"] as const) {
      const user = await makeUser({ analyticsAccess });
      await grantModules(user.id, { reporting_api: "full" });
      await expectError(await create(await signIn(user), { name: "x" }), 403, "forbidden");
    }
    await expectError(await create("", { name: "x" }), 401, "unauthenticated");
    await expectError(await list(""), 401, "unauthenticated");
  });

  it("lets owners and Product Administrators create tokens (they hold every module in full)", async () => {
    const owner = await makeAnalyticsUser({ analyticsOwner: true });
    await createOk(await signIn(owner));
    const admin = await makeAnalyticsUser();
    await grantModules(admin.id, { product_admin: "full" });
    await createOk(await signIn(admin));
  });
});

describe("creating a token", () => {
  it("answers the secret once; D1 keeps only its SHA-256 and a short prefix", async () => {
    const { user, cookie } = await reporter();
    const before = Date.now();
    const { token, secret } = await createOk(cookie, { name: "  Nightly export  ", expiresInDays: 30 });
    expect(secret).toMatch(/^ptk_[A-Za-z0-9_-]{40,}$/);
    expect(Object.keys(token).sort()).toEqual(["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "revokedAt"]);
    expect(token).toMatchObject({ name: "Nightly export", prefix: secret.slice(0, 12), lastUsedAt: null, revokedAt: null });
    const days = (Date.parse(token.expiresAt!) - Date.parse(token.createdAt)) / 86_400_000;
    expect(days).toBe(30);
    expect(Date.parse(token.createdAt)).toBeGreaterThanOrEqual(before - 1000);

    const row = (await tokenRow(token.id))!;
    expect(row.userId).toBe(user.id);
    expect(row.tokenHash).toBe(await sha256Hex(secret));
    expect(Object.values(row).some((v) => typeof v === "string" && v.includes(secret))).toBe(false);

    const [entry] = await auditOf(token.id, "api_token.created");
    expect(entry!.actorId).toBe(user.id);
    expect(JSON.parse(entry!.after!)).toEqual({ name: "Nightly export", prefix: token.prefix, expiresAt: token.expiresAt });
    expect(JSON.stringify(entry)).not.toContain(secret);
  });

  it("makes a token without expiry when expiresInDays is left out", async () => {
    const { cookie } = await reporter();
    const { token } = await createOk(cookie, { name: "Forever" });
    expect(token.expiresAt).toBeNull();
  });

  it("mails the account holder the F-91 security notice, naming the token but never its secret", async () => {
    const { user, cookie } = await reporter();
    const { secret } = await createOk(cookie, { name: "CI reader" });
    const mails = await mailTo(user.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/^Security notice: A personal API token was created/);
    expect(mails[0]!.text).toContain('"CI reader"');
    expect(mails[0]!.text + mails[0]!.html).not.toContain(secret);
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "   " }, "name"],
    [{ name: "x".repeat(81) }, "name"],
    [{}, "name"],
    [{ name: "ok", expiresInDays: 0 }, "expiresInDays"],
    [{ name: "ok", expiresInDays: 366 }, "expiresInDays"],
    [{ name: "ok", expiresInDays: 1.5 }, "expiresInDays"],
    [{ name: "ok", scope: "all" }, "scope"],
  ])("refuses %j with a field error on %s (422)", async (body, field) => {
    const { user, cookie } = await reporter();
    const err = await expectError(await create(cookie, body), 422, "validation_failed");
    expect(err.fields).toHaveProperty(field);
    expect(await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id))).toHaveLength(0);
  });

  it(`allows at most ${MAX_LIVE_TOKENS} live tokens; revoked and expired ones do not count (409 beyond)`, async () => {
    const { user, cookie } = await reporter();
    await insertTokens(user.id, 3, { revokedAt: Date.now() });
    await insertTokens(user.id, 3, { expiresAt: Date.now() - 1000 });
    await insertTokens(user.id, MAX_LIVE_TOKENS - 1);
    const last = await createOk(cookie, { name: "twentieth" });
    const err = await expectError(await create(cookie, { name: "one too many" }), 409, "conflict");
    expect(err.message).toMatch(/already have 20 active API tokens/);
    expect(await mailTo(user.email)).toHaveLength(1);

    expect((await revoke(cookie, last.token.id)).status).toBe(204);
    await createOk(cookie, { name: "room again" });
  });
});

describe("listing and revoking", () => {
  it("lists the caller's own tokens, newest first, without secrets or hashes", async () => {
    const { cookie } = await reporter();
    const a = await createOk(cookie, { name: "first" });
    const b = await createOk(cookie, { name: "second" });
    const other = await reporter();
    await createOk(other.cookie, { name: "not yours" });

    const res = await list(cookie);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { items: PublicToken[]; page: { number: number; size: number; total: number } };
    expect(body.items.map((t) => t.name).sort()).toEqual(["first", "second"]);
    expect(body.page).toMatchObject({ number: 1, total: 2 });
    for (const { secret } of [a, b]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(await sha256Hex(secret));
    }
    expect(text).not.toContain("tokenHash");
  });

  it("revokes an own token (204): revokedAt is set, audited; revoking it again changes nothing", async () => {
    const { user, cookie } = await reporter();
    const { token } = await createOk(cookie);
    const res = await revoke(cookie, token.id);
    expect(res.status).toBe(204);
    expect((await tokenRow(token.id))!.revokedAt).not.toBeNull();
    const [entry] = await auditOf(token.id, "api_token.revoked");
    expect(entry!.actorId).toBe(user.id);

    expect((await revoke(cookie, token.id)).status).toBe(204);
    expect(await auditOf(token.id, "api_token.revoked")).toHaveLength(1);
    const listed = ((await (await list(cookie)).json()) as { items: PublicToken[] }).items[0]!;
    expect(listed.revokedAt).not.toBeNull();
  });

  it("answers 404 for another user's token — also in the same organization — and leaves it alone", async () => {
    const org = await makeOrg();
    const mine = await reporter(org.id);
    const theirs = await reporter(org.id);
    const { token } = await createOk(theirs.cookie);
    await expectError(await revoke(mine.cookie, token.id), 404, "not_found");
    await expectError(await revoke(mine.cookie, "no-such-token"), 404, "not_found");
    expect((await tokenRow(token.id))!.revokedAt).toBeNull();
    expect(await db().select().from(auditEvents).where(and(eq(auditEvents.targetId, token.id), eq(auditEvents.action, "api_token.revoked")))).toHaveLength(0);
  });
});

describe("a token works nowhere outside /api/v1/reports", () => {
  it("is not a session: Bearer alone gets 401 on /api/v1/me, /api/v1/users, /api/v1/analytics/sites and /api/v1/tokens, and changes nothing", async () => {
    const { user, cookie } = await reporter();
    const { token, secret } = await createOk(cookie);
    const headers = bearer(secret);
    for (const path of ["/api/v1/me", "/api/v1/users", "/api/v1/analytics/sites", "/api/v1/tokens"]) {
      await expectError(await api(path, { headers }), 401, "unauthenticated");
    }
    await expectError(await api("/api/v1/tokens", { headers, body: { name: "via token" } }), 401, "unauthenticated");
    await expectError(await api(`/api/v1/tokens/${token.id}`, { method: "DELETE", headers }), 401, "unauthenticated");
    await expectError(await api("/api/v1/analytics/sites", { headers, body: { name: "x", kind: "site" } }), 401, "unauthenticated");
    expect(await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id))).toHaveLength(1);
    expect((await tokenRow(token.id))!.revokedAt).toBeNull();
    // Pages treat it as a visitor without a session.
    const res = await SELF.fetch(`${ORIGIN}/analytics/tokens`, { headers, redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/login\?next=/);
  });
});

describe("the page /analytics/tokens", () => {
  it("lists tokens with their last use and a revoke button that asks first", async () => {
    const { cookie } = await reporter();
    const { token } = await createOk(cookie, { name: "Dashboard sync" });
    await db().update(apiTokens).set({ lastUsedAt: Date.parse("2026-03-04T05:06:00Z") }).where(eq(apiTokens.id, token.id));
    const res = await page("/analytics/tokens", cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    const row = html.match(new RegExp(`<tr id="token-${token.id}">[\\s\\S]*?</tr>`))?.[0] ?? "";
    expect(row).toContain("Dashboard sync");
    expect(row).toContain(`<code>${token.prefix}…</code>`);
    expect(row).toContain('datetime="2026-03-04T05:06:00.000Z"');
    expect(row).toMatch(/data-confirm="Revoke the token “Dashboard sync”\?[^"]*"/);
    expect(row).toContain(`hx-post="/analytics/tokens/${token.id}/revoke"`);
  });

  it("shows the new secret once in a <code>, and never again", async () => {
    const { cookie } = await reporter();
    const token = await csrfFrom("/analytics/tokens", cookie);
    const res = await formPost("/analytics/tokens", { name: "From the page", expiresInDays: "90" }, { cookie, token });
    expect(res.status).toBe(200);
    const html = await res.text();
    const secret = html.match(/<code class="secret" id="new-token-secret">(ptk_[^<]+)<\/code>/)?.[1];
    expect(secret).toBeDefined();
    expect(html).toContain("not shown again");
    const [row] = await db().select().from(apiTokens).where(eq(apiTokens.name, "From the page"));
    expect(row!.tokenHash).toBe(await sha256Hex(secret!));
    expect(await (await page("/analytics/tokens", cookie)).text()).not.toContain(secret!);
  });

  it("refuses a second post of the same form (a reload of the secret's page) with 409, naming the token; no second token is made", async () => {
    const { user, cookie } = await reporter();
    const form = await (await page("/analytics/tokens", cookie)).text();
    const token = form.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const formKey = form.match(/name="formKey" value="([^"]+)"/)?.[1];
    expect(formKey).toBeDefined();
    const fields = { name: "Posted twice", expiresInDays: "", formKey: formKey! };

    const first = await formPost("/analytics/tokens", fields, { cookie, token });
    expect(first.status).toBe(200);
    const firstHtml = await first.text();
    expect(firstHtml).toContain('id="new-token-secret"');
    // The answer's own form is a new one: creating another token from it works.
    const nextKey = firstHtml.match(/name="formKey" value="([^"]+)"/)?.[1];
    expect(nextKey).toBeDefined();
    expect(nextKey).not.toBe(formKey);

    const again = await formPost("/analytics/tokens", fields, { cookie, token });
    expect(again.status).toBe(409);
    const againHtml = await again.text();
    const [made] = await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id));
    expect(againHtml).toContain(`This form was already sent: it created the token “Posted twice” (${made!.prefix}…)`);
    expect(againHtml).not.toContain('id="new-token-secret"');
    expect(await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id))).toHaveLength(1);
    expect(await auditOf(made!.id, "api_token.created")).toHaveLength(1);

    const other = await formPost("/analytics/tokens", { ...fields, name: "Second on purpose", formKey: nextKey! }, { cookie, token });
    expect(other.status).toBe(200);
    expect(await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id))).toHaveLength(2);
  });

  it("keys forms per user: another user's form key does not block or reveal anything", async () => {
    const a = await reporter();
    const b = await reporter();
    const formKey = newId();
    for (const who of [a, b]) {
      const res = await formPost("/analytics/tokens", { name: "Same key", formKey }, { cookie: who.cookie, token: await csrfFrom("/analytics/tokens", who.cookie) });
      expect(res.status).toBe(200);
    }
    expect(await db().select().from(apiTokens).where(eq(apiTokens.formKey, formKey))).toHaveLength(2);
  });

  it("refuses a damaged form key without making a token (422)", async () => {
    const { user, cookie } = await reporter();
    const res = await formPost("/analytics/tokens", { name: "Odd key", formKey: "not a key!" }, { cookie, token: await csrfFrom("/analytics/tokens", cookie) });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("This form is damaged. Reload the page and try again.");
    expect(await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id))).toHaveLength(0);
  });

  it("keeps the typed values and shows field errors when the form is wrong (422)", async () => {
    const { user, cookie } = await reporter();
    const token = await csrfFrom("/analytics/tokens", cookie);
    const res = await formPost("/analytics/tokens", { name: "Keep me", expiresInDays: "400" }, { cookie, token });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('value="Keep me"');
    expect(html).toMatch(/id="f-expiresInDays-error" role="alert">Choose between 1 and 365 days/);
    expect(await db().select().from(apiTokens).where(eq(apiTokens.userId, user.id))).toHaveLength(0);
  });

  it("revokes with htmx (the row answers) and without JavaScript (back to the list)", async () => {
    const { cookie } = await reporter();
    const a = await createOk(cookie, { name: "htmx one" });
    const b = await createOk(cookie, { name: "plain one" });
    const token = await csrfFrom("/analytics/tokens", cookie);
    const swapped = await formPost(`/analytics/tokens/${a.token.id}/revoke`, {}, { cookie, token, htmx: true });
    expect(swapped.status).toBe(200);
    const row = await swapped.text();
    expect(row).toMatch(new RegExp(`^<tr id="token-${a.token.id}">`));
    expect(row).toContain("Revoked: it no longer works.");
    expect(row).not.toContain("hx-post=");

    const plain = await formPost(`/analytics/tokens/${b.token.id}/revoke`, {}, { cookie, token });
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe("/analytics/tokens");
    expect(flashOf(plain)).toBe(`${b.token.name}: Revoked: it no longer works.`);
    expect((await tokenRow(b.token.id))!.revokedAt).not.toBeNull();
  });

  it("is refused without the Reporting API module (403)", async () => {
    const user = await makeAnalyticsUser();
    expect((await page("/analytics/tokens", await signIn(user))).status).toBe(403);
  });
});
