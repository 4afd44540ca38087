// F-33: the license plans of a company. Everyone sees which plans there are;
// prices, the order form and the edit/renew actions are rendered only for
// Purchasers (and the service leaves the price fields out for everyone else).
import { formatMoney } from "../src/domain/license-plans";
import type { FieldErrors } from "../src/lib/errors";
import type { FormValues } from "../src/lib/validate";
import type { CatalogEntry, PublicPlan } from "../src/services/license-plans";
import { Checkbox, DataTable, DateTime, EmptyState, Field, Form, FormErrors, Notice, RowMessage, Select, hxPost } from "./components";

const price = (cents: number | undefined, currency: string | undefined) => (cents === undefined || currency === undefined ? "—" : formatMoney(cents, currency));

export function PlanRow(p: { companyId: string; plan: PublicPlan; purchaser: boolean; companyActive: boolean; message?: string; form?: { values?: FormValues; errors?: FieldErrors; message?: string } }) {
  const plan = p.plan;
  const base = `/companies/${p.companyId}/plans/${plan.id}`;
  const canChange = p.purchaser && p.companyActive;
  const renewQuestion = `Renew ${plan.label} (${plan.seats} seats) for another ${plan.termMonths} months at ${price(plan.totalCents, plan.currency)}?`;
  const v = p.form?.values;
  return (
    <tr id={`plan-${plan.id}`}>
      <td>{plan.label}</td>
      <td>{plan.seats}</td>
      <td>{plan.autoRenew ? "Yes" : "No"}</td>
      <td>
        {plan.status === "active" ? "Active" : "Expired"}
        <RowMessage message={p.message} />
      </td>
      <td>
        <DateTime at={plan.renewsAt} />
      </td>
      {p.purchaser && <td>{price(plan.unitPriceCents, plan.currency)}</td>}
      {p.purchaser && <td>{price(plan.totalCents, plan.currency)}</td>}
      {canChange && (
        <td>
          {plan.status === "active" && (
            <Form action={base} class="plan-edit">
              <FormErrors errors={p.form?.errors} shown={["seats", "autoRenew"]} message={p.form?.message} />
              <Field id={`f-seats-${plan.id}`} name="seats" type="number" label="Seats" value={v?.seats ?? String(plan.seats)} errors={p.form?.errors} required min={1} />
              <Checkbox id={`f-autoRenew-${plan.id}`} name="autoRenew" label="Renew automatically" checked={v ? v.autoRenew === "on" : plan.autoRenew} errors={p.form?.errors} />
              <button type="submit" class="secondary" {...hxPost(base, undefined)}>
                Save
              </button>
            </Form>
          )}
          <Form action={`${base}/renew`} class="inline" confirm={renewQuestion}>
            <button type="submit" {...hxPost(`${base}/renew`, undefined, renewQuestion)}>
              Renew
            </button>
          </Form>
        </td>
      )}
    </tr>
  );
}

function OrderForm(p: { companyId: string; catalog: CatalogEntry[]; values?: FormValues; errors?: FieldErrors; message?: string }) {
  const action = `/companies/${p.companyId}/plans`;
  const v = p.values ?? {};
  return (
    <Form action={action} class="card">
      <h3>Order a license plan</h3>
      <FormErrors errors={p.errors} shown={["plan", "seats"]} message={p.message} />
      <Select
        id="f-order-plan"
        name="plan"
        label="Plan"
        value={v.plan}
        errors={p.errors}
        options={p.catalog.map((c) => ({ value: c.key, label: `${c.label} — ${price(c.unitPriceCents, c.currency)} per seat / ${c.termMonths} months` }))}
      />
      <Field id="f-order-seats" name="seats" type="number" label="Seats" value={v.seats ?? "1"} errors={p.errors} required min={1} />
      <button type="submit" {...hxPost(action, "#plans")}>
        Place order
      </button>
    </Form>
  );
}

export function PlansSection(p: {
  companyId: string;
  plans: PublicPlan[];
  catalog: CatalogEntry[];
  purchaser: boolean;
  companyActive: boolean;
  notice?: string;
  form?: { values?: FormValues; errors?: FieldErrors; message?: string };
  /** A plan row's edit form that came back with errors, by plan id (no-JS post). */
  planForms?: Record<string, { values?: FormValues; errors?: FieldErrors; message?: string }>;
}) {
  const canChange = p.purchaser && p.companyActive;
  const columns = ["Plan", "Seats", "Auto-renew", "Status", "Renews", ...(p.purchaser ? ["Price per seat", "Total per term"] : []), ...(canChange ? ["Actions"] : [])];
  return (
    <section id="plans">
      <h2>License plans</h2>
      {p.notice && <Notice kind="success">{p.notice}</Notice>}
      {p.plans.length === 0 ? (
        <EmptyState>
          {canChange ? "No license plans yet. Order one with the form below." : "No license plans yet. A Purchaser (P) of your organization can order them."}
        </EmptyState>
      ) : (
        <DataTable columns={columns} label="License plans" swapRows>
          {p.plans.map((plan) => (
            <PlanRow companyId={p.companyId} plan={plan} purchaser={p.purchaser} companyActive={p.companyActive} form={p.planForms?.[plan.id]} />
          ))}
        </DataTable>
      )}
      {!p.purchaser && <p class="muted">Prices, orders and renewals are for Purchasers. A Partner Manager can request the Purchaser role for you.</p>}
      {canChange && <OrderForm companyId={p.companyId} catalog={p.catalog} {...p.form} />}
      <details class="catalog">
        <summary>Plan catalog</summary>
        <ul>
          {p.catalog.map((c) => (
            <li>
              {c.label} — {c.termMonths} months{p.purchaser && `, ${price(c.unitPriceCents, c.currency)} per seat`}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
