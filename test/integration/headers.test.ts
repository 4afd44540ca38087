// F-07 / F-09 response headers: nonce CSP without inline script, framing and
// sniffing off, HSTS, the session cookie's flags, no-referrer on token pages,
// and logout that really ends the session.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, freshCode, login, makeUser, ORIGIN, signIn } from "../helpers/fixtures";

const randomIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

/** CSP directives by name, each a list of its sources. */
function parseCsp(header: string | null): Map<string, string[]> {
  expect(header).toBeTruthy();
  const map = new Map<string, string[]>();
  for (const part of header!.split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) map.set(name.toLowerCase(), sources);
  }
  return map;
}

async function loginPage() {
  await makeUser(); // with no account at all, /login leads to /setup
  const res = await SELF.fetch(`${ORIGIN}/login`, { headers: { "cf-connecting-ip": randomIp() }, redirect: "manual" });
  expect(res.status).toBe(200);
  return res;
}

describe("pages", () => {
  it("carry a CSP with a nonce in script-src and no 'unsafe-inline', object-src, base-uri and frame-ancestors 'none'", async () => {
    const res = await loginPage();
    const header = res.headers.get("content-security-policy");
    const csp = parseCsp(header);
    expect(header).not.toContain("unsafe-inline");
    expect(header).not.toContain("unsafe-eval");
    const scriptSrc = csp.get("script-src")!;
    expect(scriptSrc).toBeDefined();
    expect(scriptSrc.filter((s) => /^'nonce-[A-Za-z0-9+/_=-]{16,}'$/.test(s))).toHaveLength(1);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("carry HSTS and X-Content-Type-Options: nosniff", async () => {
    const res = await loginPage();
    const hsts = res.headers.get("strict-transport-security");
    expect(hsts).toMatch(/max-age=(\d+)/);
    expect(Number(hsts!.match(/max-age=(\d+)/)![1])).toBeGreaterThanOrEqual(31_536_000);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("give every <script> of the login page the CSP's nonce, a fresh one per response, and no inline script", async () => {
    const [first, second] = [await loginPage(), await loginPage()];
    const nonceOf = (res: Response) => parseCsp(res.headers.get("content-security-policy")).get("script-src")!.find((s) => s.startsWith("'nonce-"))!.slice(7, -1);
    const nonce = nonceOf(first);
    expect(nonceOf(second)).not.toBe(nonce);

    const html = await first.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toContain(`nonce="${nonce}"`);
      expect(attrs).toMatch(/\bsrc="\/[^"]+"/);
      expect(body!.trim()).toBe("");
    }
    // No inline event handlers either.
    expect(html).not.toMatch(/\son[a-z]+="/i);
  });

  it("JSON answers carry the same policy without a nonce, since they have no script to allow", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/v1/me`, { redirect: "manual" });
    expect(res.status).toBe(401);
    const header = res.headers.get("content-security-policy");
    expect(header).not.toContain("nonce-");
    const csp = parseCsp(header);
    expect(csp.get("script-src")).toEqual(["'self'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("errors pages (404) carry the same headers", async () => {
    const res = await SELF.fetch(`${ORIGIN}/no-such-page`, { redirect: "manual" });
    expect(res.status).toBe(404);
    const csp = parseCsp(res.headers.get("content-security-policy"));
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("strict-transport-security")).toBeTruthy();
  });
});

describe("the session cookie from /api/v1/auth/totp", () => {
  it("is __Host-session with HttpOnly, Secure, SameSite=Lax, Path=/ and no Domain", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const res = await login(user, { "cf-connecting-ip": ip });
    const { challenge } = (await res.json()) as { challenge: string };
    const totp = await api("/api/v1/auth/totp", { body: { challenge, code: await freshCode(user) }, headers: { "cf-connecting-ip": ip } });
    expect(totp.status).toBe(200);
    const lines = totp.headers.getSetCookie().filter((l) => l.startsWith("__Host-session="));
    expect(lines).toHaveLength(1);
    const [pair, ...attrs] = lines[0]!.split(";").map((s) => s.trim());
    expect(pair!.length).toBeGreaterThan("__Host-session=".length + 20);
    const names = attrs.map((a) => a.split("=")[0]!.toLowerCase());
    expect(names).toContain("httponly");
    expect(names).toContain("secure");
    expect(names).not.toContain("domain");
    expect(attrs.map((a) => a.toLowerCase())).toContain("samesite=lax");
    expect(attrs).toContain("Path=/");
  });
});

describe("pages whose URL carries a token", () => {
  it.each(["/activate?token=x", "/reset-password?token=x"])("%s answers with Referrer-Policy: no-referrer and Cache-Control: no-store, even for an invalid token", async (path) => {
    const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { "cf-connecting-ip": randomIp() }, redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toMatch(/not valid/);
  });
});

describe("logout", () => {
  it("POST /api/v1/auth/logout answers 204, clears the cookie, and the old cookie then gets 401", async () => {
    const user = await makeUser();
    const ip = randomIp();
    const cookie = await signIn(user, { "cf-connecting-ip": ip });
    expect((await api("/api/v1/me", { cookie })).status).toBe(200);

    const res = await api("/api/v1/auth/logout", { cookie, body: {}, headers: { "cf-connecting-ip": ip } });
    expect(res.status).toBe(204);
    const cleared = res.headers.getSetCookie().find((l) => l.startsWith("__Host-session="));
    expect(cleared).toBeDefined();
    expect(cleared).toMatch(/Max-Age=0/i);

    const after = await api("/api/v1/me", { cookie });
    expect(after.status).toBe(401);
  });
});
