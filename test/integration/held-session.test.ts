// F-07 with a warm isolate: once D1 has confirmed a session, the isolate
// holds it, and a later GET acts on it while D1 confirms it again inside the
// handler's first batch (one round trip, no KV read). Whatever changed in
// between (session revoked, account deactivated, role or analytics access
// changed) is still seen by that very request: its answer is the one a fresh
// read would give.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { analyticsModulePermissions, auditEvents, userSessions, users } from "../../src/db/schema";
import { meter, measured } from "../helpers/io-count";
import { api, db, makeOrg, makeUser, signIn } from "../helpers/fixtures";

const SESSION = "__Host-session";

/** A signed-in Partner Manager and a meter whose KV namespace (and so the isolate's session copies) lasts across requests. */
async function warmManager() {
  const org = await makeOrg();
  const user = await makeUser({ orgId: org.id, role: "partner_manager" });
  const cookie = await signIn(user);
  const warm = meter();
  const get = (path: string, headers: Record<string, string> = {}) => measured(path, { headers: { cookie, ...headers } }, warm);
  const first = await get("/api/v1/me");
  expect(first.res.status).toBe(200);
  return { org, user, cookie, get };
}

const clearsSessionCookie = (res: Response) => res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=;`) || (c.startsWith(`${SESSION}=`) && /max-age=0/i.test(c)));

describe("a session the isolate holds", () => {
  it("costs a signed-in GET no KV read and one D1 round trip, with the same answer as a cold read", async () => {
    const org = await makeOrg();
    const user = await makeUser({ orgId: org.id, role: "partner_manager" });
    const cookie = await signIn(user);
    const warm = meter();
    for (const path of ["/api/v1/me", "/api/v1/users", "/users", "/account"]) {
      const cold = await measured(path, { headers: { cookie } });
      const first = await measured(path, { headers: { cookie } }, warm);
      const held = await measured(path, { headers: { cookie } }, warm);
      expect(cold.res.status, path).toBe(200);
      expect(held.res.status, path).toBe(200);
      expect(first.inRequest.d1, path).toBeLessThanOrEqual(2);
      expect(held.inRequest, path).toMatchObject({ kvReads: 0, d1: 1 });
      if (path.startsWith("/api/")) expect(held.body, path).toBe(cold.body);
    }
  });

  it("answers 401 and clears the cookie once the session was revoked, in the same request", async () => {
    const { user, get } = await warmManager();
    await db().update(userSessions).set({ revokedAt: Date.now() }).where(eq(userSessions.userId, user.id));
    const after = await get("/api/v1/me");
    expect(after.res.status).toBe(401);
    expect(clearsSessionCookie(after.res)).toBe(true);
  });

  it("sends a deactivated account's page request to sign-in, in the same request", async () => {
    const { user, get } = await warmManager();
    expect((await get("/users")).res.status).toBe(200);
    await db().update(users).set({ status: "deactivated" }).where(eq(users.id, user.id));
    const after = await get("/users");
    expect(after.res.status).toBe(303);
    expect(after.res.headers.get("location")).toMatch(/^\/login/);
  });

  it("acts on the role D1 has now, not the one it held", async () => {
    const { user, get } = await warmManager();
    expect((await get("/api/v1/audit")).res.status).toBe(200);
    await db().update(users).set({ role: "read_only" }).where(eq(users.id, user.id));
    const after = await get("/api/v1/audit");
    expect(after.res.status).toBe(403);
    const me = await get("/api/v1/me");
    expect((JSON.parse(me.body) as { user: { role: string } }).user.role).toBe("read_only");
    // The fresh read is held from then on.
    expect(me.inRequest).toMatchObject({ kvReads: 0, d1: 1 });
  });

  it("acts on the analytics module grants D1 has now", async () => {
    const { user, get } = await warmManager();
    await db().update(users).set({ analyticsAccess: "Y" }).where(eq(users.id, user.id));
    const before = JSON.parse((await get("/api/v1/me")).body) as { user: { analyticsAccess: string } };
    expect(before.user.analyticsAccess).toBe("Y");
    await db().insert(analyticsModulePermissions).values({ userId: user.id, module: "reporting_api", level: "full", updatedAt: Date.now() } as typeof analyticsModulePermissions.$inferInsert);
    // The held account had no grants: the check sees the new one, and the request is answered again
    // from a fresh read (the refused batch, then the session's read and the handler's batch).
    const after = await get("/api/v1/me");
    expect(after.res.status).toBe(200);
    expect(after.inRequest.d1).toBe(3);
    expect((await get("/api/v1/me")).inRequest.d1).toBe(1);
  });

  it("writes nothing on behalf of a session that ended: a POST never acts on a held session", async () => {
    const { user, cookie, get } = await warmManager();
    await db().update(userSessions).set({ revokedAt: Date.now() }).where(eq(userSessions.userId, user.id));
    const res = await api("/api/v1/me/sessions/revoke-all", { method: "POST", cookie });
    expect(res.status).toBe(401);
    const entries = await db().select().from(auditEvents).where(eq(auditEvents.actorId, user.id));
    expect(entries.map((e) => e.action)).not.toContain("session.revoked_all");
    expect((await get("/api/v1/me")).res.status).toBe(401);
  });
});
