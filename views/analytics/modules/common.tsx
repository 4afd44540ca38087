// Pieces shared by the module pages (F-44): the page head with the caller's
// level, a multi-line field, list search and paging.
import type { Child } from "hono/jsx";
import { MODULES, type Module } from "../../../src/domain/analytics";
import type { FieldErrors } from "../../../src/lib/errors";
import type { FormValues } from "../../../src/lib/validate";
import { Field, Notice } from "../../components";

export type FormState = { values?: FormValues; errors?: FieldErrors; message?: string };
export type Paging = { number: number; size: number; total: number };

/** Heading, what the module is for, and — for Read-only viewers — that nothing here can be changed by them. */
export function ModuleHead(p: { module: Module; title: string; canWrite: boolean; error?: string; children?: Child }) {
  return (
    <>
      <p>
        <a href="/analytics">← Analytics</a>
      </p>
      <h1>{p.title}</h1>
      <p class="muted">{MODULES[p.module].description}</p>
      {!p.canWrite && (
        <Notice>
          You have {MODULES[p.module].label} at Read-only: you can see everything here but not change it.
        </Notice>
      )}
      {p.error && <Notice kind="error">{p.error}</Notice>}
      {p.children}
    </>
  );
}

export function TextArea(p: { name: string; id?: string; label: string; value?: string | null; errors?: FieldErrors; hint?: string; rows?: number; maxlength?: number; required?: boolean }) {
  const error = p.errors?.[p.name];
  const id = p.id ?? `f-${p.name.replace(/\W/g, "-")}`;
  const describedBy = [p.hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>{p.label}</label>
      <textarea id={id} name={p.name} rows={p.rows ?? 4} maxlength={p.maxlength} required={p.required} aria-invalid={error ? "true" : undefined} aria-describedby={describedBy}>
        {p.value ?? ""}
      </textarea>
      {p.hint && <p class="hint" id={`${id}-hint`}>{p.hint}</p>}
      {error && <p class="error" id={`${id}-error`} role="alert">{error}</p>}
    </div>
  );
}

/** A GET search over a list, keeping the other filters. */
export function SearchForm(p: { action: string; q?: string; label: string; children?: Child }) {
  return (
    <form method="get" action={p.action} class="filters" role="search">
      <Field id="f-search-q" name="q" label={p.label} value={p.q} maxlength={120} />
      {p.children}
      <button type="submit" class="secondary">
        Search
      </button>
    </form>
  );
}

/** Shared with every paged list: see views/components.tsx. */
export { Pager } from "../../components";

/** A term–value list for read-only details; empty values read "Not set". */
export function Details(p: { rows: [string, Child | null | undefined][] }) {
  return (
    <dl class="details">
      {p.rows.map(([term, value]) => (
        <>
          <dt>{term}</dt>
          <dd>{value === null || value === undefined || value === "" ? <span class="muted">Not set</span> : value}</dd>
        </>
      ))}
    </dl>
  );
}
