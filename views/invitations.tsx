// Bulk invite and the invitations list (F-92).
import { MAX_BULK_ROWS } from "../src/domain/bulk-invite";
import { ROLE_LABELS, type PortalRole } from "../src/domain/roles";
import type { FieldErrors } from "../src/lib/errors";
import type { BulkReport } from "../src/services/bulk-invite";
import type { PublicInvitation } from "../src/services/invitation-admin";
import { DataTable, DateTime, EmptyState, Form, FormErrors, Notice, RowAction, RowMessage, Select } from "./components";
import { Pagination, type PageInfo } from "./users";

const STATE_LABELS = { pending: "Pending", expired: "Expired", revoked: "Revoked", used: "Accepted" } as const;
const OUTCOME_LABELS = { invite: "Will be invited", invited: "Invited", already_user: "Already a user", invalid: "Invalid" } as const;

const roleLabel = (role: string) => ROLE_LABELS[role as PortalRole] ?? role;

export function InvitationRow(p: { invitation: PublicInvitation; message?: string; error?: boolean }) {
  const i = p.invitation;
  const rowId = `invitation-${i.id}`;
  const action = (path: string, label: string, confirm?: string) => (
    <RowAction action={`/invitations/${i.id}/${path}`} label={label} confirm={confirm} />
  );
  return (
    <tr id={rowId}>
      <td>{i.user.name}</td>
      <td>{i.user.email}</td>
      <td>{roleLabel(i.user.role)}</td>
      <td>{STATE_LABELS[i.state]}</td>
      <td>
        <DateTime at={i.createdAt} />
        {i.invitedBy?.name && <span class="muted"> by {i.invitedBy.name}</span>}
      </td>
      <td>
        <DateTime at={i.expiresAt} />
      </td>
      <td>
        <div class="row-actions">
          {i.state !== "used" && action("resend", "Resend")}
          {i.state !== "used" && i.state !== "revoked" && action("revoke", "Revoke", `Revoke the invitation of ${i.user.email}? The link in their mail stops working.`)}
        </div>
        <RowMessage message={p.message} error={p.error} />
      </td>
    </tr>
  );
}

export function BulkReportTable(p: { report: BulkReport }) {
  return (
    <DataTable columns={["Line", "Email", "Name", "Role", "Outcome"]} label="Rows of the CSV">
      {p.report.rows.map((r) => (
        <tr class={r.outcome === "invalid" ? "invalid-row" : undefined}>
          <td>{r.line}</td>
          <td>{r.email}</td>
          <td>{r.name}</td>
          <td>{roleLabel(r.role)}</td>
          <td>
            <strong>{OUTCOME_LABELS[r.outcome]}</strong>
            {r.reason && <span class="muted"> — {r.reason}</span>}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

export interface BulkState {
  csv?: string;
  errors?: FieldErrors;
  message?: string;
  preview?: BulkReport;
  done?: BulkReport;
}

function BulkForm(p: BulkState) {
  return (
    <Form action="/invitations/preview" class="card" id="bulk" multipart>
      <h2>Bulk invite</h2>
      <p class="muted">
        One colleague per line: <code>email,name,role</code> (a header row is optional). Role is Read-only User, Regular User or Partner Manager. At most {MAX_BULK_ROWS} rows.
        You see what will happen to each row before anything is sent.
      </p>
      <FormErrors errors={p.errors} shown={["csv", "file"]} message={p.message} />
      <div class={p.errors?.csv ? "field invalid" : "field"}>
        <label for="f-csv">Paste CSV</label>
        <textarea id="f-csv" name="csv" rows={6} aria-invalid={p.errors?.csv ? "true" : undefined} aria-describedby={p.errors?.csv ? "f-csv-error" : undefined}>
          {p.csv ?? ""}
        </textarea>
        {p.errors?.csv && (
          <p class="error" id="f-csv-error" role="alert">
            {p.errors.csv}
          </p>
        )}
      </div>
      <div class={p.errors?.file ? "field invalid" : "field"}>
        <label for="f-file">Or upload a CSV file</label>
        <input id="f-file" type="file" name="file" accept=".csv,text/csv" />
        {p.errors?.file && (
          <p class="error" role="alert">
            {p.errors.file}
          </p>
        )}
      </div>
      <button type="submit">Preview</button>
    </Form>
  );
}

function BulkPreview(p: { report: BulkReport; csv: string }) {
  const { invite, alreadyUser, invalid } = p.report.summary;
  return (
    <section class="card" aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview: nothing is sent yet</h2>
      <p>
        {invite} will be invited, {alreadyUser} already {alreadyUser === 1 ? "has" : "have"} an account, {invalid} {invalid === 1 ? "is" : "are"} invalid.
      </p>
      <BulkReportTable report={p.report} />
      {invite > 0 ? (
        <Form action="/invitations/bulk">
          <div class="field">
            <label for="f-confirm-csv">The CSV to send (checked again when you confirm)</label>
            <textarea id="f-confirm-csv" name="csv" rows={4} readonly>
              {p.csv}
            </textarea>
          </div>
          <button type="submit">
            Send {invite} invitation{invite === 1 ? "" : "s"}
          </button>
        </Form>
      ) : (
        <Notice kind="error">No row can be invited. Correct the CSV and preview again.</Notice>
      )}
    </section>
  );
}

export function InvitationsPage(p: {
  invitations: PublicInvitation[];
  page: PageInfo;
  state?: string;
  bulk?: BulkState;
}) {
  const b = p.bulk ?? {};
  return (
    <>
      <h1>Invitations</h1>
      {b.done && (
        <section class="card" aria-labelledby="done-heading">
          <Notice kind="success">
            {b.done.summary.invited} invitation{b.done.summary.invited === 1 ? "" : "s"} sent. {b.done.summary.alreadyUser} already a user, {b.done.summary.invalid} invalid.
          </Notice>
          <h2 id="done-heading">Bulk invite report</h2>
          <BulkReportTable report={b.done} />
        </section>
      )}
      {b.preview && <BulkPreview report={b.preview} csv={b.csv ?? ""} />}
      <BulkForm {...b} preview={undefined} />

      <h2>Open invitations</h2>
      <form method="get" action="/invitations" class="filters">
        <Select
          id="filter-state"
          name="state"
          label="State"
          value={p.state ?? ""}
          options={[
            { value: "", label: "Pending, expired and revoked" },
            { value: "pending", label: "Pending" },
            { value: "expired", label: "Expired" },
            { value: "revoked", label: "Revoked" },
          ]}
        />
        <div class="filter-buttons">
          <button type="submit">Show</button>
        </div>
      </form>
      {p.invitations.length === 0 ? (
        <EmptyState>
          No invitations in this list. Invite a colleague from the <a href="/users#invite">Users page</a>, or several at once with the bulk invite above.
        </EmptyState>
      ) : (
        <DataTable columns={["Name", "Email", "Role", "State", "Sent", "Expires", "Actions"]} label="Invitations" swapRows>
          {p.invitations.map((i) => (
            <InvitationRow invitation={i} />
          ))}
        </DataTable>
      )}
      <Pagination page={p.page} nouns={["invitation", "invitations"]} href={(n) => `/invitations?${new URLSearchParams({ ...(p.state ? { state: p.state } : {}), page: String(n) })}`} />
    </>
  );
}
