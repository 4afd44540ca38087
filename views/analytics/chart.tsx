// F-45: a daily visits/events line chart drawn on the server as SVG. Pure:
// rows in, markup out. The CSP allows no inline style or script, so colours
// and strokes come from classes in public/css/app.css ("analytics reports").
// role="img" with <title>/<desc> gives screen readers a summary; the page's
// data table under the chart holds every number.
import type { DailyCounts } from "../../src/domain/analytics-data";
import { formatNumber as format } from "../format";

const SIZES = {
  full: { width: 720, height: 260, left: 56, right: 16, top: 14, bottom: 34, marker: 3 },
  small: { width: 360, height: 150, left: 44, right: 10, top: 10, bottom: 26, marker: 2 },
} as const;
export type ChartSize = keyof typeof SIZES;
/** Up to this many days each day gets a dot, so single days and short gaps stay visible. */
const MAX_MARKED_DAYS = 31;
const SERIES = [
  { key: "visits", label: "Visits" },
  { key: "events", label: "Events" },
] as const;

/** The smallest of 1, 2, 5 × 10ⁿ that is at least `value` (at least 1): a round top for the y axis. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}


function peak(rows: readonly DailyCounts[], key: "visits" | "events") {
  let best: DailyCounts | undefined;
  for (const r of rows) if (!best || r[key] > best[key]) best = r;
  return best;
}

/** The chart's text summary (its <desc>). */
export function chartSummary(rows: readonly DailyCounts[]): string {
  if (rows.length === 0) return "No days in this range.";
  const parts = SERIES.map(({ key, label }) => {
    const total = rows.reduce((sum, r) => sum + r[key], 0);
    const top = peak(rows, key)!;
    return total === 0 ? `${label}: none.` : `${label}: ${format(total)} in total, most on ${top.day} (${format(top[key])}).`;
  });
  return `Daily counts from ${rows[0]!.day} to ${rows[rows.length - 1]!.day}. ${parts.join(" ")}`;
}

export function ReportChart(p: { id: string; title: string; rows: readonly DailyCounts[]; size?: ChartSize }) {
  const size = SIZES[p.size ?? "full"];
  const plotWidth = size.width - size.left - size.right;
  const plotHeight = size.height - size.top - size.bottom;
  const bottom = size.top + plotHeight;
  const top = niceCeiling(Math.max(0, ...p.rows.map((r) => Math.max(r.visits, r.events))));
  const n = p.rows.length;
  const x = (i: number) => round(n <= 1 ? size.left + plotWidth / 2 : size.left + (i * plotWidth) / (n - 1));
  const y = (v: number) => round(bottom - (v / top) * plotHeight);
  const yTicks = top % 2 === 0 ? [0, top / 2, top] : [0, top];
  const xTicks = n === 0 ? [] : [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
  const label = (day: string) => (p.size === "small" ? day.slice(5) : day);
  const anchor = (i: number) => (n <= 1 ? "middle" : i === 0 ? "start" : i === n - 1 ? "end" : "middle");
  const titleId = `${p.id}-title`;
  const descId = `${p.id}-desc`;
  return (
    <figure class={`chart chart-${p.size ?? "full"}`}>
      <svg
        id={p.id}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        viewBox={`0 0 ${size.width} ${size.height}`}
        width={size.width}
        height={size.height}
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id={titleId}>{p.title}</title>
        <desc id={descId}>{chartSummary(p.rows)}</desc>
        <g class="chart-grid">
          {yTicks.map((t) => (
            <line x1={size.left} x2={size.width - size.right} y1={y(t)} y2={y(t)} />
          ))}
        </g>
        <g class="chart-axis">
          <line x1={size.left} x2={size.left} y1={size.top} y2={bottom} />
          <line x1={size.left} x2={size.width - size.right} y1={bottom} y2={bottom} />
          {yTicks.map((t) => (
            <text x={size.left - 6} y={y(t)} text-anchor="end" dominant-baseline="middle">
              {format(t)}
            </text>
          ))}
          {xTicks.map((i) => (
            <text x={x(i)} y={bottom + 16} text-anchor={anchor(i)}>
              {label(p.rows[i]!.day)}
            </text>
          ))}
        </g>
        {SERIES.map(({ key }) => (
          <g class={`chart-series chart-${key}`}>
            {n > 1 && <polyline points={p.rows.map((r, i) => `${x(i)},${y(r[key])}`).join(" ")} />}
            {n <= MAX_MARKED_DAYS && p.rows.map((r, i) => <circle cx={x(i)} cy={y(r[key])} r={size.marker} />)}
          </g>
        ))}
      </svg>
      <figcaption class="chart-legend">
        {SERIES.map(({ key, label }) => (
          <span class={`chart-key chart-${key}`}>{label}</span>
        ))}
      </figcaption>
    </figure>
  );
}

const round = (v: number) => Math.round(v * 10) / 10;
