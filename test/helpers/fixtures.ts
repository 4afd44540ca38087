// Test fixtures: accounts made directly in D1 (fast, no mail), sign-in through
// the real HTTP API with TOTP codes computed by otpauth, and a tiny cookie jar.
import { env, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { createDb } from "../../src/db/client";
import { auditEvents, organizations, users } from "../../src/db/schema";
import { and, eq } from "drizzle-orm";
import { DEV_SECRETS } from "../../src/lib/config";
import { encryptSecret, hashPassword } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { newTotpSecret, totpCodeAt, totpStepAt, TOTP_PERIOD_SECONDS } from "../../src/domain/two-factor";
import type { Role } from "../../src/domain/roles";

export const ORIGIN = "https://portico.test";
export const PASSWORD = "correct horse battery staple";
export const db = () => createDb(env.DB);

let counter = 0;
export const uniqueEmail = (prefix = "user") => `${prefix}-${Date.now().toString(36)}-${++counter}-${Math.random().toString(36).slice(2, 7)}@example.com`;

export async function makeOrg(overrides: Partial<typeof organizations.$inferInsert> = {}) {
  const now = Date.now();
  const org = { id: newId(), name: `Org ${++counter}`, kind: "partner" as const, channelPartner: true, createdAt: now, updatedAt: now, ...overrides };
  await db().insert(organizations).values(org);
  return org;
}

export interface TestUser {
  id: string;
  orgId: string;
  email: string;
  name: string;
  role: Role;
  totpSecret: string;
  password: string;
}

/** An active account with password and TOTP already set up (or another status, via overrides). */
export async function makeUser(overrides: Partial<typeof users.$inferInsert> & { orgId?: string } = {}): Promise<TestUser> {
  const orgId = overrides.orgId ?? (await makeOrg(overrides.role === "operator" ? { kind: "vendor", channelPartner: false } : {})).id;
  const totpSecret = newTotpSecret();
  const now = Date.now();
  const row = {
    id: newId(),
    orgId,
    email: uniqueEmail(),
    name: `User ${counter}`,
    role: "regular" as Role,
    status: "active" as const,
    passwordHash: await hashPassword(PASSWORD, DEV_SECRETS.PEPPER),
    totpSecretEnc: await encryptSecret(totpSecret, DEV_SECRETS.TOTP_ENCRYPTION_KEY),
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await db().insert(users).values(row);
  return { id: row.id, orgId, email: row.email, name: row.name, role: row.role, totpSecret, password: PASSWORD };
}

export const makeOperator = (overrides: Partial<typeof users.$inferInsert> = {}) => makeUser({ role: "operator", ...overrides });

/**
 * A code the server will accept now: the current step, or the next one when the
 * current step was already used by an earlier sign-in of the same test.
 */
export async function freshCode(user: { id: string; totpSecret: string }): Promise<string> {
  const [row] = await db().select({ last: users.totpLastStep }).from(users).where(eq(users.id, user.id));
  const now = Date.now();
  const current = totpStepAt(now);
  const last = row?.last ?? null;
  if (last === null || last < current) return totpCodeAt(user.totpSecret, now);
  if (last === current) return totpCodeAt(user.totpSecret, now + TOTP_PERIOD_SECONDS * 1000);
  // Both usable steps are spent: rewind the fixture's replay marker rather than wait 30 s.
  await db().update(users).set({ totpLastStep: current - 1 }).where(eq(users.id, user.id));
  return totpCodeAt(user.totpSecret, now);
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  cookie?: string;
  headers?: Record<string, string>;
}

/** A JSON API call as a non-browser client makes it (no Origin header). */
export function api(path: string, options: CallOptions = {}) {
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (method !== "GET" && method !== "HEAD") headers["content-type"] ??= "application/json";
  if (options.cookie) headers.cookie = options.cookie;
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : JSON.stringify(options.body ?? {}),
    redirect: "manual",
  });
}

/** The `name=value` of a Set-Cookie header, ready for a Cookie header. */
export function cookieFrom(res: Response, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    if (pair?.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return undefined;
}

export async function login(user: { email: string; password?: string }, headers: Record<string, string> = {}) {
  return api("/api/v1/auth/login", { body: { email: user.email, password: user.password ?? PASSWORD }, headers });
}

/** Full sign-in through the API; returns the session cookie. */
export async function signIn(user: TestUser, headers: Record<string, string> = {}): Promise<string> {
  const res = await login(user, headers);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { challenge } = (await res.json()) as { challenge: string };
  const totp = await api("/api/v1/auth/totp", { body: { challenge, code: await freshCode(user) }, headers });
  if (totp.status !== 200) throw new Error(`totp failed: ${totp.status} ${await totp.text()}`);
  const cookie = cookieFrom(totp, "__Host-session");
  if (!cookie) throw new Error("no session cookie");
  return cookie;
}

export interface MailMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  createdAt: string;
}

export async function mailTo(address: string): Promise<MailMessage[]> {
  const res = await SELF.fetch(`${ORIGIN}/dev/mail.json`);
  const { messages } = (await res.json()) as { messages: MailMessage[] };
  return messages.filter((m) => m.to === address.toLowerCase());
}

export function linkIn(mail: MailMessage, path: string): URL {
  const match = mail.text.match(new RegExp(`https?://[^\\s]+${path.replace(/\//g, "\\/")}[^\\s]*`));
  if (!match) throw new Error(`no ${path} link in mail: ${mail.text}`);
  return new URL(match[0]);
}

export interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

/** Asserts api.md's error shape and code; returns the error for further checks. */
export async function expectError(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.code).toBe(code);
  return body.error;
}

/** Audit rows about one target, optionally of one action. */
export const auditOf = (targetId: string, action?: string) =>
  db()
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.targetId, targetId), action ? eq(auditEvents.action, action) : undefined));
