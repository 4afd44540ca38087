// F-01 first-run setup: the page form, the JSON twin, the 404 once done, and the
// SETUP_TOKEN rule in production.
//
// Setup only runs on a database without accounts, and the tests of this file
// share one D1, so each test starts by emptying the tables setup writes. That
// keeps every test independent of the others and of their order.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditEvents, organizations, users } from "../../src/db/schema";
import type { Bindings } from "../../src/env";
import { DEV_SECRETS } from "../../src/lib/config";
import { verifyPassword } from "../../src/lib/crypto";
import worker from "../../src/index";
import { api, cookieFrom, db, ORIGIN, PASSWORD } from "../helpers/fixtures";
import { followRedirect } from "../helpers/portal";

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

const TABLES = ["audit_events", "batch_guards", "invitations", "known_devices", "login_throttles", "organizations", "outbox", "password_resets", "recovery_codes", "users"];

beforeEach(async () => {
  await env.DB.batch(TABLES.map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
});

const page = (path: string, init: RequestInit = {}) => SELF.fetch(`${ORIGIN}${path}`, { redirect: "manual", ...init });

/** The value attribute of the named input, or undefined when it has none. */
function inputValue(html: string, name: string): string | undefined {
  const tag = html.match(new RegExp(`<input[^>]*\\bname="${name}"[^>]*>`))?.[0];
  expect(tag, `input ${name}`).toBeDefined();
  return tag!.match(/\bvalue="([^"]*)"/)?.[1];
}

/** GET /setup, returning the pre-sign-in CSRF cookie and the form's hidden token. */
async function setupForm() {
  const res = await page("/setup");
  expect(res.status).toBe(200);
  const html = await res.text();
  const cookie = cookieFrom(res, "__Host-csrf");
  expect(cookie).toBeDefined();
  const token = inputValue(html, "_csrf");
  expect(token).toBe(cookie!.slice(cookie!.indexOf("=") + 1));
  return { html, cookie: cookie!, token: token! };
}

function postSetupForm(form: { cookie: string; token: string }, fields: Record<string, string>) {
  return page("/setup", {
    method: "POST",
    headers: { cookie: form.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: form.token, ...fields }).toString(),
  });
}

const accounts = () => db().select().from(users);

/** The Worker as deployed to production, with the given secrets. */
async function production(path: string, body: unknown, secrets: Partial<Bindings>) {
  const prodEnv: Bindings = { ...env, ENVIRONMENT: "production", PEPPER: "a-production-pepper-for-the-test", ...secrets };
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${ORIGIN}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    prodEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const SETUP_TOKEN = "s3cret-setup-token";
const setupBody = (extra: Record<string, unknown> = {}) => ({ orgName: "Vendor Inc", email: "ops@vendor.example", name: "Olga Operator", password: PASSWORD, ...extra });

describe("first-run setup through the page form", () => {
  it("leads from / to /setup on an empty database", async () => {
    const home = await page("/");
    expect(home.status).toBe(303);
    expect(home.headers.get("location")).toBe("/setup");

    const { html } = await setupForm();
    expect(html).toContain('action="/setup"');
    for (const name of ["orgName", "name", "email", "password"]) inputValue(html, name);
    // Outside production there is no setup token to ask for.
    expect(html).not.toContain('name="setupToken"');
  });

  it("re-renders a weak password with 422 and the error, keeping the typed organization name and email (never the password)", async () => {
    const form = await setupForm();
    const res = await postSetupForm(form, { orgName: "Typed Vendor & Co", name: "Tina Typist", email: "typed@vendor.example", password: "too-short" });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("Use at least 12 characters.");
    expect(inputValue(html, "orgName")).toBe("Typed Vendor &amp; Co");
    expect(inputValue(html, "email")).toBe("typed@vendor.example");
    expect(inputValue(html, "name")).toBe("Tina Typist");
    expect(inputValue(html, "password")).toBeUndefined();
    expect(html).not.toContain("too-short");

    const common = await postSetupForm(form, { orgName: "Typed Vendor", name: "Tina", email: "typed@vendor.example", password: "1qaz2wsx3edc" });
    expect(common.status).toBe(422);
    expect(await common.text()).toContain("too common");

    expect(await accounts()).toHaveLength(0);
  });

  it("refuses a form post without the CSRF token and creates nothing", async () => {
    const form = await setupForm();
    const res = await page("/setup", {
      method: "POST",
      headers: { cookie: form.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ orgName: "V", name: "N", email: "n@vendor.example", password: PASSWORD }).toString(),
    });
    expect(res.status).toBe(403);
    expect(await accounts()).toHaveLength(0);
  });

  it("creates the vendor organization and the operator, redirects 303 to /login saying so, and is gone afterwards", async () => {
    const form = await setupForm();
    const res = await postSetupForm(form, { orgName: "  Vendor Inc ", name: "Olga Operator", email: " Ops@Vendor.Example ", password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login");

    const [org] = await db().select().from(organizations);
    expect(org).toMatchObject({ name: "Vendor Inc", kind: "vendor", channelPartner: false, status: "active" });
    const created = await accounts();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ orgId: org!.id, email: "ops@vendor.example", name: "Olga Operator", role: "operator", status: "pending_2fa", totpSecretEnc: null });
    expect(await verifyPassword(PASSWORD, created[0]!.passwordHash!, DEV_SECRETS.PEPPER)).toBe(true);
    const audit = await db().select().from(auditEvents).where(eq(auditEvents.action, "setup.completed"));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: created[0]!.id, orgId: org!.id, targetId: org!.id });

    const notice = await followRedirect(res);
    expect(notice.status).toBe(200);
    expect(await notice.text()).toContain("The operator account is ready.");

    // Once an account exists: the page, its form post and the JSON twin all answer 404.
    expect((await page("/setup")).status).toBe(404);
    expect((await postSetupForm(form, { orgName: "Again", name: "Eve", email: "eve@vendor.example", password: PASSWORD })).status).toBe(404);
    const apiAgain = await api("/api/v1/setup", { body: setupBody({ email: "eve@vendor.example" }) });
    expect(apiAgain.status).toBe(404);
    expect(((await apiAgain.json()) as ErrorBody).error.code).toBe("not_found");
    expect(await accounts()).toHaveLength(1);
    expect(await db().select().from(organizations)).toHaveLength(1);
    // And / now leads to the sign-in page instead.
    const home = await page("/");
    expect(home.status).toBe(303);
    expect(new URL(home.headers.get("location")!, ORIGIN).pathname).toBe("/login");
    expect((await page("/login")).status).toBe(200);
  });
});

describe("first-run setup through the JSON API", () => {
  it("answers 422 with fields for invalid input and creates nothing", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [setupBody({ email: "not-an-email" }), "email"],
      [setupBody({ orgName: " " }), "orgName"],
      [setupBody({ password: "short" }), "password"],
      [setupBody({ role: "operator" }), "role"],
    ];
    for (const [body, field] of cases) {
      const res = await api("/api/v1/setup", { body });
      expect(res.status).toBe(422);
      expect(((await res.json()) as ErrorBody).error.fields?.[field]).toMatch(/\S/);
    }
    expect(await accounts()).toHaveLength(0);
  });
});

describe("first-run setup in production (SETUP_TOKEN)", () => {
  it("refuses setup without or with a wrong setupToken (422 fields.setupToken) and succeeds with the right one", async () => {
    const secrets = { SETUP_TOKEN };
    for (const body of [setupBody(), setupBody({ setupToken: "" }), setupBody({ setupToken: "wrong-token" }), setupBody({ setupToken: `${SETUP_TOKEN}x` })]) {
      const res = await production("/api/v1/setup", body, secrets);
      expect(res.status).toBe(422);
      const error = ((await res.json()) as ErrorBody).error;
      expect(error.code).toBe("validation_failed");
      expect(error.fields?.setupToken).toMatch(/\S/);
    }
    expect(await accounts()).toHaveLength(0);

    // The page asks for the token in production.
    const form = await production("/setup", undefined, secrets);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="setupToken"');

    const ok = await production("/api/v1/setup", setupBody({ setupToken: SETUP_TOKEN }), secrets);
    expect(ok.status).toBe(201);
    const { user } = (await ok.json()) as { user: { email: string; role: string; status: string } };
    expect(user).toMatchObject({ email: "ops@vendor.example", role: "operator", status: "pending_2fa" });
    const created = await accounts();
    expect(created).toHaveLength(1);
    // Hashed with the production pepper, not the development one.
    expect(await verifyPassword(PASSWORD, created[0]!.passwordHash!, "a-production-pepper-for-the-test")).toBe(true);
    expect(await verifyPassword(PASSWORD, created[0]!.passwordHash!, DEV_SECRETS.PEPPER)).toBe(false);

    // Done: even the right token no longer opens setup.
    const again = await production("/api/v1/setup", setupBody({ email: "second@vendor.example", setupToken: SETUP_TOKEN }), secrets);
    expect(again.status).toBe(404);
    expect(await accounts()).toHaveLength(1);
  });

  it("refuses setup with a clear message when SETUP_TOKEN is not configured (500 misconfigured)", async () => {
    for (const setupToken of [undefined, "anything"]) {
      const res = await production("/api/v1/setup", setupBody(setupToken ? { setupToken } : {}), { SETUP_TOKEN: undefined });
      expect(res.status).toBe(500);
      const error = ((await res.json()) as ErrorBody).error;
      expect(error.code).toBe("misconfigured");
      expect(error.message).toContain("SETUP_TOKEN");
    }
    expect(await accounts()).toHaveLength(0);
  });
});
