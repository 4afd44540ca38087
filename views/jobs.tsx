// Operators' view of the cron (F-10, F-70): each run with what it did, and the
// mail that could not be delivered, with "Send again".
import type { listDeadLetters, listJobRuns } from "../src/services/job-runs";
import { MAX_DELIVERY_ATTEMPTS } from "../src/services/outbox";
import { DataTable, DateTime, RowAction } from "./components";
import { Pagination } from "./users";

type Runs = Awaited<ReturnType<typeof listJobRuns>>;
type DeadLetters = Awaited<ReturnType<typeof listDeadLetters>>;

const JOB_LABELS: Record<string, string> = { daily: "Daily jobs", mail: "Mail delivery" };

/** The numbers an operator looks for, flattened from the run's summary. */
function summaryLine(summary: Record<string, unknown> | null): string {
  if (!summary) return "—";
  const parts: string[] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix} ${k}` : k, v);
    else if (typeof value === "number" || typeof value === "string") parts.push(`${prefix}: ${value}`);
  };
  walk("", summary);
  return parts.join(" · ");
}

export function DeadLetterRow(p: { mail: DeadLetters["items"][number] | { id: string; to: string; subject: string }; resent?: boolean }) {
  const m = p.mail;
  const dead = "attempts" in m;
  return (
    <tr id={`mail-${m.id}`}>
      <td>{dead ? <DateTime at={m.createdAt} /> : "—"}</td>
      <td>{m.to}</td>
      <td>{m.subject}</td>
      <td>{dead ? m.attempts : "—"}</td>
      <td class="muted">{dead ? (m.lastError ?? "—") : "—"}</td>
      <td>
        {p.resent ? (
          <span role="status">Queued again.</span>
        ) : (
          <RowAction action={`/jobs/dead-letters/${m.id}/retry`} label="Send again" />
        )}
      </td>
    </tr>
  );
}

export function JobsPage(p: { runs: Runs; dead: DeadLetters; job?: string }) {
  return (
    <>
      <h1>Scheduled jobs</h1>
      <p>
        The daily run (03:00 UTC) sends invitation reminders, runs the inactivity sweep and deletes expired data; mail delivery runs every 5 minutes at
        Resend's rate limit.
      </p>
      <nav class="tabs" aria-label="Job">
        <a href="/jobs" aria-current={!p.job ? "page" : undefined}>All</a>
        {Object.entries(JOB_LABELS).map(([key, label]) => (
          <a href={`/jobs?job=${key}`} aria-current={p.job === key ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <DataTable columns={["Started", "Job", "Duration", "Status", "What it did"]} label="Job runs">
        {p.runs.items.length === 0 && (
          <tr>
            <td colspan={5}>No runs yet.</td>
          </tr>
        )}
        {p.runs.items.map((r) => (
          <tr>
            <td>
              <DateTime at={r.startedAt} />
            </td>
            <td>{JOB_LABELS[r.job] ?? r.job}</td>
            <td>{(r.durationMs / 1000).toFixed(1)} s</td>
            <td class={r.status === "ok" ? undefined : "error"}>{r.status === "ok" ? "OK" : "Failed"}</td>
            <td>{r.status === "ok" ? summaryLine(r.summary) : <pre>{r.error}</pre>}</td>
          </tr>
        ))}
      </DataTable>
      <Pagination page={p.runs.page} href={(n) => `/jobs?${p.job ? `job=${p.job}&` : ""}page=${n}`} nouns={["run", "runs"]} />

      <h2 id="dead-letters">Undelivered mail ({p.dead.page.total})</h2>
      <p>Mail that failed {MAX_DELIVERY_ATTEMPTS} times, or that Resend refused outright, stops here. Sending it again starts a fresh series of attempts.</p>
      <DataTable columns={["Queued", "To", "Subject", "Attempts", "Last error", ""]} label="Undelivered mail" swapRows>
        {p.dead.items.length === 0 && (
          <tr>
            <td colspan={6}>None.</td>
          </tr>
        )}
        {p.dead.items.map((m) => (
          <DeadLetterRow mail={m} />
        ))}
      </DataTable>
    </>
  );
}
