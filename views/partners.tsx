// The customer's Partners page (F-60…F-63, F-95): the partners table with
// search, the "Add a partner" forms (one user by email, or an existing channel
// partner organization and some of its users), and the edit and remove pages.
// Every step is a plain form (GET to search and pick, POST to change), so the
// page works without JavaScript.
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import type { PartnerEntry } from "../src/services/partner-access";
import { DataTable, DateTime, EmptyState, Field, Form, FormErrors, Notice } from "./components";

type FormState = { values?: FormValues; errors?: FieldErrors; message?: string };

/** Checkbox names carry the user id: `user.<id>` = "on". */
export const USER_FIELD_PREFIX = "user.";
export const pickedUserIds = (values: FormValues) =>
  Object.keys(values)
    .filter((k) => k.startsWith(USER_FIELD_PREFIX) && values[k] === "on")
    .map((k) => k.slice(USER_FIELD_PREFIX.length));

const dateOnly = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : "");
const EXPIRY_HINT = "Optional. Access ends when this day begins (UTC); leave empty for no end date.";

function Ends(p: { at: string | null }) {
  return p.at ? (
    <>
      ends <DateTime at={p.at} />
    </>
  ) : (
    <span class="muted">no end date</span>
  );
}

function PartnerRow(p: { entry: PartnerEntry; canManage: boolean }) {
  const e = p.entry;
  return (
    <tr id={`partner-${e.org.id}`}>
      <th scope="row">{e.org.name}</th>
      <td>{e.addedUsers}</td>
      <td>
        <ul class="partner-users">
          {e.users.map((u) => (
            <li>
              {u.name} &lt;{u.email}&gt; · <Ends at={u.expiresAt} />
            </li>
          ))}
        </ul>
      </td>
      {p.canManage && (
        <td class="row-actions">
          <a class="button secondary" href={`/partners/${e.org.id}/edit`}>
            Edit<span class="visually-hidden"> partner access of {e.org.name}</span>
          </a>{" "}
          <a class="button secondary" href={`/partners/${e.org.id}/remove`}>
            Remove<span class="visually-hidden"> partner access of {e.org.name}</span>
          </a>
        </td>
      )}
    </tr>
  );
}

/** A group of user checkboxes; ticked from the posted form when there is one, else from `checked`. */
function UserCheckboxes(p: { legend: string; users: { id: string; name: string; email: string }[]; checked: string[]; values?: FormValues; errors?: FieldErrors }) {
  const error = p.errors?.userIds;
  const posted = p.values && Object.keys(p.values).some((k) => k.startsWith(USER_FIELD_PREFIX));
  const isChecked = (id: string) => (posted ? p.values![`${USER_FIELD_PREFIX}${id}`] === "on" : p.checked.includes(id));
  return (
    <fieldset class={error ? "field checks invalid" : "field checks"} aria-describedby={error ? "f-userIds-error" : undefined}>
      <legend>{p.legend}</legend>
      {p.users.length === 0 && <p class="muted">This organization has no active users.</p>}
      {p.users.map((u) => (
        <div class="check">
          <input type="checkbox" id={`f-user-${u.id}`} name={`${USER_FIELD_PREFIX}${u.id}`} value="on" checked={isChecked(u.id)} />
          <label for={`f-user-${u.id}`}>
            {u.name} <span class="muted">&lt;{u.email}&gt;</span>
          </label>
        </div>
      ))}
      {error && (
        <p class="error" id="f-userIds-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

function AddByEmail(p: FormState) {
  return (
    <Form action="/partners" class="card" id="add-email">
      <h3>An individual user</h3>
      <p class="hint">The address must belong to an active account of a channel partner.</p>
      <FormErrors errors={p.errors} shown={["email", "expiresAt"]} message={p.message} />
      <Field id="f-add-email" name="email" type="email" label="Partner's email address" value={p.values?.email} errors={p.errors} required autocomplete="off" maxlength={254} />
      <Field id="f-add-email-expires" name="expiresAt" type="date" label="Access ends on" value={p.values?.expiresAt} errors={p.errors} hint={EXPIRY_HINT} />
      <button type="submit">Add partner</button>
    </Form>
  );
}

export interface OrgPicker {
  orgQ?: string;
  /** Search results: active channel partners only. */
  orgs?: { id: string; name: string }[];
  /** The organization picked ("Next"), with its active users to tick. */
  picked?: { org: { id: string; name: string }; users: { id: string; name: string; email: string }[] };
  /** Why the picked organization cannot be used. */
  pickError?: string;
}

function AddByOrganization(p: { picker: OrgPicker; form?: FormState }) {
  const { picker, form } = p;
  return (
    <section class="card" id="add-org" aria-labelledby="add-org-title">
      <h3 id="add-org-title">An existing partner organization</h3>
      <form method="get" action="/partners#add-org" class="filters" role="search" aria-label="Find a partner organization">
        <Field id="f-org-q" name="orgQ" label="Search channel partners by name" value={picker.orgQ} maxlength={120} />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      {picker.orgs && picker.orgs.length === 0 && <Notice>No channel partner matches.</Notice>}
      {picker.orgs && picker.orgs.length > 0 && (
        <form method="get" action="/partners#add-org">
          <fieldset class="field checks">
            <legend>Partner organization</legend>
            {picker.orgs.map((o, i) => (
              <div class="check">
                <input type="radio" id={`f-pick-${o.id}`} name="pick" value={o.id} checked={picker.picked ? picker.picked.org.id === o.id : i === 0} />
                <label for={`f-pick-${o.id}`}>{o.name}</label>
              </div>
            ))}
          </fieldset>
          {picker.orgQ && <input type="hidden" name="orgQ" value={picker.orgQ} />}
          <button type="submit">Next</button>
        </form>
      )}
      {picker.pickError && <Notice kind="error">{picker.pickError}</Notice>}
      {!picker.picked && !picker.pickError && form?.message && <Notice kind="error">{form.message}</Notice>}
      {picker.picked && (
        <Form action="/partners/organization" id="add-org-users">
          <input type="hidden" name="orgId" value={picker.picked.org.id} />
          <h4>Users of {picker.picked.org.name}</h4>
          <FormErrors errors={form?.errors} shown={["userIds", "expiresAt"]} message={form?.message} />
          <UserCheckboxes legend="Give access to" users={picker.picked.users} checked={[]} values={form?.values} errors={form?.errors} />
          <Field id="f-add-org-expires" name="expiresAt" type="date" label="Access ends on" value={form?.values?.expiresAt} errors={form?.errors} hint={EXPIRY_HINT} />
          <button type="submit">Add</button>
        </Form>
      )}
    </section>
  );
}

export function PartnersPage(p: {
  items: PartnerEntry[];
  q?: string;
  canManage: boolean;
  emailForm?: FormState;
  orgForm?: FormState;
  picker: OrgPicker;
}) {
  return (
    <>
      <h1>Partners</h1>
      <p class="muted">
        Partner organizations you gave access to your insights. Their users see your aggregated statistics and licensed capacity on their partner dashboard. Access ends by
        itself when an organization stops being a channel partner or a user leaves it.
      </p>
      <form method="get" action="/partners" class="filters" role="search" aria-label="Search partners">
        <Field id="f-partners-q" name="q" label="Search by organization or user email" value={p.q} maxlength={120} />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      {p.items.length === 0 ? (
        <EmptyState action={p.q ? <a href="/partners">Show all partners</a> : undefined}>
          {p.q
            ? "No partner matches this search."
            : p.canManage
              ? "You have not given any partner access yet. Give access below: by a partner user's email, or by picking a channel partner organization."
              : "Your organization has not given any partner access yet."}
        </EmptyState>
      ) : (
        <DataTable columns={["Partner", "Added users", "Users", ...(p.canManage ? ["Actions"] : [])]} label="Partners">
          {p.items.map((entry) => (
            <PartnerRow entry={entry} canManage={p.canManage} />
          ))}
        </DataTable>
      )}
      {p.canManage && (
        <section aria-labelledby="add-partner-title" class="partner-add">
          <h2 id="add-partner-title">Add a partner</h2>
          <div class="partner-add-modes">
            <AddByEmail {...p.emailForm} />
            <AddByOrganization picker={p.picker} form={p.orgForm} />
          </div>
        </section>
      )}
    </>
  );
}

/** F-63: tick the users who keep access; an end date for all of them. */
export function EditPartnerPage(p: { entry: PartnerEntry; users: { id: string; name: string; email: string }[]; form?: FormState }) {
  const e = p.entry;
  const ends = [...new Set(e.users.map((u) => u.expiresAt))];
  const mixed = ends.length > 1;
  const expiry = p.form?.values ? p.form.values.expiresAt : mixed ? "" : dateOnly(ends[0]);
  return (
    <>
      <p>
        <a href="/partners">← Partners</a>
      </p>
      <h1>Edit partner access: {e.org.name}</h1>
      <Form action={`/partners/${e.org.id}`} class="card">
        <FormErrors errors={p.form?.errors} shown={["userIds", "expiresAt"]} message={p.form?.message} />
        <UserCheckboxes legend="Users with access" users={p.users} checked={e.users.map((u) => u.id)} values={p.form?.values} errors={p.form?.errors} />
        {mixed && <input type="hidden" name="expiryMixed" value="1" />}
        <Field
          id="f-edit-expires"
          name="expiresAt"
          type="date"
          label="Access ends on"
          value={expiry}
          errors={p.form?.errors}
          hint={mixed ? "The users have different end dates; leave empty to keep each one's, or pick one date for all." : EXPIRY_HINT}
        />
        <p class="hint">Untick every user to remove the organization's access.</p>
        <button type="submit">Save</button> <a href="/partners">Cancel</a>
      </Form>
    </>
  );
}

/** F-63: the confirmation before removing an organization's access. */
export function RemovePartnerPage(p: { entry: PartnerEntry }) {
  const e = p.entry;
  return (
    <>
      <h1>Remove partner access</h1>
      <div class="card">
        <p>
          Remove the access of <strong>{e.org.name}</strong> to your insights? {e.addedUsers === 1 ? "Its user" : `Its ${e.addedUsers} users`} will no longer see your
          organization on their partner dashboard and will get an email saying so.
        </p>
        <ul class="partner-users">
          {e.users.map((u) => (
            <li>
              {u.name} &lt;{u.email}&gt;
            </li>
          ))}
        </ul>
        <Form action={`/partners/${e.org.id}/remove`} class="inline">
          <button type="submit" class="danger">
            Yes, remove access
          </button>
        </Form>{" "}
        <a href="/partners">Cancel</a>
      </div>
    </>
  );
}
