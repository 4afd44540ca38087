// F-44 License Key Management: the license key registry. Read-only sees the
// list; Full relabels, revokes, reactivates, deletes and adds keys.
import { LICENSE_KEY_STATUS_LABELS, LICENSE_KEY_STATUSES } from "../../../src/domain/analytics-features";
import type { PublicLicenseKey } from "../../../src/services/analytics-license-keys";
import { DataTable, DateTime, EmptyState, Field, Form, FormErrors, RowAction, RowMessage, Select, hxPost } from "../../components";
import { ModuleHead, Pager, SearchForm, type FormState, type Paging } from "./common";

const COLUMNS = ["License key", "Label", "Status", "Added"];

export function LicenseKeyRow(p: { licenseKey: PublicLicenseKey; canWrite: boolean; message?: string; error?: boolean; form?: FormState }) {
  const k = p.licenseKey;
  const rowId = `license-key-${k.id}`;
  const path = `/analytics/license-keys/${k.id}`;
  const labelError = p.form?.errors?.label;
  const nextStatus = k.status === "active" ? "revoked" : "active";
  const revokeQuestion = k.status === "active" ? `Revoke ${k.key}?` : undefined;
  return (
    <tr id={rowId}>
      <td>
        <code>{k.key}</code>
      </td>
      <td>
        {p.canWrite ? (
          <Form action={path} class="inline label-form">
            <label class="visually-hidden" for={`label-${k.id}`}>{`Label of ${k.key}`}</label>
            <input
              id={`label-${k.id}`}
              type="text"
              name="label"
              value={p.form?.values?.label ?? k.label}
              maxlength={120}
              required
              aria-invalid={labelError ? "true" : undefined}
              aria-describedby={labelError ? `label-${k.id}-error` : undefined}
            />{" "}
            <button type="submit" class="secondary" {...hxPost(path, undefined)}>
              Save
            </button>
            {labelError && (
              <p class="error" id={`label-${k.id}-error`} role="alert">
                {labelError}
              </p>
            )}
          </Form>
        ) : (
          k.label
        )}
      </td>
      <td>{LICENSE_KEY_STATUS_LABELS[k.status]}</td>
      <td>
        <DateTime at={k.createdAt} />
      </td>
      {p.canWrite && (
        <td class="row-actions">
          <Form action={path} class="inline" confirm={revokeQuestion}>
            <input type="hidden" name="status" value={nextStatus} />
            <button type="submit" class="secondary" {...hxPost(path, undefined, revokeQuestion)}>
              {k.status === "active" ? "Revoke" : "Reactivate"}
            </button>
          </Form>
          <RowAction action={`${path}/delete`} label="Delete" confirm={`Delete ${k.key} from the registry? This cannot be undone.`} />
          <RowMessage message={p.message} error={p.error} />
        </td>
      )}
    </tr>
  );
}

export function DeletedLicenseKeyRow(p: { licenseKey: PublicLicenseKey }) {
  return (
    <tr id={`license-key-${p.licenseKey.id}`}>
      <td colspan={COLUMNS.length + 1}>
        <RowMessage message={`${p.licenseKey.key} was deleted from the registry.`} />
      </td>
    </tr>
  );
}

function AddLicenseKeyForm(p: FormState) {
  return (
    <Form action="/analytics/license-keys" class="card" id="add-license-key">
      <h2>Add a license key</h2>
      <FormErrors errors={p.errors} shown={["key", "label"]} message={p.message} />
      <Field id="f-license-key" name="key" label="License key" value={p.values?.key} errors={p.errors} required maxlength={64} hint="8–64 letters, digits and dashes." />
      <Field id="f-license-label" name="label" label="Label" value={p.values?.label} errors={p.errors} required maxlength={120} />
      <button type="submit">Add license key</button>
    </Form>
  );
}

export function LicenseKeysPage(p: {
  items: PublicLicenseKey[];
  page: Paging;
  query: { q?: string; status?: string };
  canWrite: boolean;
  error?: string;
  form?: FormState;
}) {
  return (
    <>
      <ModuleHead module="license_key_management" title="License keys" canWrite={p.canWrite} error={p.error} />
      <SearchForm action="/analytics/license-keys" q={p.query.q} label="Search keys and labels">
        <Select
          id="f-search-status"
          name="status"
          label="Status"
          value={p.query.status ?? ""}
          options={[{ value: "", label: "Any" }, ...LICENSE_KEY_STATUSES.map((s) => ({ value: s, label: LICENSE_KEY_STATUS_LABELS[s] }))]}
        />
      </SearchForm>
      {p.items.length === 0 ? (
        <EmptyState>{p.query.q || p.query.status ? "No license key matches this search." : p.canWrite ? "The registry has no license keys yet. Add the first one with the form below." : "The registry has no license keys yet."}</EmptyState>
      ) : (
        <DataTable columns={[...COLUMNS, ...(p.canWrite ? ["Actions"] : [])]} label="License keys" swapRows>
          {p.items.map((k) => (
            <LicenseKeyRow licenseKey={k} canWrite={p.canWrite} />
          ))}
        </DataTable>
      )}
      <p class="muted">{p.page.total === 1 ? "1 license key" : `${p.page.total} license keys`}</p>
      <Pager page={p.page} query={p.query} />
      {p.canWrite && <AddLicenseKeyForm {...p.form} />}
    </>
  );
}
