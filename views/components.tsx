// Small building blocks shared by every page: forms with their CSRF field,
// labelled inputs with their error, notices.
import type { Child } from "hono/jsx";
import { useRequestContext } from "hono/jsx-renderer";
import type { FieldErrors } from "../src/lib/errors";

export function CsrfField() {
  const c = useRequestContext();
  return <input type="hidden" name="_csrf" value={c.get("csrfToken")} />;
}

export function Form(props: { action: string; children: Child; class?: string; confirm?: string; id?: string; multipart?: boolean }) {
  return (
    <form method="post" action={props.action} class={props.class} id={props.id} data-confirm={props.confirm} enctype={props.multipart ? "multipart/form-data" : undefined}>
      <CsrfField />
      {props.children}
    </form>
  );
}

interface FieldProps {
  name: string;
  /** Element id; defaults to one derived from the name, so pass it when a page has two forms with the same field. */
  id?: string;
  label: string;
  type?: string;
  value?: string;
  errors?: FieldErrors;
  hint?: string;
  autocomplete?: string;
  required?: boolean;
  inputmode?: "numeric" | "email" | "text";
  maxlength?: number;
  min?: number;
  max?: number;
  autofocus?: boolean;
  pattern?: string;
  /** The id of a <datalist> of suggestions. */
  list?: string;
}

export function Field(p: FieldProps) {
  const error = p.errors?.[p.name];
  const id = p.id ?? `f-${p.name.replace(/\W/g, "-")}`;
  const describedBy = [p.hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? "text"}
        value={p.type === "password" ? undefined : p.value}
        autocomplete={p.autocomplete}
        required={p.required}
        inputmode={p.inputmode}
        maxlength={p.maxlength}
        min={p.min}
        max={p.max}
        autofocus={p.autofocus}
        pattern={p.pattern}
        list={p.list}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      {p.hint && <p class="hint" id={`${id}-hint`}>{p.hint}</p>}
      {error && <p class="error" id={`${id}-error`} role="alert">{error}</p>}
    </div>
  );
}

export function Checkbox(p: { name: string; label: Child; checked?: boolean; errors?: FieldErrors; id?: string }) {
  const error = p.errors?.[p.name];
  const id = p.id ?? `f-${p.name}`;
  return (
    <div class={error ? "field check invalid" : "field check"}>
      <input id={id} type="checkbox" name={p.name} value="on" checked={p.checked} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined} />
      <label for={id}>{p.label}</label>
      {error && <p class="error" id={`${id}-error`} role="alert">{error}</p>}
    </div>
  );
}

export function Notice(p: { kind?: "info" | "success" | "error"; children: Child }) {
  return (
    <div class={`notice ${p.kind ?? "info"}`} role={p.kind === "error" ? "alert" : "status"}>
      {p.children}
    </div>
  );
}

/** Errors that belong to no visible field (e.g. a wrong code on a hidden challenge). */
export function FormErrors(p: { errors?: FieldErrors; shown: string[]; message?: string }) {
  const rest = Object.entries(p.errors ?? {}).filter(([k]) => !p.shown.includes(k));
  if (!p.message && !rest.length) return null;
  return (
    <Notice kind="error">
      {p.message && <p>{p.message}</p>}
      {rest.map(([, v]) => (
        <p>{v}</p>
      ))}
    </Notice>
  );
}

/**
 * A moment in time, readable without JavaScript as UTC; public/js/app.js
 * rewrites it in the browser's locale and time zone (data-local). The day and
 * the time are separate spans that do not break, so a narrow table column
 * shows two lines, never a date cut in three.
 */
export function DateTime(p: { at: string | number | null | undefined }) {
  if (p.at === null || p.at === undefined) return <span class="muted">never</span>;
  const iso = new Date(p.at).toISOString();
  return (
    <time datetime={iso} data-local="datetime" title={`${iso.replace("T", " ").slice(0, 19)} UTC`}>
      <span>{iso.slice(0, 10)}</span> <span>{iso.slice(11, 16)} UTC</span>
    </time>
  );
}

/**
 * What a list shows when it has nothing yet: what the list is for, and what to
 * do to fill it (a link or a sentence), instead of an empty table.
 */
export function EmptyState(p: { children: Child; action?: Child }) {
  return (
    <div class="empty">
      <p>{p.children}</p>
      {p.action && <p>{p.action}</p>}
    </div>
  );
}

/**
 * A table's horizontal scroller (narrow screens). It is focusable and named so
 * a keyboard can scroll it too (WCAG 2.1.1; axe scrollable-region-focusable).
 */
export function TableScroll(p: { label?: string; class?: string; children: Child }) {
  return (
    <div class={p.class ? `table-wrap ${p.class}` : "table-wrap"} tabindex={0} role="region" aria-label={p.label}>
      {p.children}
    </div>
  );
}

/**
 * A scrollable table with column headers; rows come as children. With
 * `swapRows`, an htmx action in a row that names no target of its own is
 * answered with the new row: said once here rather than on each button of
 * a list that may have fifty rows of them (ui-pages.test.ts checks that
 * every action has a target).
 */
export function DataTable(p: { columns: string[]; children: Child; label?: string; swapRows?: boolean; dense?: boolean }) {
  return (
    <TableScroll label={p.label}>
      <table aria-label={p.label} class={p.dense ? "dense" : undefined}>
        <thead>
          <tr>
            {p.columns.map((c) => (
              <th scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody {...(p.swapRows && { "hx-target": "closest tr", "hx-swap": "outerHTML" })}>{p.children}</tbody>
      </table>
    </TableScroll>
  );
}

/** Recovery codes, shown once (F-06). */
export function RecoveryCodeList(p: { codes: string[] }) {
  return (
    <ol class="codes">
      {p.codes.map((code) => (
        <li>
          <code>{code}</code>
        </li>
      ))}
    </ol>
  );
}

export function Select(p: { name: string; label: string; options: { value: string; label: string }[]; value?: string; errors?: FieldErrors; id?: string }) {
  const error = p.errors?.[p.name];
  const id = p.id ?? `f-${p.name.replace(/\W/g, "-")}`;
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined}>
        {p.options.map((o) => (
          <option value={o.value} selected={o.value === p.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error && <p class="error" id={`${id}-error`} role="alert">{error}</p>}
    </div>
  );
}

/**
 * The htmx attributes of a button that posts `action` and swaps `target` with
 * the answer. While the request runs the button carries .htmx-request (its
 * spinner, app.css) and is disabled, so a second click cannot send it twice.
 * `confirm` asks first (htmx's hx-confirm); put the same text on the form's
 * data-confirm so a plain post asks too (public/js/app.js).
 * Without `target` the button's row is swapped: htmx inherits the target from
 * a `DataTable` with `swapRows`, as every list's row actions do.
 */
export function hxPost(action: string, target: string | undefined, confirm?: string) {
  return {
    "hx-post": action,
    ...(target !== undefined && { "hx-target": target, "hx-swap": "outerHTML" }),
    "hx-indicator": "this",
    "hx-disabled-elt": "this",
    "hx-confirm": confirm,
  } as const;
}

/**
 * One row action: a plain form post without JavaScript; with htmx the answer
 * (the updated row) replaces `target`, or without one the row (a `swapRows`
 * table). `confirm` asks first.
 */
export function RowAction(p: { action: string; target?: string; label: string; confirm?: string; class?: string }) {
  return (
    <Form action={p.action} class="inline" confirm={p.confirm}>
      <button type="submit" class={p.class ?? "secondary"} {...hxPost(p.action, p.target, p.confirm)}>
        {p.label}
      </button>
    </Form>
  );
}

/** The outcome of a row action, announced to screen readers. */
export function RowMessage(p: { message?: string; error?: boolean }) {
  if (!p.message) return null;
  return (
    <p class={p.error ? "error" : "muted"} role={p.error ? "alert" : "status"}>
      {p.message}
    </p>
  );
}

/** Previous / next links for a paged list, keeping the list's other query parameters. */
export function Pager(p: { page: { number: number; size: number; total: number }; query: Record<string, string | undefined> }) {
  const pages = Math.max(1, Math.ceil(p.page.total / p.page.size));
  if (pages <= 1) return null;
  const href = (n: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(p.query)) if (v) params.set(k, v);
    params.set("page", String(n));
    return `?${params}`;
  };
  return (
    <nav class="pager" aria-label="Pages">
      {p.page.number > 1 && <a href={href(p.page.number - 1)}>← Previous</a>}
      <span>
        Page {p.page.number} of {pages}
      </span>
      {p.page.number < pages && <a href={href(p.page.number + 1)}>Next →</a>}
    </nav>
  );
}
