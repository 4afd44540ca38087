// F-07 sessions: listing and revoking own sessions, "sign out everywhere",
// password change, idle and absolute timeouts, and sessions ending at once when
// the account is deactivated or its organization terminated.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { organizations, users } from "../../src/db/schema";
import { createDeps } from "../../src/deps";
import { DEV_SECRETS } from "../../src/lib/config";
import { sha256Hex, verifyPassword } from "../../src/lib/crypto";
import { keepSessionCopy, SESSION_COPY_MS, sessionCopy } from "../../src/services/session-cache";
import { changePassword, regenerateRecoveryCodes } from "../../src/services/account";
import { loadSession } from "../../src/services/sessions";
import { elements, pageHtml } from "../helpers/ui";
import { api, auditOf, cookieFrom, db, freshCode, login, mailTo, makeOperator, makeOrg, makeUser, PASSWORD, signIn } from "../helpers/fixtures";

interface SessionItem {
  id: string;
  createdAt: string;
  ip: string | null;
  userAgent: string | null;
  device: string;
  current: boolean;
}

const SESSION = "__Host-session";
const NEW_PASSWORD = "a completely new passphrase 42";

async function sessionsOf(cookie: string): Promise<SessionItem[]> {
  const res = await api("/api/v1/me/sessions", { cookie });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: SessionItem[] }).items;
}

const meStatus = async (cookie: string) => (await api("/api/v1/me", { cookie })).status;

/** The cookie's value is the session secret that loadSession takes. */
const secretOf = (cookie: string) => decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));

async function userRow(id: string) {
  const [row] = await db().select().from(users).where(eq(users.id, id));
  return row!;
}

/** Deps whose clock runs `offsetMs` ahead; background KV writes (lastSeenAt touches) are collected so they can be awaited. */
function depsAhead(offsetMs: number, pending: Promise<unknown>[] = [], bindings: typeof env = env) {
  const base = Date.now();
  return createDeps(bindings, (p) => void pending.push(p), { now: () => base + offsetMs });
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe("listing and revoking own sessions", () => {
  it("lists the caller's sessions, two sign-ins giving two items with exactly the calling one marked current", async () => {
    const user = await makeUser();
    const first = await signIn(user, { "user-agent": "Browser One" });
    const second = await signIn(user, { "user-agent": "Browser Two" });

    const items = await sessionsOf(first);
    expect(items).toHaveLength(2);
    expect(items.map((s) => s.userAgent).sort()).toEqual(["Browser One", "Browser Two"]);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(items.find((s) => s.current)!.userAgent).toBe("Browser One");
    for (const s of items) {
      expect(s.id).toMatch(/\S/);
      expect(new Date(s.createdAt).toISOString()).toBe(s.createdAt);
    }

    // Seen from the other browser, the other one is current; the ids are the same.
    const fromSecond = await sessionsOf(second);
    expect(fromSecond.find((s) => s.current)!.userAgent).toBe("Browser Two");
    expect(fromSecond.map((s) => s.id).sort()).toEqual(items.map((s) => s.id).sort());
  });

  it("names each session's device as a person would, in the API and on the account page, with the header kept in the row's tooltip", async () => {
    const user = await makeUser();
    const firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const cookie = await signIn(user, { "user-agent": firefox });
    await signIn(user, { "user-agent": "curl/8.5.0" });
    await signIn(user, {});

    const items = await sessionsOf(cookie);
    expect(items.map((s) => s.device).sort()).toEqual(["Firefox on Windows", "curl", "unknown device"]);

    const html = await pageHtml("/account", cookie);
    const cells = (await elements(html, "tr[id^='session-'] td:first-child")).map((td) => [td.text, td.attrs.title ?? null]);
    expect(cells).toEqual(expect.arrayContaining([["Firefox on Windows", firefox], ["curl", "curl/8.5.0"], ["unknown device", null]]));
    expect(html).not.toContain(`>${firefox}<`);
  });

  it("answers 401 to the session list without a session", async () => {
    const res = await api("/api/v1/me/sessions");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
  });

  it("revokes another own session by id: that cookie answers 401 at once, the caller's keeps working, and an audit entry is written", async () => {
    const user = await makeUser();
    const keep = await signIn(user, { "user-agent": "Keeper" });
    const victim = await signIn(user, { "user-agent": "Victim" });
    const target = (await sessionsOf(keep)).find((s) => !s.current)!;
    expect(target.userAgent).toBe("Victim");

    const res = await api(`/api/v1/me/sessions/${target.id}`, { method: "DELETE", cookie: keep });
    expect(res.status).toBe(204);

    expect(await meStatus(victim)).toBe(401);
    expect(await meStatus(keep)).toBe(200);
    const left = await sessionsOf(keep);
    expect(left).toHaveLength(1);
    expect(left[0]!.current).toBe(true);

    const audit = await auditOf(target.id, "session.revoked");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: user.id, orgId: user.orgId, targetType: "session" });

    // Revoking it again: it no longer exists.
    expect((await api(`/api/v1/me/sessions/${target.id}`, { method: "DELETE", cookie: keep })).status).toBe(404);
  });

  it("answers 404 for the id of another user's session and leaves that session alive", async () => {
    const alice = await makeUser();
    const bob = await makeUser();
    const aliceCookie = await signIn(alice);
    const bobCookie = await signIn(bob);
    const [bobSession] = await sessionsOf(bobCookie);

    const res = await api(`/api/v1/me/sessions/${bobSession!.id}`, { method: "DELETE", cookie: aliceCookie });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");

    expect(await meStatus(bobCookie)).toBe(200);
    expect(await sessionsOf(bobCookie)).toHaveLength(1);
    expect(await auditOf(bobSession!.id, "session.revoked")).toHaveLength(0);
  });

  it("ends every session of the account with revoke-all (including the caller's), but no one else's", async () => {
    const user = await makeUser();
    const other = await makeUser({ orgId: user.orgId });
    const a = await signIn(user);
    const b = await signIn(user);
    const otherCookie = await signIn(other);

    const res = await api("/api/v1/me/sessions/revoke-all", { method: "POST", cookie: a });
    expect(res.status).toBe(204);

    expect(await meStatus(a)).toBe(401);
    expect(await meStatus(b)).toBe(401);
    expect(await meStatus(otherCookie)).toBe(200);
    expect((await userRow(user.id)).sessionsValidAfter).toBeGreaterThan(0);
    expect((await userRow(other.id)).sessionsValidAfter).toBe(0);
    expect(await auditOf(user.id, "session.revoked_all")).toHaveLength(1);

    // Signing in again afterwards works and lists only the new session.
    const fresh = await signIn(user);
    expect(await meStatus(fresh)).toBe(200);
    const items = await sessionsOf(fresh);
    expect(items).toHaveLength(1);
    expect(items[0]!.current).toBe(true);
  });
});

describe("password change", () => {
  it("ends the other sessions, and the caller continues with the fresh session cookie it receives", async () => {
    const user = await makeUser();
    const caller = await signIn(user, { "user-agent": "Caller" });
    const other = await signIn(user, { "user-agent": "Other" });

    const res = await api("/api/v1/me/password", { cookie: caller, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const fresh = cookieFrom(res, SESSION);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(caller);
    const setCookie = res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION}=`))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//i);

    expect(await meStatus(fresh!)).toBe(200);
    expect(await meStatus(other)).toBe(401);
    // The caller's old session id is retired too: it continues only under the fresh cookie.
    expect(await meStatus(caller)).toBe(401);
    const items = await sessionsOf(fresh!);
    expect(items).toHaveLength(1);
    expect(items[0]!.current).toBe(true);

    const row = await userRow(user.id);
    expect(await verifyPassword(NEW_PASSWORD, row.passwordHash!, DEV_SECRETS.PEPPER)).toBe(true);
    expect(await verifyPassword(PASSWORD, row.passwordHash!, DEV_SECRETS.PEPPER)).toBe(false);
    expect(await auditOf(user.id, "user.password_changed")).toHaveLength(1);
    expect((await mailTo(user.email)).some((m) => /password/i.test(m.text) && /changed/i.test(m.text))).toBe(true);

    // Only the new password signs in now.
    expect((await login({ email: user.email, password: PASSWORD })).status).toBe(401);
    const next = await login({ email: user.email, password: NEW_PASSWORD });
    expect(next.status).toBe(200);
    expect(((await next.json()) as { next: string }).next).toBe("totp");
  });

  it("refuses a wrong current password with 422 fields.currentPassword and changes nothing", async () => {
    const user = await makeUser();
    const caller = await signIn(user);
    const other = await signIn(user);
    const before = await userRow(user.id);

    const res = await api("/api/v1/me/password", { cookie: caller, body: { currentPassword: "not the password at all", newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; fields: Record<string, string> } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.fields.currentPassword).toMatch(/\S/);
    expect(body.error.fields.newPassword).toBeUndefined();
    expect(cookieFrom(res, SESSION)).toBeUndefined();

    const after = await userRow(user.id);
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.sessionsValidAfter).toBe(before.sessionsValidAfter);
    expect(await meStatus(caller)).toBe(200);
    expect(await meStatus(other)).toBe(200);
    expect(await auditOf(user.id, "user.password_changed")).toHaveLength(0);
  });

  it("refuses a weak new password with 422 fields.newPassword (too short, too common) and changes nothing", async () => {
    const user = await makeUser();
    const caller = await signIn(user);
    const before = await userRow(user.id);

    for (const newPassword of ["short", "1qaz2wsx3edc"]) {
      const res = await api("/api/v1/me/password", { cookie: caller, body: { currentPassword: PASSWORD, newPassword } });
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: { code: string; fields: Record<string, string> } };
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.fields.newPassword).toMatch(/\S/);
      expect(body.error.fields.currentPassword).toBeUndefined();
    }

    const after = await userRow(user.id);
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.sessionsValidAfter).toBe(before.sessionsValidAfter);
    expect(await meStatus(caller)).toBe(200);
  });

  it("answers 422 for a body without currentPassword, never 500", async () => {
    const user = await makeUser();
    const caller = await signIn(user);
    const res = await api("/api/v1/me/password", { cookie: caller, body: { newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { fields: Record<string, string> } }).error.fields.currentPassword).toBeDefined();
  });
});

describe("timeouts (service level)", () => {
  it("ends a session after 1 h without a request (idle timeout), not before", async () => {
    const user = await makeUser();
    const secret = secretOf(await signIn(user));
    const pending: Promise<unknown>[] = [];

    expect(await loadSession(depsAhead(61 * MINUTE, pending), secret)).toBeNull();
    const stillIdle = await loadSession(depsAhead(59 * MINUTE, pending), secret);
    expect(stillIdle).not.toBeNull();
    expect(stillIdle!.actor.id).toBe(user.id);
    await Promise.all(pending);
  });

  it("ends a session 12 h after sign-in (absolute timeout) even while it is in use", async () => {
    const user = await makeUser();
    const secret = secretOf(await signIn(user));
    const pending: Promise<unknown>[] = [];

    // A request every 50 minutes keeps it from going idle…
    for (let t = 50 * MINUTE; t < 12 * HOUR; t += 50 * MINUTE) {
      expect(await loadSession(depsAhead(t, pending), secret), `at +${t / MINUTE} min`).not.toBeNull();
      await Promise.all(pending.splice(0));
    }
    expect(await loadSession(depsAhead(11 * HOUR + 59 * MINUTE, pending), secret)).not.toBeNull();
    await Promise.all(pending.splice(0));
    // …but not beyond the absolute limit, though the last request was a minute ago.
    expect(await loadSession(depsAhead(12 * HOUR + 1 * MINUTE, pending), secret)).toBeNull();
    expect(await loadSession(depsAhead(13 * HOUR, pending), secret)).toBeNull();
    await Promise.all(pending);
  });

  it("takes the timeouts from the SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS vars", async () => {
    const user = await makeUser();
    const secret = secretOf(await signIn(user));
    const shortIdle = { ...env, SESSION_IDLE_MINUTES: "5" };
    expect(await loadSession(depsAhead(6 * MINUTE, [], shortIdle), secret)).toBeNull();
    const shortAbsolute = { ...env, SESSION_IDLE_MINUTES: "600", SESSION_ABSOLUTE_HOURS: "1" };
    expect(await loadSession(depsAhead(61 * MINUTE, [], shortAbsolute), secret)).toBeNull();
    const pending: Promise<unknown>[] = [];
    expect(await loadSession(depsAhead(4 * MINUTE, pending, shortIdle), secret)).not.toBeNull();
    await Promise.all(pending);
  });
});

describe("sessions end with the account or its organization", () => {
  it("a deactivated account's sessions answer 401 on their next request, and it cannot sign in any more", async () => {
    const operator = await makeOperator();
    const opCookie = await signIn(operator);
    const user = await makeUser();
    const first = await signIn(user);
    const second = await signIn(user);
    expect(await meStatus(first)).toBe(200);

    const res = await api(`/api/v1/users/${user.id}/deactivate`, { method: "POST", cookie: opCookie });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { status: string } }).user.status).toBe("deactivated");
    expect((await userRow(user.id)).status).toBe("deactivated");

    expect(await meStatus(first)).toBe(401);
    expect(await meStatus(second)).toBe(401);
    expect((await api("/api/v1/me/sessions", { cookie: first })).status).toBe(401);

    const again = await login(user);
    expect(again.status).toBe(401);
    const body = (await again.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unauthenticated");
    expect(body.error.message).toMatch(/deactivated/i);
    expect(await auditOf(user.id, "user.deactivated")).toHaveLength(1);
  });

  it("a terminated organization's users' sessions answer 401, while other organizations' users keep theirs", async () => {
    const operator = await makeOperator();
    const opCookie = await signIn(operator);
    const org = await makeOrg();
    const manager = await makeUser({ orgId: org.id, role: "partner_manager" });
    const member = await makeUser({ orgId: org.id, role: "read_only" });
    const outsider = await makeUser();
    const managerCookie = await signIn(manager);
    const memberCookie = await signIn(member);
    const outsiderCookie = await signIn(outsider);
    expect(await meStatus(managerCookie)).toBe(200);

    const res = await api(`/api/v1/orgs/${org.id}`, { method: "PATCH", cookie: opCookie, body: { status: "terminated" } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { org: { status: string } }).org.status).toBe("terminated");
    const [row] = await db().select().from(organizations).where(eq(organizations.id, org.id));
    expect(row!.status).toBe("terminated");

    expect(await meStatus(managerCookie)).toBe(401);
    expect(await meStatus(memberCookie)).toBe(401);
    expect(await meStatus(outsiderCookie)).toBe(200);
    expect(await meStatus(opCookie)).toBe(200);
    expect(await auditOf(org.id, "organization.terminated")).toHaveLength(1);

    // Nor can they sign in again: the password step itself says why (only to whoever knows the password).
    const again = await login(manager);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/organization no longer has access/);
    expect((await login({ email: manager.email, password: "not the password at all" })).status).toBe(401);
  });
});

describe("the isolate's copy of a session record (session-cache.ts)", () => {
  /** A view of the KV binding that counts reads; the same object across calls, so copies are shared between them. */
  function countingKv(counter: { reads: number }): KVNamespace {
    return new Proxy(env.KV, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        if (prop === "get" || prop === "getWithMetadata") counter.reads++;
        return value.bind(target);
      },
    });
  }

  it("reads the KV record once, then serves the session's next requests from the copy", async () => {
    const secret = secretOf(await signIn(await makeUser()));
    const counter = { reads: 0 };
    const bindings = { ...env, KV: countingKv(counter) };
    for (let i = 0; i < 3; i++) expect(await loadSession(depsAhead(0, [], bindings), secret)).not.toBeNull();
    expect(counter.reads).toBe(1);
  });

  it("refuses a revoked session at once although the copy is still held: D1 decides, not the copy", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    const other = await signIn(user);
    const bindings = { ...env, KV: countingKv({ reads: 0 }) };
    const loaded = await loadSession(depsAhead(0, [], bindings), secretOf(cookie));
    expect(loaded).not.toBeNull();

    const res = await api(`/api/v1/me/sessions/${loaded!.session.id}`, { method: "DELETE", cookie: other });
    expect(res.status).toBe(204);
    expect(await loadSession(depsAhead(0, [], bindings), secretOf(cookie))).toBeNull();
  });

  it("asks KV before refusing a session whose copy looks idle: another isolate may have seen it since", async () => {
    const secret = secretOf(await signIn(await makeUser()));
    const shortIdle = { ...env, SESSION_IDLE_MINUTES: "5" };
    const fresh = await loadSession(depsAhead(0, [], shortIdle), secret);
    const hash = await sha256Hex(secret);
    // This isolate's copy says the last request was 10 minutes ago; KV has the real time.
    keepSessionCopy(env.KV, hash, { ...fresh!.session, lastSeenAt: Date.now() - 10 * MINUTE }, Date.now());
    expect(await loadSession(depsAhead(0, [], shortIdle), secret)).not.toBeNull();
  });

  it("keeps at most one minute: a copy older than that is read again from KV", () => {
    const kv = {} as KVNamespace;
    const record = { id: "s", userId: "u", createdAt: 0, lastSeenAt: 0, csrf: "c", ip: null, userAgent: null };
    keepSessionCopy(kv, "h", record, 1_000);
    expect(sessionCopy(kv, "h", 1_000 + SESSION_COPY_MS - 1)).toEqual(record);
    expect(sessionCopy(kv, "h", 1_000 + SESSION_COPY_MS)).toBeUndefined();
  });
});

describe("stored credentials come with the session's read only where they are verified", () => {
  it("leaves the password hash and the TOTP secret out of an ordinary session read, and off the actor", async () => {
    const loaded = await loadSession(depsAhead(0), secretOf(await signIn(await makeUser())));
    expect(loaded!.credentials).toBeUndefined();
    for (const key of ["passwordHash", "totpSecretEnc", "totpLastStep"]) expect(loaded!.actor).not.toHaveProperty(key);
  });

  it("brings the stored hash, the encrypted TOTP secret and the last step used in the same read when asked, still off the actor", async () => {
    const user = await makeUser();
    const loaded = await loadSession(depsAhead(0), secretOf(await signIn(user)), { credentials: true });
    const row = await userRow(user.id);
    expect(loaded!.credentials).toEqual({ passwordHash: row.passwordHash, totpSecretEnc: row.totpSecretEnc, totpLastStep: row.totpLastStep });
    expect(row.passwordHash).toBeTruthy();
    expect(loaded!.actor).not.toHaveProperty("passwordHash");
  });

  it("refuses a password change with 409 when the password changed after the session's read, and changes nothing", async () => {
    const user = await makeUser();
    const deps = depsAhead(0);
    const loaded = await loadSession(deps, secretOf(await signIn(user)), { credentials: true });
    const other = await signIn(user);
    expect((await api("/api/v1/me/password", { cookie: other, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })).status).toBe(200);
    const changed = (await userRow(user.id)).passwordHash;

    // The hash read with the session is the old one: the current password still verifies against it, the write does not apply.
    const late = changePassword(deps, loaded!.actor, { currentPassword: PASSWORD, newPassword: "yet another passphrase 77" }, null, loaded!.credentials);
    await expect(late).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await userRow(user.id)).passwordHash).toBe(changed);
    expect(await auditOf(user.id, "user.password_changed")).toHaveLength(1);
  });

  it("uses a TOTP step once even when the session's read predates its use: new recovery codes with a spent code are refused", async () => {
    const user = await makeUser();
    const cookie = await signIn(user);
    const deps = depsAhead(0);
    const loaded = await loadSession(deps, secretOf(cookie), { credentials: true });
    const code = await freshCode(user);
    expect((await api("/api/v1/me/recovery-codes", { cookie, body: { code } })).status).toBe(200);

    const replay = regenerateRecoveryCodes(deps, loaded!.actor, { code }, loaded!.credentials);
    await expect(replay).rejects.toMatchObject({ code: "VALIDATION_FAILED", fields: { code: "That code is not valid or was already used." } });
    expect(await auditOf(user.id, "user.recovery_codes_regenerated")).toHaveLength(1);
  });
});
