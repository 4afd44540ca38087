// F-44 ReachOut: campaigns. Read-only sees every campaign's details; Full
// adds drafts, edits, starts and ends campaigns and deletes drafts. Ended
// campaigns are final, so they carry no actions.
import { CAMPAIGN_STATUS_LABELS, CAMPAIGN_STATUSES, CAMPAIGN_TRANSITIONS, canDeleteCampaign } from "../../../src/domain/analytics-features";
import type { PublicCampaign } from "../../../src/services/analytics-campaigns";
import { DataTable, DateTime, EmptyState, Field, Form, FormErrors, RowAction, RowMessage, Select, hxPost } from "../../components";
import { ModuleHead, Pager, SearchForm, TextArea, type FormState, type Paging } from "./common";

const COLUMNS = ["Name", "Message", "Status", "Created"];

function EditCampaign(p: { campaign: PublicCampaign; form?: FormState }) {
  const c = p.campaign;
  const values = p.form?.values ?? { name: c.name, message: c.message };
  return (
    <details class="edit-campaign" open={Boolean(p.form)}>
      <summary>Edit</summary>
      <Form action={`/analytics/campaigns/${c.id}`}>
        <FormErrors errors={p.form?.errors} shown={["name", "message"]} message={p.form?.message} />
        <Field id={`f-campaign-name-${c.id}`} name="name" label="Name" value={values.name} errors={p.form?.errors} required maxlength={120} />
        <TextArea id={`f-campaign-message-${c.id}`} name="message" label="Message" value={values.message} errors={p.form?.errors} rows={4} maxlength={2000} required />
        <button type="submit">Save campaign</button>
      </Form>
    </details>
  );
}

export function CampaignRow(p: { campaign: PublicCampaign; canWrite: boolean; message?: string; error?: boolean; form?: FormState }) {
  const c = p.campaign;
  const rowId = `campaign-${c.id}`;
  const path = `/analytics/campaigns/${c.id}`;
  const next = CAMPAIGN_TRANSITIONS[c.status];
  const endQuestion = `End ${c.name}? An ended campaign cannot be changed or started again.`;
  return (
    <tr id={rowId}>
      <td>{c.name}</td>
      <td class="multiline">{c.message}</td>
      <td>{CAMPAIGN_STATUS_LABELS[c.status]}</td>
      <td>
        <DateTime at={c.createdAt} />
      </td>
      {p.canWrite && (
        <td class="row-actions">
          {next.includes("active") && (
            <Form action={`${path}/status`} class="inline">
              <input type="hidden" name="status" value="active" />
              <button type="submit" class="secondary" {...hxPost(`${path}/status`, undefined)}>
                Start
              </button>
            </Form>
          )}
          {next.includes("ended") && (
            <Form action={`${path}/status`} class="inline" confirm={endQuestion}>
              <input type="hidden" name="status" value="ended" />
              <button type="submit" class="secondary" {...hxPost(`${path}/status`, undefined, endQuestion)}>
                End
              </button>
            </Form>
          )}
          {canDeleteCampaign(c.status) && <RowAction action={`${path}/delete`} label="Delete" confirm={`Delete the draft ${c.name}?`} />}
          {c.status !== "ended" && <EditCampaign campaign={c} form={p.form} />}
          <RowMessage message={p.message} error={p.error} />
        </td>
      )}
    </tr>
  );
}

export function DeletedCampaignRow(p: { campaign: PublicCampaign }) {
  return (
    <tr id={`campaign-${p.campaign.id}`}>
      <td colspan={COLUMNS.length + 1}>
        <RowMessage message={`The draft ${p.campaign.name} was deleted.`} />
      </td>
    </tr>
  );
}

function AddCampaignForm(p: FormState) {
  return (
    <Form action="/analytics/campaigns" class="card" id="add-campaign">
      <h2>New campaign</h2>
      <p class="muted">A new campaign starts as a draft; start it when it is ready.</p>
      <FormErrors errors={p.errors} shown={["name", "message"]} message={p.message} />
      <Field id="f-new-campaign-name" name="name" label="Name" value={p.values?.name} errors={p.errors} required maxlength={120} />
      <TextArea id="f-new-campaign-message" name="message" label="Message" value={p.values?.message} errors={p.errors} rows={4} maxlength={2000} required />
      <button type="submit">Add campaign</button>
    </Form>
  );
}

export function CampaignsPage(p: {
  items: PublicCampaign[];
  page: Paging;
  query: { q?: string; status?: string };
  canWrite: boolean;
  error?: string;
  add?: FormState;
  edit?: { id: string; form: FormState };
}) {
  return (
    <>
      <ModuleHead module="reachout" title="ReachOut campaigns" canWrite={p.canWrite} error={p.error} />
      <SearchForm action="/analytics/campaigns" q={p.query.q} label="Search campaigns">
        <Select
          id="f-search-status"
          name="status"
          label="Status"
          value={p.query.status ?? ""}
          options={[{ value: "", label: "Any" }, ...CAMPAIGN_STATUSES.map((s) => ({ value: s, label: CAMPAIGN_STATUS_LABELS[s] }))]}
        />
      </SearchForm>
      {p.items.length === 0 ? (
        <EmptyState>{p.query.q || p.query.status ? "No campaign matches this search." : p.canWrite ? "There are no campaigns yet. Create the first one with the form below." : "There are no campaigns yet."}</EmptyState>
      ) : (
        <DataTable columns={[...COLUMNS, ...(p.canWrite ? ["Actions"] : [])]} label="Campaigns" swapRows>
          {p.items.map((c) => (
            <CampaignRow campaign={c} canWrite={p.canWrite} form={p.edit?.id === c.id ? p.edit.form : undefined} />
          ))}
        </DataTable>
      )}
      <p class="muted">{p.page.total === 1 ? "1 campaign" : `${p.page.total} campaigns`}</p>
      <Pager page={p.page} query={p.query} />
      {p.canWrite && <AddCampaignForm {...p.add} />}
    </>
  );
}
