// The users page (F-11…F-14, F-17): the permission matrix, the organization's
// users with filters and row actions, the invite form, and who holds AAA.
import type { Actor } from "../src/domain/actor";
import { canAdministerAnalyticsAccess } from "../src/domain/analytics";
import { ACCOUNT_STATUSES, STATUS_LABELS } from "../src/domain/account-state";
import { can, isOperator, PERMISSION_KEYS, PORTAL_PERMISSIONS, PORTAL_ROLES, ROLE_LABELS, type Role } from "../src/domain/roles";
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import type { PublicUser } from "../src/services/user-shape";
import { DataTable, DateTime, Field, Form, FormErrors, Notice, RowAction, RowMessage, Select, hxPost } from "./components";

export const AA_LABELS = { Y: "Y — has access", I: "I — invited", N: "N — no access" } as const;
const yn = (b: boolean) => (b ? "Y" : "N");

export const roleOptions = PORTAL_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] }));

/** F-11: the matrix the services enforce, rendered from the same data. */
export function PermissionMatrix(p: { role: Role }) {
  return (
    <DataTable columns={["Permission", ...PORTAL_ROLES.map((r) => (r === p.role ? `${ROLE_LABELS[r]} (you)` : ROLE_LABELS[r]))]} label="Permissions by role">
      {PERMISSION_KEYS.map((key) => (
        <tr>
          <th scope="row">{PORTAL_PERMISSIONS[key].label}</th>
          {PORTAL_ROLES.map((role) => (
            <td>{can({ role }, key) ? "Yes" : "No"}</td>
          ))}
        </tr>
      ))}
    </DataTable>
  );
}

/** The name with the email under it: one column, so a row fits the role form and the actions on one line each. */
export const USER_COLUMNS = ["User", "Role", "Status", "Last sign-in", "P", "AA", "AAA"];

/**
 * One user's row. With `actions` (a Partner Manager or an operator) it carries
 * the role change and the account actions as forms that work without
 * JavaScript; htmx posts them and swaps in the row the server answers with,
 * which shows the result (or the refusal) in `message`.
 */
/**
 * F-23/F-24: the AA cell. An Analytics Administrator of the user's
 * organization gets the invite / resend / revoke buttons (htmx row swap);
 * everyone else sees the letter.
 */
function AnalyticsAccessCell(p: { user: PublicUser; aaa?: boolean }) {
  const u = p.user;
  const letter = <span title={AA_LABELS[u.analyticsAccess]}>{u.analyticsAccess}</span>;
  if (!p.aaa) return <td title={AA_LABELS[u.analyticsAccess]}>{u.analyticsAccess}</td>;
  const action = (path: "invite" | "revoke", label: string, confirm?: string) => (
    <RowAction action={`/users/${u.id}/analytics/${path}`} label={label} confirm={confirm} />
  );
  const revoke = action("revoke", "Revoke", `Revoke the analytics access of ${u.email}? Their portal account stays as it is.`);
  const active = u.status === "active";
  return (
    <td class="aa-cell">
      {u.analyticsAccess === "N" && (active ? action("invite", "No access. Click to invite") : letter)}
      {u.analyticsAccess === "I" && (
        <>
          {letter} {active && action("invite", "Invited · resend")} {revoke}
        </>
      )}
      {u.analyticsAccess === "Y" && (
        <>
          {letter} {revoke}
        </>
      )}
    </td>
  );
}

/**
 * F-46: "Delete" asks first. With htmx it posts after the browser's
 * confirmation; without JavaScript the form opens the confirmation page.
 */
function DeleteAction(p: { user: PublicUser }) {
  const path = `/users/${p.user.id}/delete`;
  const question = `Delete the account of ${p.user.email}? This cannot be undone.`;
  return (
    <form method="get" action={path} class="inline" data-confirm={question}>
      <button type="submit" class="secondary" {...hxPost(path, undefined, question)}>
        Delete
      </button>
    </form>
  );
}

/** What replaces a deleted user's row. */
export function DeletedUserRow(p: { id: string; email: string }) {
  return (
    <tr id={`user-${p.id}`}>
      <td colspan={USER_COLUMNS.length + 1}>
        <p class="muted" role="status">
          {p.email}: account deleted.
        </p>
      </td>
    </tr>
  );
}

export function UserRow(p: { user: PublicUser; actions?: boolean; self?: boolean; aaa?: boolean; message?: string; error?: boolean }) {
  const u = p.user;
  const rowId = `user-${u.id}`;
  const button = (path: string, label: string, style = "secondary") => (
    <button type="submit" class={style} {...hxPost(`/users/${u.id}/${path}`, undefined)}>
      {label}
    </button>
  );
  const action = (path: string, label: string, confirm?: string) => (
    <RowAction action={`/users/${u.id}/${path}`} label={label} confirm={confirm} />
  );
  const canChangeRole = p.actions && u.role !== "operator";
  return (
    <tr id={rowId}>
      <td class="person">
        {u.name}
        {p.self && <span class="badge">you</span>}
        <span class="email">{u.email}</span>
      </td>
      <td>
        {canChangeRole ? (
          <Form action={`/users/${u.id}/role`} class="inline role-form">
            <label class="visually-hidden" for={`role-${u.id}`}>{`Role of ${u.name}`}</label>
            <select id={`role-${u.id}`} name="role">
              {roleOptions.map((o) => (
                <option value={o.value} selected={o.value === u.role}>
                  {o.label}
                </option>
              ))}
            </select>{" "}
            {button("role", "Change role")}
          </Form>
        ) : (
          ROLE_LABELS[u.role]
        )}
      </td>
      <td>{STATUS_LABELS[u.status]}</td>
      <td>
        <DateTime at={u.lastLoginAt} />
      </td>
      <td>{yn(u.purchaser)}</td>
      <AnalyticsAccessCell user={u} aaa={p.aaa} />
      <td>{yn(u.analyticsAdmin)}</td>
      {p.actions && (
        <td>
          <div class="row-actions">
            {u.status === "invited" && action("reinvite", "Re-invite")}
            {(u.status === "active" || u.status === "pending_2fa") &&
              action("reset-2fa", "Reset 2FA", `Reset two-factor authentication of ${u.email}? They will set it up again at next sign-in.`)}
            {u.status !== "deactivated" && !p.self && action("deactivate", "Deactivate", `Deactivate ${u.email}? They can no longer sign in and their sessions end at once.`)}
            {u.status === "deactivated" && action("activate", "Activate")}
            {!p.self && <DeleteAction user={u} />}
          </div>
          <RowMessage message={p.message} error={p.error} />
        </td>
      )}
    </tr>
  );
}

export interface PageInfo {
  number: number;
  size: number;
  total: number;
}

/** Previous / next links that keep the filter. */
export function Pagination(p: { page: PageInfo; href: (page: number) => string; nouns: readonly [one: string, many: string] }) {
  const pages = Math.max(1, Math.ceil(p.page.total / p.page.size));
  if (p.page.total === 0) return null;
  return (
    <nav class="pagination" aria-label="Pages">
      {p.page.number > 1 && (
        <a href={p.href(p.page.number - 1)} rel="prev">
          ← Previous
        </a>
      )}
      <span>
        Page {p.page.number} of {pages} · {p.page.total} {p.page.total === 1 ? p.nouns[0] : p.nouns[1]}
      </span>
      {p.page.number < pages && (
        <a href={p.href(p.page.number + 1)} rel="next">
          Next →
        </a>
      )}
    </nav>
  );
}

export interface UsersFilter {
  q?: string;
  role?: string;
  status?: string;
}

export const filterQuery = (f: UsersFilter, extra: Record<string, string> = {}) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ q: f.q, role: f.role, status: f.status, ...extra })) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
};

export interface Manager {
  id: string;
  name: string;
  email: string;
  status: string;
  analyticsAdmin: boolean;
}

/** F-17: everyone sees their Partner Managers and which of them hold AAA. */
export function ManagersSection(p: { managers: Manager[] }) {
  const admins = p.managers.filter((m) => m.analyticsAdmin);
  return (
    <section aria-labelledby="managers-heading">
      <h2 id="managers-heading">Who is my Analytics Administrator?</h2>
      <p class="muted">
        An Analytics Administrator (AAA) can invite you to Analytics. Only Partner Managers can hold this role.
        {admins.length === 0 && " Nobody in your organization has it yet: a Partner Manager can request it on the Requests page."}
      </p>
      {p.managers.length === 0 ? (
        <Notice>Your organization has no Partner Manager.</Notice>
      ) : (
        <DataTable columns={["Partner Manager", "Email", "Analytics Administrator (AAA)"]} label="Partner Managers">
          {p.managers.map((m) => (
            <tr>
              <td>{m.name}</td>
              <td>
                <a href={`mailto:${m.email}`}>{m.email}</a>
              </td>
              <td>{m.analyticsAdmin ? "Yes" : "No"}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

export function InviteForm(p: { values?: FormValues; errors?: FieldErrors; message?: string }) {
  const v = p.values ?? {};
  return (
    <Form action="/users" class="card" id="invite">
      <h2>Invite a colleague</h2>
      <FormErrors errors={p.errors} shown={["email", "name", "role"]} message={p.message} />
      <Field name="email" label="Email" type="email" value={v.email} errors={p.errors} required autocomplete="off" />
      <Field name="name" label="Name" value={v.name} errors={p.errors} required maxlength={120} autocomplete="off" />
      <Select name="role" label="Role" value={v.role ?? "regular"} errors={p.errors} options={roleOptions} />
      <button type="submit">Send invitation</button>
      <p class="hint">
        Many at once? Use the <a href="/invitations">bulk invite</a>.
      </p>
    </Form>
  );
}

export function UsersPage(p: {
  actor: Actor;
  users: PublicUser[];
  page: PageInfo;
  filter: UsersFilter;
  managers: Manager[];
  error?: string;
  invite?: { values?: FormValues; errors?: FieldErrors; message?: string };
}) {
  const manage = can(p.actor, "managePortalUsers");
  const csvHref = `/api/v1/users${filterQuery(p.filter, { format: "csv" })}`;
  return (
    <>
      <h1>Users</h1>
      {manage && (
        <p>
          <a href="/users/inactivity">Inactive accounts</a>: who will be reminded or deactivated in the next 30 days.
        </p>
      )}
      {p.error && <Notice kind="error">{p.error}</Notice>}

      <form method="get" action="/users" class="filters" role="search">
        <Field id="filter-q" name="q" label="Search name or email" value={p.filter.q} maxlength={120} />
        <Select id="filter-role" name="role" label="Role" value={p.filter.role ?? ""} options={[{ value: "", label: "Any role" }, ...roleOptions]} />
        <Select
          id="filter-status"
          name="status"
          label="Status"
          value={p.filter.status ?? ""}
          options={[{ value: "", label: "Any status" }, ...ACCOUNT_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))]}
        />
        <div class="filter-buttons">
          <button type="submit">Filter</button>
          <a class="button secondary" href={csvHref} download="users.csv">
            Export CSV
          </a>
        </div>
      </form>

      {p.users.length === 0 ? (
        <Notice>No users match this filter.</Notice>
      ) : (
        <DataTable columns={manage ? [...USER_COLUMNS, "Actions"] : USER_COLUMNS} label="Users" swapRows dense>
          {p.users.map((u) => (
            <UserRow user={u} actions={manage} self={u.id === p.actor.id} aaa={canAdministerAnalyticsAccess(p.actor, p.actor.orgId, u.orgId)} />
          ))}
        </DataTable>
      )}
      <Pagination page={p.page} nouns={["user", "users"]} href={(n) => `/users${filterQuery(p.filter, { page: String(n) })}`} />
      <p class="muted">P: Purchaser. AA: Analytics Access (Y access, I invited, N none). AAA: Analytics Administrator.</p>

      {manage && !isOperator(p.actor) && <InviteForm {...p.invite} />}

      <ManagersSection managers={p.managers} />

      <h2>What each role can do</h2>
      <PermissionMatrix role={p.actor.role} />
    </>
  );
}

/** F-46 without JavaScript: the confirmation step before the account goes. */
export function DeleteUserPage(p: { user: PublicUser; back: string }) {
  const u = p.user;
  return (
    <>
      <h1>Delete {u.name}?</h1>
      <div class="card">
        <p>
          The account of <strong>{u.email}</strong> ({ROLE_LABELS[u.role]}, {STATUS_LABELS[u.status]}) is removed for good, together with its analytics
          access and permissions, API tokens, partner access, pending invitations and open requests. Its sessions end at once.
        </p>
        <p class="muted">The audit log keeps its entries; they show the account as “deleted user”. To only stop sign-ins, deactivate instead.</p>
        <Form action={`/users/${u.id}/delete`}>
          <button type="submit" class="danger">
            Delete the account
          </button>{" "}
          <a href={p.back}>Cancel</a>
        </Form>
      </div>
    </>
  );
}
