// The bench's data, made the way a user would make it wherever the product
// has a way: /api/v1/setup, onboarding, activation links from the development
// mailbox, bulk invite, and real sign-ins (password, then a TOTP code from
// otpauth). Only what has no API is written as SQL into the Worker's local D1:
// the manager's analytics owner flag (operators grant it through a mail
// round trip) and 90 days of daily statistics (collection only accepts hits
// from the last 48 hours).
import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";

export const PASSWORD = "correct horse battery staple";
const STEP_MS = 30_000;
const DAY_MS = 86_400_000;

const id = () => randomBytes(12).toString("base64url");
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** JSON API calls as a script would make them (no Origin header, JSON body). */
export function client(base) {
  const call = async (path, { body, cookie, method } = {}) => {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (cookie) headers.cookie = cookie;
    return fetch(base + path, { method: method ?? (body === undefined ? "GET" : "POST"), headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  const json = async (path, options) => {
    const res = await call(path, options);
    const text = await res.text();
    if (!res.ok) throw new Error(`${options?.method ?? (options?.body === undefined ? "GET" : "POST")} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
  return { call, json };
}

/**
 * An account that signs in with password + TOTP. RFC 6238 with a ±1 step
 * window lets each account use up to three codes per 30 s (previous, current,
 * next step), each once; nextCode() picks the lowest step not yet used and
 * waits for the clock when all three are spent.
 */
export class Account {
  constructor(email) {
    this.email = email;
    this.secret = null;
    this.lastStep = -Infinity;
  }

  async nextCode() {
    for (;;) {
      const now = Date.now();
      const current = Math.floor(now / STEP_MS);
      // The previous step's code stops working when the current step ends; keep a margin.
      const msLeftInStep = (current + 1) * STEP_MS - now;
      const candidates = [msLeftInStep > 3000 ? current - 1 : null, current, current + 1].filter((s) => s !== null && s > this.lastStep);
      if (candidates.length) {
        const step = candidates[0];
        this.lastStep = step;
        return new TOTP({ secret: Secret.fromBase32(this.secret) }).generate({ timestamp: step * STEP_MS });
      }
      await new Promise((r) => setTimeout(r, msLeftInStep + 50));
    }
  }
}

/** Password step; returns the challenge (and enrolls the TOTP secret on first sign-in). */
export async function passwordStep(api, account) {
  const login = await api.json("/api/v1/auth/login", { body: { email: account.email, password: PASSWORD } });
  if (login.totp) account.secret = login.totp.secret;
  return login.challenge;
}

/** TOTP step; returns the session cookie. `code` defaults to the account's next unused one. */
export async function totpStep(api, account, challenge, code) {
  const res = await api.call("/api/v1/auth/totp", { body: { challenge, code: code ?? (await account.nextCode()) } });
  if (res.status !== 200) throw new Error(`TOTP step for ${account.email}: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-session="));
  if (!cookie) throw new Error("The TOTP step set no session cookie.");
  return cookie.split(";")[0];
}

export async function signIn(api, account) {
  return totpStep(api, account, await passwordStep(api, account));
}

/** The activation token of the newest mail to `email` in the development mailbox. */
async function activationToken(api, email) {
  const { messages } = await api.json("/dev/mail.json");
  const mail = messages.find((m) => m.to === email && /\/activate\?/.test(m.text));
  if (!mail) throw new Error(`No activation mail to ${email} in /dev/mail.json`);
  return new URL(mail.text.match(/https?:\/\/\S+\/activate\?\S+/)[0]).searchParams.get("token");
}

async function activate(api, email) {
  await api.json("/api/v1/invitations/accept", { body: { token: await activationToken(api, email), password: PASSWORD, acceptPrivacyPolicy: true } });
}

/**
 * @param {{ base: string; sql: (text: string) => Promise<void> }} worker
 * @param {{ orgUsers: number; signInAccounts: number; reportDays: number }} sizes
 */
export async function seed(worker, { orgUsers, signInAccounts, reportDays }) {
  const api = client(worker.base);

  const operator = new Account("operator@bench.example");
  await api.json("/api/v1/setup", { body: { orgName: "Bench Vendor", email: operator.email, name: "Bench Operator", password: PASSWORD } });
  const operatorCookie = await signIn(api, operator);

  // A partner organization whose manager is the signed-in user of every authenticated row.
  const manager = new Account("manager@bench.example");
  await api.json("/api/v1/orgs", {
    body: { name: "Bench Partner", kind: "partner", manager: { email: manager.email, name: "Bench Manager" } },
    cookie: operatorCookie,
  });
  await activate(api, manager.email);
  const managerCookie = await signIn(api, manager);

  // The rest of the organization, in one bulk invite; some of them activate and enroll 2FA.
  const invited = Array.from({ length: orgUsers - 1 }, (_, i) => ({ email: `user${String(i + 1).padStart(2, "0")}@bench.example`, name: `Bench User ${i + 1}` }));
  const csv = ["email,name,role", ...invited.map((u) => `${u.email},${u.name},regular`)].join("\n");
  const bulk = await api.json("/api/v1/users/bulk-invite", { body: { csv }, cookie: managerCookie });
  if (bulk.summary.invited !== invited.length) throw new Error(`bulk invite: ${JSON.stringify(bulk.summary)}`);
  const signInPool = [];
  for (const u of invited.slice(0, signInAccounts)) {
    await activate(api, u.email);
    const account = new Account(u.email);
    await signIn(api, account); // enrollment: not measured
    signInPool.push(account);
  }

  // No API: analytics ownership for the manager, and a site with `reportDays` of statistics.
  const siteId = id();
  const siteKey = `sk_bench_${id()}`;
  const now = Date.now();
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  const stats = [];
  for (let d = 0; d < reportDays; d++) {
    const day = isoDay(today - d * DAY_MS);
    const visits = 200 + ((d * 7919) % 300);
    stats.push(`(${sqlString(siteId)}, ${sqlString(day)}, '', ${visits}, ${visits * 3})`);
    stats.push(`(${sqlString(siteId)}, ${sqlString(day)}, 'LK-BENCH-1', ${Math.floor(visits / 4)}, ${visits})`);
  }
  await worker.sql(`
UPDATE users SET analytics_access = 'Y', analytics_owner = 1 WHERE email = ${sqlString(manager.email)};
INSERT INTO analytics_sites (id, org_id, name, kind, url, site_key, created_at, updated_at)
  SELECT ${sqlString(siteId)}, org_id, 'Bench site', 'site', 'https://bench.example', ${sqlString(siteKey)}, ${now}, ${now}
  FROM users WHERE email = ${sqlString(manager.email)};
INSERT INTO analytics_daily_stats (site_id, day, license_key, visits, events) VALUES
${stats.join(",\n")};`);

  return {
    api,
    managerCookie,
    manager,
    signInPool,
    siteId,
    siteKey,
    reportFrom: isoDay(today - (reportDays - 1) * DAY_MS),
    reportTo: isoDay(today),
  };
}
