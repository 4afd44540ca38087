// The partner dashboard (F-65): one card per customer that granted this user
// access, with its numbers, a small trend per metric and its licensed
// capacity; and one customer's page with per-site totals. The sparkline is an
// inline SVG drawn with classes only (the CSP forbids style attributes).
import type { Child } from "hono/jsx";
import type { CustomerInsights, SiteTotals, TrendPoint } from "../src/services/partner-dashboard";
import { DataTable, DateTime, EmptyState, Notice } from "./components";
import { formatNumber as n } from "./format";


/** The change against the previous 30 days, as text; "new" when there was nothing before. */
export function changeText(current: number, previous: number): { text: string; trend: "up" | "down" | "flat" } {
  if (previous === 0) return current === 0 ? { text: "no change", trend: "flat" } : { text: "new", trend: "up" };
  const pct = Math.round(((current - previous) / previous) * 100);
  if (pct === 0) return { text: "no change", trend: "flat" };
  return { text: `${pct > 0 ? "+" : "−"}${Math.abs(pct)}%`, trend: pct > 0 ? "up" : "down" };
}

const SPARK_W = 120;
const SPARK_H = 32;

/** A tiny line of one metric per day; the title gives screen readers what the line shows. */
export function Sparkline(p: { points: TrendPoint[]; metric: "visits" | "events"; id: string }) {
  const values = p.points.map((pt) => pt[p.metric]);
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? SPARK_W / (values.length - 1) : 0;
  const coords = values.map((v, i) => `${(i * step).toFixed(1)},${(SPARK_H - 2 - (v / max) * (SPARK_H - 4)).toFixed(1)}`).join(" ");
  const total = values.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...values);
  const peakDay = peak > 0 ? p.points[values.indexOf(peak)]?.day : undefined;
  const title = `${p.metric === "visits" ? "Visits" : "Events"} per day, last ${values.length} days: ${n(total)} in total${peakDay ? `, highest ${n(peak)} on ${peakDay}` : ""}.`;
  return (
    <svg class={`sparkline ${p.metric}`} viewBox={`0 0 ${SPARK_W} ${SPARK_H}`} width={SPARK_W} height={SPARK_H} preserveAspectRatio="none" role="img" aria-labelledby={`${p.id}-title`}>
      <title id={`${p.id}-title`}>{title}</title>
      <polyline points={coords} />
    </svg>
  );
}

function Metric(p: { label: string; value: number; previous?: number; children?: Child }) {
  const change = p.previous === undefined ? null : changeText(p.value, p.previous);
  return (
    <div class="metric">
      <dt>{p.label}</dt>
      <dd>
        <span class="metric-value">{n(p.value)}</span>
        {change && (
          <span class={`change ${change.trend}`} title={`Previous 30 days: ${n(p.previous!)}`}>
            {change.text}
          </span>
        )}
        {p.children}
      </dd>
    </div>
  );
}

function Capacity(p: { items: CustomerInsights["capacity"]; orgName: string }) {
  if (!p.items.length) return <p class="muted">No license plans.</p>;
  const activeSeats = p.items.filter((c) => c.status === "active").reduce((sum, c) => sum + c.seats, 0);
  return (
    <>
      <p>
        Licensed capacity: <strong>{n(activeSeats)}</strong> seats in active plans.
      </p>
      <DataTable columns={["Plan", "Seats", "Status", "Renews"]} label={`License plans of ${p.orgName}`}>
        {p.items.map((c) => (
          <tr>
            <td>{c.label}</td>
            <td>{n(c.seats)}</td>
            <td>{c.status === "active" ? "Active" : "Expired"}</td>
            <td>
              <DateTime at={c.renewsAt} />
            </td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}

function Insights(p: { customer: CustomerInsights }) {
  const { stats, org } = p.customer;
  return (
    <>
      <dl class="metrics">
        <Metric label="Sites and apps" value={stats.sites} />
        <Metric label="Active in the last 30 days" value={stats.activeSites30d} />
        <Metric label="Visits, last 30 days" value={stats.visits30d} previous={stats.visitsPrev30d}>
          <Sparkline points={stats.trend} metric="visits" id={`spark-visits-${org.id}`} />
        </Metric>
        <Metric label="Events, last 30 days" value={stats.events30d} previous={stats.eventsPrev30d}>
          <Sparkline points={stats.trend} metric="events" id={`spark-events-${org.id}`} />
        </Metric>
      </dl>
      <h3>Capacity</h3>
      <Capacity items={p.customer.capacity} orgName={org.name} />
    </>
  );
}

function AccessLine(p: { customer: CustomerInsights }) {
  return (
    <p class="muted">
      Access since <DateTime at={p.customer.grantedAt} />
      {p.customer.expiresAt ? (
        <>
          {" "}
          · ends <DateTime at={p.customer.expiresAt} />
        </>
      ) : (
        " · no end date"
      )}
    </p>
  );
}

export function PartnerDashboardPage(p: { customers: CustomerInsights[]; window: { from: string; to: string } }) {
  return (
    <>
      <h1>Partner dashboard</h1>
      <p class="muted">
        Customers that gave you access to their insights. Figures cover {p.window.from} to {p.window.to} (UTC) and compare with the 30 days before.
      </p>
      {p.customers.length === 0 ? (
        <EmptyState>No customer has given you access to its insights yet. A customer grants it on its own Partners page; its statistics then show here.</EmptyState>
      ) : (
        <div class="partner-cards">
          {p.customers.map((c) => (
            <section class="card partner-card" aria-labelledby={`customer-${c.org.id}`}>
              <h2 id={`customer-${c.org.id}`}>
                <a href={`/partner-dashboard/${c.org.id}`}>{c.org.name}</a>
              </h2>
              <AccessLine customer={c} />
              <Insights customer={c} />
            </section>
          ))}
        </div>
      )}
    </>
  );
}

export function PartnerCustomerPage(p: { customer: CustomerInsights; sites: SiteTotals[]; window: { from: string; to: string } }) {
  const c = p.customer;
  return (
    <>
      <p>
        <a href="/partner-dashboard">← Partner dashboard</a>
      </p>
      <h1>{c.org.name}</h1>
      <AccessLine customer={c} />
      <section class="card partner-card">
        <Insights customer={c} />
      </section>
      <h2>Sites and apps</h2>
      <p class="muted">
        Totals from {p.window.from} to {p.window.to} (UTC).
      </p>
      {p.sites.length === 0 ? (
        <Notice>This customer has no sites or apps yet.</Notice>
      ) : (
        <DataTable columns={["Name", "Kind", "Visits", "Events"]} label={`Sites and apps of ${c.org.name}`}>
          {p.sites.map((s) => (
            <tr>
              <th scope="row">{s.name}</th>
              <td>{s.kind === "app" ? "App" : "Site"}</td>
              <td>{n(s.visits30d)}</td>
              <td>{n(s.events30d)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
