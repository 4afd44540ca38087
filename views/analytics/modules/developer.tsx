// F-44 Developer: the product settings. Read-only sees the values; Full gets
// the form and the AES key button. A new AES key is shown on this page once.
import { DEFAULT_EVENT_TYPES, VISIT_EVENT } from "../../../src/domain/analytics-data";
import { MAX_ALLOWED_EVENTS, type DeveloperSettings } from "../../../src/services/analytics-developer";
import { DateTime, Field, Form, FormErrors, Notice } from "../../components";
import { Details, ModuleHead, TextArea, type FormState } from "./common";

function AesKeyStatus(p: { aesKey: DeveloperSettings["aesKey"] }) {
  if (!p.aesKey.set) return <span class="muted">Not set</span>;
  return p.aesKey.setAt ? (
    <>
      Set <DateTime at={p.aesKey.setAt} />
    </>
  ) : (
    <>Set</>
  );
}

function SettingsForm(p: FormState & { settings: DeveloperSettings }) {
  const s = p.settings;
  // Empty while the defaults apply, so saving unchanged keeps following them.
  const values = p.values ?? { callHomeUrl: s.callHomeUrl ?? "", allowedEvents: s.usesDefaultEvents ? "" : s.allowedEvents.join("\n") };
  return (
    <Form action="/analytics/settings" class="card" id="developer-settings">
      <h2>Change the settings</h2>
      <FormErrors errors={p.errors} shown={["callHomeUrl", "allowedEvents"]} message={p.message} />
      <Field
        id="f-call-home-url"
        name="callHomeUrl"
        type="url"
        label="Call-home URL"
        value={values.callHomeUrl}
        errors={p.errors}
        maxlength={2048}
        hint="Where your product reports to. Leave empty for none."
      />
      <TextArea
        id="f-allowed-events"
        name="allowedEvents"
        label="Allowed events"
        value={values.allowedEvents}
        errors={p.errors}
        rows={7}
        hint={`One event type per line (or separated by commas): lower-case letters, digits and underscores; "${VISIT_EVENT}" is required; at most ${MAX_ALLOWED_EVENTS}. Leave empty for the defaults: ${DEFAULT_EVENT_TYPES.join(", ")}.`}
      />
      <button type="submit">Save settings</button>
    </Form>
  );
}

function AesKeyForm(p: { set: boolean }) {
  return (
    <Form
      action="/analytics/settings/aes-key"
      class="card"
      id="aes-key"
      confirm={p.set ? "Replace the AES key? Products still using the current key can no longer send encrypted data." : undefined}
    >
      <h2>AES key</h2>
      <p class="muted">A new random 256-bit key. It is shown once, right after it is made; the portal keeps it only encrypted.</p>
      <button type="submit" class={p.set ? "danger" : undefined}>
        {p.set ? "Replace the AES key" : "Generate an AES key"}
      </button>
    </Form>
  );
}

export function DeveloperSettingsPage(p: { settings: DeveloperSettings; canWrite: boolean; form?: FormState; newAesKey?: string }) {
  const s = p.settings;
  return (
    <>
      <ModuleHead module="developer" title="Developer settings" canWrite={p.canWrite} />
      {p.newAesKey && (
        <Notice kind="success">
          <p>Your new AES key — copy it now, it is not shown again:</p>
          <p>
            <code class="secret" id="new-aes-key">
              {p.newAesKey}
            </code>
          </p>
        </Notice>
      )}
      <Details
        rows={[
          ["Call-home URL", s.callHomeUrl && <code>{s.callHomeUrl}</code>],
          [
            "Allowed events",
            <>
              {s.allowedEvents.map((e) => (
                <code class="badge">{e}</code>
              ))}{" "}
              {s.usesDefaultEvents && <span class="muted">(the defaults)</span>}
            </>,
          ],
          ["AES key", <AesKeyStatus aesKey={s.aesKey} />],
        ]}
      />
      {p.canWrite && (
        <>
          <SettingsForm {...p.form} settings={s} />
          <AesKeyForm set={s.aesKey.set} />
        </>
      )}
    </>
  );
}
