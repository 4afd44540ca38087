// F-52: personal Reporting API tokens — the list with last use, the create
// form, the new secret (shown once), revoke with confirmation.
import type { FieldErrors } from "../../src/lib/errors";
import type { FormValues } from "../../src/lib/validate";
import type { PublicToken } from "../../src/services/api-tokens";
import { DataTable, DateTime, EmptyState, Field, Form, FormErrors, Notice, RowAction, RowMessage } from "../components";

function tokenState(t: PublicToken, now: number): { label: string; live: boolean } {
  if (t.revokedAt) return { label: "Revoked", live: false };
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return { label: "Expired", live: false };
  return { label: "Active", live: true };
}

export function TokenRow(p: { token: PublicToken; now: number; message?: string; error?: boolean }) {
  const t = p.token;
  const state = tokenState(t, p.now);
  const rowId = `token-${t.id}`;
  return (
    <tr id={rowId}>
      <td>{t.name}</td>
      <td>
        <code>{t.prefix}…</code>
      </td>
      <td>
        <DateTime at={t.createdAt} />
      </td>
      <td>{t.expiresAt ? <DateTime at={t.expiresAt} /> : <span class="muted">never</span>}</td>
      <td>
        <DateTime at={t.lastUsedAt} />
      </td>
      <td>
        {state.label}
        {t.revokedAt && (
          <>
            {" "}
            <DateTime at={t.revokedAt} />
          </>
        )}
      </td>
      <td>
        {state.live && (
          <RowAction
            action={`/analytics/tokens/${t.id}/revoke`}
            label="Revoke"
            confirm={`Revoke the token “${t.name}”? Scripts using it stop working at once.`}
          />
        )}
        <RowMessage message={p.message} error={p.error} />
      </td>
    </tr>
  );
}

export interface CreateTokenState {
  values?: FormValues;
  errors?: FieldErrors;
  message?: string;
  /** Fresh for every rendering: the service refuses a second post of the same form. */
  formKey?: string;
}

function CreateTokenForm(p: CreateTokenState) {
  const v = p.values ?? {};
  return (
    <Form action="/analytics/tokens" class="card" id="create-token">
      <h2>Create a token</h2>
      {p.formKey && <input type="hidden" name="formKey" value={p.formKey} />}
      <FormErrors errors={p.errors} shown={["name", "expiresInDays"]} message={p.message} />
      <Field name="name" label="Name" value={v.name} errors={p.errors} required maxlength={80} hint="What the token is for, e.g. “Nightly export”." autocomplete="off" />
      <Field
        name="expiresInDays"
        label="Expires after (days)"
        type="number"
        value={v.expiresInDays}
        errors={p.errors}
        min={1}
        max={365}
        inputmode="numeric"
        hint="1 to 365; leave empty for a token that does not expire."
      />
      <button type="submit">Create token</button>
    </Form>
  );
}

/** The secret, once: only its hash is kept. */
function NewSecret(p: { token: PublicToken; secret: string }) {
  return (
    <section class="card new-token" aria-labelledby="new-token-heading">
      <h2 id="new-token-heading">Your new token “{p.token.name}”</h2>
      <Notice kind="success">Copy it now: it is not shown again. Anyone with it can read your reports until it is revoked or expires.</Notice>
      <p>
        <code class="secret" id="new-token-secret">
          {p.secret}
        </code>
      </p>
      <p class="muted">
        Send it as <code>Authorization: Bearer &lt;token&gt;</code> to <code>/api/v1/reports/…</code>. It works nowhere else.
      </p>
    </section>
  );
}

export function TokensPage(p: {
  tokens: PublicToken[];
  total: number;
  now: number;
  maxLive: number;
  created?: { token: PublicToken; secret: string };
  form?: CreateTokenState;
}) {
  return (
    <>
      <p>
        <a href="/analytics">← Analytics</a>
      </p>
      <h1>API tokens</h1>
      <p class="muted">
        Personal tokens for the Reporting API: they read the same report data you can see, and only that. At most {p.maxLive} active tokens.
      </p>
      {p.created && <NewSecret {...p.created} />}
      {p.tokens.length === 0 ? (
        <EmptyState>You have no API tokens yet. Create one below to read reports from a script.</EmptyState>
      ) : (
        <DataTable columns={["Name", "Token", "Created", "Expires", "Last used", "State", "Action"]} label="API tokens" swapRows>
          {p.tokens.map((t) => (
            <TokenRow token={t} now={p.now} />
          ))}
        </DataTable>
      )}
      {p.total > p.tokens.length && <p class="muted">Showing the newest {p.tokens.length} of {p.total} tokens.</p>}
      <CreateTokenForm {...p.form} />
    </>
  );
}
