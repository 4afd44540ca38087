// Reading the audit log (F-50, F-96): one filter for the page, the JSON list
// and the streamed CSV export, tenant-scoped in the SQL; and the retention
// sweep the cron run calls. Rows are written by services/audit.ts.
import { and, asc, count, desc, eq, gte, lt, or, sql, type SQL } from "drizzle-orm";
import * as z from "../lib/zod";
import { aliased } from "../db/client";
import { auditEvents, organizations, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { auditActionLabel } from "../domain/audit-actions";
import { canReadAuditLog, isOperator } from "../domain/roles";
import { toCsv, toCsvRows } from "../lib/csv";
import { AppError } from "../lib/errors";
import { likePattern } from "../lib/search";
import { pageFields, pageOffset, pageOf } from "../lib/paging";
import { TARGET_JOINS, targetLabel } from "./audit-targets";

const DAY_MS = 86_400_000;

/** A form's empty field arrives as an empty string: no filter. */
const text = (max: number) => z.blankable(z.string().check(z.trim(), z.maxLength(max, `Use at most ${max} characters.`)));
const day = z.blankable(z.iso.date({ error: "Use a date like 2026-01-31." }));

export const ListAuditInput = z
  .object({
    /** The acting user's id or email. */
    actor: text(254),
    /** An exact action ("user.invited"), or a prefix ending in "." or "*" ("user."). */
    action: text(80),
    /** The target's id. */
    target: text(80),
    /** Inclusive UTC days. */
    from: day,
    to: day,
    ...pageFields({ size: 50 }),
    format: z.optional(z.enum(["json", "csv"])),
    /** Operators only: one organization's entries. */
    orgId: text(40),
  })
  .check(z.refine((f) => !f.from || !f.to || f.from <= f.to, { path: ["to"], message: "The end date is before the start date." }));
export type AuditFilter = z.infer<typeof ListAuditInput>;

export interface AuditItem {
  id: string;
  at: string;
  /** null for the system (cron); name "deleted user" when the account no longer exists. */
  actor: { id: string; name: string; email: string | null; deleted?: true } | null;
  orgId: string | null;
  action: string;
  /** What the log calls the action, in words (domain/audit-actions.ts); the code for an action no longer written. */
  actionLabel: string;
  targetType: string;
  targetId: string | null;
  /** What the target is called now ("Name (email)" for an account), when it still exists in the entry's organization. */
  targetLabel: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
}

/**
 * F-50: Partner Managers read their own organization's entries, operators
 * every organization's (or one, with orgId); everyone else is refused.
 * Returns the tenant condition, so it is always part of the SQL.
 */
function scopeFor(actor: Actor, orgId: string | undefined): SQL | undefined {
  if (!canReadAuditLog(actor)) throw new AppError("FORBIDDEN", "Only Partner Managers and operators can read the audit log.");
  if (isOperator(actor)) return orgId ? eq(auditEvents.orgId, orgId) : undefined;
  // A Partner Manager naming another organization learns nothing about it.
  if (orgId !== undefined && orgId !== actor.orgId) throw new AppError("NOT_FOUND", "Organization not found.");
  return eq(auditEvents.orgId, actor.orgId);
}

function actionCondition(action: string): SQL {
  const prefix = action.endsWith("*") ? action.slice(0, -1) : action.endsWith(".") ? action : null;
  if (prefix === null) return eq(auditEvents.action, action);
  // likePattern wraps in %…%; a prefix wants only the trailing one.
  return sql`${auditEvents.action} LIKE ${likePattern(prefix).slice(1)} ESCAPE '\\'`;
}

function auditWhere(actor: Actor, f: AuditFilter): SQL | undefined {
  const conditions: (SQL | undefined)[] = [scopeFor(actor, f.orgId)];
  if (f.actor) conditions.push(or(eq(auditEvents.actorId, f.actor), eq(users.email, f.actor.toLowerCase())));
  if (f.action) conditions.push(actionCondition(f.action));
  if (f.target) conditions.push(eq(auditEvents.targetId, f.target));
  if (f.from) conditions.push(gte(auditEvents.at, Date.parse(`${f.from}T00:00:00Z`)));
  if (f.to) conditions.push(lt(auditEvents.at, Date.parse(`${f.to}T00:00:00Z`) + DAY_MS));
  return and(...conditions);
}

/**
 * The joined user's columns are aliased: inside db.batch() D1 returns rows
 * keyed by column name, and users.id / users.org_id would overwrite the entry's.
 */
const columns = {
  id: auditEvents.id,
  at: auditEvents.at,
  actorId: auditEvents.actorId,
  orgId: auditEvents.orgId,
  action: auditEvents.action,
  targetType: auditEvents.targetType,
  targetId: auditEvents.targetId,
  before: auditEvents.before,
  after: auditEvents.after,
  ip: auditEvents.ip,
  actorRowId: aliased<string | null>(users.id, "actor_row_id"),
  actorName: aliased<string | null>(users.name, "actor_name"),
  actorEmail: aliased<string | null>(users.email, "actor_email"),
  targetLabel: targetLabel.as("target_label"),
};
type Row = {
  id: string;
  at: number;
  actorId: string | null;
  orgId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
  actorRowId: string | null;
  actorName: string | null;
  actorEmail: string | null;
  targetLabel: string | null;
};

const parseJson = (value: string | null): unknown => {
  if (value === null) return null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

function toItem(r: Row): AuditItem {
  const actor = r.actorId === null ? null : r.actorRowId === null ? { id: r.actorId, name: "deleted user", email: null, deleted: true as const } : { id: r.actorId, name: r.actorName ?? "", email: r.actorEmail };
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor,
    orgId: r.orgId,
    action: r.action,
    actionLabel: auditActionLabel(r.action),
    targetType: r.targetType,
    targetId: r.targetId,
    targetLabel: r.targetLabel,
    before: parseJson(r.before),
    after: parseJson(r.after),
    ip: r.ip,
  };
}

/** The entries with their actor, and their target's name as audit-targets.ts looks it up. */
function selectRows(deps: Deps, where: SQL | undefined) {
  let query = deps.db.select(columns).from(auditEvents).leftJoin(users, eq(users.id, auditEvents.actorId)).$dynamic();
  for (const join of TARGET_JOINS) query = query.leftJoin(join.table, join.on);
  return query.where(where);
}

/** F-50: one page of the audit log, newest first, with the total for the filter. */
export async function listAuditEvents(deps: Deps, actor: Actor, filter: AuditFilter) {
  const where = auditWhere(actor, filter);
  const [rows, [total]] = await deps.db.batch([
    selectRows(deps, where)
      .orderBy(desc(auditEvents.at), desc(auditEvents.id))
      .limit(filter.pageSize)
      .offset(pageOffset(filter)),
    deps.db.select({ n: count() }).from(auditEvents).leftJoin(users, eq(users.id, auditEvents.actorId)).where(where),
  ]);
  return { items: (rows as Row[]).map(toItem), page: pageOf(filter, total) };
}

export const AUDIT_CSV_HEADER = ["at", "actor_id", "actor_name", "actor_email", "org_id", "action", "target_type", "target_id", "before", "after", "ip"];
/** Rows per query of the export; each chunk is written to the stream before the next is read. */
export const AUDIT_EXPORT_CHUNK = 500;

const csvRow = (i: AuditItem) => [
  i.at,
  i.actor?.id ?? "",
  i.actor?.name ?? "system",
  i.actor?.email ?? "",
  i.orgId ?? "",
  i.action,
  i.targetType,
  i.targetId ?? "",
  i.before === null ? "" : JSON.stringify(i.before),
  i.after === null ? "" : JSON.stringify(i.after),
  i.ip ?? "",
];

/**
 * F-50, F-96: every entry of the filter as CSV, streamed. Rows are read in
 * chunks by keyset pagination on (at, id) — not OFFSET, which rescans — so
 * neither the Worker nor D1 holds the whole result, and an export has no row
 * limit. Authorization happens here, before the stream starts.
 */
export function streamAuditCsv(deps: Deps, actor: Actor, filter: AuditFilter, chunkSize = AUDIT_EXPORT_CHUNK): ReadableStream<Uint8Array> {
  const where = auditWhere(actor, filter);
  const encoder = new TextEncoder();
  let cursor: { at: number; id: string } | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const after = cursor && or(lt(auditEvents.at, cursor.at), and(eq(auditEvents.at, cursor.at), lt(auditEvents.id, cursor.id)));
      const rows = (await selectRows(deps, and(where, after ?? undefined))
        .orderBy(desc(auditEvents.at), desc(auditEvents.id))
        .limit(chunkSize)) as Row[];
      const items = rows.map(toItem).map(csvRow);
      const chunk = headerSent ? toCsvRows(items) : toCsv(AUDIT_CSV_HEADER, items);
      headerSent = true;
      if (chunk) controller.enqueue(encoder.encode(chunk));
      const last = rows.at(-1);
      if (rows.length < chunkSize || !last) controller.close();
      else cursor = { at: last.at, id: last.id };
    },
  });
}

/** Operators' organization filter: every organization, by name. */
export async function auditOrgOptions(deps: Deps, actor: Actor) {
  if (!isOperator(actor)) return [];
  return deps.db.select({ id: organizations.id, name: organizations.name }).from(organizations).orderBy(asc(organizations.name)).limit(1000);
}

/** Rows deleted per statement, and statements per run: bounded work, far below D1's per-invocation limits. */
export const RETENTION_CHUNK = 5_000;
export const RETENTION_MAX_ROUNDS = 20;

/**
 * F-96: deletes entries older than the retention setting, set-based in
 * bounded chunks (by rowid, using the (at) index); what is left over after
 * the last round goes on the next day's run. Returns how many were deleted.
 */
export async function purgeExpiredAuditEvents(deps: Deps): Promise<number> {
  const cutoff = deps.now() - deps.config.auditRetentionDays * DAY_MS;
  let deleted = 0;
  for (let round = 0; round < RETENTION_MAX_ROUNDS; round++) {
    const result = await deps.db.run(
      sql`DELETE FROM audit_events WHERE rowid IN (SELECT rowid FROM audit_events WHERE at < ${cutoff} LIMIT ${RETENTION_CHUNK})`,
    );
    const changes = result.meta.changes ?? 0;
    deleted += changes;
    if (changes < RETENTION_CHUNK) break;
  }
  return deleted;
}

