// F-44 Billing: the billing details. Read-only sees them without a form.
import type { Billing } from "../../../src/services/analytics-billing";
import { Field, Form, FormErrors } from "../../components";
import { Details, ModuleHead, TextArea, type FormState } from "./common";

function BillingForm(p: FormState & { billing: Billing }) {
  const b = p.billing;
  const values = p.values ?? {
    billingName: b.billingName ?? "",
    billingEmail: b.billingEmail ?? "",
    billingAddress: b.billingAddress ?? "",
    vatId: b.vatId ?? "",
  };
  return (
    <Form action="/analytics/billing" class="card" id="billing-form">
      <h2>Change the billing details</h2>
      <FormErrors errors={p.errors} shown={["billingName", "billingEmail", "billingAddress", "vatId"]} message={p.message} />
      <Field id="f-billing-name" name="billingName" label="Bill to (name)" value={values.billingName} errors={p.errors} required maxlength={200} autocomplete="organization" />
      <Field id="f-billing-email" name="billingEmail" type="email" label="Billing email" value={values.billingEmail} errors={p.errors} required maxlength={254} autocomplete="email" />
      <TextArea id="f-billing-address" name="billingAddress" label="Billing address" value={values.billingAddress} errors={p.errors} rows={4} maxlength={1000} required />
      <Field id="f-vat-id" name="vatId" label="VAT ID (optional)" value={values.vatId} errors={p.errors} maxlength={32} hint="Starting with the two-letter country code, e.g. DE123456789." />
      <button type="submit">Save billing details</button>
    </Form>
  );
}

export function BillingPage(p: { billing: Billing; canWrite: boolean; form?: FormState }) {
  const b = p.billing;
  return (
    <>
      <ModuleHead module="billing" title="Billing" canWrite={p.canWrite} />
      <Details
        rows={[
          ["Bill to", b.billingName],
          ["Billing email", b.billingEmail],
          ["Billing address", b.billingAddress && <span class="multiline">{b.billingAddress}</span>],
          ["VAT ID", b.vatId],
        ]}
      />
      {p.canWrite && <BillingForm {...p.form} billing={b} />}
    </>
  );
}
