// F-44: the analytics users with their module levels, and one user's module
// grid: a row per module in the seed's order, radio buttons only for the
// levels that module offers, cells the viewer may not grant disabled.
import { ANALYTICS_ACCESS_LABELS, MODULE_KEYS, MODULE_LEVEL_LABELS, MODULE_LEVELS, MODULES, moduleLevelsFor } from "../../src/domain/analytics";
import type { AnalyticsUser, UserModules } from "../../src/services/analytics-modules";
import { DataTable, EmptyState, Field, Form, FormErrors, Notice } from "../components";
import type { FormState } from "./workspace-parts";

function moduleSummary(u: AnalyticsUser) {
  if (u.analyticsOwner) return "Every module (owner)";
  if (u.modules.product_admin === "full") return "Every module (Product Administrator)";
  const granted = MODULE_KEYS.filter((m) => u.modules[m] !== "none").map((m) => `${MODULES[m].label}: ${MODULE_LEVEL_LABELS[u.modules[m]]}`);
  return granted.length ? granted.join(", ") : "None";
}

export function AnalyticsUsersPage(p: { users: AnalyticsUser[]; total: number; q?: string; canChange: boolean; selfId: string }) {
  return (
    <>
      <p>
        <a href="/analytics">← Analytics</a>
      </p>
      <h1>Analytics users</h1>
      <p class="muted">
        {p.canChange
          ? "Open a user to change their module permissions."
          : "You can see the users and their module permissions (User Management: Read-only) but not change them."}
      </p>
      <form method="get" action="/analytics/users" class="filters" role="search">
        <Field id="f-users-q" name="q" label="Search name or email" value={p.q} maxlength={120} />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      {p.users.length === 0 ? (
        <EmptyState>{p.q ? "No user matches this search." : "Nobody in your organization has analytics access yet. An Analytics Administrator invites colleagues from the AA column of the Users page."}</EmptyState>
      ) : (
        <DataTable columns={["Name", "Email", "Analytics access", "Owner", "Modules"]} label="Analytics users">
          {p.users.map((u) => (
            <tr>
              <td>
                <a href={`/analytics/users/${u.id}`}>{u.name}</a>
                {u.id === p.selfId && <span class="badge">you</span>}
              </td>
              <td>{u.email}</td>
              <td>{ANALYTICS_ACCESS_LABELS[u.analyticsAccess]}</td>
              <td>{u.analyticsOwner ? "Yes" : "No"}</td>
              <td>{moduleSummary(u)}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {p.total > p.users.length && <p class="muted">{`Showing ${p.users.length} of ${p.total} users. Search to narrow the list.`}</p>}
    </>
  );
}

export interface ModuleGridPageProps {
  data: UserModules;
  /** The viewer may change at least this grid's cells (User Management in Full, or owner). */
  canChange: boolean;
  /** The viewer may open the users list (back link). */
  canListUsers: boolean;
  form?: FormState;
  /** F-41: owners see "Make owner" / "Remove owner access" for other users. */
  viewerIsOwner?: boolean;
  viewerId?: string;
  ownerError?: string;
}

export function ModuleGridPage(p: ModuleGridPageProps) {
  const u = p.data.user;
  const posted = p.form?.values;
  const editable = p.canChange && MODULE_KEYS.some((m) => p.data.grantable[m].length > 0);
  return (
    <>
      <p>{p.canListUsers ? <a href="/analytics/users">← Analytics users</a> : <a href="/analytics">← Analytics</a>}</p>
      <h1>Module permissions: {u.name}</h1>
      <p class="muted">
        {u.email} · {ANALYTICS_ACCESS_LABELS[u.analyticsAccess]}
        {u.analyticsOwner && " · Owner: every module in full, whatever the grid says"}
      </p>
      {p.ownerError && <Notice kind="error">{p.ownerError}</Notice>}
      {p.viewerIsOwner && u.id !== p.viewerId && (
        <Form action={`/analytics/users/${u.id}/owner`} class="inline" confirm={u.analyticsOwner ? `Remove owner access from ${u.name}?` : `Make ${u.name} an owner, with unlimited access to the workspace?`}>
          <input type="hidden" name="owner" value={u.analyticsOwner ? "false" : "true"} />
          <button type="submit" class="secondary">{u.analyticsOwner ? "Remove owner access" : "Make owner"}</button>
        </Form>
      )}
      <Form action={`/analytics/users/${u.id}`} id="module-grid">
        <FormErrors errors={p.form?.errors} shown={[]} message={p.form?.message} />
        <fieldset disabled={!editable} class="grid">
          <legend class="visually-hidden">Module permissions</legend>
          <DataTable columns={["Module", ...MODULE_LEVELS.map((l) => MODULE_LEVEL_LABELS[l]), "Effective"]} label="Module permissions">
            {MODULE_KEYS.map((m) => {
              const current = posted?.[m] ?? u.modules[m];
              const offered = moduleLevelsFor(m);
              return (
                <tr>
                  <th scope="row">
                    {MODULES[m].label}
                    <p class="hint">{MODULES[m].description}</p>
                  </th>
                  {MODULE_LEVELS.map((l) =>
                    offered.includes(l) ? (
                      <td>
                        <input
                          type="radio"
                          id={`m-${m}-${l}`}
                          name={m}
                          value={l}
                          checked={current === l}
                          disabled={!p.data.grantable[m].includes(l)}
                          aria-label={`${MODULES[m].label}: ${MODULE_LEVEL_LABELS[l]}`}
                        />
                      </td>
                    ) : (
                      <td class="muted" title="Not offered for this module">
                        —
                      </td>
                    ),
                  )}
                  <td>{MODULE_LEVEL_LABELS[p.data.effective[m]]}</td>
                </tr>
              );
            })}
          </DataTable>
        </fieldset>
        {editable && <button type="submit">Save</button>}
      </Form>
      {!editable && (
        <p class="muted">
          {p.canChange
            ? "You cannot change any cell of this grid: your own grid, an owner's, or modules only owners grant."
            : "Read-only: changing module permissions needs User Management in Full."}
        </p>
      )}
      <p class="muted">Cells you cannot grant are disabled: only owners grant Product Administrator and User Management, and nobody grants above their own level.</p>
    </>
  );
}
