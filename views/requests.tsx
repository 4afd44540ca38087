// Secondary-role requests (F-15, F-16): Partner Managers ask for P or AAA,
// operators approve or reject from the queue.
import type { Actor } from "../src/domain/actor";
import { canDecideRequests, canRequestSecondaryRole, ROLE_LABELS, SECONDARY_ROLES, secondaryRoleRule, type Role } from "../src/domain/roles";
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import type { PublicRequest } from "../src/services/role-requests";
import { DataTable, DateTime, EmptyState, Form, FormErrors, RowAction, RowMessage, Select } from "./components";
import { Pagination, type PageInfo } from "./users";

const STATUS = { pending: "Pending", approved: "Approved", rejected: "Rejected" } as const;

export function RequestRow(p: { request: PublicRequest; decide?: boolean; message?: string; error?: boolean }) {
  const r = p.request;
  const rowId = `request-${r.id}`;
  const action = (path: string, label: string, confirm?: string) => (
    <RowAction action={`/requests/${r.id}/${path}`} label={label} confirm={confirm} />
  );
  return (
    <tr id={rowId}>
      <td>{SECONDARY_ROLES[r.kind].label}</td>
      <td>
        {r.user.name} <span class="muted">({r.user.email})</span>
        <br />
        <span class="muted">now {ROLE_LABELS[r.user.role]}</span>
      </td>
      {p.decide && (
        <td>
          <a href={`/orgs/${r.org.id}`}>{r.org.name}</a>
        </td>
      )}
      <td>{r.requestedBy.name ?? <span class="muted">deleted user</span>}</td>
      <td>
        <DateTime at={r.createdAt} />
      </td>
      <td>
        {STATUS[r.status]}
        {r.decidedBy && <span class="muted"> by {r.decidedBy.name}</span>}
      </td>
      {p.decide && (
        <td>
          {r.status === "pending" && (
            <div class="row-actions">
              {action("approve", "Approve")}
              {action("reject", "Reject", `Reject the request for ${SECONDARY_ROLES[r.kind].label} for ${r.user.name}?`)}
            </div>
          )}
          <RowMessage message={p.message} error={p.error} />
        </td>
      )}
    </tr>
  );
}

interface Requestable {
  id: string;
  name: string;
  email: string;
  role: Role;
  purchaser: boolean;
  analyticsAdmin: boolean;
}

function RequestForm(p: { users: Requestable[]; values?: FormValues; errors?: FieldErrors; message?: string }) {
  const v = p.values ?? {};
  return (
    <Form action="/requests" class="card" id="request">
      <h2>Request a secondary role</h2>
      <p class="muted">
        {secondaryRoleRule("purchaser")} {secondaryRoleRule("analytics_admin")} An operator approves or rejects the request; you get an email either way. AAA does not give
        Analytics access by itself: the holder is invited like anyone else.
      </p>
      <FormErrors errors={p.errors} shown={["kind", "userId"]} message={p.message} />
      <Select
        name="kind"
        label="Role"
        value={v.kind ?? "purchaser"}
        errors={p.errors}
        options={[
          { value: "purchaser", label: SECONDARY_ROLES.purchaser.label },
          { value: "analytics_admin", label: SECONDARY_ROLES.analytics_admin.label },
        ]}
      />
      <Select
        name="userId"
        label="For"
        value={v.userId ?? ""}
        errors={p.errors}
        options={[
          { value: "", label: "Choose a user" },
          ...p.users.map((u) => ({
            value: u.id,
            label: `${u.name} (${u.email}) — ${ROLE_LABELS[u.role]}${u.purchaser ? ", P" : ""}${u.analyticsAdmin ? ", AAA" : ""}`,
          })),
        ]}
      />
      <button type="submit">Send request</button>
    </Form>
  );
}

export function RequestsPage(p: {
  actor: Actor;
  requests: PublicRequest[];
  page: PageInfo;
  users: Requestable[];
  form?: { values?: FormValues; errors?: FieldErrors; message?: string };
}) {
  const decide = canDecideRequests(p.actor);
  return (
    <>
      <h1>{decide ? "Requests queue" : "Requests"}</h1>
      {canRequestSecondaryRole(p.actor) && <RequestForm users={p.users} {...p.form} />}
      <h2>{decide ? "Purchaser and AAA requests, pending first" : "Your organization's requests"}</h2>
      {p.requests.length === 0 ? (
        <EmptyState>
          {decide
            ? "No requests are waiting. Partner Managers ask for Purchaser (P) or Analytics Administrator (AAA) here; new ones show up in this queue."
            : canRequestSecondaryRole(p.actor)
              ? "No requests yet. Use the form above to ask for Purchaser (P) or Analytics Administrator (AAA) for a colleague."
              : "No requests yet. A Partner Manager of your organization can ask operators for Purchaser (P) or Analytics Administrator (AAA)."}
        </EmptyState>
      ) : (
        <DataTable columns={decide ? ["Role", "For", "Organization", "Requested by", "Requested", "Status", "Actions"] : ["Role", "For", "Requested by", "Requested", "Status"]} label="Requests" swapRows>
          {p.requests.map((r) => (
            <RequestRow request={r} decide={decide} />
          ))}
        </DataTable>
      )}
      <Pagination page={p.page} nouns={["request", "requests"]} href={(n) => `/requests?page=${n}`} />
    </>
  );
}
