// /api/docs (F-51): the OpenAPI document for people — endpoints by tag, with
// who may call them, their parameters, body fields and answers. Everything
// shown comes from the document, so the page and /api/v1/openapi.json agree.
import type { Child } from "hono/jsx";
import type { JsonSchema, OpenApiDocument, OpenApiOperation, OpenApiParameter, OpenApiResponse } from "../src/openapi/document";
import { refusesOtherFields, schemaFields, type FieldRow, constraintsOf, typeName } from "../src/openapi/fields";
import { DataTable } from "./components";

const AUTH_LABELS: Record<OpenApiOperation["x-auth"], string> = {
  public: "Public: no sign-in needed.",
  session: "Session cookie of a completed sign-in.",
  bearer: "Personal API token (Authorization: Bearer), or the session cookie.",
};

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

/** Descriptions mark JSON in `backticks`; show those parts as code. */
function Prose(p: { text: string }) {
  return (
    <>
      {p.text.split(/`([^`]*)`/).map((part, i) => (i % 2 ? <code>{part}</code> : part))}
    </>
  );
}

function FieldTable(p: { rows: FieldRow[]; label: string; first: string }) {
  return (
    <DataTable columns={[p.first, "Type", "Required", "Constraints"]} label={p.label}>
      {p.rows.map((r) => (
        <tr>
          <td>
            <code>{r.name}</code>
          </td>
          <td>{r.type}</td>
          <td>{r.required ? "yes" : "no"}</td>
          <td>{r.constraints.length ? r.constraints.join("; ") : <span class="muted">–</span>}</td>
        </tr>
      ))}
    </DataTable>
  );
}

const parameterRows = (params: OpenApiParameter[]): FieldRow[] =>
  params.map((param) => ({ name: param.name, type: `${typeName(param.schema)} (${param.in})`, required: param.required, constraints: constraintsOf(param.schema) }));

function resolve(doc: OpenApiDocument, response: OpenApiResponse): OpenApiResponse {
  const name = response.$ref?.replace("#/components/responses/", "");
  return (name && doc.components.responses[name]) || response;
}

function contentNote(response: OpenApiResponse): string | null {
  const types = Object.keys(response.content ?? {});
  if (!types.length) return null;
  const paged = (response.content?.["application/json"]?.schema as JsonSchema | undefined)?.$ref === "#/components/schemas/PagedList";
  const kinds = types.map((t) => (t === "application/json" && paged ? "JSON, paged list" : t === "application/json" ? "JSON" : t));
  return kinds.join(" or ");
}

function Operation(p: { doc: OpenApiDocument; path: string; method: string; op: OpenApiOperation }) {
  const body = p.op.requestBody?.content["application/json"]?.schema;
  const bodyRows = body ? schemaFields(body) : [];
  return (
    <article class="card api-op" id={p.op.operationId}>
      <h3>
        <span class={`badge method method-${p.method}`}>{p.method.toUpperCase()}</span> <code>{p.path}</code>
      </h3>
      <p>{p.op.summary}</p>
      <p class="muted">{AUTH_LABELS[p.op["x-auth"]]}</p>
      {p.op.parameters?.length ? (
        <>
          <h4>Parameters</h4>
          <FieldTable rows={parameterRows(p.op.parameters)} label={`Parameters of ${p.method.toUpperCase()} ${p.path}`} first="Parameter" />
        </>
      ) : null}
      {body && (
        <>
          <h4>JSON body</h4>
          {bodyRows.length ? (
            <FieldTable rows={bodyRows} label={`Body of ${p.method.toUpperCase()} ${p.path}`} first="Field" />
          ) : (
            <p class="muted">An object of type {typeName(body)}.</p>
          )}
          {refusesOtherFields(body) && <p class="hint">Other fields are refused (422).</p>}
        </>
      )}
      <h4>Answers</h4>
      <dl class="details api-responses">
        {Object.entries(p.op.responses).map(([status, raw]) => {
          const response = resolve(p.doc, raw);
          // Error answers all share the Error shape (described at the top); only success answers vary.
          const note = Number(status) < 300 ? contentNote(response) : null;
          return (
            <>
              <dt>{status}</dt>
              <dd>
                <Prose text={response.description} />
                {note && <span class="muted"> ({note})</span>}
              </dd>
            </>
          );
        })}
      </dl>
    </article>
  );
}

function Section(p: { id: string; title: string; children: Child }) {
  return (
    <section class="api-tag" id={p.id} aria-labelledby={`${p.id}-title`}>
      <h2 id={`${p.id}-title`}>{p.title}</h2>
      {p.children}
    </section>
  );
}

export function ApiDocsPage(p: { doc: OpenApiDocument }) {
  const { doc } = p;
  const byTag = new Map<string, { path: string; method: string; op: OpenApiOperation }[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op) continue;
      const tag = op.tags[0] ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), { path, method, op }]);
    }
  }
  const tags = doc.tags.map((t) => t.name).filter((name) => byTag.has(name));
  return (
    <>
      <h1>{doc.info.title} reference</h1>
      {doc.info.description.split("\n\n").map((para) => (
        <p>
          <Prose text={para} />
        </p>
      ))}
      <p>
        The same contract as an OpenAPI {doc.openapi} document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Server: <code>{doc.servers[0]?.url}</code>.
      </p>
      <nav class="api-toc" aria-label="API areas">
        {tags.map((tag) => (
          <a href={`#${slug(tag)}`}>{tag}</a>
        ))}
      </nav>
      {tags.map((tag) => (
        <Section id={slug(tag)} title={tag}>
          {byTag.get(tag)!.map((entry) => (
            <Operation doc={doc} {...entry} />
          ))}
        </Section>
      ))}
    </>
  );
}
