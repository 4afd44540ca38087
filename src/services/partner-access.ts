// Partner access to a customer's insights (F-60…F-63, F-95): the customer
// organization's partners table, granting by email or by picking users of a
// channel partner, editing and removing. Every read of grants filters with
// grantHoldsSql(), so revoked access (F-64) is never shown or extended; every
// change writes its grants, audit row and mails in one batch.
import { and, eq, getTableColumns, sql, type AnyColumn, type SQL } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { aliased } from "../db/client";
import { organizations, outbox, partnerGrants, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { emailSchema, normalizeEmail } from "../domain/email";
import {
  canManagePartnerGrants,
  canViewPartnerGrants,
  EXPIRY_IN_PAST_MESSAGE,
  expiryInFuture,
  firstFailingGrantCheck,
  GRANT_CHECK_MESSAGES,
  grantHoldsSql,
  grantorVerified,
  parseExpiry,
  type GrantorFacts,
  type GrantTarget,
} from "../domain/partner-access";
import { chunk, insertChunks, MAX_BOUND_PARAMS } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { partnerAccessChangedMail, partnerAccessCopyMail, partnerAccessEndedMail, partnerAccessGrantedMail, expiryText, type PartnerAccessEvent } from "../../views/mail/partners";
import type { MailContent } from "../../views/mail/templates";
import { auditInsert } from "./audit";
import { deliverSoon, outboxRow } from "./outbox";

// ---------------------------------------------------------------- input

/** F-95: a date (YYYY-MM-DD) or ISO-8601 date-time; null = no end date. Whether it lies in the future is the service's check. */
export const expiresAtSchema = z
  .string({ error: "Enter a date as YYYY-MM-DD." })
  .max(40, "Enter a date as YYYY-MM-DD.")
  .transform((text, ctx) => {
    const ms = parseExpiry(text);
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: "Enter a date as YYYY-MM-DD (or an ISO-8601 date-time)." });
      return z.NEVER;
    }
    return ms;
  })
  .nullable();

/** At most this many users per request; the list travels as one JSON parameter, not one per id. */
export const MAX_PICKED_USERS = 200;
const userIds = z
  .array(z.string({ error: "Send user ids as strings." }).min(1).max(40), { error: "Send a list of user ids." })
  .max(MAX_PICKED_USERS, `Pick at most ${MAX_PICKED_USERS} users.`);

export const GrantPartnerInput = z
  .strictObject({
    email: emailSchema.optional(),
    orgId: z.string({ error: "Pick a partner organization." }).trim().min(1, "Pick a partner organization.").max(40).optional(),
    userIds: userIds.min(1, "Pick at least one user.").optional(),
    expiresAt: expiresAtSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.email !== undefined && (v.orgId !== undefined || v.userIds !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["email"], message: "Give either an email address, or an organization and its users, not both." });
    } else if (v.email === undefined && v.orgId === undefined && v.userIds === undefined) {
      ctx.addIssue({ code: "custom", path: ["email"], message: "Enter the partner's email address, or pick a partner organization." });
    } else if (v.email === undefined) {
      if (v.orgId === undefined) ctx.addIssue({ code: "custom", path: ["orgId"], message: "Pick a partner organization." });
      if (v.userIds === undefined) ctx.addIssue({ code: "custom", path: ["userIds"], message: "Pick at least one user." });
    }
  });
export type GrantPartnerInput = z.infer<typeof GrantPartnerInput>;

/** F-63: the partner organization's users who keep access (empty = remove all); expiresAt omitted keeps each kept user's end date. */
export const UpdatePartnerInput = z.strictObject({ userIds, expiresAt: expiresAtSchema.optional() });
export type UpdatePartnerInput = z.infer<typeof UpdatePartnerInput>;

const q = z.string().trim().max(120, "Use at most 120 characters.").optional();
export const ListPartnersInput = z.object({ q });
export const ListPartnerOrgsInput = z.object({ q });

// ---------------------------------------------------------------- shapes

export interface PartnerUser {
  id: string;
  name: string;
  email: string;
  expiresAt: string | null;
}
export interface PartnerEntry {
  org: { id: string; name: string };
  /** "Added users" (F-62): how many users of this partner organization have access. */
  addedUsers: number;
  users: PartnerUser[];
}

interface GrantRow {
  partnerOrgId: string;
  orgName: string;
  userId: string;
  userName: string;
  email: string;
  expiresAt: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const byEmail = (a: { email: string }, b: { email: string }) => a.email.localeCompare(b.email);

function groupByPartner(rows: GrantRow[]): PartnerEntry[] {
  const groups = new Map<string, PartnerEntry>();
  for (const r of rows) {
    const entry = groups.get(r.partnerOrgId) ?? { org: { id: r.partnerOrgId, name: r.orgName }, addedUsers: 0, users: [] };
    entry.users.push({ id: r.userId, name: r.userName, email: r.email, expiresAt: iso(r.expiresAt) });
    entry.addedUsers = entry.users.length;
    groups.set(r.partnerOrgId, entry);
  }
  return [...groups.values()];
}

/** A list of ids as one bound parameter (D1 allows 100 per statement). */
const inList = (column: AnyColumn | SQL, ids: readonly string[]) => sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

// ---------------------------------------------------------------- authorization

const notCustomer = () => new AppError("FORBIDDEN", "Partner access belongs to customer organizations; your organization grants none.");

function assertCanView(actor: Actor) {
  if (!canViewPartnerGrants(actor)) throw notCustomer();
}

function assertCanManage(actor: Actor) {
  assertCanView(actor);
  if (!canManagePartnerGrants(actor)) throw new AppError("FORBIDDEN", "Read-only users can see partner access but not change it.");
}

const partnerNotFound = () => new AppError("NOT_FOUND", "Partner not found.");

// ---------------------------------------------------------------- queries

/** Currently valid grants of one customer, with the partner user and organization; optionally of one partner organization. */
function validGrantsQuery(db: Db, customerOrgId: string, now: number, where?: SQL) {
  return db
    .select({
      partnerOrgId: partnerGrants.partnerOrgId,
      orgName: aliased<string>(organizations.name, "org_name"),
      userId: partnerGrants.partnerUserId,
      userName: aliased<string>(users.name, "user_name"),
      email: users.email,
      expiresAt: partnerGrants.expiresAt,
    })
    .from(partnerGrants)
    .innerJoin(users, eq(users.id, partnerGrants.partnerUserId))
    .innerJoin(organizations, eq(organizations.id, partnerGrants.partnerOrgId))
    .where(and(eq(partnerGrants.customerOrgId, customerOrgId), grantHoldsSql(now), where))
    .orderBy(sql`lower(${organizations.name})`, partnerGrants.partnerOrgId, users.email);
}

/** The granting account and its organization, re-read: F-61 judges the account as stored, not as the session remembers it. */
function grantorQuery(db: Db, actor: Actor) {
  return db
    .select({
      status: aliased<GrantorFacts["status"]>(users.status, "user_status"),
      privacyAcceptedAt: users.privacyAcceptedAt,
      totp: users.totpSecretEnc,
      name: aliased<string>(users.name, "user_name"),
      orgId: users.orgId,
      orgKind: organizations.kind,
      orgStatus: aliased<GrantorFacts["orgStatus"]>(organizations.status, "org_status"),
      orgName: aliased<string>(organizations.name, "org_name"),
    })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(eq(users.id, actor.id));
}

type GrantorRow = Awaited<ReturnType<typeof grantorQuery>>[number];
const grantorFacts = (g: GrantorRow | undefined): GrantorFacts =>
  g
    ? { status: g.status, privacyAccepted: g.privacyAcceptedAt !== null, twoFactorEnrolled: g.totp !== null, orgId: g.orgId, orgKind: g.orgKind, orgStatus: g.orgStatus }
    : // The account vanished between the session check and now (deleted): nothing about it is verified.
      { status: "deactivated", privacyAccepted: false, twoFactorEnrolled: false, orgId: "", orgKind: "customer", orgStatus: "terminated" };

/** The customer organization's active Partner Managers, who get a copy of every partner-access mail (F-95). */
const partnerManagersQuery = (db: Db, orgId: string) =>
  db
    .select({ email: users.email, name: users.name })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.role, "partner_manager"), eq(users.status, "active")));

/** An active channel-partner organization, by id. */
const channelPartnerWhere = (id?: string) =>
  and(eq(organizations.kind, "partner"), eq(organizations.status, "active"), eq(organizations.channelPartner, true), id === undefined ? undefined : eq(organizations.id, id));

/** Active users of a partner organization among `ids`. */
const activeUsersOf = (db: Db, orgId: string, ids: readonly string[]) =>
  db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.status, "active"), inList(users.id, ids)));

// ---------------------------------------------------------------- F-62 partners table

/** F-62: partner organizations with currently valid access, each with its users; `q` matches the organization's name or a user's email. */
export async function listPartners(deps: Deps, actor: Actor, input: z.infer<typeof ListPartnersInput>): Promise<{ items: PartnerEntry[] }> {
  assertCanView(actor);
  const now = deps.now();
  // An organization matches when its name or any of its granted users' email does; it is then listed with all its users.
  const matching = input.q
    ? sql`${partnerGrants.partnerOrgId} IN (${deps.db
        .select({ id: partnerGrants.partnerOrgId })
        .from(partnerGrants)
        .innerJoin(users, eq(users.id, partnerGrants.partnerUserId))
        .innerJoin(organizations, eq(organizations.id, partnerGrants.partnerOrgId))
        .where(and(eq(partnerGrants.customerOrgId, actor.orgId), grantHoldsSql(now), sql`(${contains(organizations.name, input.q)} OR ${contains(users.email, input.q)})`))})`
    : undefined;
  const rows = await validGrantsQuery(deps.db, actor.orgId, now, matching);
  return { items: groupByPartner(rows) };
}

/** One row of the partners table (for the edit page); 404 when the organization has no valid access. */
export async function getPartner(deps: Deps, actor: Actor, partnerOrgId: string): Promise<{ partner: PartnerEntry }> {
  assertCanView(actor);
  const rows = await validGrantsQuery(deps.db, actor.orgId, deps.now(), eq(partnerGrants.partnerOrgId, partnerOrgId));
  const [partner] = groupByPartner(rows);
  if (!partner) throw partnerNotFound();
  return { partner };
}

// ---------------------------------------------------------------- picking an organization (F-60, second mode)

/** Active channel-partner organizations to pick from. Nothing else is listed, so the picker reveals nothing else. */
export async function listPartnerOrganizations(deps: Deps, actor: Actor, input: z.infer<typeof ListPartnerOrgsInput>) {
  assertCanManage(actor);
  const items = await deps.db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(and(channelPartnerWhere(), input.q ? contains(organizations.name, input.q) : undefined))
    .orderBy(sql`lower(${organizations.name})`, organizations.id)
    .limit(50);
  return { items };
}

/** One active channel partner and its active users, as queries for one batch. */
const partnerOrgUsersQueries = (db: Db, partnerOrgId: string) =>
  [
    db.select({ id: organizations.id, name: organizations.name }).from(organizations).where(channelPartnerWhere(partnerOrgId)),
    db
      .select({ id: users.id, name: users.name, email: users.email })
      .from(users)
      .innerJoin(organizations, and(eq(organizations.id, users.orgId), channelPartnerWhere(partnerOrgId)))
      .where(and(eq(users.orgId, partnerOrgId), eq(users.status, "active")))
      .orderBy(sql`lower(${users.name})`, users.email)
      .limit(500),
  ] as const;

const partnerOrgNotFound = () => new AppError("NOT_FOUND", "Partner organization not found.");

/** The active users of one active channel partner, to tick; 404 for any other organization. */
export async function listPartnerOrganizationUsers(deps: Deps, actor: Actor, partnerOrgId: string) {
  assertCanManage(actor);
  const [[org], members] = await deps.db.batch(partnerOrgUsersQueries(deps.db, partnerOrgId));
  if (!org) throw partnerOrgNotFound();
  return { org, items: members };
}

/** The edit page (F-62): the partner's current grants and the users that can be ticked, in one round trip. */
export async function editPartnerPage(deps: Deps, actor: Actor, partnerOrgId: string) {
  assertCanManage(actor);
  const [grantRows, [org], members] = await deps.db.batch([
    validGrantsQuery(deps.db, actor.orgId, deps.now(), eq(partnerGrants.partnerOrgId, partnerOrgId)),
    ...partnerOrgUsersQueries(deps.db, partnerOrgId),
  ]);
  const [partner] = groupByPartner(grantRows);
  if (!partner) throw partnerNotFound();
  if (!org) throw partnerOrgNotFound();
  return { partner, users: members };
}

// ---------------------------------------------------------------- writes

type Recipient = { email: string; name: string };
interface Change {
  partnerOrg: { id: string; name: string };
  before: GrantRow[];
  after: GrantRow[];
  /** Grants to insert or update (their users get the "granted" or "changed" mail). */
  upserts: { userId: string; expiresAt: number | null }[];
  /** Users whose access this change ends; "all" deletes every row of this partner organization for the customer. */
  deletes: string[] | "all";
  mails: { to: string; mail: MailContent }[];
  action: "partner_access.granted" | "partner_access.changed" | "partner_access.removed";
}

const auditUsers = (rows: GrantRow[]) => ({ users: [...rows].sort(byEmail).map((r) => ({ id: r.userId, email: r.email, expiresAt: iso(r.expiresAt) })) });

const GRANT_COLUMNS = Object.keys(getTableColumns(partnerGrants)).length;

/**
 * The upsert of grant rows, chunked under D1's bound-parameter cap; the unique
 * index keeps one row per customer and user. A row that no longer held (not
 * yet swept by the cron) starts afresh, so "granted at" is this grant's.
 */
function upsertGrants(deps: Deps, actor: Actor, partnerOrgId: string, grants: Change["upserts"]) {
  const now = deps.now();
  const rows = grants.map((g) => ({
    id: newId(),
    customerOrgId: actor.orgId,
    partnerOrgId,
    partnerUserId: g.userId,
    grantedBy: actor.id,
    expiresAt: g.expiresAt,
    createdAt: now,
    updatedAt: now,
  }));
  return chunk(rows, Math.floor(MAX_BOUND_PARAMS / GRANT_COLUMNS)).map((part) =>
    deps.db
      .insert(partnerGrants)
      .values(part)
      .onConflictDoUpdate({
        target: [partnerGrants.customerOrgId, partnerGrants.partnerUserId],
        set: {
          partnerOrgId: sql`excluded.partner_org_id`,
          grantedBy: sql`excluded.granted_by`,
          expiresAt: sql`excluded.expires_at`,
          // Every SET expression sees the existing row, so this asks whether the old grant still held.
          createdAt: sql`CASE WHEN ${grantHoldsSql(now)} THEN ${partnerGrants.createdAt} ELSE excluded.created_at END`,
          updatedAt: now,
        },
      }),
  );
}

/** Grants, deletions, the audit row and every mail of one change: one atomic batch, then delivery. */
async function commit(deps: Deps, actor: Actor, change: Change) {
  const outboxRows = change.mails.map((m) => outboxRow(deps, m.to, m.mail));
  const deletes =
    change.deletes.length === 0
      ? []
      : [
          deps.db
            .delete(partnerGrants)
            .where(
              and(
                eq(partnerGrants.customerOrgId, actor.orgId),
                eq(partnerGrants.partnerOrgId, change.partnerOrg.id),
                change.deletes === "all" ? undefined : inList(partnerGrants.partnerUserId, change.deletes),
              ),
            ),
        ];
  await deps.db.batch([
    auditInsert(deps, {
      actorId: actor.id,
      orgId: actor.orgId,
      action: change.action,
      targetType: "partner_access",
      targetId: change.partnerOrg.id,
      before: { partnerOrg: change.partnerOrg, ...auditUsers(change.before) },
      after: { partnerOrg: change.partnerOrg, ...auditUsers(change.after) },
    }),
    ...upsertGrants(deps, actor, change.partnerOrg.id, change.upserts),
    ...deletes,
    ...insertChunks(deps.db, outbox, outboxRows),
  ]);
  deliverSoon(
    deps,
    outboxRows.map((r) => r.id),
  );
}

const toEntry = (partnerOrg: { id: string; name: string }, rows: GrantRow[]): PartnerEntry => ({
  org: partnerOrg,
  addedUsers: rows.length,
  users: [...rows].sort(byEmail).map((r) => ({ id: r.userId, name: r.userName, email: r.email, expiresAt: iso(r.expiresAt) })),
});

const copies = (deps: Deps, managers: Recipient[], p: { customerName: string; partnerOrgName: string; event: PartnerAccessEvent; users: string; actorName: string; detail?: string }) =>
  managers.map((m) => ({ to: m.email, mail: partnerAccessCopyMail({ appName: deps.config.appName, origin: deps.config.origin, name: m.name, ...p }) }));

function assertExpiryInFuture(deps: Deps, expiresAt: number | null | undefined) {
  if (expiresAt !== undefined && !expiryInFuture(expiresAt, deps.now())) throw validationError({ expiresAt: EXPIRY_IN_PAST_MESSAGE });
}

function throwCheckFailure(failure: NonNullable<ReturnType<typeof firstFailingGrantCheck>>): never {
  throw new AppError(failure.code, failure.message, failure.field ? { [failure.field]: failure.message } : undefined);
}

/**
 * F-60/F-61/F-95: grant partner access, by one partner user's email or by
 * picking users of a channel-partner organization. An organization already in
 * the table only gets these users added or their end date updated.
 */
export async function grantPartnerAccess(deps: Deps, actor: Actor, input: GrantPartnerInput) {
  assertCanManage(actor);
  assertExpiryInFuture(deps, input.expiresAt);
  const { db } = deps;
  const now = deps.now();
  const expiresAt = input.expiresAt ?? null;

  let partnerOrg: { id: string; name: string };
  let picked: { id: string; name: string; email: string }[];
  let grantor: GrantorRow | undefined;
  let managers: Recipient[];

  if (input.email !== undefined) {
    const [[g], [account], pms] = await db.batch([
      grantorQuery(db, actor),
      db
        .select({
          id: users.id,
          name: aliased<string>(users.name, "user_name"),
          email: users.email,
          status: aliased<GrantorFacts["status"]>(users.status, "user_status"),
          orgId: users.orgId,
          orgKind: organizations.kind,
          orgName: aliased<string>(organizations.name, "org_name"),
          orgStatus: aliased<GrantorFacts["orgStatus"]>(organizations.status, "org_status"),
          channelPartner: aliased<number>(organizations.channelPartner, "channel_partner"),
        })
        .from(users)
        .innerJoin(organizations, eq(organizations.id, users.orgId))
        .where(eq(users.email, normalizeEmail(input.email))),
      partnerManagersQuery(db, actor.orgId),
    ]);
    const target: GrantTarget = { mode: "email", account: account ? { ...account, channelPartner: Boolean(account.channelPartner) } : null };
    const failed = firstFailingGrantCheck(grantorFacts(g), target);
    if (failed) throwCheckFailure(failed);
    grantor = g;
    managers = pms;
    partnerOrg = { id: account!.orgId, name: account!.orgName };
    picked = [{ id: account!.id, name: account!.name, email: account!.email }];
  } else {
    const orgId = input.orgId!;
    const ids = [...new Set(input.userIds!)];
    const [[g], [org], members, pms] = await db.batch([
      grantorQuery(db, actor),
      db.select({ id: organizations.id, name: organizations.name, kind: organizations.kind, status: organizations.status, channelPartner: organizations.channelPartner }).from(organizations).where(eq(organizations.id, orgId)),
      activeUsersOf(db, orgId, ids),
      partnerManagersQuery(db, actor.orgId),
    ]);
    const failed = firstFailingGrantCheck(grantorFacts(g), { mode: "organization", org: org ? { ...org, channelPartner: Boolean(org.channelPartner) } : null });
    if (failed) throwCheckFailure(failed);
    if (members.length !== ids.length) throw validationError({ userIds: "Pick only users of this organization who have an active account." });
    grantor = g;
    managers = pms;
    partnerOrg = { id: org!.id, name: org!.name };
    picked = members;
  }

  const before = await validGrantsQuery(db, actor.orgId, now, eq(partnerGrants.partnerOrgId, partnerOrg.id));
  const pickedIds = new Set(picked.map((u) => u.id));
  const after: GrantRow[] = [
    ...before.filter((r) => !pickedIds.has(r.userId)),
    ...picked.map((u) => ({ partnerOrgId: partnerOrg.id, orgName: partnerOrg.name, userId: u.id, userName: u.name, email: u.email, expiresAt })),
  ];
  // A user who already has access gets the "changed" mail when the end date moves, and nothing when it does not.
  const old = new Map(before.map((r) => [r.userId, r]));
  const added = picked.filter((u) => !old.has(u.id));
  const moved = picked.filter((u) => old.has(u.id) && old.get(u.id)!.expiresAt !== expiresAt);
  if (!added.length && !moved.length) return { partner: { ...toEntry(partnerOrg, after), expiresAt: iso(expiresAt) } };

  const customerName = grantor!.orgName;
  const { appName, origin } = deps.config;
  const mails = [
    ...added.map((u) => ({ to: u.email, mail: partnerAccessGrantedMail({ appName, origin, name: u.name, customerName, grantorName: actor.name, expiresAt }) })),
    ...moved.map((u) => ({ to: u.email, mail: partnerAccessChangedMail({ appName, origin, name: u.name, customerName, expiresAt }) })),
    ...copies(deps, managers, {
      customerName,
      partnerOrgName: partnerOrg.name,
      event: "granted",
      users: [...added, ...moved].map((u) => u.email).join(", "),
      actorName: actor.name,
      detail: expiryText(expiresAt),
    }),
  ];
  await commit(deps, actor, {
    partnerOrg,
    before,
    after,
    upserts: [...added, ...moved].map((u) => ({ userId: u.id, expiresAt })),
    deletes: [],
    mails,
    action: "partner_access.granted",
  });
  return { partner: { ...toEntry(partnerOrg, after), expiresAt: iso(expiresAt) } };
}

/**
 * F-63: the users of one partner organization who keep access, as ticked.
 * Users added get the "granted" mail, users dropped the "ended" mail, kept
 * users whose end date moved the "changed" mail (F-95). An empty list removes
 * the organization.
 */
export async function updatePartnerAccess(deps: Deps, actor: Actor, partnerOrgId: string, input: UpdatePartnerInput) {
  assertCanManage(actor);
  if (!input.userIds.length) {
    await removePartnerAccess(deps, actor, partnerOrgId);
    return { partner: null };
  }
  assertExpiryInFuture(deps, input.expiresAt);
  const { db } = deps;
  const now = deps.now();
  const ids = [...new Set(input.userIds)];
  const [[g], before, members, pms] = await db.batch([
    grantorQuery(db, actor),
    validGrantsQuery(db, actor.orgId, now, eq(partnerGrants.partnerOrgId, partnerOrgId)),
    activeUsersOf(db, partnerOrgId, ids),
    partnerManagersQuery(db, actor.orgId),
  ]);
  // Adding users is granting: the same grantor check applies. The organization is a channel partner, or it has no valid grants (404).
  if (!grantorVerified(grantorFacts(g))) throw new AppError("GRANTOR_NOT_VERIFIED", GRANT_CHECK_MESSAGES.GRANTOR_NOT_VERIFIED);
  if (!before.length) throw partnerNotFound();
  if (members.length !== ids.length) throw validationError({ userIds: "Pick only users of this organization who have an active account." });

  const partnerOrg = { id: partnerOrgId, name: before[0]!.orgName };
  const old = new Map(before.map((r) => [r.userId, r]));
  const nextExpiry = (userId: string) => (input.expiresAt !== undefined ? input.expiresAt : (old.get(userId)?.expiresAt ?? null));
  const after: GrantRow[] = members.map((u) => ({ partnerOrgId, orgName: partnerOrg.name, userId: u.id, userName: u.name, email: u.email, expiresAt: nextExpiry(u.id) }));
  const added = after.filter((r) => !old.has(r.userId));
  const changed = after.filter((r) => old.has(r.userId) && old.get(r.userId)!.expiresAt !== r.expiresAt);
  const keep = new Set(ids);
  const removed = before.filter((r) => !keep.has(r.userId));
  if (!added.length && !changed.length && !removed.length) return { partner: toEntry(partnerOrg, after) };

  const customerName = g!.orgName;
  const { appName, origin } = deps.config;
  const summary = [
    added.length ? `Added: ${added.map((r) => r.email).join(", ")}.` : "",
    removed.length ? `Removed: ${removed.map((r) => r.email).join(", ")}.` : "",
    changed.length ? `New end date for: ${changed.map((r) => r.email).join(", ")}.` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const mails = [
    ...added.map((r) => ({ to: r.email, mail: partnerAccessGrantedMail({ appName, origin, name: r.userName, customerName, grantorName: actor.name, expiresAt: r.expiresAt }) })),
    ...changed.map((r) => ({ to: r.email, mail: partnerAccessChangedMail({ appName, origin, name: r.userName, customerName, expiresAt: r.expiresAt }) })),
    ...removed.map((r) => ({ to: r.email, mail: partnerAccessEndedMail({ appName, name: r.userName, customerName, reason: "removed" }) })),
    ...copies(deps, pms, { customerName, partnerOrgName: partnerOrg.name, event: "changed", users: summary, actorName: actor.name }),
  ];
  await commit(deps, actor, {
    partnerOrg,
    before,
    after,
    upserts: [...added, ...changed].map((r) => ({ userId: r.userId, expiresAt: r.expiresAt })),
    deletes: removed.map((r) => r.userId),
    mails,
    action: "partner_access.changed",
  });
  return { partner: toEntry(partnerOrg, after) };
}

/** F-63: remove every user of one partner organization; they and the Partner Managers are mailed. 404 when it has no valid access. */
export async function removePartnerAccess(deps: Deps, actor: Actor, partnerOrgId: string) {
  assertCanManage(actor);
  const { db } = deps;
  const [[g], before, pms] = await db.batch([
    grantorQuery(db, actor),
    validGrantsQuery(db, actor.orgId, deps.now(), eq(partnerGrants.partnerOrgId, partnerOrgId)),
    partnerManagersQuery(db, actor.orgId),
  ]);
  if (!before.length) throw partnerNotFound();
  const partnerOrg = { id: partnerOrgId, name: before[0]!.orgName };
  const customerName = g?.orgName ?? "";
  const mails = [
    ...before.map((r) => ({ to: r.email, mail: partnerAccessEndedMail({ appName: deps.config.appName, name: r.userName, customerName, reason: "removed" }) })),
    ...copies(deps, pms, { customerName, partnerOrgName: partnerOrg.name, event: "removed", users: before.map((r) => r.email).join(", "), actorName: actor.name }),
  ];
  // Every row of the pair goes, including ones that no longer hold and would otherwise wait for the cron.
  await commit(deps, actor, { partnerOrg, before, after: [], upserts: [], deletes: "all", mails, action: "partner_access.removed" });
}
