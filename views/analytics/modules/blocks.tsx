// F-44 Product Administrator: blocked clients and IP addresses, and deleting
// a site's collected data. Only Full holders reach this page (the module has
// no Read-only level), so the forms are always there.
import { BLOCK_KIND_LABELS, BLOCK_KINDS } from "../../../src/domain/analytics-features";
import type { PublicBlock } from "../../../src/services/analytics-blocks";
import { DataTable, DateTime, Field, Form, FormErrors, Notice, RowAction, RowMessage, Select } from "../../components";
import { ModuleHead, Pager, SearchForm, type FormState, type Paging } from "./common";

const kindOptions = BLOCK_KINDS.map((k) => ({ value: k, label: BLOCK_KIND_LABELS[k] }));

export function BlockRow(p: { block: PublicBlock; message?: string; error?: boolean }) {
  const b = p.block;
  const rowId = `block-${b.id}`;
  return (
    <tr id={rowId}>
      <td>{BLOCK_KIND_LABELS[b.kind]}</td>
      <td>
        <code>{b.value}</code>
      </td>
      <td>{b.createdBy ? (b.createdBy.name ?? <span class="muted">a former user</span>) : <span class="muted">—</span>}</td>
      <td>
        <DateTime at={b.createdAt} />
      </td>
      <td class="row-actions">
        <RowAction
          action={`/analytics/blocks/${b.id}/remove`}
          label="Unblock"
          confirm={`Unblock ${b.value}? Collection accepts it again from now on.`}
        />
        <RowMessage message={p.message} error={p.error} />
      </td>
    </tr>
  );
}

/** What replaces a row once its block is gone. */
export function RemovedBlockRow(p: { block: PublicBlock }) {
  return (
    <tr id={`block-${p.block.id}`}>
      <td colspan={5}>
        <RowMessage message={`${p.block.value} is no longer blocked.`} />
      </td>
    </tr>
  );
}

function AddBlockForm(p: FormState) {
  return (
    <Form action="/analytics/blocks" class="card" id="add-block">
      <h2>Block a client or IP address</h2>
      <FormErrors errors={p.errors} shown={["kind", "value"]} message={p.message} />
      <Select id="f-block-kind" name="kind" label="What to block" options={kindOptions} value={p.values?.kind ?? "ip"} errors={p.errors} />
      <Field
        id="f-block-value"
        name="value"
        label="IP address or client id"
        value={p.values?.value}
        errors={p.errors}
        required
        maxlength={128}
        hint="An IPv4 or IPv6 address (e.g. 203.0.113.7, 2001:db8::1), or the client id your product sends."
      />
      <button type="submit">Block</button>
    </Form>
  );
}

function DeleteDataForm(p: FormState & { sites: { id: string; name: string }[] }) {
  if (p.sites.length === 0) return <Notice>Your workspace has no sites or apps, so there is no data to delete.</Notice>;
  return (
    <Form
      action="/analytics/blocks/delete-data"
      class="card danger-zone"
      id="delete-data"
      confirm="Delete the collected data of this site or app for these days? This cannot be undone."
    >
      <h2>Delete collected data</h2>
      <p class="muted">Removes the daily visits and events of one site or app, from the first to the last day (both included, UTC).</p>
      <FormErrors errors={p.errors} shown={["siteId", "from", "to"]} message={p.message} />
      <Select
        id="f-delete-site"
        name="siteId"
        label="Site or app"
        options={[{ value: "", label: "Choose…" }, ...p.sites.map((s) => ({ value: s.id, label: s.name }))]}
        value={p.values?.siteId ?? ""}
        errors={p.errors}
      />
      <Field id="f-delete-from" name="from" type="date" label="First day" value={p.values?.from} errors={p.errors} required />
      <Field id="f-delete-to" name="to" type="date" label="Last day" value={p.values?.to} errors={p.errors} required />
      <button type="submit" class="danger">
        Delete data
      </button>
    </Form>
  );
}

export function BlocksPage(p: {
  items: PublicBlock[];
  page: Paging;
  q?: string;
  sites: { id: string; name: string }[];
  error?: string;
  forms?: { add?: FormState; deleteData?: FormState };
}) {
  return (
    <>
      <ModuleHead module="product_admin" title="Blocked clients and data" canWrite error={p.error} />
      <h2>Blocked clients and IP addresses</h2>
      <SearchForm action="/analytics/blocks" q={p.q} label="Search blocks" />
      {p.items.length === 0 ? (
        <Notice>{p.q ? "No block matches." : "Nothing is blocked: collection accepts every client and IP address."}</Notice>
      ) : (
        <DataTable columns={["Kind", "Value", "Added by", "Added", "Actions"]} label="Blocked clients and IP addresses" swapRows>
          {p.items.map((b) => (
            <BlockRow block={b} />
          ))}
        </DataTable>
      )}
      <Pager page={p.page} query={{ q: p.q }} />
      <AddBlockForm {...p.forms?.add} />
      <DeleteDataForm {...p.forms?.deleteData} sites={p.sites} />
    </>
  );
}
