// F-92 bulk invite: what each CSV row means, before any database is asked.
// The service adds "already a user" from D1; everything else is decided here.
import { emailSchema, normalizeEmail } from "./email";
import { parsePortalRole, PORTAL_ROLES, ROLE_LABELS, type PortalRole } from "./roles";

/** Rows per upload; with chunked inserts one batch stays far below D1's statement limits. */
export const MAX_BULK_ROWS = 200;
export const MAX_BULK_CSV_CHARS = 100_000;

export type BulkOutcome = "invite" | "already_user" | "invalid";

export interface BulkRow {
  /** 1-based record number in the file (a header, if any, is line 1). */
  line: number;
  email: string;
  name: string;
  /** The role key when the cell named a portal role, else the cell as written. */
  role: string;
  outcome: BulkOutcome;
  reason?: string;
}

export type CheckedRow = BulkRow & { roleKey: PortalRole | null };

const COLUMNS = ["email", "name", "role"] as const;
const ROLE_CHOICES = PORTAL_ROLES.map((r) => ROLE_LABELS[r]).join(", ");

/**
 * The column of each field: from a header row when the first row names the
 * columns (any order, extra columns ignored), else email, name, role.
 */
function columnsOf(first: string[]): { header: boolean; index: Record<(typeof COLUMNS)[number], number> } {
  const names = first.map((c) => c.toLowerCase());
  if (!names.includes("email")) return { header: false, index: { email: 0, name: 1, role: 2 } };
  return { header: true, index: { email: names.indexOf("email"), name: names.indexOf("name"), role: names.indexOf("role") } };
}

/**
 * Checks every record: a valid email, a name, a portal role (key or label),
 * and no address twice in the file. Valid rows come out as "invite"; the
 * caller turns those whose address already has an account into "already_user".
 */
export function checkBulkRows(records: { line: number; cells: string[] }[]): CheckedRow[] {
  if (!records.length) return [];
  const { header, index } = columnsOf(records[0]!.cells);
  const body = header ? records.slice(1) : records;
  const seen = new Map<string, number>();
  return body.map(({ line, cells }) => {
    const cell = (i: number) => (i >= 0 ? (cells[i] ?? "").trim() : "");
    const rawEmail = cell(index.email);
    const name = cell(index.name);
    const rawRole = cell(index.role);
    const roleKey = parsePortalRole(rawRole);
    const parsed = emailSchema.safeParse(rawEmail);
    const email = parsed.success ? normalizeEmail(parsed.data) : rawEmail;
    const row = { line, email, name, role: roleKey ?? rawRole, roleKey };
    const invalid = (reason: string): CheckedRow => ({ ...row, outcome: "invalid", reason });

    if (!rawEmail) return invalid("The email address is missing.");
    if (!parsed.success) return invalid(`"${rawEmail}" is not a valid email address.`);
    if (!name) return invalid("The name is missing.");
    if (name.length > 120) return invalid("The name is longer than 120 characters.");
    if (!rawRole) return invalid(`The role is missing: use ${ROLE_CHOICES}.`);
    if (!roleKey) return invalid(`"${rawRole}" is not a portal role: use ${ROLE_CHOICES}.`);
    const earlier = seen.get(email);
    if (earlier !== undefined) return invalid(`The same address is already on line ${earlier}.`);
    seen.set(email, line);
    return { ...row, outcome: "invite" };
  });
}
