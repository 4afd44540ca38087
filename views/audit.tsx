// The audit log page (F-50): filters that keep their values, the entries with
// before/after, pagination and the CSV export of the same filter.
import type { Actor } from "../src/domain/actor";
import { AUDIT_ACTIONS, type AuditAction } from "../src/domain/audit-actions";
import { isOperator } from "../src/domain/roles";
import type { FieldErrors } from "../src/lib/errors";
import type { AuditItem } from "../src/services/audit-log";
import { DataTable, DateTime, EmptyState, Field, FormErrors, Select } from "./components";
import { Pagination, type PageInfo } from "./users";

export type AuditFormValues = Partial<Record<"actor" | "action" | "target" | "from" | "to" | "orgId", string>>;

/** The filter as a query string, with extra parameters (page, format). */
export const auditQuery = (values: AuditFormValues, extra: Record<string, string> = {}) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...values, ...extra })) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
};

const json = (value: unknown) => (value === null || value === undefined ? "—" : JSON.stringify(value, null, 2));

function ActorCell(p: { actor: AuditItem["actor"] }) {
  if (!p.actor) return <span class="muted">system</span>;
  if (p.actor.deleted) return <span class="muted" title={p.actor.id}>deleted user</span>;
  return (
    <span title={p.actor.id}>
      {p.actor.name}
      <br />
      <span class="muted">{p.actor.email}</span>
    </span>
  );
}

const ACTION_CODES = Object.keys(AUDIT_ACTIONS) as AuditAction[];
/** "user.", "analytics.site." …: every prefix the filter accepts, shortest first. */
const ACTION_PREFIXES = [...new Set(ACTION_CODES.flatMap((code) => code.split(".").slice(0, -1).map((_, i, parts) => `${parts.slice(0, i + 1).join(".")}.`)))].sort(
  (a, b) => a.split(".").length - b.split(".").length || a.localeCompare(b),
);

/** The action field's suggestions: each prefix, then each action with its words. */
function ActionSuggestions() {
  return (
    <datalist id="audit-actions">
      {ACTION_PREFIXES.map((prefix) => (
        <option value={prefix} label="every action starting so" />
      ))}
      {ACTION_CODES.map((code) => (
        <option value={code} label={AUDIT_ACTIONS[code]} />
      ))}
    </datalist>
  );
}

/**
 * An operator's list of every organization names each entry's organization,
 * linked to the same filter narrowed to it.
 */
interface OrgColumn {
  names: Map<string, string>;
  href: (orgId: string) => string;
}

function OrgCell(p: { orgId: string | null; column: OrgColumn }) {
  if (p.orgId === null) return <span class="muted">—</span>;
  const name = p.column.names.get(p.orgId);
  return <a href={p.column.href(p.orgId)}>{name ?? <code>{p.orgId}</code>}</a>;
}

export function AuditRow(p: { item: AuditItem; orgColumn?: OrgColumn }) {
  const i = p.item;
  return (
    <tr id={`audit-${i.id}`}>
      <td>
        <DateTime at={i.at} />
      </td>
      {p.orgColumn && (
        <td>
          <OrgCell orgId={i.orgId} column={p.orgColumn} />
        </td>
      )}
      <td>
        <ActorCell actor={i.actor} />
      </td>
      <td>
        {i.actionLabel === i.action ? (
          <code>{i.action}</code>
        ) : (
          <>
            {i.actionLabel}
            <br />
            <code class="muted">{i.action}</code>
          </>
        )}
      </td>
      <td>
        {i.targetLabel ? (
          <>
            {i.targetLabel}
            <br />
            <span class="muted">
              {i.targetType} <code>{i.targetId}</code>
            </span>
          </>
        ) : (
          <>
            {i.targetType}
            {i.targetId && (
              <>
                {" "}
                <code>{i.targetId}</code>
              </>
            )}
          </>
        )}
      </td>
      <td>{i.ip ?? <span class="muted">—</span>}</td>
      <td>
        {i.before === null && i.after === null ? (
          <span class="muted">—</span>
        ) : (
          <details>
            <summary>Changes</summary>
            <p>Before</p>
            <pre>{json(i.before)}</pre>
            <p>After</p>
            <pre>{json(i.after)}</pre>
          </details>
        )}
      </td>
    </tr>
  );
}

export function AuditPage(p: {
  actor: Actor;
  values: AuditFormValues;
  errors?: FieldErrors;
  list: { items: AuditItem[]; page: PageInfo } | null;
  orgs: { id: string; name: string }[];
  /** Kept in the page links when the address named one. */
  pageSize?: string;
}) {
  const v = p.values;
  const filtered = Object.values(v).some(Boolean);
  const orgColumn: OrgColumn | undefined =
    isOperator(p.actor) && !v.orgId ? { names: new Map(p.orgs.map((o) => [o.id, o.name])), href: (orgId) => `/audit${auditQuery({ ...v, orgId })}` } : undefined;
  return (
    <>
      <h1>Audit log</h1>
      <p class="muted">
        {isOperator(p.actor) ? "Every change in every organization" : "Every change in your organization"}: who, what, target, before and after, IP and time.
      </p>
      <form method="get" action="/audit" class="filters" role="search" aria-label="Filter the audit log">
        {isOperator(p.actor) && (
          <Select name="orgId" label="Organization" value={v.orgId ?? ""} errors={p.errors} options={[{ value: "", label: "All organizations" }, ...p.orgs.map((o) => ({ value: o.id, label: o.name }))]} />
        )}
        <Field name="actor" label="Actor (email or id)" value={v.actor} errors={p.errors} maxlength={254} />
        <Field name="action" label="Action" value={v.action} errors={p.errors} maxlength={80} list="audit-actions" hint='Exact, or a prefix ending in "." such as user.' />
        <ActionSuggestions />
        <Field name="target" label="Target id" value={v.target} errors={p.errors} maxlength={80} />
        <Field name="from" label="From" type="date" value={v.from} errors={p.errors} />
        <Field name="to" label="To" type="date" value={v.to} errors={p.errors} />
        <FormErrors errors={p.errors} shown={["orgId", "actor", "action", "target", "from", "to"]} message={p.errors ? "The filter was not understood." : undefined} />
        <div class="actions">
          <button type="submit">Filter</button> {filtered && <a href="/audit">Clear</a>}
        </div>
      </form>
      {p.list && (
        <>
          <p>
            <a href={`/api/v1/audit${auditQuery(v, { format: "csv" })}`} download="audit-log.csv" class="button secondary">
              Export CSV
            </a>
          </p>
          {p.list.items.length === 0 ? (
            <EmptyState>{filtered ? "No audit entries match this filter. Widen the dates or clear a field." : "No audit entries yet. Every change made in the portal is recorded here."}</EmptyState>
          ) : (
            <DataTable columns={["Time", ...(orgColumn ? ["Organization"] : []), "Actor", "Action", "Target", "IP", "Before / after"]} label="Audit entries">
              {p.list.items.map((item) => (
                <AuditRow item={item} orgColumn={orgColumn} />
              ))}
            </DataTable>
          )}
          <Pagination page={p.list.page} href={(n) => `/audit${auditQuery(v, { ...(p.pageSize ? { pageSize: p.pageSize } : {}), page: String(n) })}`} nouns={["entry", "entries"]} />
        </>
      )}
    </>
  );
}
