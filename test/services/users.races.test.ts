// The commit-time guards of the users, invitations and requests services,
// against real D1: a competing write lands between a service's checks and its
// batch, and the batch must roll back whole (no change, no audit, no mail)
// with the error the new state calls for. The race is staged by running the
// competing write just before the service's Nth db.batch() executes.
import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, invitations, outbox, roleRequests, users } from "../../src/db/schema";
import { createDeps, type Deps } from "../../src/deps";
import type { Actor } from "../../src/domain/actor";
import { sha256Hex } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { remindExpiringInvitations, revokeInvitation } from "../../src/services/invitation-admin";
import { approveRoleRequest, createRoleRequest } from "../../src/services/role-requests";
import { deactivateUser } from "../../src/services/user-admin";
import { changeUserRole } from "../../src/services/users";
import { db, makeOperator, makeOrg, makeUser } from "../helpers/fixtures";

/** Deps whose `fireOn`-th db.batch() (1-based) first runs `meanwhile`, as a concurrent request would. */
function racingDeps(meanwhile: () => Promise<unknown>, fireOn = 1, now?: () => number): Deps {
  const deps = createDeps(env, () => {}, { now });
  const realBatch = deps.db.batch.bind(deps.db);
  let calls = 0;
  deps.db.batch = (async (statements: Parameters<typeof realBatch>[0]) => {
    if (++calls === fireOn) await meanwhile();
    return realBatch(statements);
  }) as unknown as typeof deps.db.batch;
  return deps;
}

const plainDeps = () => createDeps(env, () => {});

function actorOf(u: { id: string; orgId: string; email: string; name: string; role: Actor["role"] }, orgKind: Actor["orgKind"] = "partner"): Actor {
  return { id: u.id, orgId: u.orgId, email: u.email, name: u.name, role: u.role, orgKind, orgName: "Org", purchaser: false, analyticsAccess: "N", analyticsAdmin: false, analyticsOwner: false, modules: {} };
}

const auditCount = async (targetId: string) => (await db().select().from(auditEvents).where(eq(auditEvents.targetId, targetId))).length;
const mailCount = async (to: string) => (await db().select().from(outbox).where(eq(outbox.to, to))).length;
const row = async (id: string) => (await db().select().from(users).where(eq(users.id, id)))[0]!;

/** An organization with two active Partner Managers, A and B. */
async function twoManagers() {
  const org = await makeOrg();
  const a = await makeUser({ orgId: org.id, role: "partner_manager" });
  const b = await makeUser({ orgId: org.id, role: "partner_manager" });
  return { org, a, b };
}

describe("the last-Partner-Manager guard at commit time (F-14)", () => {
  it("deactivate: B deactivating A commits just before A's deactivation of B → 409, B stays active, no audit or mail", async () => {
    const { a, b } = await twoManagers();
    const deps = racingDeps(() => db().update(users).set({ status: "deactivated" }).where(eq(users.id, a.id)));
    await expect(deactivateUser(deps, actorOf(a), b.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/last active Partner Manager/) });
    expect((await row(b.id)).status).toBe("active");
    expect(await auditCount(b.id)).toBe(0);
    expect(await mailCount(b.email)).toBe(0);
  });

  it("demote: A is demoted just before A's demotion of B commits → 409, B keeps the role", async () => {
    const { a, b } = await twoManagers();
    const deps = racingDeps(() => db().update(users).set({ role: "regular" }).where(eq(users.id, a.id)));
    await expect(changeUserRole(deps, actorOf(a), b.id, { role: "read_only" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/last active Partner Manager/),
    });
    expect((await row(b.id)).role).toBe("partner_manager");
    expect(await auditCount(b.id)).toBe(0);
    expect(await mailCount(b.email)).toBe(0);
  });

  it("a stale actor (already removed before the service read) is refused by the check before the batch", async () => {
    const { a, b } = await twoManagers();
    await db().update(users).set({ status: "deactivated" }).where(eq(users.id, a.id));
    await expect(deactivateUser(plainDeps(), actorOf(a), b.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/last active Partner Manager/) });
    await expect(changeUserRole(plainDeps(), actorOf(a), b.id, { role: "regular" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await row(b.id)).toMatchObject({ status: "active", role: "partner_manager" });
  });

  it("a role change racing another change of the same user applies to the role at commit, and audits that role as before", async () => {
    const { a, b } = await twoManagers();
    // The service reads nothing before its batch, so the competing change is simply the state it changes.
    const deps = racingDeps(() => db().update(users).set({ role: "regular" }).where(eq(users.id, b.id)));
    await changeUserRole(deps, actorOf(a), b.id, { role: "read_only" });
    expect((await row(b.id)).role).toBe("read_only");
    const [entry] = await db().select().from(auditEvents).where(and(eq(auditEvents.targetId, b.id), eq(auditEvents.action, "user.role_changed")));
    expect(JSON.parse(entry!.before!)).toMatchObject({ role: "regular" });
    expect(JSON.parse(entry!.after!)).toMatchObject({ role: "read_only" });
  });
});

describe("requests (F-16)", () => {
  it("create: a pending request for the same user and role lands first → 409, one request, no operator mail", async () => {
    const org = await makeOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager" });
    const user = await makeUser({ orgId: org.id, role: "regular" });
    const operator = await makeOperator();
    const before = await mailCount(operator.email);
    // The one batch validates and writes; the competing request commits just before it.
    const deps = racingDeps(() => db().insert(roleRequests).values({ id: newId(), orgId: org.id, userId: user.id, kind: "purchaser", requestedBy: pm.id, createdAt: Date.now() }));
    await expect(createRoleRequest(deps, actorOf(pm), { kind: "purchaser", userId: user.id })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await db().select().from(roleRequests).where(eq(roleRequests.userId, user.id))).toHaveLength(1);
    expect(await mailCount(operator.email)).toBe(before);
  });

  it("approve: the user is demoted just before the approval commits → 409, no flag, request still pending, no mail", async () => {
    const org = await makeOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager" });
    const target = await makeUser({ orgId: org.id, role: "partner_manager" });
    const operator = await makeOperator();
    const { request } = await createRoleRequest(plainDeps(), actorOf(pm), { kind: "analytics_admin", userId: target.id });
    const deps = racingDeps(() => db().update(users).set({ role: "regular" }).where(eq(users.id, target.id)));
    await expect(approveRoleRequest(deps, actorOf(operator, "vendor"), request.id)).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await row(target.id)).analyticsAdmin).toBe(false);
    expect((await db().select().from(roleRequests).where(eq(roleRequests.id, request.id)))[0]!.status).toBe("pending");
    expect(await auditCount(request.id)).toBe(1); // only role_request.created
    expect((await db().select().from(outbox).where(and(eq(outbox.to, pm.email)))).filter((m) => /approved/.test(m.subject))).toHaveLength(0);
  });

  it("approve: another operator decided just before → 409, decided once", async () => {
    const org = await makeOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager" });
    const target = await makeUser({ orgId: org.id, role: "regular" });
    const operator = await makeOperator();
    const { request } = await createRoleRequest(plainDeps(), actorOf(pm), { kind: "purchaser", userId: target.id });
    const deps = racingDeps(() => db().update(roleRequests).set({ status: "rejected", decidedBy: operator.id, decidedAt: Date.now() }).where(eq(roleRequests.id, request.id)));
    await expect(approveRoleRequest(deps, actorOf(operator, "vendor"), request.id)).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await row(target.id)).purchaser).toBe(false);
  });
});

describe("invitations (F-92)", () => {
  async function openInvitation(expiresInMs: number, now = Date.now()) {
    const org = await makeOrg();
    const pm = await makeUser({ orgId: org.id, role: "partner_manager" });
    const invitee = await makeUser({ orgId: org.id, status: "invited", passwordHash: null, totpSecretEnc: null });
    const id = newId();
    await db().insert(invitations).values({ id, userId: invitee.id, tokenHash: await sha256Hex(newId()), createdAt: now - 1000, expiresAt: now + expiresInMs });
    return { pm, invitee, id };
  }

  it("revoke: the invitation is accepted just before the revocation commits → 409, no audit", async () => {
    const { pm, id } = await openInvitation(86_400_000);
    const deps = racingDeps(() => db().update(invitations).set({ usedAt: Date.now() }).where(eq(invitations.id, id)));
    await expect(revokeInvitation(deps, actorOf(pm), id)).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await db().select().from(invitations).where(eq(invitations.id, id)))[0]!.revokedAt).toBeNull();
    expect(await auditCount(id)).toBe(0);
  });

  it("reminder: another run reminded the invitation just before this run's batch → no second mail", async () => {
    const now = Date.UTC(2033, 0, 1, 3);
    const { invitee, id } = await openInvitation(3_600_000, now);
    const deps = racingDeps(() => db().update(invitations).set({ remindedAt: now - 1 }).where(eq(invitations.id, id)), 1, () => now);
    expect(await remindExpiringInvitations(deps)).toBe(0);
    expect(await mailCount(invitee.email)).toBe(0);
    expect(await auditCount(id)).toBe(0);
  });
});
