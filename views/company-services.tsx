// F-31: one section per service kind on a company's page: its items with the
// end action (htmx row swap, confirmed), and the add form (htmx section swap),
// one line of fields under the list so four sections fit a screen or two.
// Without JavaScript both are plain forms that redirect back to the page.
import { SERVICE_KINDS, type ServiceKind } from "../src/domain/company-services";
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import type { PublicService } from "../src/services/company-services";
import { DataTable, DateTime, EmptyState, Field, Form, FormErrors, Notice, RowAction, RowMessage, hxPost } from "./components";

export const serviceSectionId = (kind: ServiceKind) => `svc-${kind}`;

export function ServiceRow(p: { companyId: string; kind: ServiceKind; item: PublicService; canManage: boolean; message?: string }) {
  const meta = SERVICE_KINDS[p.kind];
  const s = p.item;
  const endPath = `/companies/${p.companyId}/${meta.path}/${s.id}/${meta.endVerb}`;
  const verb = meta.endVerb[0]!.toUpperCase() + meta.endVerb.slice(1);
  return (
    <tr id={`service-${s.id}`}>
      <td>{s.name}</td>
      {p.kind === "eul_user" && <td>{s.email}</td>}
      <td>
        {s.status === "active" ? "Active" : meta.ended}
        <RowMessage message={p.message} />
      </td>
      <td>
        <DateTime at={s.createdAt} />
      </td>
      <td>{s.endedAt ? <DateTime at={s.endedAt} /> : "—"}</td>
      {p.canManage && (
        <td class="row-actions">
          {s.status === "active" && (
            <RowAction action={endPath} label={verb} confirm={`${verb} ${meta.label} ${s.email ?? s.name}?`} />
          )}
        </td>
      )}
    </tr>
  );
}

function AddServiceForm(p: { companyId: string; kind: ServiceKind; values?: FormValues; errors?: FieldErrors; message?: string }) {
  const meta = SERVICE_KINDS[p.kind];
  const action = `/companies/${p.companyId}/${meta.path}`;
  const v = p.values ?? {};
  const id = (field: string) => `f-${p.kind}-${field}`;
  const shown = p.kind === "domain" ? ["domain"] : p.kind === "eul_user" ? ["name", "email"] : ["name"];
  return (
    <Form action={action} class="filters add-service">
      <FormErrors errors={p.errors} shown={shown} message={p.message} />
      {p.kind === "domain" ? (
        <Field id={id("domain")} name="domain" label="Domain name" value={v.domain} errors={p.errors} required maxlength={253} hint="For example video.example.com" />
      ) : (
        <Field id={id("name")} name="name" label={p.kind === "eul_user" ? "Name" : `${meta.label} name`} value={v.name} errors={p.errors} required maxlength={120} />
      )}
      {p.kind === "eul_user" && <Field id={id("email")} name="email" type="email" label="Email" value={v.email} errors={p.errors} required maxlength={254} />}
      <button type="submit" {...hxPost(action, `#${serviceSectionId(p.kind)}`)}>
        Add {meta.label}
      </button>
    </Form>
  );
}

export function ServiceSection(p: {
  companyId: string;
  kind: ServiceKind;
  items: PublicService[];
  canManage: boolean;
  companyActive: boolean;
  notice?: string;
  form?: { values?: FormValues; errors?: FieldErrors; message?: string };
}) {
  const meta = SERVICE_KINDS[p.kind];
  const showActions = p.canManage && p.companyActive;
  const columns = ["Name", ...(p.kind === "eul_user" ? ["Email"] : []), "Status", "Since", `${meta.ended} on`, ...(showActions ? ["Actions"] : [])];
  if (p.kind === "domain") columns[0] = "Domain";
  return (
    <section id={serviceSectionId(p.kind)} class="services">
      <h2>{meta.plural}</h2>
      {p.notice && <Notice kind="success">{p.notice}</Notice>}
      {p.items.length === 0 ? (
        <EmptyState>
          {`No ${meta.inText} yet.`}
          {showActions ? ` Add one with the form below.` : ""}
        </EmptyState>
      ) : (
        <DataTable columns={columns} label={meta.plural} swapRows>
          {p.items.map((item) => (
            <ServiceRow companyId={p.companyId} kind={p.kind} item={item} canManage={showActions} />
          ))}
        </DataTable>
      )}
      {showActions && <AddServiceForm companyId={p.companyId} kind={p.kind} {...p.form} />}
    </section>
  );
}
