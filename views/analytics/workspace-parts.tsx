// Pieces shared by the workspace pages (F-41…F-43): the level legend rendered
// from the same action tables the services enforce, one permission row with
// its htmx save, site checkboxes and a labelled textarea.
import type { Child } from "hono/jsx";
import type { FieldErrors } from "../../src/lib/errors";
import type { FormValues } from "../../src/lib/validate";
import type { AnalyticsAccess } from "../../src/domain/analytics";
import { DataTable, Form, Notice, RowMessage, hxPost } from "../components";

export type FormState = { values?: FormValues; errors?: FieldErrors; message?: string };

/** A site's or meta site's report link, or, without the Reporting module, why there is none. */
export function ReportLink(p: { href: string; canOpen: boolean }) {
  return p.canOpen ? <a href={p.href}>Report</a> : <span>reports need the Reporting module</span>;
}

/**
 * Which level may do what: one row per action, one column per level (highest
 * first), "Yes" where `allows` says so. Owners are explained beside it.
 */
export function LevelLegend<L extends string, A extends string>(p: {
  caption: string;
  levels: readonly L[];
  labels: Record<L, string>;
  actions: Record<A, { label: string; min: L }>;
  allows: (level: L, action: A) => boolean;
}) {
  const levels = [...p.levels].reverse();
  const actions = Object.keys(p.actions) as A[];
  return (
    <details class="legend" open>
      <summary>{p.caption}</summary>
      <DataTable columns={["Action", ...levels.map((l) => p.labels[l])]} label={p.caption}>
        {actions.map((a) => (
          <tr>
            <th scope="row">{p.actions[a].label}</th>
            {levels.map((l) => (
              <td>{p.allows(l, a) ? "Yes" : "No"}</td>
            ))}
          </tr>
        ))}
      </DataTable>
      <p class="muted">Owners are not listed: they have unlimited access to everything in the workspace.</p>
    </details>
  );
}

export interface PermissionEntryView<L extends string> {
  user: { id: string; name: string; email: string; analyticsAccess: AnalyticsAccess };
  level: L;
  canChange: boolean;
}

/** One user's level with its own form; htmx posts it and swaps in the row the server answers with. */
export function PermissionRow<L extends string>(p: {
  action: string;
  entry: PermissionEntryView<L>;
  levels: readonly L[];
  labels: Record<L, string>;
  message?: string;
  error?: boolean;
}) {
  const u = p.entry.user;
  const rowId = `perm-${u.id}`;
  const selectId = `level-${u.id}`;
  return (
    <tr id={rowId}>
      <td>
        {u.name}
        {!p.entry.canChange && <span class="badge">you</span>}
      </td>
      <td>{u.email}</td>
      <td>{u.analyticsAccess === "I" ? "Invited" : "Access"}</td>
      <td>
        {p.entry.canChange ? (
          <Form action={p.action} class="inline level-form">
            <label class="visually-hidden" for={selectId}>{`Level of ${u.name}`}</label>
            <select id={selectId} name="level">
              {[...p.levels].reverse().map((l) => (
                <option value={l} selected={l === p.entry.level}>
                  {p.labels[l]}
                </option>
              ))}
            </select>{" "}
            <button type="submit" class="secondary" {...hxPost(p.action, undefined)}>
              Save
            </button>
          </Form>
        ) : (
          p.labels[p.entry.level]
        )}
        <RowMessage message={p.message} error={p.error} />
      </td>
    </tr>
  );
}

export function PermissionsSection<L extends string>(p: { base: string; entries: PermissionEntryView<L>[]; levels: readonly L[]; labels: Record<L, string>; legend: Child }) {
  return (
    <section id="permissions" aria-labelledby="permissions-heading">
      <h2 id="permissions-heading">Permissions</h2>
      {p.entries.length === 0 ? (
        <Notice>Nobody else in your organization has analytics access yet. An Analytics Administrator invites them first.</Notice>
      ) : (
        <DataTable columns={["Name", "Email", "Analytics access", "Level"]} label="Permissions" swapRows>
          {p.entries.map((e) => (
            <PermissionRow action={`${p.base}/${e.user.id}`} entry={e} levels={p.levels} labels={p.labels} />
          ))}
        </DataTable>
      )}
      {p.legend}
    </section>
  );
}

/** Checkbox names carry the id (`site:<id>`): a form field repeated under one name would arrive as its last value only. */
export const SITE_FIELD_PREFIX = "site:";
export const siteIdsFromForm = (values: FormValues) =>
  Object.keys(values)
    .filter((k) => k.startsWith(SITE_FIELD_PREFIX))
    .map((k) => k.slice(SITE_FIELD_PREFIX.length));

/** A group of site checkboxes; `checked` when no form was posted yet, the posted boxes otherwise. */
export function SiteCheckboxes(p: { legend: string; idPrefix: string; sites: { id: string; name: string }[]; checked: string[]; values?: FormValues; errors?: FieldErrors }) {
  const error = p.errors?.siteIds;
  const isChecked = (id: string) => (p.values ? p.values[`${SITE_FIELD_PREFIX}${id}`] === "on" : p.checked.includes(id));
  return (
    <fieldset class={error ? "field checks invalid" : "field checks"} aria-describedby={error ? `${p.idPrefix}-error` : undefined}>
      <legend>{p.legend}</legend>
      {p.sites.length === 0 && <p class="muted">There are no sites yet.</p>}
      {p.sites.map((s) => (
        <div class="check">
          <input type="checkbox" id={`${p.idPrefix}-${s.id}`} name={`${SITE_FIELD_PREFIX}${s.id}`} value="on" checked={isChecked(s.id)} />
          <label for={`${p.idPrefix}-${s.id}`}>{s.name}</label>
        </div>
      ))}
      {error && (
        <p class="error" id={`${p.idPrefix}-error`} role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

export function TextArea(p: { name: string; id: string; label: string; value?: string; errors?: FieldErrors; rows?: number; maxlength?: number; hint?: string }) {
  const error = p.errors?.[p.name];
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={p.id}>{p.label}</label>
      <textarea id={p.id} name={p.name} rows={p.rows ?? 4} maxlength={p.maxlength} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${p.id}-error` : undefined}>
        {p.value ?? ""}
      </textarea>
      {p.hint && <p class="hint">{p.hint}</p>}
      {error && (
        <p class="error" id={`${p.id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
