// F-92 bulk invite: a preview that writes nothing, then one batch that
// invites every valid row (accounts, invitations, mails and audit, chunked).
import { inArray } from "drizzle-orm";
import * as z from "zod";
import { auditEvents, invitations, outbox, users } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { checkBulkRows, MAX_BULK_CSV_CHARS, MAX_BULK_ROWS, type BulkRow, type CheckedRow } from "../domain/bulk-invite";
import { chunk, insertChunks, isUniqueViolation, MAX_BOUND_PARAMS } from "../lib/batch";
import { parseCsvRecords } from "../lib/csv";
import { AppError, validationError } from "../lib/errors";
import { newId } from "../lib/ids";
import { buildInvitation } from "./invitations";
import { deliverSoon } from "./outbox";
import { assertCan } from "./users";

export const BulkInviteInput = z.strictObject({
  csv: z.string().max(MAX_BULK_CSV_CHARS, `Upload at most ${MAX_BULK_CSV_CHARS / 1000} kB of CSV.`),
});

export interface BulkReport {
  /** Preview: "invite" for a row that would be invited; after the commit, "invited" with the new userId. */
  rows: (Omit<BulkRow, "outcome"> & { outcome: BulkRow["outcome"] | "invited"; userId?: string })[];
  summary: { invite: number; invited: number; alreadyUser: number; invalid: number };
}

const strip = ({ roleKey: _r, ...row }: CheckedRow): BulkRow => row;

/** Parses and checks the CSV; marks rows whose address already has an account (in any organization). */
async function checkCsv(deps: Deps, actor: Actor, csv: string): Promise<CheckedRow[]> {
  assertCan(actor, "managePortalUsers");
  // Operators invite through an organization's page; this form is for one's own organization.
  if (actor.orgKind === "vendor") throw new AppError("FORBIDDEN", "Bulk invite is for partner and customer organizations; operators onboard organizations instead.");
  const records = parseCsvRecords(csv);
  const rows = checkBulkRows(records);
  if (!rows.length) throw validationError({ csv: "Paste or upload a CSV with at least one row: email, name, role." });
  if (rows.length > MAX_BULK_ROWS) throw validationError({ csv: `At most ${MAX_BULK_ROWS} rows per upload; this one has ${rows.length}.` });

  const candidates = rows.filter((r) => r.outcome === "invite").map((r) => r.email);
  if (candidates.length) {
    const lookups = chunk(candidates, MAX_BOUND_PARAMS).map((part) => deps.db.select({ email: users.email }).from(users).where(inArray(users.email, part)));
    const found = await deps.db.batch(lookups as [(typeof lookups)[number], ...typeof lookups]);
    const taken = new Set(found.flat().map((u) => u.email));
    for (const row of rows) {
      if (row.outcome === "invite" && taken.has(row.email)) Object.assign(row, { outcome: "already_user", reason: "This address already has an account." });
    }
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
 * row in one batch: the accounts, their invitations, the mails and one audit
 * entry each, inserted in chunks under D1's bound-parameter limit.
 */
export async function bulkInvite(deps: Deps, actor: Actor, input: z.infer<typeof BulkInviteInput>): Promise<BulkReport> {
  const rows = await checkCsv(deps, actor, input.csv);
  const toInvite = rows.filter((r) => r.outcome === "invite");
  const report = rows.map(strip) as BulkReport["rows"];
  if (!toInvite.length) return { rows: report, summary: summarize(report) };

  const orgName = actor.orgName;
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
  const built = await Promise.all(accounts.map((u) => buildInvitation(deps, u, orgName, actor)));
  const audits = accounts.map((u) => ({
    id: newId(),
    at: now,
    actorId: actor.id,
    orgId: actor.orgId,
    action: "user.invited",
    targetType: "user",
    targetId: u.id,
    before: null,
    after: JSON.stringify({ email: u.email, name: u.name, role: u.role, bulk: true }),
    ip: deps.ip,
  }));
  const statements = [
    ...insertChunks(deps.db, users, accounts),
    ...insertChunks(deps.db, invitations, built.map((b) => b.invitation)),
    ...insertChunks(deps.db, outbox, built.map((b) => b.mail)),
    ...insertChunks(deps.db, auditEvents, audits),
  ];
  try {
    await deps.db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", "Some of these addresses got an account meanwhile. Nothing was sent; check the list again.");
    throw e;
  }
  // deliverOutbox sends at most 50 per call, and binds each id: hand it the ids in fifties.
  for (const ids of chunk(built.map((b) => b.mail.id), 50)) deliverSoon(deps, ids);

  const idByEmail = new Map(accounts.map((u) => [u.email, u.id]));
  for (const row of report) if (row.outcome === "invite") Object.assign(row, { outcome: "invited", userId: idByEmail.get(row.email) });
  return { rows: report, summary: summarize(report) };
}
