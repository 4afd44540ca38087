// F-50 audit coverage of the JSON API (issue 7): the walk takes every
// state-changing /api/v1 route from the app's own route table and fails for
// any that has neither a scenario below nor an exemption with its reason.
// Each scenario makes the real request through the Worker's fetch and checks
// the one audit entry it wrote: action, actor, organization and target. The
// same request is counted (test/helpers/io-count.ts) and held to its budget of
// D1 round trips and KV reads (issue 9): 2 and 1 unless WRITE_BUDGETS says more.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { analyticsSegments, invitations, outbox } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { SERVICE_KINDS, SERVICE_KIND_KEYS, type ServiceKind } from "../../src/domain/company-services";
import { AES_KEY_ACTION } from "../../src/services/analytics-developer";
import { makeAnalyticsUser, makeMetaSite, makeSite, seedStats } from "../helpers/analytics";
import { makeBlock, makeCampaign, makeLicenseKey } from "../helpers/analytics-modules";
import { makeTag } from "../helpers/analytics-workspace";
import {
  coverageProblems,
  runAuditScenario,
  scenarioFor,
  scenarioTitle,
  type AuditScenario,
  type AuditScenarios,
} from "../helpers/audit-scenarios";
import { makeCompany, makePlan, makeService } from "../helpers/companies";
import { api, db, freshCode, linkIn, login, makeOperator, makeOrg, makeUser, PASSWORD, signIn, uniqueEmail, type TestUser } from "../helpers/fixtures";
import { insertGrant, mailsFor, makeChannelPartner, makeCustomerOrg, makeVerifiedUser } from "../helpers/partners";
import { partnerOrg } from "../helpers/portal";
import { measured, type IoCount } from "../helpers/io-count";
import { isApiRoute, stateChangingRoutes } from "../helpers/route-table";

/** D1 round trips each measured write took in this run (for the budget table's own check). */
const measuredWrites = new Map<string, number>();

/**
 * State-changing API routes that write no audit entry, each with the reason.
 * Only routes that change no account, permission or business state belong here.
 */
const EXEMPT: Record<string, string> = {
  "POST /api/v1/collect": "records anonymous analytics hits (daily counters), not a change anyone makes to the portal",
  "POST /api/v1/users/bulk-invite/preview": "a preview: checks the CSV and writes nothing (POST /api/v1/users/bulk-invite is the change)",
};

interface Member {
  user: TestUser;
  cookie: string;
}

interface Ctx {
  operator: Member;
  /** Partner Manager of a partner organization, also Purchaser (F-15) and Analytics Administrator (F-22). */
  manager: Member;
  /** Regular user of a customer organization: verified (F-61) and owner of its analytics workspace (F-41). */
  owner: Member;
}

const member = async (user: Promise<TestUser>): Promise<Member> => {
  const u = await user;
  return { user: u, cookie: await signIn(u) };
};

async function makeCtx(): Promise<Ctx> {
  const [partner, customer] = await Promise.all([makeOrg({ kind: "partner", channelPartner: true }), makeCustomerOrg()]);
  const [operator, manager, owner] = await Promise.all([
    member(makeOperator()),
    member(makeUser({ orgId: partner.id, role: "partner_manager", purchaser: true, analyticsAdmin: true })),
    member(makeVerifiedUser({ orgId: customer.id, role: "regular", analyticsAccess: "Y", analyticsOwner: true })),
  ]);
  return { operator, manager, owner };
}

// ---------------------------------------------------------------- small helpers

const NEW_PASSWORD = "an entirely new passphrase 4 audit";

/** What the last `call` cost in bindings: the scenario's act is the request measured. */
let lastIo: IoCount | undefined;

async function call(method: string, path: string, cookie: string, body?: unknown) {
  const headers: Record<string, string> = { cookie };
  if (method !== "GET") headers["content-type"] = "application/json";
  const { res, body: text, inRequest } = await measured(path, { method, headers, body: method === "GET" ? undefined : JSON.stringify(body ?? {}) });
  lastIo = inRequest;
  // A 204 has no body: rebuilding it with "" made the runtime warn on every such scenario.
  return new Response(res.status === 204 ? null : text, { status: res.status, headers: res.headers });
}

const WRITE_BUDGET = { d1: 2, kvReads: 1 };

/**
 * Writes allowed more than the budget, each with its reason; none today.
 * Every write validates inside its write batch (guards, compare-and-swap,
 * INSERT … SELECT); the password change and new recovery codes verify the
 * stored hash or TOTP secret that came with the session's read on those
 * routes. A write that gets dearer fails here; one listed here that gets
 * cheaper fails the last test until its line is struck off.
 */
const WRITE_BUDGETS: Record<string, number> = {};

/** The `id` of `body[key]`, as create answers carry it. */
const idIn = (body: unknown, key: string) => (body as Record<string, { id: string }>)[key]!.id;

/** The token of the newest mailed link to `path` (activation, password reset). */
async function mailedToken(email: string, path: string) {
  const mails = (await mailsFor(email)).filter((m) => m.text.includes(path)).sort((a, b) => Number(a.createdAt) - Number(b.createdAt));
  expect(mails.length, `a mail with a ${path} link to ${email}`).toBeGreaterThan(0);
  return linkIn(mails.at(-1)!, path).searchParams.get("token")!;
}

/** A colleague in `orgId` nobody signs in as. */
const colleague = (orgId: string, overrides: Parameters<typeof makeUser>[0] = {}) => makeUser({ orgId, role: "regular", ...overrides });

/** An account invited through the API by the manager: its id and email. */
async function invitedByManager(ctx: Ctx) {
  const email = uniqueEmail("invitee");
  const res = await call("POST", "/api/v1/users", ctx.manager.cookie, { email, name: "Ivo Invitee", role: "regular" });
  expect(res.status, await res.clone().text()).toBe(201);
  return { id: idIn(await res.json(), "user"), email };
}

async function invitationIdOf(userId: string) {
  const [row] = await db().select({ id: invitations.id }).from(invitations).where(eq(invitations.userId, userId));
  return row!.id;
}

async function startedReview(cookie: string) {
  const res = await call("POST", "/api/v1/access-reviews", cookie);
  expect(res.status, await res.clone().text()).toBe(201);
  return idIn(await res.json(), "review");
}

/** A fresh partner organization with its signed-in Partner Manager and one more user (one open review per organization). */
async function reviewOrg() {
  const org = await partnerOrg();
  const regular = await colleague(org.org.id);
  return { ...org, regular };
}

async function filedRequest(ctx: Ctx) {
  const user = await colleague(ctx.manager.user.orgId);
  const res = await call("POST", "/api/v1/requests", ctx.manager.cookie, { kind: "purchaser", userId: user.id });
  expect(res.status, await res.clone().text()).toBe(201);
  return idIn(await res.json(), "request");
}

async function makeSegment(metaSiteId: string, siteIds: string[]) {
  const now = Date.now();
  const row = { id: newId(), metaSiteId, name: `Segment ${newId().slice(0, 4)}`, definition: JSON.stringify({ siteIds }), createdBy: null, createdAt: now, updatedAt: now };
  await db().insert(analyticsSegments).values(row);
  return row;
}

async function siteAndMeta(ctx: Ctx) {
  const site = await makeSite(ctx.owner.user.orgId);
  const meta = await makeMetaSite(ctx.owner.user.orgId, [site.id]);
  return { site, meta };
}

/** A channel partner with two active users, both granted access by the owner's organization. */
async function grantedPartner(ctx: Ctx) {
  const org = await makeChannelPartner();
  const [alice, bob] = await Promise.all([colleague(org.id), colleague(org.id, { role: "partner_manager" })]);
  await Promise.all([insertGrant(ctx.owner.user.orgId, alice), insertGrant(ctx.owner.user.orgId, bob)]);
  return { org, alice, bob };
}

// ---------------------------------------------------------------- scenarios

const firstRun = scenarioFor<void>();
const s = scenarioFor<Ctx>();

/** Setup answers only while no account exists, so it runs before the shared members are made. */
const FIRST_RUN: AuditScenarios<void> = {
  "POST /api/v1/setup": firstRun({
    action: "setup.completed",
    about: "the new vendor organization",
    act: () => api("/api/v1/setup", { body: { orgName: "Vendor Ltd", email: uniqueEmail("first-operator"), name: "Olli Operator", password: NEW_PASSWORD } }),
    status: 201,
    expect: (_, __, body) => {
      const user = (body as { user: { id: string; orgId: string } }).user;
      return { actorId: user.id, orgId: user.orgId, targetType: "organization", targetId: user.orgId };
    },
  }),
};

/** The entry of an action by `actor` on one of their organization's users. */
const onUser = (actor: Member, target: { id: string; orgId: string }) => ({ actorId: actor.user.id, orgId: target.orgId, targetType: "user", targetId: target.id });
/** The entry of a user acting on their own account. */
const onSelf = (user: { id: string; orgId: string }) => ({ actorId: user.id, orgId: user.orgId, targetType: "user", targetId: user.id });
/** The entry of the manager on an object of their organization. */
const byManager = (ctx: Ctx, targetType: string, targetId: string) => ({ actorId: ctx.manager.user.id, orgId: ctx.manager.user.orgId, targetType, targetId });
/** The entry of the workspace owner on an object of their workspace. */
const byOwner = (ctx: Ctx, targetType: string, targetId: string) => ({ actorId: ctx.owner.user.id, orgId: ctx.owner.user.orgId, targetType, targetId });

const SCENARIOS: AuditScenarios<Ctx> = {
  // ------------------------------------------------ sign-in and the own account (F-05…F-08, F-90, F-91)
  "POST /api/v1/auth/login": s({
    action: "auth.sign_in_failed",
    about: "the account whose password was wrong (no actor: nobody is signed in)",
    arrange: () => makeUser(),
    act: (_, user) => login({ email: user.email, password: "not the password at all" }),
    status: 401,
    expect: (_, user) => ({ actorId: null, orgId: user.orgId, targetType: "user", targetId: user.id }),
  }),
  "POST /api/v1/auth/totp": s({
    action: "auth.signed_in",
    about: "the account signing in",
    arrange: async () => {
      const user = await makeUser();
      const { challenge } = (await (await login(user)).json()) as { challenge: string };
      return { user, challenge };
    },
    act: async (_, a) => api("/api/v1/auth/totp", { body: { challenge: a.challenge, code: await freshCode(a.user) } }),
    status: 200,
    expect: (_, a) => onSelf(a.user),
  }),
  "POST /api/v1/auth/logout": s({
    action: "auth.signed_out",
    about: "the session that ended",
    arrange: async () => {
      const signed = await member(makeUser());
      const { items } = (await (await call("GET", "/api/v1/me/sessions", signed.cookie)).json()) as { items: { id: string; current: boolean }[] };
      return { ...signed, sessionId: items.find((i) => i.current)!.id };
    },
    act: (_, a) => call("POST", "/api/v1/auth/logout", a.cookie),
    status: 204,
    expect: (_, a) => ({ actorId: a.user.id, orgId: a.user.orgId, targetType: "session", targetId: a.sessionId }),
  }),
  "POST /api/v1/auth/forgot-password": s({
    action: "user.password_reset_requested",
    about: "the account (no actor: nobody is signed in)",
    arrange: () => makeUser(),
    act: (_, user) => api("/api/v1/auth/forgot-password", { body: { email: user.email } }),
    status: 202,
    expect: (_, user) => ({ actorId: null, orgId: user.orgId, targetType: "user", targetId: user.id }),
  }),
  "POST /api/v1/auth/reset-password": s({
    action: "user.password_reset",
    about: "the account whose password was reset",
    arrange: async () => {
      const user = await makeUser();
      expect((await api("/api/v1/auth/forgot-password", { body: { email: user.email } })).status).toBe(202);
      return { user, token: await mailedToken(user.email, "/reset-password") };
    },
    act: (_, a) => api("/api/v1/auth/reset-password", { body: { token: a.token, password: NEW_PASSWORD } }),
    status: 200,
    expect: (_, a) => onSelf(a.user),
  }),
  "POST /api/v1/invitations/accept": s({
    action: "user.activated",
    about: "the invitee activating their account",
    arrange: async (ctx) => {
      const invitee = await invitedByManager(ctx);
      return { ...invitee, token: await mailedToken(invitee.email, "/activate") };
    },
    act: (_, a) => api("/api/v1/invitations/accept", { body: { token: a.token, password: NEW_PASSWORD, acceptPrivacyPolicy: true } }),
    status: 200,
    expect: (ctx, a) => onSelf({ id: a.id, orgId: ctx.manager.user.orgId }),
  }),
  "DELETE /api/v1/me/sessions/:id": s({
    action: "session.revoked",
    about: "the revoked session",
    arrange: async () => {
      const signed = await member(makeUser());
      await signIn(signed.user);
      const { items } = (await (await call("GET", "/api/v1/me/sessions", signed.cookie)).json()) as { items: { id: string; current: boolean }[] };
      return { ...signed, otherId: items.find((i) => !i.current)!.id };
    },
    act: (_, a) => call("DELETE", `/api/v1/me/sessions/${a.otherId}`, a.cookie),
    status: 204,
    expect: (_, a) => ({ actorId: a.user.id, orgId: a.user.orgId, targetType: "session", targetId: a.otherId }),
  }),
  "POST /api/v1/me/sessions/revoke-all": s({
    action: "session.revoked_all",
    about: "the account signing out everywhere",
    arrange: () => member(makeUser()),
    act: (_, a) => call("POST", "/api/v1/me/sessions/revoke-all", a.cookie),
    status: 204,
    expect: (_, a) => onSelf(a.user),
  }),
  "POST /api/v1/me/password": s({
    action: "user.password_changed",
    about: "the account changing its password",
    arrange: () => member(makeUser()),
    act: (_, a) => call("POST", "/api/v1/me/password", a.cookie, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    status: 200,
    expect: (_, a) => onSelf(a.user),
  }),
  "POST /api/v1/me/recovery-codes": s({
    action: "user.recovery_codes_regenerated",
    about: "the account regenerating its codes",
    arrange: () => member(makeUser()),
    act: async (_, a) => call("POST", "/api/v1/me/recovery-codes", a.cookie, { code: await freshCode(a.user) }),
    status: 200,
    expect: (_, a) => onSelf(a.user),
  }),

  // ------------------------------------------------ organizations and requests (operators; F-02, F-16)
  "POST /api/v1/orgs": s({
    action: "organization.created",
    about: "the new organization, in its own log",
    act: (ctx) => call("POST", "/api/v1/orgs", ctx.operator.cookie, { name: `Partner ${newId()}`, kind: "partner", channelPartner: true, manager: { email: uniqueEmail("pm"), name: "Pat Manager" } }),
    status: 201,
    expect: (ctx, _, body) => {
      const orgId = idIn(body, "org");
      return { actorId: ctx.operator.user.id, orgId, targetType: "organization", targetId: orgId };
    },
  }),
  "PATCH /api/v1/orgs/:id": s({
    action: "organization.updated",
    about: "the organization, in its own log",
    arrange: () => makeOrg(),
    act: (ctx, org) => call("PATCH", `/api/v1/orgs/${org.id}`, ctx.operator.cookie, { name: `Renamed ${newId()}` }),
    status: 200,
    expect: (ctx, org) => ({ actorId: ctx.operator.user.id, orgId: org.id, targetType: "organization", targetId: org.id }),
  }),
  "POST /api/v1/requests": s({
    action: "role_request.created",
    about: "the new request",
    arrange: (ctx) => colleague(ctx.manager.user.orgId),
    act: (ctx, user) => call("POST", "/api/v1/requests", ctx.manager.cookie, { kind: "purchaser", userId: user.id }),
    status: 201,
    expect: (ctx, _, body) => byManager(ctx, "role_request", idIn(body, "request")),
  }),
  "POST /api/v1/requests/:id/approve": s({
    action: "role_request.approved",
    about: "the request, in the requesting organization's log",
    arrange: filedRequest,
    act: (ctx, id) => call("POST", `/api/v1/requests/${id}/approve`, ctx.operator.cookie),
    status: 200,
    expect: (ctx, id) => ({ actorId: ctx.operator.user.id, orgId: ctx.manager.user.orgId, targetType: "role_request", targetId: id }),
  }),
  "POST /api/v1/requests/:id/reject": s({
    action: "role_request.rejected",
    about: "the request, in the requesting organization's log",
    arrange: filedRequest,
    act: (ctx, id) => call("POST", `/api/v1/requests/${id}/reject`, ctx.operator.cookie),
    status: 200,
    expect: (ctx, id) => ({ actorId: ctx.operator.user.id, orgId: ctx.manager.user.orgId, targetType: "role_request", targetId: id }),
  }),
  "POST /api/v1/jobs/dead-letters/:id/retry": s({
    action: "mail.retried",
    about: "the mail sent again (no organization: operators' log)",
    arrange: async () => {
      const now = Date.now();
      const row = { id: newId(), to: uniqueEmail("bounce"), subject: "Undelivered", text: "t", html: "<p>t</p>", status: "dead" as const, attempts: 8, nextAttemptAt: now, createdAt: now };
      await db().insert(outbox).values(row);
      return row.id;
    },
    act: (ctx, id) => call("POST", `/api/v1/jobs/dead-letters/${id}/retry`, ctx.operator.cookie),
    status: 200,
    expect: (ctx, id) => ({ actorId: ctx.operator.user.id, orgId: null, targetType: "mail", targetId: id }),
  }),

  // ------------------------------------------------ portal users (F-13, F-14, F-06, F-46, F-92, F-23, F-24)
  "POST /api/v1/users": s({
    action: "user.invited",
    about: "the invited account",
    act: (ctx) => call("POST", "/api/v1/users", ctx.manager.cookie, { email: uniqueEmail("new"), name: "Nina New", role: "regular" }),
    status: 201,
    expect: (ctx, _, body) => byManager(ctx, "user", idIn(body, "user")),
  }),
  "POST /api/v1/users/bulk-invite": s({
    action: "user.invited",
    about: "each invited account",
    act: (ctx) => call("POST", "/api/v1/users/bulk-invite", ctx.manager.cookie, { csv: `${uniqueEmail("bulk")},Bea Bulk,regular` }),
    status: 200,
    expect: (ctx, _, body) => byManager(ctx, "user", (body as { rows: { userId: string }[] }).rows[0]!.userId),
  }),
  "PATCH /api/v1/users/:id": s({
    action: "user.role_changed",
    about: "the target user",
    arrange: (ctx) => colleague(ctx.manager.user.orgId),
    act: (ctx, user) => call("PATCH", `/api/v1/users/${user.id}`, ctx.manager.cookie, { role: "read_only" }),
    status: 200,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "POST /api/v1/users/:id/reinvite": s({
    action: "user.reinvited",
    about: "the target user",
    arrange: (ctx) => colleague(ctx.manager.user.orgId, { status: "invited", passwordHash: null, totpSecretEnc: null }),
    act: (ctx, user) => call("POST", `/api/v1/users/${user.id}/reinvite`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "POST /api/v1/users/:id/deactivate": s({
    action: "user.deactivated",
    about: "the target user",
    arrange: (ctx) => colleague(ctx.manager.user.orgId),
    act: (ctx, user) => call("POST", `/api/v1/users/${user.id}/deactivate`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "POST /api/v1/users/:id/activate": s({
    action: "user.activated_by_admin",
    about: "the target user",
    arrange: (ctx) => colleague(ctx.manager.user.orgId, { status: "deactivated" }),
    act: (ctx, user) => call("POST", `/api/v1/users/${user.id}/activate`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "POST /api/v1/users/:id/reset-2fa": s({
    action: "user.two_factor_reset",
    about: "the target user",
    arrange: (ctx) => colleague(ctx.manager.user.orgId),
    act: (ctx, user) => call("POST", `/api/v1/users/${user.id}/reset-2fa`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "DELETE /api/v1/users/:id": s({
    action: "user.deleted",
    about: "the removed user (the entry outlives the account)",
    arrange: (ctx) => colleague(ctx.manager.user.orgId),
    act: (ctx, user) => call("DELETE", `/api/v1/users/${user.id}`, ctx.manager.cookie),
    status: 204,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "POST /api/v1/users/:id/analytics/invite": s({
    action: "analytics.invited",
    about: "the invited user",
    arrange: (ctx) => colleague(ctx.manager.user.orgId, { analyticsAccess: "N" }),
    act: (ctx, user) => call("POST", `/api/v1/users/${user.id}/analytics/invite`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "POST /api/v1/users/:id/analytics/revoke": s({
    action: "analytics.access_revoked",
    about: "the user losing access",
    arrange: (ctx) => colleague(ctx.manager.user.orgId, { analyticsAccess: "Y" }),
    act: (ctx, user) => call("POST", `/api/v1/users/${user.id}/analytics/revoke`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, user) => onUser(ctx.manager, user),
  }),
  "POST /api/v1/invitations/:id/resend": s({
    action: "user.reinvited",
    about: "the invited account",
    arrange: async (ctx) => {
      const invitee = await invitedByManager(ctx);
      return { userId: invitee.id, invitationId: await invitationIdOf(invitee.id) };
    },
    act: (ctx, a) => call("POST", `/api/v1/invitations/${a.invitationId}/resend`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, a) => byManager(ctx, "user", a.userId),
  }),
  "POST /api/v1/invitations/:id/revoke": s({
    action: "invitation.revoked",
    about: "the revoked invitation",
    arrange: async (ctx) => invitationIdOf((await invitedByManager(ctx)).id),
    act: (ctx, id) => call("POST", `/api/v1/invitations/${id}/revoke`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, id) => byManager(ctx, "invitation", id),
  }),

  // ------------------------------------------------ access review (F-93)
  "POST /api/v1/access-reviews": s({
    action: "access_review.started",
    about: "the new review",
    arrange: () => reviewOrg(),
    act: (_, o) => call("POST", "/api/v1/access-reviews", o.cookie),
    status: 201,
    expect: (_, o, body) => ({ actorId: o.manager.id, orgId: o.org.id, targetType: "access_review", targetId: idIn(body, "review") }),
  }),
  "POST /api/v1/access-reviews/:id/items/:userId": s({
    action: "access_review.decided",
    about: "the review",
    arrange: async () => {
      const o = await reviewOrg();
      return { ...o, reviewId: await startedReview(o.cookie) };
    },
    act: (_, o) => call("POST", `/api/v1/access-reviews/${o.reviewId}/items/${o.regular.id}`, o.cookie, { decision: "confirm" }),
    status: 200,
    expect: (_, o) => ({ actorId: o.manager.id, orgId: o.org.id, targetType: "access_review", targetId: o.reviewId }),
  }),
  "POST /api/v1/access-reviews/:id/confirm-remaining": s({
    action: "access_review.remaining_confirmed",
    about: "the review",
    arrange: async () => {
      const o = await reviewOrg();
      return { ...o, reviewId: await startedReview(o.cookie) };
    },
    act: (_, o) => call("POST", `/api/v1/access-reviews/${o.reviewId}/confirm-remaining`, o.cookie),
    status: 200,
    expect: (_, o) => ({ actorId: o.manager.id, orgId: o.org.id, targetType: "access_review", targetId: o.reviewId }),
  }),
  "POST /api/v1/access-reviews/:id/complete": s({
    action: "access_review.completed",
    about: "the review",
    arrange: async () => {
      const o = await reviewOrg();
      const reviewId = await startedReview(o.cookie);
      expect((await call("POST", `/api/v1/access-reviews/${reviewId}/confirm-remaining`, o.cookie)).status).toBe(200);
      return { ...o, reviewId };
    },
    act: (_, o) => call("POST", `/api/v1/access-reviews/${o.reviewId}/complete`, o.cookie),
    status: 200,
    expect: (_, o) => ({ actorId: o.manager.id, orgId: o.org.id, targetType: "access_review", targetId: o.reviewId }),
  }),

  // ------------------------------------------------ companies, services and plans (F-30…F-33)
  "POST /api/v1/companies": s({
    action: "company.created",
    about: "the new company",
    act: (ctx) => call("POST", "/api/v1/companies", ctx.manager.cookie, { name: `Company ${newId()}` }),
    status: 201,
    expect: (ctx, _, body) => byManager(ctx, "company", idIn(body, "company")),
  }),
  "PATCH /api/v1/companies/:id": s({
    action: "company.updated",
    about: "the company",
    arrange: (ctx) => makeCompany(ctx.manager.user.orgId),
    act: (ctx, company) => call("PATCH", `/api/v1/companies/${company.id}`, ctx.manager.cookie, { name: `Renamed ${newId()}` }),
    status: 200,
    expect: (ctx, company) => byManager(ctx, "company", company.id),
  }),
  "POST /api/v1/companies/:id/terminate": s({
    action: "company.terminated",
    about: "the company",
    arrange: (ctx) => makeCompany(ctx.manager.user.orgId),
    act: (ctx, company) => call("POST", `/api/v1/companies/${company.id}/terminate`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, company) => byManager(ctx, "company", company.id),
  }),
  ...serviceScenarios(),
  "POST /api/v1/companies/:id/plans": s({
    action: "plan.ordered",
    about: "the new plan",
    arrange: (ctx) => makeCompany(ctx.manager.user.orgId),
    act: (ctx, company) => call("POST", `/api/v1/companies/${company.id}/plans`, ctx.manager.cookie, { plan: "professional", seats: 5 }),
    status: 201,
    expect: (ctx, _, body) => byManager(ctx, "plan", idIn(body, "plan")),
  }),
  "PATCH /api/v1/plans/:id": s({
    action: "plan.updated",
    about: "the plan",
    arrange: async (ctx) => makePlan((await makeCompany(ctx.manager.user.orgId)).id),
    act: (ctx, plan) => call("PATCH", `/api/v1/plans/${plan.id}`, ctx.manager.cookie, { seats: 12 }),
    status: 200,
    expect: (ctx, plan) => byManager(ctx, "plan", plan.id),
  }),
  "POST /api/v1/plans/:id/renew": s({
    action: "plan.renewed",
    about: "the plan",
    arrange: async (ctx) => makePlan((await makeCompany(ctx.manager.user.orgId)).id),
    act: (ctx, plan) => call("POST", `/api/v1/plans/${plan.id}/renew`, ctx.manager.cookie),
    status: 200,
    expect: (ctx, plan) => byManager(ctx, "plan", plan.id),
  }),

  // ------------------------------------------------ analytics access and workspace (F-23, F-40…F-44)
  "POST /api/v1/analytics/accept": s({
    action: "analytics.accepted",
    about: "the user accepting",
    arrange: (ctx) => member(makeUser({ orgId: ctx.owner.user.orgId, analyticsAccess: "I" })),
    act: (_, a) => call("POST", "/api/v1/analytics/accept", a.cookie),
    status: 200,
    expect: (_, a) => onSelf(a.user),
  }),
  "PUT /api/v1/analytics/users/:id/owner": s({
    action: "analytics.owner_granted",
    about: "the new owner",
    arrange: (ctx) => makeAnalyticsUser({ orgId: ctx.owner.user.orgId }),
    act: (ctx, user) => call("PUT", `/api/v1/analytics/users/${user.id}/owner`, ctx.owner.cookie, { owner: true }),
    status: 200,
    expect: (ctx, user) => onUser(ctx.owner, user),
  }),
  "PUT /api/v1/analytics/users/:id/modules": s({
    action: "analytics.modules.changed",
    about: "the user whose modules changed",
    arrange: (ctx) => makeAnalyticsUser({ orgId: ctx.owner.user.orgId }),
    act: (ctx, user) => call("PUT", `/api/v1/analytics/users/${user.id}/modules`, ctx.owner.cookie, { reporting: "full" }),
    status: 200,
    expect: (ctx, user) => onUser(ctx.owner, user),
  }),
  "POST /api/v1/analytics/sites": s({
    action: "analytics.site.created",
    about: "the new site",
    act: (ctx) => call("POST", "/api/v1/analytics/sites", ctx.owner.cookie, { name: `Site ${newId()}`, kind: "site" }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "analytics_site", idIn(body, "site")),
  }),
  "PATCH /api/v1/analytics/sites/:id": s({
    action: "analytics.site.updated",
    about: "the site",
    arrange: (ctx) => makeSite(ctx.owner.user.orgId),
    act: (ctx, site) => call("PATCH", `/api/v1/analytics/sites/${site.id}`, ctx.owner.cookie, { name: `Renamed ${newId()}` }),
    status: 200,
    expect: (ctx, site) => byOwner(ctx, "analytics_site", site.id),
  }),
  "DELETE /api/v1/analytics/sites/:id": s({
    action: "analytics.site.deleted",
    about: "the site",
    arrange: (ctx) => makeSite(ctx.owner.user.orgId),
    act: (ctx, site) => call("DELETE", `/api/v1/analytics/sites/${site.id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, site) => byOwner(ctx, "analytics_site", site.id),
  }),
  "PUT /api/v1/analytics/sites/:id/permissions/:userId": s({
    action: "analytics.site_permission.changed",
    about: "the site",
    arrange: async (ctx) => ({ site: await makeSite(ctx.owner.user.orgId), user: await makeAnalyticsUser({ orgId: ctx.owner.user.orgId }) }),
    act: (ctx, a) => call("PUT", `/api/v1/analytics/sites/${a.site.id}/permissions/${a.user.id}`, ctx.owner.cookie, { level: "view" }),
    status: 200,
    expect: (ctx, a) => byOwner(ctx, "analytics_site", a.site.id),
  }),
  "POST /api/v1/analytics/sites/:id/tags": s({
    action: "analytics.tag.created",
    about: "the new tag",
    arrange: (ctx) => makeSite(ctx.owner.user.orgId),
    act: (ctx, site) => call("POST", `/api/v1/analytics/sites/${site.id}/tags`, ctx.owner.cookie, { name: "Pageview tag" }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "analytics_tag", idIn(body, "tag")),
  }),
  "PATCH /api/v1/analytics/tags/:id": s({
    action: "analytics.tag.updated",
    about: "the tag",
    arrange: async (ctx) => makeTag((await makeSite(ctx.owner.user.orgId)).id),
    act: (ctx, tag) => call("PATCH", `/api/v1/analytics/tags/${tag.id}`, ctx.owner.cookie, { code: "console.log(2)" }),
    status: 200,
    expect: (ctx, tag) => byOwner(ctx, "analytics_tag", tag.id),
  }),
  "POST /api/v1/analytics/tags/:id/publish": s({
    action: "analytics.tag.published",
    about: "the tag",
    arrange: async (ctx) => makeTag((await makeSite(ctx.owner.user.orgId)).id),
    act: (ctx, tag) => call("POST", `/api/v1/analytics/tags/${tag.id}/publish`, ctx.owner.cookie),
    status: 200,
    expect: (ctx, tag) => byOwner(ctx, "analytics_tag", tag.id),
  }),
  "POST /api/v1/analytics/meta-sites": s({
    action: "analytics.meta_site.created",
    about: "the new meta site",
    arrange: (ctx) => makeSite(ctx.owner.user.orgId),
    act: (ctx, site) => call("POST", "/api/v1/analytics/meta-sites", ctx.owner.cookie, { name: `Meta ${newId()}`, siteIds: [site.id] }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "analytics_meta_site", idIn(body, "metaSite")),
  }),
  "PATCH /api/v1/analytics/meta-sites/:id": s({
    action: "analytics.meta_site.updated",
    about: "the meta site",
    arrange: siteAndMeta,
    act: (ctx, a) => call("PATCH", `/api/v1/analytics/meta-sites/${a.meta.id}`, ctx.owner.cookie, { name: `Renamed ${newId()}` }),
    status: 200,
    expect: (ctx, a) => byOwner(ctx, "analytics_meta_site", a.meta.id),
  }),
  "DELETE /api/v1/analytics/meta-sites/:id": s({
    action: "analytics.meta_site.deleted",
    about: "the meta site",
    arrange: siteAndMeta,
    act: (ctx, a) => call("DELETE", `/api/v1/analytics/meta-sites/${a.meta.id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, a) => byOwner(ctx, "analytics_meta_site", a.meta.id),
  }),
  "PUT /api/v1/analytics/meta-sites/:id/permissions/:userId": s({
    action: "analytics.meta_site_permission.changed",
    about: "the meta site",
    arrange: async (ctx) => ({ ...(await siteAndMeta(ctx)), user: await makeAnalyticsUser({ orgId: ctx.owner.user.orgId }) }),
    act: (ctx, a) => call("PUT", `/api/v1/analytics/meta-sites/${a.meta.id}/permissions/${a.user.id}`, ctx.owner.cookie, { level: "view" }),
    status: 200,
    expect: (ctx, a) => byOwner(ctx, "analytics_meta_site", a.meta.id),
  }),
  "PUT /api/v1/analytics/meta-sites/:id/dashboard": s({
    action: "analytics.meta_site.dashboard_changed",
    about: "the meta site",
    arrange: siteAndMeta,
    act: (ctx, a) => call("PUT", `/api/v1/analytics/meta-sites/${a.meta.id}/dashboard`, ctx.owner.cookie, { siteIds: [a.site.id], days: 7 }),
    status: 200,
    expect: (ctx, a) => byOwner(ctx, "analytics_meta_site", a.meta.id),
  }),
  "POST /api/v1/analytics/meta-sites/:id/segments": s({
    action: "analytics.segment.created",
    about: "the new segment",
    arrange: siteAndMeta,
    act: (ctx, a) => call("POST", `/api/v1/analytics/meta-sites/${a.meta.id}/segments`, ctx.owner.cookie, { name: "Mobile", siteIds: [a.site.id] }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "analytics_segment", idIn(body, "segment")),
  }),
  "PATCH /api/v1/analytics/segments/:id": s({
    action: "analytics.segment.updated",
    about: "the segment",
    arrange: async (ctx) => {
      const { site, meta } = await siteAndMeta(ctx);
      return makeSegment(meta.id, [site.id]);
    },
    act: (ctx, segment) => call("PATCH", `/api/v1/analytics/segments/${segment.id}`, ctx.owner.cookie, { name: `Renamed ${newId()}` }),
    status: 200,
    expect: (ctx, segment) => byOwner(ctx, "analytics_segment", segment.id),
  }),
  "DELETE /api/v1/analytics/segments/:id": s({
    action: "analytics.segment.deleted",
    about: "the segment",
    arrange: async (ctx) => {
      const { site, meta } = await siteAndMeta(ctx);
      return makeSegment(meta.id, [site.id]);
    },
    act: (ctx, segment) => call("DELETE", `/api/v1/analytics/segments/${segment.id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, segment) => byOwner(ctx, "analytics_segment", segment.id),
  }),

  // ------------------------------------------------ analytics modules (F-44)
  "POST /api/v1/analytics/blocks": s({
    action: "analytics.block.created",
    about: "the new block",
    act: (ctx) => call("POST", "/api/v1/analytics/blocks", ctx.owner.cookie, { kind: "client", value: `bot-${newId().replace(/[^A-Za-z0-9]/g, "")}` }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "analytics_block", idIn(body, "block")),
  }),
  "DELETE /api/v1/analytics/blocks/:id": s({
    action: "analytics.block.removed",
    about: "the block",
    arrange: (ctx) => makeBlock(ctx.owner.user.orgId),
    act: (ctx, block) => call("DELETE", `/api/v1/analytics/blocks/${block.id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, block) => byOwner(ctx, "analytics_block", block.id),
  }),
  "DELETE /api/v1/analytics/sites/:id/data": s({
    action: "analytics.data.deleted",
    about: "the site",
    arrange: async (ctx) => {
      const site = await makeSite(ctx.owner.user.orgId);
      await seedStats(site.id, [{ day: "2024-03-01", visits: 3, events: 5 }]);
      return site;
    },
    act: (ctx, site) => call("DELETE", `/api/v1/analytics/sites/${site.id}/data?from=2024-03-01&to=2024-03-31`, ctx.owner.cookie),
    status: 200,
    expect: (ctx, site) => byOwner(ctx, "analytics_site", site.id),
  }),
  "PUT /api/v1/analytics/settings/developer": s({
    action: "analytics.settings.developer.changed",
    about: "the workspace's settings",
    act: (ctx) => call("PUT", "/api/v1/analytics/settings/developer", ctx.owner.cookie, { callHomeUrl: "https://example.com/callhome" }),
    status: 200,
    expect: (ctx) => byOwner(ctx, "analytics_settings", ctx.owner.user.orgId),
  }),
  "POST /api/v1/analytics/settings/developer/aes-key": s({
    action: AES_KEY_ACTION,
    about: "the workspace's settings",
    act: (ctx) => call("POST", "/api/v1/analytics/settings/developer/aes-key", ctx.owner.cookie),
    status: 201,
    expect: (ctx) => byOwner(ctx, "analytics_settings", ctx.owner.user.orgId),
  }),
  "PUT /api/v1/analytics/billing": s({
    action: "analytics.billing.changed",
    about: "the workspace's settings",
    act: (ctx) => call("PUT", "/api/v1/analytics/billing", ctx.owner.cookie, { billingName: "Acme GmbH", billingEmail: "billing@example.com", billingAddress: "Hauptstr. 1, Berlin" }),
    status: 200,
    expect: (ctx) => byOwner(ctx, "analytics_settings", ctx.owner.user.orgId),
  }),
  "POST /api/v1/analytics/license-keys": s({
    action: "analytics.license_key.created",
    about: "the new key",
    act: (ctx) => call("POST", "/api/v1/analytics/license-keys", ctx.owner.cookie, { key: `KEY-${newId().replace(/[^A-Za-z0-9]/g, "").slice(0, 12)}`, label: "Audit key" }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "analytics_license_key", idIn(body, "licenseKey")),
  }),
  "PATCH /api/v1/analytics/license-keys/:id": s({
    action: "analytics.license_key.changed",
    about: "the key",
    arrange: (ctx) => makeLicenseKey(ctx.owner.user.orgId),
    act: (ctx, key) => call("PATCH", `/api/v1/analytics/license-keys/${key.id}`, ctx.owner.cookie, { label: "Renamed key" }),
    status: 200,
    expect: (ctx, key) => byOwner(ctx, "analytics_license_key", key.id),
  }),
  "DELETE /api/v1/analytics/license-keys/:id": s({
    action: "analytics.license_key.deleted",
    about: "the key",
    arrange: (ctx) => makeLicenseKey(ctx.owner.user.orgId),
    act: (ctx, key) => call("DELETE", `/api/v1/analytics/license-keys/${key.id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, key) => byOwner(ctx, "analytics_license_key", key.id),
  }),
  "POST /api/v1/analytics/campaigns": s({
    action: "analytics.campaign.created",
    about: "the new campaign",
    act: (ctx) => call("POST", "/api/v1/analytics/campaigns", ctx.owner.cookie, { name: `Campaign ${newId()}`, message: "Update now" }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "analytics_campaign", idIn(body, "campaign")),
  }),
  "PATCH /api/v1/analytics/campaigns/:id": s({
    action: "analytics.campaign.changed",
    about: "the campaign",
    arrange: (ctx) => makeCampaign(ctx.owner.user.orgId),
    act: (ctx, campaign) => call("PATCH", `/api/v1/analytics/campaigns/${campaign.id}`, ctx.owner.cookie, { status: "active" }),
    status: 200,
    expect: (ctx, campaign) => byOwner(ctx, "analytics_campaign", campaign.id),
  }),
  "DELETE /api/v1/analytics/campaigns/:id": s({
    action: "analytics.campaign.deleted",
    about: "the campaign",
    arrange: (ctx) => makeCampaign(ctx.owner.user.orgId),
    act: (ctx, campaign) => call("DELETE", `/api/v1/analytics/campaigns/${campaign.id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, campaign) => byOwner(ctx, "analytics_campaign", campaign.id),
  }),

  // ------------------------------------------------ API tokens (F-52)
  "POST /api/v1/tokens": s({
    action: "api_token.created",
    about: "the new token",
    act: (ctx) => call("POST", "/api/v1/tokens", ctx.owner.cookie, { name: "Audit script" }),
    status: 201,
    expect: (ctx, _, body) => byOwner(ctx, "api_token", idIn(body, "token")),
  }),
  "DELETE /api/v1/tokens/:id": s({
    action: "api_token.revoked",
    about: "the token",
    arrange: async (ctx) => {
      const res = await call("POST", "/api/v1/tokens", ctx.owner.cookie, { name: "Short-lived" });
      expect(res.status, await res.clone().text()).toBe(201);
      return idIn(await res.json(), "token");
    },
    act: (ctx, id) => call("DELETE", `/api/v1/tokens/${id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, id) => byOwner(ctx, "api_token", id),
  }),

  // ------------------------------------------------ partner access (F-60…F-63)
  "POST /api/v1/partners": s({
    action: "partner_access.granted",
    about: "the partner organization, in the customer's log",
    arrange: async () => {
      const org = await makeChannelPartner();
      return { org, user: await colleague(org.id) };
    },
    act: (ctx, a) => call("POST", "/api/v1/partners", ctx.owner.cookie, { email: a.user.email }),
    status: 201,
    expect: (ctx, a) => byOwner(ctx, "partner_access", a.org.id),
  }),
  "PUT /api/v1/partners/:orgId": s({
    action: "partner_access.changed",
    about: "the partner organization, in the customer's log",
    arrange: grantedPartner,
    act: (ctx, a) => call("PUT", `/api/v1/partners/${a.org.id}`, ctx.owner.cookie, { userIds: [a.alice.id] }),
    status: 200,
    expect: (ctx, a) => byOwner(ctx, "partner_access", a.org.id),
  }),
  "DELETE /api/v1/partners/:orgId": s({
    action: "partner_access.removed",
    about: "the partner organization, in the customer's log",
    arrange: grantedPartner,
    act: (ctx, a) => call("DELETE", `/api/v1/partners/${a.org.id}`, ctx.owner.cookie),
    status: 204,
    expect: (ctx, a) => byOwner(ctx, "partner_access", a.org.id),
  }),
};

/** F-31: the add and end routes of every service kind, from the same SERVICE_KINDS the routes are registered from. */
function serviceScenarios(): AuditScenarios<Ctx> {
  const addBody = (kind: ServiceKind) =>
    kind === "domain" ? { domain: `${newId().toLowerCase().replace(/[^a-z0-9]/g, "x")}.example.com` } : kind === "eul_user" ? { email: uniqueEmail("eul"), name: "Eve User" } : { name: `Room ${newId()}` };
  return Object.fromEntries(
    SERVICE_KIND_KEYS.flatMap((kind) => {
      const { path, endVerb } = SERVICE_KINDS[kind];
      return [
        [
          `POST /api/v1/companies/:id/${path}`,
          s({
            action: "company_service.added",
            about: "the new service",
            arrange: (ctx) => makeCompany(ctx.manager.user.orgId),
            act: (ctx, company) => call("POST", `/api/v1/companies/${company.id}/${path}`, ctx.manager.cookie, addBody(kind)),
            status: 201,
            expect: (ctx, _, body) => byManager(ctx, "company_service", idIn(body, "item")),
          }),
        ],
        [
          `POST /api/v1/companies/:id/${path}/:itemId/${endVerb}`,
          s({
            action: "company_service.ended",
            about: "the service",
            arrange: async (ctx) => {
              const company = await makeCompany(ctx.manager.user.orgId);
              return { company, item: await makeService(company.id, kind) };
            },
            act: (ctx, a) => call("POST", `/api/v1/companies/${a.company.id}/${path}/${a.item.id}/${endVerb}`, ctx.manager.cookie),
            status: 200,
            expect: (ctx, a) => byManager(ctx, "company_service", a.item.id),
          }),
        ],
      ];
    }),
  );
}

// ---------------------------------------------------------------- the walk

describe("audit coverage of the JSON API (F-50)", () => {
  it("every state-changing API route has an audit scenario or an exemption with its reason", () => {
    const routes = stateChangingRoutes().filter(isApiRoute);
    const problems = coverageProblems(routes, [...Object.keys(FIRST_RUN), ...Object.keys(SCENARIOS)], EXEMPT);
    expect(problems.uncovered, "routes with no audit scenario and no exemption").toEqual([]);
    expect(problems.unknown, "scenarios or exemptions naming no registered route").toEqual([]);
    expect(problems.both, "routes both exempt and covered").toEqual([]);
    expect(problems.unexplained, "exemptions without a reason").toEqual([]);
  });
});

const scenarioTests = <Ctx>(table: AuditScenarios<Ctx>, ctx: () => Ctx) => {
  for (const [key, scenario] of Object.entries(table) as [string, AuditScenario<Ctx>][]) {
    it(scenarioTitle(key, scenario), async () => {
      let actIo: IoCount | undefined;
      await runAuditScenario(ctx(), {
        ...scenario,
        act: async (c, arranged) => {
          lastIo = undefined;
          const res = await scenario.act(c, arranged);
          actIo = lastIo;
          return res;
        },
      });
      if (!actIo) return; // acts that sign in through the fixtures' own helpers are not measured
      measuredWrites.set(key, actIo.d1);
      const d1Budget = WRITE_BUDGETS[key] ?? WRITE_BUDGET.d1;
      expect(actIo.kvReads, `${key}: KV reads`).toBeLessThanOrEqual(WRITE_BUDGET.kvReads);
      expect(actIo.d1, `${key}: D1 round trips\n  ${actIo.trips.map((t) => t.slice(0, 140)).join("\n  ")}`).toBeLessThanOrEqual(d1Budget);
    });
  }
};

// Declared first so it runs first: setup answers only while no account exists.
describe("first run", () => {
  scenarioTests(FIRST_RUN, () => undefined);
});

describe("every other state-changing API route writes its entry", () => {
  let ctx: Ctx;
  beforeAll(async () => {
    ctx = await makeCtx();
  });
  scenarioTests(SCENARIOS, () => ctx);
});

// Runs after the scenarios above (vitest keeps declaration order within a file).
describe("the write budget table", () => {
  it("lists only writes that were measured and still need exactly what it allows (a cheaper write must be struck off)", () => {
    const stale = Object.entries(WRITE_BUDGETS).filter(([key, budget]) => measuredWrites.get(key) !== budget);
    expect(stale.map(([key, budget]) => `${key}: allowed ${budget}, measured ${measuredWrites.get(key) ?? "nothing"}`)).toEqual([]);
  });
});
