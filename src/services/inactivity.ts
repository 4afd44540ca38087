// The inactivity sweep (F-70) and "keep my account" (F-94).
//
// An account's activity is COALESCE(last_activity_at, last_login_at, created_at)
// (ACTIVITY_SQL, indexed with status). A sign-in, the keep link and a
// reactivation set last_activity_at and clear the reminder.
//
// The sweep is set-based: every step is an UPDATE / INSERT … SELECT over at
// most CHUNK accounts, each chunk one atomic D1 batch, so the work per account
// is done by SQLite and the number of statements grows with accounts / CHUNK.
// Idempotent: a reminded account is no longer a reminder candidate, a
// deactivated one no longer a deactivation candidate.
//
// The "keep my account" link is signed, not stored: HMAC(PEPPER, user id +
// reminder time). Using it clears the reminder time, so the same link can
// never verify again (single use) and nothing secret sits in D1.
import { and, eq, sql, type SQL } from "drizzle-orm";
import { ACTIVITY_SQL, activitySqlOf, auditEvents, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { AppError } from "../lib/errors";
import { hmacSha256, timingSafeEqual } from "../lib/crypto";
import { toBase64Url } from "../lib/encoding";
import { guardChanged, isGuardAbort } from "../lib/batch";
import { auditInsert } from "./audit";
import { outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";
import { deactivatedMail, inactivityReminderMail } from "../../views/mail/templates";

export const DAY_MS = 86_400_000;
export const REMIND_AFTER_MS = 150 * DAY_MS;
export const DEACTIVATE_AFTER_REMINDER_MS = 30 * DAY_MS;
/**
 * Accounts per chunk: one statement writes at most this many rows (D1 caps a
 * query at 30 s, not rows). At 10,000 a sweep over 100,000 accounts stays
 * within 3 × (10 + 2) = 36 statements even if every account is due
 * (reminded + deactivated ≤ accounts; each loop ends with one short chunk).
 */
export const SWEEP_CHUNK = 10_000;
/**
 * Reminders per chunk: each carries its own signed link computed in the
 * Worker and sent to D1 as one JSON parameter (~75 bytes an account, so
 * ~750 KB at 10,000, under D1's 2 MB limit for a value).
 */
export const REMINDER_CHUNK = 10_000;

const activity = sql.raw(ACTIVITY_SQL);

/** Active, not yet reminded, inactive since `cutoff` or earlier. */
const remindable = (cutoff: number): SQL =>
  sql`${users.status} = 'active' AND ${users.inactivityRemindedAt} IS NULL AND ${activity} <= ${cutoff}`;

const NEWER = "newer_operator";
const newer = sql.identifier(NEWER);
const activityOfNewer = sql.raw(activitySqlOf(NEWER));
const activityOfUser = sql.raw(activitySqlOf("users"));
/**
 * The vendor's most recently active operator (ties: the greater id). The sweep
 * never deactivates that account: with every operator deactivated nobody could
 * sign in to reactivate anyone, and /setup is closed once an account exists.
 * The operators' accounts are found through users_org_idx.
 */
const lastOperatorStanding = sql`${users.role} = 'operator' AND NOT EXISTS (
  SELECT 1 FROM ${users} AS ${newer}
  WHERE ${newer}.org_id = ${users.orgId} AND ${newer}.status = 'active' AND ${newer}.role = 'operator' AND ${newer}.id <> ${users.id}
    AND (${activityOfNewer} > ${activityOfUser} OR (${activityOfNewer} = ${activityOfUser} AND ${newer}.id > ${users.id})))`;

/** Active, reminded at `cutoff` or earlier, no activity since the reminder, and not the last operator standing. */
const deactivatable = (cutoff: number): SQL =>
  sql`${users.status} = 'active' AND ${users.inactivityRemindedAt} <= ${cutoff} AND ${activity} < ${users.inactivityRemindedAt} AND NOT (${lastOperatorStanding})`;

const newSqlId = sql`lower(hex(randomblob(12)))`;

/** F-94: the keep link's signature binds the account to the reminder it answers. */
export async function keepLinkToken(pepper: string, userId: string, remindedAt: number): Promise<string> {
  return toBase64Url(await hmacSha256(pepper, `keep-account:${userId}:${remindedAt}`));
}

export interface SweepResult {
  reminded: number;
  deactivated: number;
  /** D1 statements the sweep issued (each statement of a batch counts). */
  statements: number;
}

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function sweepInactiveAccounts(deps: Deps): Promise<SweepResult> {
  const now = deps.now();
  const { db, config } = deps;
  const result: SweepResult = { reminded: 0, deactivated: 0, statements: 0 };

  // (a) Reminders. Each chunk: read up to REMINDER_CHUNK candidate ids, sign
  // their links here, then one batch marks them (re-checking the predicate, so
  // a sign-in in between wins) and mails exactly the rows it marked.
  const reminder = inactivityReminderMail({
    appName: config.appName,
    name: slot("name"),
    url: `${config.origin}/keep-account?u=${slot("uid")}&t=${slot("token")}`,
    deactivatesOn: utcDay(now + DEACTIVATE_AFTER_REMINDER_MS),
  });
  const pepper = config.secret("PEPPER");
  const cutoff = now - REMIND_AFTER_MS;
  for (;;) {
    // In index order (users_reminder_idx), not sorted: sorting every candidate per chunk made the sweep superlinear.
    const candidates = await db.select({ id: users.id }).from(users).where(remindable(cutoff)).limit(REMINDER_CHUNK);
    result.statements += 1;
    if (!candidates.length) break;
    const links = JSON.stringify(await Promise.all(candidates.map(async ({ id }) => ({ i: id, t: await keepLinkToken(pepper, id, now) }))));
    const chunk = sql`SELECT json_extract(value, '$.i') FROM json_each(${links})`;
    // CROSS JOIN keeps the JSON as the outer loop (primary-key lookups into users); the planner cannot
    // size json_each and would otherwise scan the JSON once per account.
    const token = sql`json_extract(link.value, '$.t')`;
    const [mark] = await db.batch([
      db.update(users).set({ inactivityRemindedAt: now }).where(sql`${users.id} IN (${chunk}) AND ${remindable(cutoff)}`),
      outboxInsertSelect(
        deps,
        { to: sql`${users.email}`, ...filledMail(reminder, [["uid", sql`${users.id}`], ["token", token], ["name", sql`${users.name}`]]) },
        sql`FROM json_each(${links}) AS link CROSS JOIN ${users} ON ${users.id} = json_extract(link.value, '$.i')
          WHERE ${users.status} = 'active' AND ${users.inactivityRemindedAt} = ${now}`,
      ),
    ]);
    result.statements += 2;
    result.reminded += mark.meta.changes;
    if (candidates.length < REMINDER_CHUNK) break;
  }

  // (b) Deactivations. Mail and audit rows are inserted for the first CHUNK
  // candidates (ordered by id, so the set is exact), then the same subquery is
  // updated: the batch is one transaction and the inserts do not touch users.
  const goodbye = deactivatedMail({ appName: config.appName, name: slot("name") });
  const chunkIds = sql`SELECT ${users.id} FROM ${users} WHERE ${deactivatable(now - DEACTIVATE_AFTER_REMINDER_MS)} ORDER BY ${users.id} LIMIT ${SWEEP_CHUNK}`;
  for (;;) {
    const [, , update] = await db.batch([
      outboxInsertSelect(
        deps,
        { to: sql`${users.email}`, ...filledMail(goodbye, [["name", sql`${users.name}`]]) },
        sql`FROM ${users} WHERE ${users.id} IN (${chunkIds})`,
      ),
      db.insert(auditEvents).select(
        sql`SELECT ${newSqlId}, ${now}, NULL, ${users.orgId}, 'user.deactivated_inactive', 'user', ${users.id},
          json_object('status', ${users.status}, 'analyticsAccess', ${users.analyticsAccess}, 'inactivityRemindedAt', ${users.inactivityRemindedAt}),
          '{"status":"deactivated","analyticsAccess":"N"}', NULL
          FROM ${users} WHERE ${users.id} IN (${chunkIds})`,
      ),
      db
        .update(users)
        .set({ status: "deactivated", analyticsAccess: "N", sessionsValidAfter: now, updatedAt: now })
        .where(sql`${users.id} IN (${chunkIds})`),
    ]);
    result.statements += 3;
    const changed = update.meta.changes;
    result.deactivated += changed;
    if (changed < SWEEP_CHUNK) break;
  }
  return result;
}

export interface InactivityForecastRow {
  id: string;
  email: string;
  name: string;
  role: string;
  lastActivityAt: string;
  /** "reminder": the reminder goes out on `on`; "deactivation": the account is deactivated on `on`. */
  action: "reminder" | "deactivation";
  on: string;
}

/**
 * F-94 dry run: the sweep's predicates evaluated at now + 30 days, for one
 * organization. Dates are when each step becomes due (the daily run after).
 */
export async function inactivityForecast(deps: Deps, actor: Actor): Promise<{ items: InactivityForecastRow[] }> {
  if (actor.role !== "partner_manager" && actor.role !== "operator") {
    throw new AppError("FORBIDDEN", "Only Partner Managers see who will be reminded or deactivated.");
  }
  const orgId = actor.orgId;
  const now = deps.now();
  const horizon = now + 30 * DAY_MS;
  const rows = await deps.db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      activity: sql<number>`${activity}`.as("activity"),
      remindedAt: users.inactivityRemindedAt,
    })
    .from(users)
    .where(
      and(
        eq(users.orgId, orgId),
        sql`((${remindable(horizon - REMIND_AFTER_MS)}) OR (${deactivatable(horizon - DEACTIVATE_AFTER_REMINDER_MS)}))`,
      ),
    )
    .orderBy(sql`${activity}`, users.email)
    .limit(1000);
  const items = rows.map((r): InactivityForecastRow => {
    const due = r.remindedAt === null ? r.activity + REMIND_AFTER_MS : r.remindedAt + DEACTIVATE_AFTER_REMINDER_MS;
    return {
      id: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      lastActivityAt: new Date(r.activity).toISOString(),
      action: r.remindedAt === null ? "reminder" : "deactivation",
      on: utcDay(Math.max(due, now)),
    };
  });
  return { items };
}

/**
 * F-94: the reminder's link. Counts as activity without a sign-in; single use,
 * because the compare-and-swap clears the reminder time the signature covers.
 */
export async function keepAccount(deps: Deps, userId: string, token: string) {
  const refused = new AppError("BAD_REQUEST", "This link is not valid or was already used. Sign in to keep your account.");
  if (!userId || !token || token.length > 100) throw refused;
  const [user] = await deps.db
    .select({ id: users.id, orgId: users.orgId, remindedAt: users.inactivityRemindedAt })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.status, "active")));
  if (user?.remindedAt == null) throw refused;
  const expected = await keepLinkToken(deps.config.secret("PEPPER"), user.id, user.remindedAt);
  if (!timingSafeEqual(expected, token)) throw refused;
  const now = deps.now();
  try {
    await deps.db.batch([
      deps.db
        .update(users)
        .set({ inactivityRemindedAt: null, lastActivityAt: now, updatedAt: now })
        .where(and(eq(users.id, user.id), eq(users.status, "active"), eq(users.inactivityRemindedAt, user.remindedAt))),
      guardChanged(deps.db),
      auditInsert(deps, {
        actorId: user.id,
        orgId: user.orgId,
        action: "user.kept_active",
        targetType: "user",
        targetId: user.id,
        before: { inactivityRemindedAt: user.remindedAt },
      }),
    ]);
  } catch (e) {
    if (isGuardAbort(e)) throw refused;
    throw e;
  }
}
