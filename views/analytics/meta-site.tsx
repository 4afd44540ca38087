// F-43: one meta site or app — its sites, settings (rename at Manage, sites
// chosen by owners), the saved dashboard (Edit), segments (View lists, Edit
// changes) and, at Manage, the permission table with its legend.
import { META_SITE_ACTIONS, META_SITE_LEVEL_LABELS, META_SITE_LEVELS, metaSiteLevelAllows, OWNER_ACTIONS, type MetaSiteLevel } from "../../src/domain/analytics";
import { DASHBOARD_DAYS } from "../../src/domain/analytics-data";
import type { MetaSiteDetail } from "../../src/services/analytics-meta-sites";
import type { PublicSegment } from "../../src/services/analytics-segments";
import { DataTable, EmptyState, Field, Form, FormErrors, Notice, RowMessage, Select } from "../components";
import { LevelLegend, PermissionsSection, ReportLink, SiteCheckboxes, type FormState, type PermissionEntryView } from "./workspace-parts";

export function MetaSiteLevelLegend() {
  return (
    <LevelLegend caption="What each meta site/app level allows" levels={META_SITE_LEVELS} labels={META_SITE_LEVEL_LABELS} actions={META_SITE_ACTIONS} allows={metaSiteLevelAllows} />
  );
}

type Site = { id: string; name: string };
const namesOf = (sites: Site[], ids: string[]) => sites.filter((s) => ids.includes(s.id)).map((s) => s.name).join(", ") || "—";

function SettingsSection(p: { m: MetaSiteDetail; owner: boolean; allSites: Site[]; form?: FormState }) {
  const v = p.form?.values;
  return (
    <section id="settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <Form action={`/analytics/meta-sites/${p.m.id}`} class="card">
        <FormErrors errors={p.form?.errors} shown={["name", "siteIds"]} message={p.form?.message} />
        <Field id="f-meta-name" name="name" label="Name" value={v?.name ?? p.m.name} errors={p.form?.errors} required maxlength={120} />
        {p.owner && <SiteCheckboxes legend="Sites it groups" idPrefix="f-meta-member" sites={p.allSites} checked={p.m.siteIds} values={p.form?.values} errors={p.form?.errors} />}
        <button type="submit">Save</button>
      </Form>
      {p.owner && (
        <Form action={`/analytics/meta-sites/${p.m.id}/delete`} confirm={`Delete ${p.m.name}? Its permissions and segments are deleted too; the sites stay.`}>
          <button type="submit" class="danger">
            {OWNER_ACTIONS.deleteMetaSite}
          </button>
        </Form>
      )}
    </section>
  );
}

function DashboardSection(p: { m: MetaSiteDetail; canEdit: boolean; canReport: boolean; form?: FormState }) {
  const d = p.m.dashboard;
  const v = p.form?.values;
  return (
    <section id="dashboard" aria-labelledby="dashboard-heading">
      <h2 id="dashboard-heading">Dashboard</h2>
      <p>
        Shows {namesOf(p.m.sites, d.siteIds)} over the last {d.days} days.{" "}
        {p.canReport && <a href={`/analytics/meta-sites/${p.m.id}/report`}>Open the report</a>}
      </p>
      {p.canEdit && (
        <Form action={`/analytics/meta-sites/${p.m.id}/dashboard`} class="card">
          <FormErrors errors={p.form?.errors} shown={["siteIds", "days"]} message={p.form?.message} />
          <SiteCheckboxes legend="Sites on the dashboard" idPrefix="f-dash-site" sites={p.m.sites} checked={d.siteIds} values={v} errors={p.form?.errors} />
          <Select id="f-dash-days" name="days" label="Period" value={v?.days ?? String(d.days)} errors={p.form?.errors} options={DASHBOARD_DAYS.map((n) => ({ value: String(n), label: `Last ${n} days` }))} />
          <button type="submit">Save dashboard</button>
        </Form>
      )}
    </section>
  );
}

export function SegmentRow(p: { segment: PublicSegment; sites: Site[]; canEdit: boolean; form?: FormState; message?: string; error?: boolean }) {
  const s = p.segment;
  const rowId = `segment-${s.id}`;
  return (
    <tr id={rowId}>
      <td>{s.name}</td>
      <td>{namesOf(p.sites, s.siteIds)}</td>
      {p.canEdit && (
        <td>
          <details open={Boolean(p.form)}>
            <summary>Edit</summary>
            <Form action={`/analytics/segments/${s.id}`} class="segment-edit">
              <FormErrors errors={p.form?.errors} shown={["name", "siteIds"]} message={p.form?.message} />
              <Field id={`f-seg-${s.id}-name`} name="name" label="Name" value={p.form?.values?.name ?? s.name} errors={p.form?.errors} required maxlength={120} />
              <SiteCheckboxes legend="Sites" idPrefix={`f-seg-${s.id}-site`} sites={p.sites} checked={s.siteIds} values={p.form?.values} errors={p.form?.errors} />
              <button type="submit">Save segment</button>
            </Form>
          </details>
          <Form action={`/analytics/segments/${s.id}/delete`} class="inline" confirm={`Delete the segment ${s.name}?`}>
            <button type="submit" class="secondary">
              Delete
            </button>
          </Form>
          <RowMessage message={p.message} error={p.error} />
        </td>
      )}
    </tr>
  );
}

function SegmentsSection(p: { m: MetaSiteDetail; segments: PublicSegment[]; canEdit: boolean; form?: FormState; segmentForms?: Record<string, FormState> }) {
  return (
    <section id="segments" aria-labelledby="segments-heading">
      <h2 id="segments-heading">Segments</h2>
      <p class="muted">A segment narrows this meta site's reports to some of its sites.</p>
      {p.segments.length === 0 ? (
        <EmptyState>{p.canEdit ? "No segments yet. Add one below to narrow the reports to some sites." : "No segments yet. A user with Edit or Manage on this meta site adds them."}</EmptyState>
      ) : (
        <DataTable columns={["Name", "Sites", ...(p.canEdit ? ["Actions"] : [])]} label="Segments">
          {p.segments.map((s) => (
            <SegmentRow segment={s} sites={p.m.sites} canEdit={p.canEdit} form={p.segmentForms?.[s.id]} />
          ))}
        </DataTable>
      )}
      {p.canEdit && (
        <Form action={`/analytics/meta-sites/${p.m.id}/segments`} class="card" id="add-segment">
          <h3>Add a segment</h3>
          <FormErrors errors={p.form?.errors} shown={["name", "siteIds"]} message={p.form?.message} />
          <Field id="f-new-seg-name" name="name" label="Name" value={p.form?.values?.name} errors={p.form?.errors} required maxlength={120} />
          <SiteCheckboxes legend="Sites" idPrefix="f-new-seg-site" sites={p.m.sites} checked={[]} values={p.form?.values} errors={p.form?.errors} />
          <button type="submit">Add segment</button>
        </Form>
      )}
    </section>
  );
}

export interface MetaSitePageProps {
  metaSite: MetaSiteDetail;
  owner: boolean;
  /** The Reporting module: the report links show only with it. */
  canReport: boolean;
  /** The workspace's sites, for the owner's choice of members. */
  allSites: Site[];
  segments: PublicSegment[];
  permissions?: PermissionEntryView<MetaSiteLevel>[];
  error?: string;
  forms?: { settings?: FormState; dashboard?: FormState; segment?: FormState; segments?: Record<string, FormState> };
}

export function MetaSitePage(p: MetaSitePageProps) {
  const m = p.metaSite;
  const can = (a: keyof typeof META_SITE_ACTIONS) => metaSiteLevelAllows(m.level, a);
  return (
    <>
      <p>
        <a href="/analytics">← Analytics</a>
      </p>
      <h1>{m.name}</h1>
      <p class="muted">
        Meta site/app · your level: {p.owner ? "Owner" : META_SITE_LEVEL_LABELS[m.level]} · <ReportLink href={`/analytics/meta-sites/${m.id}/report`} canOpen={p.canReport} />
      </p>
      {p.error && <Notice kind="error">{p.error}</Notice>}
      <nav class="section-links" aria-label="Sections">
        <a href="#sites">Sites</a>
        {can("viewSettings") && <a href="#settings">Settings</a>}
        <a href="#dashboard">Dashboard</a>
        <a href="#segments">Segments</a>
        {p.permissions && <a href="#permissions">Permissions</a>}
      </nav>
      <section id="sites" aria-labelledby="sites-heading">
        <h2 id="sites-heading">Sites</h2>
        {m.sites.length === 0 ? (
          <Notice>This meta site groups no sites{p.owner ? ": choose some in the settings." : "."}</Notice>
        ) : (
          <ul>
            {m.sites.map((s) => (
              <li>{p.owner ? <a href={`/analytics/sites/${s.id}`}>{s.name}</a> : s.name}</li>
            ))}
          </ul>
        )}
      </section>
      {can("viewSettings") && <SettingsSection m={m} owner={p.owner} allSites={p.allSites} form={p.forms?.settings} />}
      <DashboardSection m={m} canEdit={can("editDashboard")} canReport={p.canReport} form={p.forms?.dashboard} />
      <SegmentsSection m={m} segments={p.segments} canEdit={can("editSegments")} form={p.forms?.segment} segmentForms={p.forms?.segments} />
      {p.permissions && (
        <PermissionsSection
          base={`/analytics/meta-sites/${m.id}/permissions`}
          entries={p.permissions}
          levels={META_SITE_LEVELS}
          labels={META_SITE_LEVEL_LABELS}
          legend={<MetaSiteLevelLegend />}
        />
      )}
    </>
  );
}
