// F-45 report pages: a range form (with presets, license key filter and the
// meta site's segments), totals, a chart and the same numbers as a table, and
// the CSV export through the Reporting API (the session works there).
import type { DailyCounts, Totals } from "../../src/domain/analytics-data";
import type { FieldErrors } from "../../src/lib/errors";
import type { MetaSiteReportPage, NamedRef, SiteReport } from "../../src/services/analytics-reports";
import { Field, Notice, Select, TableScroll } from "../components";
import { ReportChart } from "./chart";
import { formatNumber as format } from "../format";

const count = (n: number, one: string, many: string) => `${format(n)} ${n === 1 ? one : many}`;

/** What the range form shows: the typed values after an error, else the report's own. */
export interface ReportFormValues {
  from?: string;
  to?: string;
  licenseKey?: string;
  segment?: string;
}

export interface ReportFormProps {
  action: string;
  values: ReportFormValues;
  errors?: FieldErrors;
  canFilterByLicenseKey: boolean;
  /** Meta sites only: the segments to choose from. */
  segments?: NamedRef[];
  /** The ranges of the presets, computed for "today" by the route. */
  presets: { days: number; from: string; to: string }[];
}

/** A link that keeps the current filters and sets a new range. */
function presetHref(p: ReportFormProps, range: { from: string; to: string }) {
  const params = new URLSearchParams({ from: range.from, to: range.to });
  if (p.values.licenseKey) params.set("licenseKey", p.values.licenseKey);
  if (p.values.segment) params.set("segment", p.values.segment);
  return `${p.action}?${params}`;
}

export function ReportForm(p: ReportFormProps) {
  return (
    <>
      <nav class="report-presets" aria-label="Date range shortcuts">
        {p.presets.map((preset) => {
          const current = !p.errors && p.values.from === preset.from && p.values.to === preset.to;
          return (
            <a href={presetHref(p, preset)} aria-current={current ? "true" : undefined} class={current ? "current" : undefined}>
              Last {preset.days} days
            </a>
          );
        })}
      </nav>
      <form method="get" action={p.action} class="filters report-filters" role="search" aria-label="Report range">
        <Field id="f-report-from" name="from" label="From" type="date" value={p.values.from} errors={p.errors} />
        <Field id="f-report-to" name="to" label="To" type="date" value={p.values.to} errors={p.errors} />
        {p.segments && (
          <Select
            id="f-report-segment"
            name="segment"
            label="Segment"
            value={p.values.segment ?? ""}
            errors={p.errors}
            options={[{ value: "", label: "All sites" }, ...p.segments.map((s) => ({ value: s.id, label: s.name }))]}
          />
        )}
        {p.canFilterByLicenseKey && (
          <Field id="f-report-license" name="licenseKey" label="License key" value={p.values.licenseKey} errors={p.errors} maxlength={100} hint="Empty: every key." />
        )}
        <button type="submit" class="secondary">
          Show
        </button>
      </form>
    </>
  );
}

function TotalsList(p: { totals: Totals }) {
  return (
    <dl class="report-totals">
      <div>
        <dt>Visits</dt>
        <dd>{format(p.totals.visits)}</dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>{format(p.totals.events)}</dd>
      </div>
    </dl>
  );
}

/** Every day of the range: the chart's accessible twin, as wide as the chart, one short line a day. */
function DailyTable(p: { rows: DailyCounts[]; totals: Totals; caption: string }) {
  return (
    <TableScroll label={p.caption} class="report-days">
      <table class="report-table">
        <caption>{p.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Visits</th>
            <th scope="col">Events</th>
          </tr>
        </thead>
        <tbody>
          {p.rows.map((r) => (
            <tr>
              <th scope="row">
                <time datetime={r.day}>{r.day}</time>
              </th>
              <td>{format(r.visits)}</td>
              <td>{format(r.events)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td>{format(p.totals.visits)}</td>
            <td>{format(p.totals.events)}</td>
          </tr>
        </tfoot>
      </table>
    </TableScroll>
  );
}

function CsvLink(p: { href: string }) {
  return (
    <p class="row-actions">
      <a class="button secondary-link" href={p.href} download>
        Download CSV
      </a>
    </p>
  );
}

const rangeText = (r: { from: string; to: string }) => (r.from === r.to ? r.from : `${r.from} to ${r.to}`);
const FIX_RANGE = "Correct the range to see the report.";

export function SiteReportView(p: { report: SiteReport; form: ReportFormProps; csvHref: string }) {
  const r = p.report;
  return (
    <>
      <p>
        <a href={`/analytics/sites/${r.site.id}`}>← {r.site.name}</a>
      </p>
      <h1>Report: {r.site.name}</h1>
      <ReportForm {...p.form} />
      {p.form.errors ? (
        <Notice kind="error">{FIX_RANGE}</Notice>
      ) : (
        <>
          <p class="muted">
            {rangeText(r)} (UTC){r.licenseKey !== null && <> · license key <code>{r.licenseKey}</code></>}
          </p>
          <TotalsList totals={r.totals} />
          <CsvLink href={p.csvHref} />
          <ReportChart id="chart-site" title={`${r.site.name}: visits and events per day, ${rangeText(r)}`} rows={r.rows} />
          <DailyTable rows={r.rows} totals={r.totals} caption={`Visits and events per day, ${rangeText(r)}`} />
        </>
      )}
    </>
  );
}

export function MetaSiteReportView(p: { data: MetaSiteReportPage; form: ReportFormProps; csvHref: string }) {
  const r = p.data.report;
  return (
    <>
      <p>
        <a href={`/analytics/meta-sites/${r.metaSite.id}`}>← {r.metaSite.name}</a>
      </p>
      <h1>Report: {r.metaSite.name}</h1>
      <ReportForm {...p.form} />
      {p.form.errors ? (
        <Notice kind="error">{FIX_RANGE}</Notice>
      ) : (
        <>
          <p class="muted">
            {rangeText(r)} (UTC) · {r.segment ? <>segment {r.segment.name}</> : "all sites"} · {count(r.perSite.length, "site", "sites")}
            {r.licenseKey !== null && <> · license key <code>{r.licenseKey}</code></>}
          </p>
          <TotalsList totals={r.totals} />
          <CsvLink href={p.csvHref} />
          <ReportChart id="chart-meta" title={`${r.metaSite.name}: visits and events per day over its sites, ${rangeText(r)}`} rows={r.rows} />
          <DailyTable rows={r.rows} totals={r.totals} caption={`Visits and events per day, summed over the sites, ${rangeText(r)}`} />
          <section class="report-sites">
            <h2>Per site</h2>
            {r.perSite.length === 0 ? (
              <Notice>This report covers no site.</Notice>
            ) : (
              <TableScroll label={`Totals per site, ${rangeText(r)}`}>
                <table>
                  <caption>Totals per site, {rangeText(r)}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Site/app</th>
                      <th scope="col">Visits</th>
                      <th scope="col">Events</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.perSite.map((s) => (
                      <tr>
                        <th scope="row">{s.site.name}</th>
                        <td>{format(s.totals.visits)}</td>
                        <td>{format(s.totals.events)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </section>
          <section class="report-dashboard">
            <h2>Dashboard</h2>
            {p.data.siteCharts.length === 0 ? (
              <Notice>The meta site's dashboard shows no single site{r.segment ? " of this segment" : ""}.</Notice>
            ) : (
              <div class="chart-grid-small">
                {p.data.siteCharts.map((chart, i) => (
                  <section class="card" aria-labelledby={`dash-${i}-heading`}>
                    <h3 id={`dash-${i}-heading`}>{chart.site.name}</h3>
                    <p class="muted">
                      {count(chart.totals.visits, "visit", "visits")} · {count(chart.totals.events, "event", "events")}
                    </p>
                    <ReportChart id={`chart-dash-${i}`} size="small" title={`${chart.site.name}: visits and events per day, ${rangeText(r)}`} rows={chart.rows} />
                  </section>
                ))}
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}
