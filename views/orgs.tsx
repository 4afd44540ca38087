// Operators' organizations page: list, onboard form (F-02), and one organization's accounts.
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import type { toPublicOrg } from "../src/services/organizations";
import type { PublicUser } from "../src/services/user-shape";
import { Checkbox, DataTable, DateTime, Field, Form, FormErrors, Notice, Select } from "./components";
import { USER_COLUMNS, UserRow } from "./users";

type Org = ReturnType<typeof toPublicOrg>;

export function OnboardForm(p: { values?: FormValues; errors?: FieldErrors; partners: Org[] }) {
  const v = p.values ?? {};
  return (
    <Form action="/orgs" class="card" id="onboard">
      <h2>Onboard an organization</h2>
      <FormErrors errors={p.errors} shown={["name", "kind", "channelPartner", "managedBy", "manager.email", "manager.name"]} />
      <Field name="name" label="Organization name" value={v.name} errors={p.errors} required maxlength={120} />
      <Select
        name="kind"
        label="Kind"
        value={v.kind ?? "partner"}
        errors={p.errors}
        options={[
          { value: "partner", label: "Partner (reseller)" },
          { value: "customer", label: "Customer" },
        ]}
      />
      <Checkbox name="channelPartner" label="Channel partner (partners only)" checked={v.channelPartner === "on"} errors={p.errors} />
      <Select
        name="managedBy"
        label="Managed by partner (customers only)"
        value={v.managedBy ?? ""}
        errors={p.errors}
        options={[{ value: "", label: "—" }, ...p.partners.map((o) => ({ value: o.id, label: o.name }))]}
      />
      <Field name="manager.name" label="First Partner Manager's name" value={v["manager.name"]} errors={p.errors} required maxlength={120} />
      <Field name="manager.email" label="First Partner Manager's email" type="email" value={v["manager.email"]} errors={p.errors} required hint="They receive an invitation to activate their account." />
      <button type="submit">Create and send invitation</button>
    </Form>
  );
}

export function OrgsPage(p: { orgs: Org[]; form?: { values?: FormValues; errors?: FieldErrors } }) {
  const partners = p.orgs.filter((o) => o.kind === "partner" && o.status === "active");
  return (
    <>
      <h1>Organizations</h1>
      {p.orgs.length === 0 ? (
        <Notice>No partner or customer organizations yet. Onboard the first one below.</Notice>
      ) : (
        <DataTable columns={["Name", "Kind", "Channel partner", "Status", "Created"]} label="Organizations">
              {p.orgs.map((o) => (
                <tr>
                  <td>{o.kind === "vendor" ? o.name : <a href={`/orgs/${o.id}`}>{o.name}</a>}</td>
                  <td>{o.kind}</td>
                  <td>{o.kind === "partner" ? (o.channelPartner ? "Yes" : "No") : "—"}</td>
                  <td>{o.status}</td>
                  <td>
                    <DateTime at={o.createdAt} />
                  </td>
                </tr>
              ))}
        </DataTable>
      )}
      <OnboardForm partners={partners} {...p.form} />
    </>
  );
}

export function OrgDetailPage(p: { org: Org; users: PublicUser[]; errors?: FieldErrors }) {
  return (
    <>
      <p>
        <a href="/orgs">← Organizations</a>
      </p>
      <h1>{p.org.name}</h1>
      <p class="muted">
        {p.org.kind}
        {p.org.kind === "partner" && (p.org.channelPartner ? " · channel partner" : " · not a channel partner")} · {p.org.status} ·{" "}
        <a href={`/audit?orgId=${p.org.id}`}>Audit log</a>
      </p>
      <h2>Accounts</h2>
      <DataTable columns={[...USER_COLUMNS, "Actions"]} label="Accounts" swapRows>
        {p.users.map((u) => (
          <UserRow user={u} actions />
        ))}
      </DataTable>
      {p.org.status === "active" && (
        <Form action={`/orgs/${p.org.id}`} class="card">
          <h2>Settings</h2>
          <FormErrors errors={p.errors} shown={["name", "channelPartner"]} />
          <Field name="name" label="Name" value={p.org.name} errors={p.errors} required maxlength={120} />
          {p.org.kind === "partner" && <Checkbox name="channelPartner" label="Channel partner" checked={p.org.channelPartner} errors={p.errors} />}
          <button type="submit">Save</button>
        </Form>
      )}
      {p.org.status === "active" && (
        <Form action={`/orgs/${p.org.id}/terminate`} confirm={`Terminate ${p.org.name}? Its users can no longer sign in.`}>
          <button type="submit" class="danger">Terminate organization</button>
        </Form>
      )}
    </>
  );
}
