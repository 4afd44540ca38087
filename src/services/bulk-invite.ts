// F-92 bulk invite: a preview that writes nothing, then one batch that
// invites every valid row (accounts in chunks; invitations, mails and audit
// set-based, for exactly the accounts it inserted).
import { getTableColumns, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import * as z from "../lib/zod";
import { auditEvents, invitations, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { checkBulkRows, MAX_BULK_CSV_CHARS, MAX_BULK_ROWS, type BulkRow, type CheckedRow } from "../domain/bulk-invite";
import { INVITATION_TTL_MS } from "../domain/tokens";
import { chunk, MAX_BOUND_PARAMS } from "../lib/batch";
import { sha256Hex } from "../lib/crypto";
import { parseCsvRecords } from "../lib/csv";
import { AppError, validationError } from "../lib/errors";
import { newId, newSecret } from "../lib/ids";
import { jsonObject } from "../lib/sql-json";
import { invitationMail } from "../../views/mail/templates";
import { activationUrl } from "./invitations";
import { deliverSoon, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";
import { assertCan } from "./users";
import { invitationListQueries, type ListInvitationsInput } from "./invitation-admin";

export const BulkInviteInput = z.strictObject({
  csv: z.string().check(z.maxLength(MAX_BULK_CSV_CHARS, `Upload at most ${MAX_BULK_CSV_CHARS / 1000} kB of CSV.`)),
});

export interface BulkReport {
  /** Preview: "invite" for a row that would be invited; after the commit, "invited" with the new userId. */
  rows: (Omit<BulkRow, "outcome"> & { outcome: BulkRow["outcome"] | "invited"; userId?: string })[];
  summary: { invite: number; invited: number; alreadyUser: number; invalid: number };
}

const strip = ({ roleKey: _r, ...row }: CheckedRow): BulkRow => row;

/** Parses and checks the CSV, without asking D1 (the caller adds which addresses already have an account). */
function parseCsv(actor: Actor, csv: string): CheckedRow[] {
  assertCan(actor, "managePortalUsers");
  // Operators invite through an organization's page; this form is for one's own organization.
  if (actor.orgKind === "vendor") throw new AppError("FORBIDDEN", "Bulk invite is for partner and customer organizations; operators onboard organizations instead.");
  const records = parseCsvRecords(csv);
  const rows = checkBulkRows(records);
  if (!rows.length) throw validationError({ csv: "Paste or upload a CSV with at least one row: email, name, role." });
  if (rows.length > MAX_BULK_ROWS) throw validationError({ csv: `At most ${MAX_BULK_ROWS} rows per upload; this one has ${rows.length}.` });
  return rows;
}

/** Marks the "invite" rows whose address is in `taken` as already having an account (in any organization). */
function markTaken(rows: CheckedRow[], taken: Set<string>) {
  for (const row of rows) {
    if (row.outcome === "invite" && taken.has(row.email)) Object.assign(row, { outcome: "already_user", reason: "This address already has an account." });
  }
}

/** Parses and checks the CSV; marks rows whose address already has an account (in any organization). */
async function checkCsv(deps: Deps, actor: Actor, csv: string): Promise<CheckedRow[]> {
  const rows = parseCsv(actor, csv);
  const candidates = rows.filter((r) => r.outcome === "invite").map((r) => r.email);
  if (candidates.length) {
    const lookups = chunk(candidates, MAX_BOUND_PARAMS).map((part) => deps.db.select({ email: users.email }).from(users).where(inArray(users.email, part)));
    const found = await deps.db.batch(lookups as [(typeof lookups)[number], ...typeof lookups]);
    markTaken(rows, new Set(found.flat().map((u) => u.email)));
  }
  return rows;
}

function summarize(rows: BulkReport["rows"]): BulkReport["summary"] {
  const n = (o: BulkReport["rows"][number]["outcome"]) => rows.filter((r) => r.outcome === o).length;
  return { invite: n("invite"), invited: n("invited"), alreadyUser: n("already_user"), invalid: n("invalid") };
}

/** The preview: every row with what would happen to it. Nothing is written. */
export async function previewBulkInvite(deps: Deps, actor: Actor, input: z.infer<typeof BulkInviteInput>): Promise<BulkReport> {
  const rows = (await checkCsv(deps, actor, input.csv)).map(strip);
  return { rows, summary: summarize(rows) };
}

/**
 * Checks the CSV again (the preview may be stale) and invites every "invite"
 * row in one batch, which also decides which addresses already have an
 * account: the accounts are inserted in chunks (under D1's bound-parameter
 * limit) skipping any address taken, and the invitations, mails and audit
 * entries are made by INSERT … SELECT for exactly the accounts inserted.
 */
export async function bulkInvite(deps: Deps, actor: Actor, input: z.infer<typeof BulkInviteInput>): Promise<BulkReport> {
  return (await invite(deps, actor, input, [])).report;
}

/**
 * The page's twin: the invitations list it shows next to the report is read
 * in the same batch, after the inserts, so it lists the new invitations.
 */
export async function bulkInviteAndList(deps: Deps, actor: Actor, input: z.infer<typeof BulkInviteInput>, listInput: z.infer<typeof ListInvitationsInput>) {
  const list = invitationListQueries(deps, actor, listInput);
  const { report, reads } = await invite(deps, actor, input, list.queries);
  return { report, list: list.from(reads as unknown as Parameters<typeof list.from>[0]) };
}

/** Runs the bulk invite with `reads` appended to its batch; their results come back in order. */
async function invite(deps: Deps, actor: Actor, input: z.infer<typeof BulkInviteInput>, reads: readonly BatchItem<"sqlite">[]): Promise<{ report: BulkReport; reads: unknown[] }> {
  const rows = parseCsv(actor, input.csv);
  const toInvite = rows.filter((r) => r.outcome === "invite");
  if (!toInvite.length) {
    const report = rows.map(strip) as BulkReport["rows"];
    return { report: { rows: report, summary: summarize(report) }, reads: reads.length ? await deps.db.batch(reads as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]) : [] };
  }

  const now = deps.now();
  const accounts = toInvite.map((r) => ({
    id: newId(),
    orgId: actor.orgId,
    email: r.email,
    name: r.name,
    role: r.roleKey!,
    status: "invited" as const,
    createdAt: now,
    updatedAt: now,
  }));
  // Per account what SQL cannot make: the ids, the token's hash and the activation link.
  const links = await Promise.all(
    accounts.map(async (u) => {
      const token = newSecret();
      return { i: u.id, v: newId(), h: await sha256Hex(token), u: activationUrl(deps, token), m: newId(), a: newId() };
    }),
  );
  const json = JSON.stringify(links);
  const field = (name: string) => sql.raw(`json_extract(link.value, '$.${name}')`);
  // Only accounts this batch inserted have these ids; a skipped address gets nothing.
  const inserted = sql`FROM json_each(${json}) AS link CROSS JOIN ${users} ON ${users.id} = json_extract(link.value, '$.i')`;
  const template = invitationMail({ appName: deps.config.appName, name: slot("name"), orgName: actor.orgName, url: slot("url"), inviter: actor.name });
  const size = Math.max(1, Math.floor(MAX_BOUND_PARAMS / Object.keys(getTableColumns(users)).length));
  const inserts = chunk(accounts, size).map((part) => deps.db.insert(users).values(part).onConflictDoNothing().returning({ id: users.id, email: users.email }));
  const statements = [
    ...inserts,
    deps.db.insert(invitations).select(
      sql`SELECT ${field("v")}, ${users.id}, ${field("h")}, ${actor.id}, ${now}, ${now + INVITATION_TTL_MS}, NULL, NULL, NULL ${inserted}`,
    ),
    outboxInsertSelect(deps, { id: field("m"), to: sql`${users.email}`, ...filledMail(template, [["url", field("u")], ["name", sql`${users.name}`]]) }, inserted),
    deps.db.insert(auditEvents).select(
      sql`SELECT ${field("a")}, ${now}, ${actor.id}, ${users.orgId}, 'user.invited', 'user', ${users.id},
        NULL, ${jsonObject({ email: users.email, name: users.name, role: users.role, bulk: true })}, ${deps.ip} ${inserted}`,
    ),
    ...reads,
  ];
  const results = await deps.db.batch(statements as unknown as [(typeof statements)[number], ...typeof statements]);
  const created = (results.slice(0, inserts.length) as { id: string; email: string }[][]).flat();
  const idByEmail = new Map(created.map((u) => [u.email, u.id]));
  markTaken(rows, new Set(toInvite.filter((r) => !idByEmail.has(r.email)).map((r) => r.email)));

  // deliverOutbox sends at most 50 per call, and binds each id: hand it the ids in fifties.
  const createdIds = new Set(created.map((u) => u.id));
  const mailIds = links.filter((l) => createdIds.has(l.i)).map((l) => l.m);
  for (const ids of chunk(mailIds, 50)) deliverSoon(deps, ids);

  const report = rows.map(strip) as BulkReport["rows"];
  for (const row of report) if (row.outcome === "invite") Object.assign(row, { outcome: "invited", userId: idByEmail.get(row.email) });
  return { report: { rows: report, summary: summarize(report) }, reads: results.slice(results.length - reads.length) };
}
