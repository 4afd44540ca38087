// F-44 Quota Usage: this month's collection against the monthly quota, and
// how much each site or app contributed.
import type { Quota } from "../../../src/services/analytics-quota";
import { DataTable, EmptyState, Notice } from "../../components";
import { ModuleHead } from "./common";
import { formatNumber as n } from "../../format";


export function QuotaPage(p: { quota: Quota }) {
  const q = p.quota;
  return (
    <>
      <ModuleHead module="quota_usage" title="Quota usage" canWrite />
      <section class="card quota" aria-labelledby="quota-month">
        <h2 id="quota-month">{q.month} (UTC)</h2>
        <label for="quota-meter">
          {n(q.used.total)} of {n(q.quota)} collected this month ({q.percent}%)
        </label>
        <meter id="quota-meter" min={0} max={q.quota} low={q.quota * 0.8} high={q.quota * 0.95} optimum={0} value={q.used.total}>
          {q.percent}%
        </meter>
        <p class="muted">
          {n(q.used.visits)} visits and {n(q.used.events)} other events. Every collected visit and event counts against the quota.
        </p>
        {q.used.total > q.quota && <Notice kind="error">The workspace is over its monthly quota.</Notice>}
      </section>
      <h2>By site or app</h2>
      {q.perSite.length === 0 ? (
        <EmptyState action={<a href="/analytics#sites">Sites and apps</a>}>Your workspace has no sites or apps yet, so nothing is counted. Usage shows here once a site collects data.</EmptyState>
      ) : (
        <DataTable columns={["Site or app", "Visits", "Events", "Total"]} label="Usage by site or app">
          {q.perSite.map((s) => (
            <tr>
              <td>{s.name}</td>
              <td>{n(s.visits)}</td>
              <td>{n(s.events)}</td>
              <td>{n(s.visits + s.events)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
