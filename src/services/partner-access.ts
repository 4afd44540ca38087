// Partner access to a customer's insights (F-60…F-63, F-95): the customer
// organization's partners table, granting by email or by picking users of a
// channel partner, editing and removing. Every read of grants filters with
// grantHoldsSql(), so revoked access (F-64) is never shown or extended; every
// change writes its grants, audit row and mails in one batch.
import { and, eq, sql, type AnyColumn, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import type { Db } from "../db/client";
import { aliased } from "../db/client";
import { organizations, outbox, partnerGrants, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { emailSchema, normalizeEmail } from "../domain/email";
import {
  canManagePartnerGrants,
  canViewPartnerGrants,
  channelPartnerAccountSql,
  channelPartnerOrgSql,
  EXPIRY_IN_PAST_MESSAGE,
  expiryInFuture,
  firstFailingGrantCheck,
  GRANT_CHECK_MESSAGES,
  grantHoldsSql,
  grantorVerified,
  grantorVerifiedSql,
  parseExpiry,
  type GrantorFacts,
  type GrantTarget,
} from "../domain/partner-access";
import { guardNot, isGuardAbort } from "../lib/batch";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/search";
import { jsonIso } from "../lib/sql-json";
import { partnerAccessChangedMail, partnerAccessCopyMail, partnerAccessEndedMail, partnerAccessGrantedMail, expiryText } from "../../views/mail/partners";
import { auditInsertSelect } from "./audit";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";
import { iso } from "../lib/iso-time";

// ---------------------------------------------------------------- input

/** F-95: a date (YYYY-MM-DD) or ISO-8601 date-time; null = no end date. Whether it lies in the future is the service's check. */
export const expiresAtSchema = z.nullable(
  z.pipe(
    z.string({ error: "Enter a date as YYYY-MM-DD." }).check(z.maxLength(40, "Enter a date as YYYY-MM-DD.")),
    z.transform((text, ctx) => {
      const ms = parseExpiry(text);
      if (ms === null) {
        z.addIssue(ctx, "Enter a date as YYYY-MM-DD (or an ISO-8601 date-time).");
        return z.NEVER;
      }
      return ms;
    }),
  ),
);

/** At most this many users per request; the list travels as one JSON parameter, not one per id. */
export const MAX_PICKED_USERS = 200;
const userIds = z
  .array(z.string({ error: "Send user ids as strings." }).check(z.minLength(1), z.maxLength(40)), { error: "Send a list of user ids." })
  .check(z.maxLength(MAX_PICKED_USERS, `Pick at most ${MAX_PICKED_USERS} users.`));

export const GrantPartnerInput = z
  .strictObject({
    email: z.optional(emailSchema),
    orgId: z.optional(z.string({ error: "Pick a partner organization." }).check(z.trim(), z.minLength(1, "Pick a partner organization."), z.maxLength(40))),
    userIds: z.optional(userIds.check(z.minLength(1, "Pick at least one user."))),
    expiresAt: z.optional(expiresAtSchema),
  })
  .check(
    z.superRefine((v, ctx) => {
      if (v.email !== undefined && (v.orgId !== undefined || v.userIds !== undefined)) {
        ctx.addIssue({ code: "custom", path: ["email"], message: "Give either an email address, or an organization and its users, not both." });
      } else if (v.email === undefined && v.orgId === undefined && v.userIds === undefined) {
        ctx.addIssue({ code: "custom", path: ["email"], message: "Enter the partner's email address, or pick a partner organization." });
      } else if (v.email === undefined) {
        if (v.orgId === undefined) ctx.addIssue({ code: "custom", path: ["orgId"], message: "Pick a partner organization." });
        if (v.userIds === undefined) ctx.addIssue({ code: "custom", path: ["userIds"], message: "Pick at least one user." });
      }
    }),
  );
export type GrantPartnerInput = z.infer<typeof GrantPartnerInput>;

/** F-63: the partner organization's users who keep access (empty = remove all); expiresAt omitted keeps each kept user's end date. */
export const UpdatePartnerInput = z.strictObject({ userIds, expiresAt: z.optional(expiresAtSchema) });
export type UpdatePartnerInput = z.infer<typeof UpdatePartnerInput>;

const q = z.optional(z.string().check(z.trim(), z.maxLength(120, "Use at most 120 characters.")));
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

const byEmail = (a: { email: string }, b: { email: string }) => a.email.localeCompare(b.email);

/**
 * byEmail's order in SQL, for lists SQLite builds (audit entries): a key that
 * sorts bytewise as localeCompare sorts addresses. emailSchema admits only
 * lower-cased letters, digits and _ - . ' @ + (after normalizeEmail), which
 * localeCompare puts in this order before the digits; each becomes a control
 * character in the same order, which no address contains.
 */
const EMAIL_PUNCTUATION_ORDER = ["_", "-", ".", "'", "@", "+"] as const;
export const byEmailSql = (email: SQL) =>
  EMAIL_PUNCTUATION_ORDER.reduce<SQL>((acc, c, i) => sql`replace(${acc}, ${c}, char(${i + 1}))`, email);

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
//
// Each change is one D1 batch and no read first (issue 9: two round trips with
// the session's): the F-61 checks are guards of the batch, and who is added,
// moved or removed is worked out by SQL over the grants as they are when the
// batch runs. The audit row and the mails are INSERT … SELECT statements placed
// ahead of the writes, so they see the grants before the change; the answer is
// read at the end of the same batch. When a guard aborts, the old reads explain
// the refusal with the same status, code and message.

const toEntry = (partnerOrg: { id: string; name: string }, rows: GrantRow[]): PartnerEntry => ({
  org: partnerOrg,
  addedUsers: rows.length,
  users: [...rows].sort(byEmail).map((r) => ({ id: r.userId, name: r.userName, email: r.email, expiresAt: iso(r.expiresAt) })),
});

function assertExpiryInFuture(deps: Deps, expiresAt: number | null | undefined) {
  if (expiresAt !== undefined && !expiryInFuture(expiresAt, deps.now())) throw validationError({ expiresAt: EXPIRY_IN_PAST_MESSAGE });
}

function throwCheckFailure(failure: NonNullable<ReturnType<typeof firstFailingGrantCheck>>): never {
  throw new AppError(failure.code, failure.message, failure.field ? { [failure.field]: failure.message } : undefined);
}

const changedMeanwhile = () => new AppError("CONFLICT", "Partner access was changed meanwhile. Reload and try again.");
const notPickable = () => validationError({ userIds: "Pick only users of this organization who have an active account." });

/** The users a change picks, named `pk`: a `FROM … WHERE …` clause, and the id a new grant row of pk gets. */
interface Picked {
  from: SQL;
  grantId: SQL;
}

const pickedByEmail = (email: string): Picked => ({ from: sql`FROM ${users} AS pk WHERE pk.email = ${email}`, grantId: sql`${newId()}` });

/** Active users of the organization among `ids` (one JSON parameter, each with the id its grant row would get). */
const pickedInOrg = (orgId: string, ids: readonly string[]): Picked => ({
  from: sql`FROM json_each(${JSON.stringify(ids.map((u) => ({ u, g: newId() })))}) AS pk_in
    JOIN ${users} AS pk ON pk.id = json_extract(pk_in.value, '$.u')
    WHERE pk.org_id = ${orgId} AND pk.status = 'active'`,
  grantId: sql`json_extract(pk_in.value, '$.g')`,
});

const pickedNobody: Picked = { from: sql`FROM ${users} AS pk WHERE 0`, grantId: sql`NULL` };

interface ChangeSpec {
  action: "partner_access.granted" | "partner_access.changed" | "partner_access.removed";
  /** The partner organization's id, as SQL (the email mode knows it only through the account). */
  partnerOrgId: SQL;
  picked: Picked;
  /** The end date every picked user gets; undefined keeps each kept user's (a user added then has none). */
  expiresAt: number | null | undefined;
  /** "others": the pair's users not picked lose access (an edit); "all": every row of the pair goes (a removal). */
  removes: "none" | "others" | "all";
  /** What the Partner Managers' copy lists. */
  copy: "granted" | "changed" | "removed";
}

/** Email addresses of `rows` (SQL selecting `email`), in address order, joined as the mails list them; NULL when none. */
const emailList = (rows: SQL) => sql`(SELECT group_concat(pl.email, ', ') FROM (${rows} ORDER BY email) AS pl)`;

/**
 * The statements of one change: the audit row and every mail (read from the
 * grants before the change), the upsert and the deletes, then the answer's
 * read. Nothing is written when nothing changes.
 */
function changeStatements(deps: Deps, actor: Actor, spec: ChangeSpec) {
  const { db } = deps;
  const { appName, origin } = deps.config;
  const now = deps.now();
  const customerName = actor.orgName;
  const P = spec.partnerOrgId;
  const { picked } = spec;
  const pickedIds = sql`SELECT pk.id ${picked.from}`;

  // The pair's grants that hold (the partners table's rows); `extra` narrows them.
  const pairGrant = (extra: SQL = sql`1`) =>
    sql`${partnerGrants.customerOrgId} = ${actor.orgId} AND ${partnerGrants.partnerOrgId} = ${P} AND ${grantHoldsSql(now)} AND ${extra}`;
  const heldBy = (userId: SQL, extra: SQL = sql`1`) =>
    sql`EXISTS (SELECT 1 FROM ${partnerGrants} WHERE ${pairGrant(sql`${partnerGrants.partnerUserId} = ${userId} AND ${extra}`)})`;
  const before = sql`FROM ${partnerGrants} JOIN ${users} AS pb ON pb.id = ${partnerGrants.partnerUserId} WHERE ${pairGrant()}`;

  // Who the change touches, as FROM … WHERE … clauses.
  const added = sql`${picked.from} AND NOT ${heldBy(sql`pk.id`)}`;
  const newExpiry = spec.expiresAt ?? null;
  const moved = spec.expiresAt === undefined ? null : sql`${picked.from} AND ${heldBy(sql`pk.id`, sql`${partnerGrants.expiresAt} IS NOT ${newExpiry}`)}`;
  const removed = spec.removes === "none" ? null : sql`${before} AND ${partnerGrants.partnerUserId} NOT IN (${pickedIds})`;
  const changes = sql`(${sql.join(
    [added, moved, removed].filter((c): c is SQL => c !== null).map((c) => sql`EXISTS (SELECT 1 ${c})`),
    sql` OR `,
  )})`;

  // The audit's user lists, as the partners table had them and has them after the change.
  const keptExpiry = spec.expiresAt === undefined ? sql`(SELECT ${partnerGrants.expiresAt} FROM ${partnerGrants} WHERE ${pairGrant(sql`${partnerGrants.partnerUserId} = pk.id`)})` : sql`${newExpiry}`;
  const afterRows = [
    sql`SELECT pk.id AS id, pk.email AS email, ${keptExpiry} AS exp ${picked.from}`,
    ...(spec.removes === "none" ? [sql`SELECT pb.id, pb.email, ${partnerGrants.expiresAt} ${before} AND ${partnerGrants.partnerUserId} NOT IN (${pickedIds})`] : []),
  ];
  // In byEmail's order, as auditUsers() sorted them.
  const usersJson = (rows: SQL) =>
    sql`json((SELECT json_group_array(json_object('id', pu.id, 'email', pu.email, 'expiresAt', ${jsonIso(sql`pu.exp`)}))
      FROM (SELECT * FROM (${rows}) AS pr ORDER BY ${byEmailSql(sql`pr.email`)}) AS pu))`;
  const orgName = sql`(SELECT po.name FROM ${organizations} AS po WHERE po.id = ${P})`;
  const partnerOrgJson = sql`json_object('id', ${P}, 'name', ${orgName})`;
  const audit = auditInsertSelect(
    deps,
    {
      actorId: actor.id,
      orgId: actor.orgId,
      action: spec.action,
      targetType: "partner_access",
      targetId: P,
      before: sql`json_object('partnerOrg', ${partnerOrgJson}, 'users', ${usersJson(sql`SELECT pb.id AS id, pb.email AS email, ${partnerGrants.expiresAt} AS exp ${before}`)})`,
      after: sql`json_object('partnerOrg', ${partnerOrgJson}, 'users', ${usersJson(sql.join(afterRows, sql` UNION ALL `))})`,
    },
    sql`WHERE ${changes}`,
  );

  // Mails to the partner users, in address order.
  const mails = [
    outboxInsertSelect(
      deps,
      { to: sql`pk.email`, ...filledMail(partnerAccessGrantedMail({ appName, origin, name: slot("name"), customerName, grantorName: actor.name, expiresAt: newExpiry }), [["name", sql`pk.name`]]) },
      sql`${added} ORDER BY pk.email`,
    ),
    ...(moved
      ? [
          outboxInsertSelect(
            deps,
            { to: sql`pk.email`, ...filledMail(partnerAccessChangedMail({ appName, origin, name: slot("name"), customerName, expiresAt: newExpiry }), [["name", sql`pk.name`]]) },
            sql`${moved} ORDER BY pk.email`,
          ),
        ]
      : []),
    ...(removed
      ? [
          outboxInsertSelect(
            deps,
            { to: sql`pb.email`, ...filledMail(partnerAccessEndedMail({ appName, name: slot("name"), customerName, reason: "removed" }), [["name", sql`pb.name`]]) },
            sql`${removed} ORDER BY pb.email`,
          ),
        ]
      : []),
  ];

  // The copy for the customer's Partner Managers, with what changed.
  const emailsOf = (clause: SQL | null, alias: "pk" | "pb") => (clause ? emailList(sql`SELECT ${sql.raw(alias)}.email AS email ${clause}`) : sql`NULL`);
  let listed: SQL;
  if (spec.copy === "granted") {
    // The added users, then those whose end date moved.
    listed = sql`(SELECT group_concat(pl.email, ', ') FROM (SELECT pk.email AS email, 0 AS k ${added}${moved ? sql` UNION ALL SELECT pk.email, 1 ${moved}` : sql``} ORDER BY k, email) AS pl)`;
  } else if (spec.copy === "changed") {
    const part = (label: string, list: SQL) => sql`coalesce(${label} || ${list} || '.', '')`;
    listed = sql`nullif(substr(${part(" Added: ", emailsOf(added, "pk"))} || ${part(" Removed: ", emailsOf(removed, "pb"))} || ${part(" New end date for: ", emailsOf(moved, "pk"))}, 2), '')`;
  } else {
    listed = emailsOf(sql`${before}`, "pb");
  }
  const copyTemplate = partnerAccessCopyMail({
    appName,
    origin,
    name: slot("name"),
    customerName,
    partnerOrgName: slot("partner"),
    event: spec.copy,
    users: slot("users"),
    actorName: actor.name,
    ...(spec.copy === "granted" ? { detail: expiryText(newExpiry) } : {}),
  });
  const copies = outboxInsertSelect(
    deps,
    { to: sql`pm.email`, ...filledMail(copyTemplate, [["users", sql`pv.listed`], ["partner", sql`pv.partner`], ["name", sql`pm.name`]]) },
    sql`FROM (SELECT ${listed} AS listed, ${orgName} AS partner) AS pv
      JOIN ${users} AS pm ON pm.org_id = ${actor.orgId} AND pm.role = 'partner_manager' AND pm.status = 'active'
      WHERE pv.listed IS NOT NULL ORDER BY pm.email`,
  );

  // The grants of the added and moved users; a row that no longer held (not yet swept by the cron) starts afresh.
  const upsert = db
    .insert(partnerGrants)
    .select(
      sql`SELECT ${picked.grantId}, ${actor.orgId}, ${P}, pk.id, ${actor.id}, ${newExpiry}, ${now}, ${now}
        ${picked.from} AND (NOT ${heldBy(sql`pk.id`)}${moved ? sql` OR ${heldBy(sql`pk.id`, sql`${partnerGrants.expiresAt} IS NOT ${newExpiry}`)}` : sql``})`,
    )
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
    });
  const pairOnly = and(eq(partnerGrants.customerOrgId, actor.orgId), sql`${partnerGrants.partnerOrgId} = ${P}`);
  const deletes =
    spec.removes === "none"
      ? []
      : spec.removes === "all"
        ? // Every row of the pair goes, including ones that no longer hold and would otherwise wait for the cron.
          [db.delete(partnerGrants).where(pairOnly)]
        : [db.delete(partnerGrants).where(and(pairOnly, grantHoldsSql(now), sql`${partnerGrants.partnerUserId} NOT IN (${pickedIds})`))];

  return {
    audit,
    mails: [...mails, copies].map((m) => m.returning({ id: outbox.id })),
    writes: [...(spec.removes === "all" ? [] : [upsert]), ...deletes],
    answer: validGrantsQuery(db, actor.orgId, now, sql`${partnerGrants.partnerOrgId} = ${P}`),
  };
}

/** Runs a change's statements after its guards, delivers its mails, and gives the partner's rows after it. */
async function commitChange(deps: Deps, actor: Actor, guards: ReturnType<typeof guardNot>[], spec: ChangeSpec): Promise<GrantRow[]> {
  const s = changeStatements(deps, actor, spec);
  const results = (await deps.db.batch([...guards, s.audit, ...s.mails, ...s.writes, s.answer] as unknown as Parameters<typeof deps.db.batch>[0])) as unknown as unknown[];
  const mailRows = results.slice(guards.length + 1, guards.length + 1 + s.mails.length) as { id: string }[][];
  deliverSoon(
    deps,
    mailRows.flat().map((m) => m.id),
  );
  return results[results.length - 1] as GrantRow[];
}

/** The granting account's F-61 check, as a guard. */
const grantorGuard = (deps: Deps, actor: Actor) => guardNot(deps.db, sql`NOT ${grantorVerifiedSql(actor.id)}`);

/**
 * F-60/F-61/F-95: grant partner access, by one partner user's email or by
 * picking users of a channel-partner organization. An organization already in
 * the table only gets these users added or their end date updated.
 */
export async function grantPartnerAccess(deps: Deps, actor: Actor, input: GrantPartnerInput) {
  assertCanManage(actor);
  assertExpiryInFuture(deps, input.expiresAt);
  const { db } = deps;
  const expiresAt = input.expiresAt ?? null;
  const email = input.email === undefined ? undefined : normalizeEmail(input.email);
  const ids = [...new Set(input.userIds ?? [])];
  const orgId = input.orgId!;

  const guards =
    email !== undefined
      ? [grantorGuard(deps, actor), guardNot(db, sql`NOT ${channelPartnerAccountSql(email, actor.orgId)}`)]
      : [
          grantorGuard(deps, actor),
          guardNot(db, sql`NOT ${channelPartnerOrgSql(orgId, actor.orgId)}`),
          guardNot(db, sql`(SELECT count(*) ${pickedInOrg(orgId, ids).from}) <> ${ids.length}`),
        ];
  let rows: GrantRow[];
  try {
    rows = await commitChange(deps, actor, guards, {
      action: "partner_access.granted",
      partnerOrgId: email !== undefined ? sql`(SELECT pe.org_id FROM ${users} AS pe WHERE pe.email = ${email})` : sql`${orgId}`,
      picked: email !== undefined ? pickedByEmail(email) : pickedInOrg(orgId, ids),
      expiresAt,
      removes: "none",
      copy: "granted",
    });
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    throw await grantRefusal(deps, actor, input);
  }
  const partnerOrg = { id: rows[0]!.partnerOrgId, name: rows[0]!.orgName };
  return { partner: { ...toEntry(partnerOrg, rows), expiresAt: iso(expiresAt) } };
}

/** Why a grant was refused, from the facts as stored (the F-61 checks in their order); 409 when they now pass. */
async function grantRefusal(deps: Deps, actor: Actor, input: GrantPartnerInput) {
  const { db } = deps;
  if (input.email !== undefined) {
    const [[g], [account]] = await db.batch([
      grantorQuery(db, actor),
      db
        .select({
          status: aliased<GrantorFacts["status"]>(users.status, "user_status"),
          orgId: users.orgId,
          orgKind: organizations.kind,
          orgStatus: aliased<GrantorFacts["orgStatus"]>(organizations.status, "org_status"),
          channelPartner: aliased<number>(organizations.channelPartner, "channel_partner"),
        })
        .from(users)
        .innerJoin(organizations, eq(organizations.id, users.orgId))
        .where(eq(users.email, normalizeEmail(input.email))),
    ]);
    const target: GrantTarget = { mode: "email", account: account ? { ...account, channelPartner: Boolean(account.channelPartner) } : null };
    const failed = firstFailingGrantCheck(grantorFacts(g), target);
    if (failed) throwCheckFailure(failed);
    return changedMeanwhile();
  }
  const orgId = input.orgId!;
  const ids = [...new Set(input.userIds!)];
  const [[g], [org], members] = await db.batch([
    grantorQuery(db, actor),
    db.select({ id: organizations.id, name: organizations.name, kind: organizations.kind, status: organizations.status, channelPartner: organizations.channelPartner }).from(organizations).where(eq(organizations.id, orgId)),
    activeUsersOf(db, orgId, ids),
  ]);
  const failed = firstFailingGrantCheck(grantorFacts(g), { mode: "organization", org: org ? { ...org, channelPartner: Boolean(org.channelPartner) } : null });
  if (failed) throwCheckFailure(failed);
  if (members.length !== ids.length) return notPickable();
  return changedMeanwhile();
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
  const picked = pickedInOrg(partnerOrgId, ids);
  let rows: GrantRow[];
  try {
    rows = await commitChange(
      deps,
      actor,
      [
        // Adding users is granting: the same grantor check applies. The organization is a channel partner, or it has no valid grants (404).
        grantorGuard(deps, actor),
        guardNot(db, sql`NOT EXISTS (SELECT 1 FROM ${partnerGrants} WHERE ${and(eq(partnerGrants.customerOrgId, actor.orgId), eq(partnerGrants.partnerOrgId, partnerOrgId), grantHoldsSql(now))})`),
        guardNot(db, sql`(SELECT count(*) ${picked.from}) <> ${ids.length}`),
      ],
      { action: "partner_access.changed", partnerOrgId: sql`${partnerOrgId}`, picked, expiresAt: input.expiresAt, removes: "others", copy: "changed" },
    );
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const [[g], before, members] = await db.batch([
      grantorQuery(db, actor),
      validGrantsQuery(db, actor.orgId, now, eq(partnerGrants.partnerOrgId, partnerOrgId)),
      activeUsersOf(db, partnerOrgId, ids),
    ]);
    if (!grantorVerified(grantorFacts(g))) throw new AppError("GRANTOR_NOT_VERIFIED", GRANT_CHECK_MESSAGES.GRANTOR_NOT_VERIFIED);
    if (!before.length) throw partnerNotFound();
    if (members.length !== ids.length) throw notPickable();
    throw changedMeanwhile();
  }
  return { partner: toEntry({ id: partnerOrgId, name: rows[0]!.orgName }, rows) };
}

/** F-63: remove every user of one partner organization; they and the Partner Managers are mailed. 404 when it has no valid access. */
export async function removePartnerAccess(deps: Deps, actor: Actor, partnerOrgId: string) {
  assertCanManage(actor);
  const { db } = deps;
  const now = deps.now();
  const validOfPair = and(eq(partnerGrants.customerOrgId, actor.orgId), eq(partnerGrants.partnerOrgId, partnerOrgId), grantHoldsSql(now));
  try {
    await commitChange(deps, actor, [guardNot(db, sql`NOT EXISTS (SELECT 1 FROM ${partnerGrants} WHERE ${validOfPair})`)], {
      action: "partner_access.removed",
      partnerOrgId: sql`${partnerOrgId}`,
      picked: pickedNobody,
      expiresAt: undefined,
      removes: "all",
      copy: "removed",
    });
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    // No valid access (or none left: removed by a concurrent request).
    throw partnerNotFound();
  }
}
