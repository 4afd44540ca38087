// F-30/F-32: the companies list, one company's page and its printable handout.
// Forms and buttons appear only where the F-11 matrix allows the action; the
// services enforce the same rules for the API.
import type { Actor } from "../src/domain/actor";
import { SERVICE_KIND_KEYS, SERVICE_KINDS, type ServiceKind } from "../src/domain/company-services";
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import type { CompanyListItem, PublicCompany } from "../src/services/companies";
import type { Handout, ServicesByKind } from "../src/services/company-services";
import type { CatalogEntry, PublicPlan } from "../src/services/license-plans";
import { DataTable, DateTime, EmptyState, Field, Form, FormErrors, Notice, Pager, RowMessage, Select, hxPost } from "./components";
import { ServiceSection } from "./company-services";
import { PlansSection } from "./plans";

type FormState = { values?: FormValues; errors?: FieldErrors; message?: string };

const statusLabel = (status: string) => (status === "active" ? "Active" : "Terminated");

export function CompanyRow(p: { company: CompanyListItem; canManage: boolean; message?: string }) {
  const c = p.company;
  const terminate = `/companies/${c.id}/terminate`;
  return (
    <tr id={`company-${c.id}`}>
      <td>
        <a href={`/companies/${c.id}`}>{c.name}</a>
      </td>
      <td>
        {statusLabel(c.status)}
        <RowMessage message={p.message} />
      </td>
      {SERVICE_KIND_KEYS.map((k) => (
        <td>{c.activeServices[k]}</td>
      ))}
      <td>
        <DateTime at={c.createdAt} />
      </td>
      {p.canManage && (
        <td class="row-actions">
          {c.status === "active" && (
            <Form action={terminate} class="inline" confirm={`Terminate ${c.name}? Its services stay listed, but nothing about it can change afterwards.`}>
              <input type="hidden" name="from" value="list" />
              <button type="submit" class="secondary" {...hxPost(terminate, undefined, `Terminate ${c.name}? Its services stay listed, but nothing about it can change afterwards.`)}>
                Terminate
              </button>
            </Form>
          )}
        </td>
      )}
    </tr>
  );
}


export function AddCompanyForm(p: FormState) {
  return (
    <Form action="/companies" class="card" id="add-company">
      <h2>Add a company</h2>
      <FormErrors errors={p.errors} shown={["name"]} message={p.message} />
      <Field id="f-company-name" name="name" label="Company name" value={p.values?.name} errors={p.errors} required maxlength={120} />
      <button type="submit">Add company</button>
    </Form>
  );
}

export function CompaniesPage(p: {
  items: CompanyListItem[];
  page: { number: number; size: number; total: number };
  query: { q?: string; status?: string };
  canManage: boolean;
  form?: FormState;
}) {
  return (
    <>
      <h1>Companies</h1>
      <form method="get" action="/companies" class="filters" role="search">
        <Field id="f-search-q" name="q" label="Search by name" value={p.query.q} maxlength={120} />
        <Select
          id="f-search-status"
          name="status"
          label="Status"
          value={p.query.status ?? ""}
          options={[
            { value: "", label: "Any" },
            { value: "active", label: "Active" },
            { value: "terminated", label: "Terminated" },
          ]}
        />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      {p.items.length === 0 ? (
        <EmptyState action={p.query.q || p.query.status ? <a href="/companies">Show all companies</a> : undefined}>
          {p.query.q || p.query.status
            ? "No company matches this search."
            : p.canManage
              ? "Your organization has no companies yet. Add the first one with the form below."
              : "Your organization has no companies yet. A Regular User or Partner Manager can add them."}
        </EmptyState>
      ) : (
        <DataTable columns={["Name", "Status", ...SERVICE_KIND_KEYS.map((k) => `Active ${SERVICE_KINDS[k].plural}`), "Created", ...(p.canManage ? ["Actions"] : [])]} label="Companies" swapRows>
          {p.items.map((c) => (
            <CompanyRow company={c} canManage={p.canManage} />
          ))}
        </DataTable>
      )}
      <p class="muted">{p.page.total === 1 ? "1 company" : `${p.page.total} companies`}</p>
      <Pager page={p.page} query={{ q: p.query.q, status: p.query.status }} />
      {p.canManage && <AddCompanyForm {...p.form} />}
    </>
  );
}

export interface CompanyPageProps {
  actor: Actor;
  company: PublicCompany;
  services: ServicesByKind;
  plans: PublicPlan[];
  catalog: CatalogEntry[];
  /** Which company actions and service kinds this actor may change (the F-11 matrix). */
  allowed: { manageCompanies: boolean; exportHandouts: boolean; kinds: Record<ServiceKind, boolean>; purchaser: boolean };
  forms?: { edit?: FormState; order?: FormState; plans?: Record<string, FormState> } & Partial<Record<ServiceKind, FormState>>;
}

export function CompanyPage(p: CompanyPageProps) {
  const c = p.company;
  const active = c.status === "active";
  return (
    <>
      <p>
        <a href="/companies">← Companies</a>
      </p>
      <h1>{c.name}</h1>
      <p class="muted">
        {statusLabel(c.status)} · created <DateTime at={c.createdAt} />
      </p>
      {!active && <Notice>This company is terminated. Its services are kept for the record and can no longer change.</Notice>}
      {p.allowed.exportHandouts && (
        <p class="row-actions">
          <a class="button" href={`/companies/${c.id}/handout`}>
            Printable handout
          </a>
          <a class="button secondary-link" href={`/companies/${c.id}/handout?format=csv`} download>
            Handout as CSV
          </a>
        </p>
      )}
      {SERVICE_KIND_KEYS.map((kind) => (
        <ServiceSection companyId={c.id} kind={kind} items={p.services[kind]} canManage={p.allowed.kinds[kind]} companyActive={active} form={p.forms?.[kind]} />
      ))}
      <PlansSection companyId={c.id} plans={p.plans} catalog={p.catalog} purchaser={p.allowed.purchaser} companyActive={active} form={p.forms?.order} planForms={p.forms?.plans} />
      {p.allowed.manageCompanies && active && (
        <section id="settings">
          <h2>Company settings</h2>
          <Form action={`/companies/${c.id}`} class="card">
            <FormErrors errors={p.forms?.edit?.errors} shown={["name"]} message={p.forms?.edit?.message} />
            <Field id="f-edit-name" name="name" label="Company name" value={p.forms?.edit?.values?.name ?? c.name} errors={p.forms?.edit?.errors} required maxlength={120} />
            <button type="submit">Save</button>
          </Form>
          <Form action={`/companies/${c.id}/terminate`} confirm={`Terminate ${c.name}? Its services stay listed, but nothing about it can change afterwards.`}>
            <button type="submit" class="danger">
              Terminate company
            </button>
          </Form>
        </section>
      )}
    </>
  );
}

/** F-32: what the company has, laid out to print and hand over (the print stylesheet hides navigation and buttons). */
export function HandoutPage(p: { handout: Handout; orgName: string }) {
  const h = p.handout;
  return (
    <article class="handout">
      <p class="no-print">
        <a href={`/companies/${h.company.id}`}>← {h.company.name}</a> ·{" "}
        <a href={`/companies/${h.company.id}/handout?format=csv`} download>
          Download CSV
        </a>{" "}
        ·{" "}
        <button type="button" class="link" data-print>
          Print
        </button>
      </p>
      <h1>Services of {h.company.name}</h1>
      <p class="muted">
        Provided by {p.orgName} · as of <DateTime at={h.generatedAt} />
        {h.company.status !== "active" && " · company terminated"}
      </p>
      {SERVICE_KIND_KEYS.map((kind) => {
        const items = h.services[kind];
        return (
          <section class="handout-kind">
            <h2>{SERVICE_KINDS[kind].plural}</h2>
            {items.length === 0 ? (
              <p class="muted">None.</p>
            ) : (
              <DataTable columns={[kind === "domain" ? "Domain" : "Name", ...(kind === "eul_user" ? ["Email"] : []), "Since"]} label={SERVICE_KINDS[kind].plural}>
                {items.map((s) => (
                  <tr>
                    <td>{s.name}</td>
                    {kind === "eul_user" && <td>{s.email}</td>}
                    <td>
                      <DateTime at={s.since} />
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </section>
        );
      })}
    </article>
  );
}
