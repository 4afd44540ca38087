// The account page: sessions (revocable one by one with htmx), password, recovery codes.
import type { PublicUser } from "../src/services/user-shape";
import type { SessionSummary } from "../src/services/sessions";
import type { FieldErrors } from "../src/lib/errors";
import { ROLE_LABELS } from "../src/domain/roles";
import { DataTable, DateTime, Field, Form, FormErrors, Notice, RecoveryCodeList, RowAction } from "./components";

export function SessionRow(p: { session: SessionSummary }) {
  const s = p.session;
  return (
    <tr id={`session-${s.id}`}>
      <td title={s.userAgent ?? undefined}>{s.userAgent ? s.device : <span class="muted">{s.device}</span>}</td>
      <td>{s.ip ?? "—"}</td>
      <td>
        <DateTime at={s.createdAt} />
      </td>
      <td>
        {s.current ? (
          <span class="badge">this browser</span>
        ) : (
          <RowAction action={`/account/sessions/${s.id}/revoke`} label="Sign out" />
        )}
      </td>
    </tr>
  );
}

export function AccountPage(p: {
  user: PublicUser;
  recoveryCodesLeft: number;
  sessions: SessionSummary[];
  passwordErrors?: FieldErrors;
  codesErrors?: FieldErrors;
  newCodes?: string[];
}) {
  return (
    <>
      <h1>Your account</h1>
      <div class="card">
        <p>
          {p.user.name} · {p.user.email} · {ROLE_LABELS[p.user.role]}
        </p>
        <p class="muted">
          Last sign-in: <DateTime at={p.user.lastLoginAt} />
        </p>
      </div>

      <h2>Signed-in sessions</h2>
      <DataTable columns={["Device", "Address", "Signed in", "Action"]} label="Signed-in sessions" swapRows>
        {p.sessions.map((s) => (
          <SessionRow session={s} />
        ))}
      </DataTable>
      <Form action="/account/sessions/revoke-all" confirm="Sign out of every session, including this one?">
        <p>
          <button type="submit" class="secondary">Sign out everywhere</button>
        </p>
      </Form>

      <h2>Change password</h2>
      <FormErrors errors={p.passwordErrors} shown={["currentPassword", "newPassword"]} />
      <Form action="/account/password" class="card">
        <Field name="currentPassword" label="Current password" type="password" autocomplete="current-password" errors={p.passwordErrors} required />
        <Field name="newPassword" label="New password" type="password" autocomplete="new-password" errors={p.passwordErrors} hint="At least 12 characters; your other sessions will be signed out." required />
        <button type="submit">Change password</button>
      </Form>

      <h2 id="recovery-codes">Recovery codes</h2>
      {p.newCodes ? (
        <div class="card">
          <Notice kind="success">New recovery codes. Save them now; they are not shown again and the old ones no longer work.</Notice>
          <RecoveryCodeList codes={p.newCodes} />
        </div>
      ) : (
        <Form action="/account/recovery-codes" class="card">
          <p>
            You have <strong>{p.recoveryCodesLeft}</strong> unused recovery code{p.recoveryCodesLeft === 1 ? "" : "s"}. Generating new ones replaces them all.
          </p>
          <Field name="code" label="Code from your authenticator app" inputmode="numeric" autocomplete="one-time-code" maxlength={7} errors={p.codesErrors} required />
          <button type="submit">Generate new recovery codes</button>
        </Form>
      )}
    </>
  );
}
