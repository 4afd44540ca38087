// F-42: one site or app — settings, collection key and snippet, tags (draft →
// published) and, for Manage, the permission table with its legend. Every
// form appears only where the caller's level allows it; the services enforce
// the same table for the API.
import { COLLECT_LIMIT } from "../../src/domain/analytics-data";
import { OWNER_ACTIONS, SITE_ACTIONS, SITE_LEVEL_LABELS, SITE_LEVELS, siteLevelAllows, type SiteLevel } from "../../src/domain/analytics";
import type { PublicSite } from "../../src/services/analytics-sites";
import { SITE_KIND_LABELS, SITE_KINDS } from "../../src/services/analytics-sites";
import { MAX_TAG_CODE, type PublicTag } from "../../src/services/analytics-tags";
import { DataTable, DateTime, EmptyState, Field, Form, FormErrors, Notice, RowAction, RowMessage, Select } from "../components";
import { LevelLegend, PermissionsSection, ReportLink, TextArea, type FormState, type PermissionEntryView } from "./workspace-parts";

export function SiteLevelLegend() {
  return <LevelLegend caption="What each site/app level allows" levels={SITE_LEVELS} labels={SITE_LEVEL_LABELS} actions={SITE_ACTIONS} allows={siteLevelAllows} />;
}

const tagStatus = (t: PublicTag) => (t.status === "published" ? "Published" : t.unpublishedChanges ? "Draft (unpublished changes)" : "Draft (never published)");

export function TagRow(p: { tag: PublicTag; canEdit: boolean; canPublish: boolean; form?: FormState; message?: string; error?: boolean }) {
  const t = p.tag;
  const rowId = `tag-${t.id}`;
  const v = p.form?.values;
  return (
    <tr id={rowId}>
      <td>{t.name}</td>
      <td>{tagStatus(t)}</td>
      <td>
        <DateTime at={t.publishedAt} />
      </td>
      <td>
        <div class="row-actions">
          {p.canPublish && t.status === "draft" && <RowAction action={`/analytics/tags/${t.id}/publish`} label="Publish" class="" />}
        </div>
        <details class="tag-details" open={Boolean(p.form)}>
          <summary>{p.canEdit ? "Edit" : "Code"}</summary>
          {p.canEdit ? (
            <Form action={`/analytics/tags/${t.id}`} class="tag-edit">
              <FormErrors errors={p.form?.errors} shown={["name", "code"]} message={p.form?.message} />
              <Field id={`f-tag-${t.id}-name`} name="name" label="Name" value={v?.name ?? t.name} errors={p.form?.errors} required maxlength={120} />
              <TextArea id={`f-tag-${t.id}-code`} name="code" label="Code" value={v?.code ?? t.code} errors={p.form?.errors} maxlength={MAX_TAG_CODE} rows={6} />
              <button type="submit">Save draft</button>
            </Form>
          ) : (
            <pre class="code">{t.code || "(empty)"}</pre>
          )}
          {t.unpublishedChanges && (
            <>
              <p class="muted">Visitors still get the published code:</p>
              <pre class="code">{t.publishedCode || "(empty)"}</pre>
            </>
          )}
        </details>
        <RowMessage message={p.message} error={p.error} />
      </td>
    </tr>
  );
}

function TagsSection(p: { site: PublicSite; tags: PublicTag[]; canEdit: boolean; canPublish: boolean; form?: FormState; tagForms?: Record<string, FormState> }) {
  const v = p.form?.values ?? {};
  return (
    <section id="tags" aria-labelledby="tags-heading">
      <h2 id="tags-heading">Tags</h2>
      <p class="muted">
        Saving a tag keeps it a draft; what visitors get changes only when it is published{p.canEdit && !p.canPublish ? " (publishing needs Edit & publish)" : ""}.
      </p>
      {p.tags.length === 0 ? (
        <EmptyState>{p.canEdit ? "No tags yet. Add the first one with the form below." : "No tags yet. A user with Edit or Manage on this site adds them."}</EmptyState>
      ) : (
        <DataTable columns={["Name", "Status", "Last published", "Actions"]} label="Tags" swapRows>
          {p.tags.map((t) => (
            <TagRow tag={t} canEdit={p.canEdit} canPublish={p.canPublish} form={p.tagForms?.[t.id]} />
          ))}
        </DataTable>
      )}
      {p.canEdit && (
        <Form action={`/analytics/sites/${p.site.id}/tags`} class="card" id="add-tag">
          <h3>Add a tag</h3>
          <FormErrors errors={p.form?.errors} shown={["name", "code"]} message={p.form?.message} />
          <Field id="f-new-tag-name" name="name" label="Name" value={v.name} errors={p.form?.errors} required maxlength={120} />
          <TextArea id="f-new-tag-code" name="code" label="Code (optional)" value={v.code} errors={p.form?.errors} maxlength={MAX_TAG_CODE} rows={4} />
          <button type="submit">Add tag</button>
        </Form>
      )}
    </section>
  );
}

function CollectionSection(p: { site: PublicSite; origin: string }) {
  const body = JSON.stringify({ siteKey: p.site.siteKey, type: "visit" });
  return (
    <section id="collection" aria-labelledby="collection-heading">
      <h2 id="collection-heading">Collection</h2>
      <p>
        Site key: <code class="secret">{p.site.siteKey}</code>
      </p>
      <p class="muted">
        The key is public: it sits in every tracked page. Each hit is one POST; "visit" counts a visit, other allowed types count as events. One address may send
        {` ${COLLECT_LIMIT.hits} hits every ${COLLECT_LIMIT.periodSeconds} seconds`} to this site; more are refused (429, with Retry-After).
      </p>
      <pre class="code">{`fetch("${p.origin}/api/v1/collect", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(${body}),
  keepalive: true,
});`}</pre>
      <pre class="code">{`curl -X POST ${p.origin}/api/v1/collect -H 'content-type: application/json' -d '${body}'`}</pre>
    </section>
  );
}

function SettingsSection(p: { site: PublicSite; canEdit: boolean; canDelete: boolean; form?: FormState }) {
  const s = p.site;
  const v = p.form?.values;
  return (
    <section id="settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      {p.canEdit ? (
        <Form action={`/analytics/sites/${s.id}`} class="card">
          <FormErrors errors={p.form?.errors} shown={["name", "kind", "url"]} message={p.form?.message} />
          <Field id="f-edit-site-name" name="name" label="Name" value={v?.name ?? s.name} errors={p.form?.errors} required maxlength={120} />
          <Select id="f-edit-site-kind" name="kind" label="Kind" value={v?.kind ?? s.kind} errors={p.form?.errors} options={SITE_KINDS.map((k) => ({ value: k, label: SITE_KIND_LABELS[k] }))} />
          <Field id="f-edit-site-url" name="url" label="Address (optional)" type="url" value={v?.url ?? s.url ?? ""} errors={p.form?.errors} maxlength={2000} hint="Leave empty to remove it." />
          <button type="submit">Save</button>
        </Form>
      ) : (
        <dl class="details">
          <dt>Kind</dt>
          <dd>{SITE_KIND_LABELS[s.kind]}</dd>
          <dt>Address</dt>
          <dd>{s.url ?? "—"}</dd>
        </dl>
      )}
      {p.canDelete && (
        <Form action={`/analytics/sites/${s.id}/delete`} confirm={`Delete ${s.name}? Its tags, permissions, meta-site memberships and statistics are deleted too.`}>
          <button type="submit" class="danger">
            {OWNER_ACTIONS.deleteSite}
          </button>
        </Form>
      )}
    </section>
  );
}

export interface SitePageProps {
  site: PublicSite;
  owner: boolean;
  /** The Reporting module: the report link shows only with it. */
  canReport: boolean;
  tags: PublicTag[];
  /** Present when the caller may manage permissions. */
  permissions?: PermissionEntryView<SiteLevel>[];
  origin: string;
  error?: string;
  forms?: { edit?: FormState; tag?: FormState; tags?: Record<string, FormState> };
}

export function SitePage(p: SitePageProps) {
  const s = p.site;
  const can = (a: keyof typeof SITE_ACTIONS) => siteLevelAllows(s.level, a);
  return (
    <>
      <p>
        <a href="/analytics">← Analytics</a>
      </p>
      <h1>{s.name}</h1>
      <p class="muted">
        {SITE_KIND_LABELS[s.kind]} · your level: {p.owner ? "Owner" : SITE_LEVEL_LABELS[s.level]} · <ReportLink href={`/analytics/sites/${s.id}/report`} canOpen={p.canReport} />
      </p>
      {p.error && <Notice kind="error">{p.error}</Notice>}
      <nav class="section-links" aria-label="Sections">
        <a href="#settings">Settings</a>
        <a href="#collection">Collection</a>
        <a href="#tags">Tags</a>
        {p.permissions && <a href="#permissions">Permissions</a>}
      </nav>
      <SettingsSection site={s} canEdit={can("edit")} canDelete={p.owner} form={p.forms?.edit} />
      <CollectionSection site={s} origin={p.origin} />
      <TagsSection site={s} tags={p.tags} canEdit={can("editTags")} canPublish={can("publishTags")} form={p.forms?.tag} tagForms={p.forms?.tags} />
      {p.permissions && (
        <PermissionsSection base={`/analytics/sites/${s.id}/permissions`} entries={p.permissions} levels={SITE_LEVELS} labels={SITE_LEVEL_LABELS} legend={<SiteLevelLegend />} />
      )}
    </>
  );
}
