// The access review page (F-93): every user of the organization in one table
// — role, P/AA/AAA and partner access, as now and as at the start — with
// Confirm / Change role / Deactivate per row (htmx swaps the row), "Confirm
// all remaining" and "Complete review". Operators get the status across
// organizations and read any review.
import type { Child } from "hono/jsx";
import { STATUS_LABELS, type AccountStatus } from "../src/domain/account-state";
import { DECISION_LABELS, REVIEW_DUE_DAYS } from "../src/domain/access-review";
import { ROLE_LABELS } from "../src/domain/roles";
import type { DecisionCounts } from "../src/domain/access-review";
import type { ReviewStatusRow } from "../src/services/access-review-status";
import type { ReviewDetail, ReviewGrant, ReviewItem, ReviewSummary } from "../src/services/access-reviews";
import { DataTable, DateTime, Field, Form, Notice, RowAction, RowMessage, Select, hxPost } from "./components";
import { Pagination, roleOptions, type PageInfo } from "./users";

/** The htmx event a row action answers with, so the progress box reloads itself. */
export const REVIEW_CHANGED_EVENT = "access-review-changed";

const yn = (b: boolean) => (b ? "Y" : "N");
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "");
const base = (reviewId: string) => `/access-review/${reviewId}`;

/** A value as it is now, with what it was when the review started when that differs. */
function Now(p: { now: string; was: string }) {
  return (
    <>
      {p.now}
      {p.now !== p.was && <span class="was"> (was {p.was})</span>}
    </>
  );
}

function GrantList(p: { grants: ReviewGrant[]; side: "received" | "given" }) {
  if (!p.grants.length) return <span class="muted">—</span>;
  return (
    <ul class="review-grants">
      {p.grants.map((g) => (
        <li>
          {p.side === "received" ? g.customer.name : `${g.partnerUser.email} (${g.partnerOrg.name})`}
          {g.expiresAt && <span class="muted"> until {day(g.expiresAt)}</span>}
        </li>
      ))}
    </ul>
  );
}

export const REVIEW_COLUMNS = ["User", "Role", "Status", "P", "AA", "AAA", "Partner access", "Decision"];

export interface RowProps {
  reviewId: string;
  orgKind: string;
  item: ReviewItem;
  /** The signed-in Partner Manager may decide (an open review of their organization). */
  editable: boolean;
  self: boolean;
  message?: string;
  error?: boolean;
}

/** One user's row; row actions post with htmx and swap in the row the server answers with. */
export function ReviewItemRow(p: RowProps) {
  const { item } = p;
  const rowId = `review-item-${item.userId}`;
  const u = item.user;
  const columns = REVIEW_COLUMNS.length + (p.editable ? 1 : 0);
  if (!u) {
    return (
      <tr id={rowId}>
        <td colspan={columns}>
          <span class="muted">Account deleted since the review started ({ROLE_LABELS[item.snapshot.role]}): nothing left to decide.</span>
        </td>
      </tr>
    );
  }
  const s = item.snapshot;
  const path = `${base(p.reviewId)}/items/${u.id}`;
  const decided = item.decision !== "pending";
  return (
    <tr id={rowId} class={decided ? "decided" : undefined}>
      <td>
        {u.name}
        {p.self && <span class="badge">you</span>}
        <br />
        <span class="muted">{u.email}</span>
      </td>
      <td>
        <Now now={ROLE_LABELS[u.role]} was={ROLE_LABELS[s.role]} />
      </td>
      <td>
        <Now now={STATUS_LABELS[u.status as AccountStatus]} was={STATUS_LABELS[s.status as AccountStatus] ?? s.status} />
      </td>
      <td>
        <Now now={yn(u.purchaser)} was={yn(s.purchaser)} />
      </td>
      <td>
        <Now now={u.analyticsAccess} was={s.analyticsAccess} />
      </td>
      <td>
        <Now now={yn(u.analyticsAdmin)} was={yn(s.analyticsAdmin)} />
      </td>
      <td>
        <GrantList grants={item.grants} side={p.orgKind === "customer" ? "given" : "received"} />
      </td>
      <td>
        <strong>{DECISION_LABELS[item.decision]}</strong>
        {item.decidedAt && (
          <span class="muted">
            <br />
            {item.decidedBy?.name ?? "deleted user"}, <DateTime at={item.decidedAt} />
          </span>
        )}
      </td>
      {p.editable && (
        <td>
          <div class="row-actions">
            <RowAction action={`${path}/confirm`} label={item.decision === "confirmed" ? "Confirmed ✓" : "Confirm"} />
            <Form action={`${path}/role`} class="inline role-form">
              <label class="visually-hidden" for={`review-role-${u.id}`}>{`New role of ${u.name}`}</label>
              <select id={`review-role-${u.id}`} name="role">
                {roleOptions.map((o) => (
                  <option value={o.value} selected={o.value === u.role}>
                    {o.label}
                  </option>
                ))}
              </select>{" "}
              <button type="submit" class="secondary" {...hxPost(`${path}/role`, undefined)}>
                Change role
              </button>
            </Form>
            {u.status !== "deactivated" && !p.self && (
              <RowAction
                action={`${path}/deactivate`}
                label="Deactivate"
                confirm={`Deactivate ${u.email}? They can no longer sign in, their sessions and partner access end at once.`}
              />
            )}
          </div>
          <RowMessage message={p.message} error={p.error} />
        </td>
      )}
    </tr>
  );
}

function countsLine(c: DecisionCounts) {
  const parts = [`${c.confirmed} confirmed`, `${c.changed} changed`, `${c.deactivated} deactivated`];
  if (c.deleted) parts.push(`${c.deleted} deleted meanwhile`);
  return `${c.total - c.pending - c.deleted} of ${c.total - c.deleted} decided: ${parts.join(", ")}.`;
}

/**
 * The review's progress with "Confirm all remaining" and "Complete review".
 * Row actions fire REVIEW_CHANGED_EVENT; this box then reloads itself, so the
 * Complete button enables as soon as the last user is decided.
 */
export function ReviewProgress(p: { review: ReviewSummary; counts: DecisionCounts; editable: boolean }) {
  const { review, counts } = p;
  const open = review.status === "open";
  const reload = p.editable ? { "hx-get": `${base(review.id)}/progress`, "hx-trigger": `${REVIEW_CHANGED_EVENT} from:body`, "hx-swap": "outerHTML" } : {};
  return (
    <section id="review-progress" class="card review-progress" aria-live="polite" {...reload}>
      <h2>Progress</h2>
      <p>{countsLine(counts)}</p>
      {open && counts.pending > 0 && (
        <p>
          <strong>{counts.pending}</strong> {counts.pending === 1 ? "user still needs" : "users still need"} a decision.
        </p>
      )}
      {p.editable && open && (
        <div class="review-finish">
          {counts.pending > 0 && (
            <Form action={`${base(review.id)}/confirm-remaining`} class="inline">
              <button type="submit" class="secondary">
                Confirm all remaining ({counts.pending})
              </button>
            </Form>
          )}
          <Form action={`${base(review.id)}/complete`} class="inline">
            <button type="submit" disabled={counts.pending > 0} aria-describedby="complete-hint">
              Complete review
            </button>
          </Form>
          <p class="hint" id="complete-hint">
            {counts.pending > 0
              ? "You can complete the review once every user has a decision: decide each row, or confirm all remaining as they are."
              : "Every user has a decision. Completing records the outcome in the audit log."}
          </p>
        </div>
      )}
    </section>
  );
}

function ReviewFacts(p: { review: ReviewSummary }) {
  const r = p.review;
  return (
    <dl class="details">
      <dt>Started</dt>
      <dd>
        <DateTime at={r.startedAt} /> {r.startedBy ? `by ${r.startedBy.name ?? "deleted user"}` : "by the quarterly schedule"}
      </dd>
      <dt>Due</dt>
      <dd>
        <DateTime at={r.dueAt} /> {r.overdue && <span class="badge overdue">Overdue</span>}
      </dd>
      {r.completedAt && (
        <>
          <dt>Completed</dt>
          <dd>
            <DateTime at={r.completedAt} /> by {r.completedBy?.name ?? "deleted user"}
          </dd>
        </>
      )}
    </dl>
  );
}

/** Customer organizations: who outside can see this organization's insights now (F-60). */
function PartnerAccessSection(p: { grants: ReviewGrant[]; editable: boolean }) {
  return (
    <section aria-labelledby="review-partners-heading">
      <h2 id="review-partners-heading">Partner access to your insights</h2>
      {p.grants.length === 0 ? (
        <p class="muted">No partner user can see this organization's insights.</p>
      ) : (
        <DataTable columns={["Partner user", "Partner organization", "Until"]} label="Partner access">
          {p.grants.map((g) => (
            <tr>
              <td>
                {g.partnerUser.name}
                <br />
                <span class="muted">{g.partnerUser.email}</span>
              </td>
              <td>{g.partnerOrg.name}</td>
              <td>{g.expiresAt ? day(g.expiresAt) : <span class="muted">no end date</span>}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {p.editable && (
        <p class="hint">
          Change or remove partner access on the <a href="/partners">Partners</a> page; the rows above show which user granted what.
        </p>
      )}
    </section>
  );
}

/** The review itself: facts, progress, partner access (customers), and the table of users. */
export function ReviewBody(p: { detail: ReviewDetail; editable: boolean; actorId: string }) {
  const { review, counts, items, partnerAccess } = p.detail;
  const customer = review.org.kind === "customer";
  return (
    <>
      <ReviewFacts review={review} />
      <ReviewProgress review={review} counts={counts} editable={p.editable} />
      {customer && <PartnerAccessSection grants={partnerAccess} editable={p.editable} />}
      <h2>Users</h2>
      <p class="muted">
        Everyone who had an account (not deactivated) when the review started. “was …” shows what changed since then. P: Purchaser. AA: Analytics Access (Y
        access, I invited, N none). AAA: Analytics Administrator. Partner access: {customer ? "partner users this user let see your insights." : "customers who let this user see their insights."}
        {p.editable && " Purchaser and AAA are granted by operators (Requests page) and end with a role that does not allow them."}
      </p>
      <DataTable columns={p.editable ? [...REVIEW_COLUMNS, "Actions"] : REVIEW_COLUMNS} label="Users under review" swapRows>
        {items.map((item) => (
          <ReviewItemRow reviewId={review.id} orgKind={review.org.kind} item={item} editable={p.editable} self={item.userId === p.actorId} />
        ))}
      </DataTable>
    </>
  );
}

/** /access-review for a Partner Manager: the open review, or the button that starts one. */
export function AccessReviewPage(p: {
  current: { open: ReviewDetail | null; lastCompleted: { id: string; completedAt: string | null } | null };
  actorId: string;
  error?: string;
}) {
  const { open, lastCompleted } = p.current;
  return (
    <>
      <h1>Access review</h1>
      {p.error && <Notice kind="error">{p.error}</Notice>}
      <p>
        Go through every user of your organization once: role, Purchaser (P), Analytics Access (AA), Analytics Administrator (AAA) and partner access.
        Confirm what is right, change or deactivate what is not. A review starts every quarter on its own; you can also start one now. It is due{" "}
        {REVIEW_DUE_DAYS} days after it starts.
      </p>
      {lastCompleted && (
        <p class="muted">
          Last completed review: <a href={base(lastCompleted.id)}>{day(lastCompleted.completedAt)}</a>.
        </p>
      )}
      {open ? (
        <ReviewBody detail={open} editable actorId={p.actorId} />
      ) : (
        <div class="card">
          <p>No access review is open.</p>
          <Form action="/access-review">
            <button type="submit">Start an access review</button>
          </Form>
        </div>
      )}
    </>
  );
}

/** /access-review/:id: one review, read-only unless it is the open review of the Partner Manager's organization. */
export function ReviewPage(p: { detail: ReviewDetail; editable: boolean; actorId: string; back: { href: string; label: string } }) {
  const { review } = p.detail;
  return (
    <>
      <p>
        <a href={p.back.href}>← {p.back.label}</a>
      </p>
      <h1>
        Access review of {review.org.name} <span class="badge">{review.status === "open" ? "Open" : "Completed"}</span>
      </h1>
      <ReviewBody detail={p.detail} editable={p.editable} actorId={p.actorId} />
    </>
  );
}

// ---------------------------------------------------------------- operators

const STATE_LABELS: Record<ReviewStatusRow["state"], string> = {
  overdue: "Overdue",
  open: "Open",
  completed: "Completed",
  never: "Never reviewed",
};

export interface StatusFilter {
  q?: string;
  state?: string;
}

const statusQuery = (f: StatusFilter, extra: Record<string, string> = {}) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ q: f.q, state: f.state, ...extra })) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
};

function StatusRow(p: { row: ReviewStatusRow }) {
  const r = p.row;
  return (
    <tr>
      <td>
        <a href={`/orgs/${r.org.id}`}>{r.org.name}</a>
        <br />
        <span class="muted">{r.org.kind === "customer" ? "Customer" : "Partner"}</span>
      </td>
      <td>
        <span class={`badge ${r.state}`}>{STATE_LABELS[r.state]}</span>
      </td>
      <td>
        {r.open ? (
          <>
            <a href={base(r.open.id)}>
              <DateTime at={r.open.startedAt} />
            </a>
            <br />
            <span class="muted">{r.open.scheduled ? "quarterly" : "on demand"}</span>
          </>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td>{r.open ? <DateTime at={r.open.dueAt} /> : <span class="muted">—</span>}</td>
      <td>{r.open ? r.open.pending : <span class="muted">—</span>}</td>
      <td>
        {r.lastCompleted ? (
          <a href={base(r.lastCompleted.id)}>
            <DateTime at={r.lastCompleted.completedAt} />
          </a>
        ) : (
          <span class="muted">never</span>
        )}
      </td>
    </tr>
  );
}

export function ReviewStatusPage(p: { rows: ReviewStatusRow[]; page: PageInfo; filter: StatusFilter; error?: string }) {
  const stateOptions = [
    { value: "", label: "Any" },
    { value: "open", label: "Open" },
    { value: "overdue", label: "Overdue" },
    { value: "never", label: "Never reviewed" },
  ];
  let body: Child;
  if (p.rows.length === 0) body = <Notice>No organization matches this filter.</Notice>;
  else
    body = (
      <DataTable columns={["Organization", "State", "Open since", "Due", "To decide", "Last completed"]} label="Access review status">
        {p.rows.map((row) => (
          <StatusRow row={row} />
        ))}
      </DataTable>
    );
  return (
    <>
      <h1>Access reviews</h1>
      <p>
        Each active partner and customer organization reviews its users every quarter (F-93). Reviews are due {REVIEW_DUE_DAYS} days after they start;
        Partner Managers are reminded after 7 days.
      </p>
      {p.error && <Notice kind="error">{p.error}</Notice>}
      <form method="get" action="/access-review/status" class="filters" role="search">
        <Field id="status-q" name="q" label="Search organization" value={p.filter.q} maxlength={120} />
        <Select id="status-state" name="state" label="Review" value={p.filter.state ?? ""} options={stateOptions} />
        <div class="filter-buttons">
          <button type="submit">Filter</button>
        </div>
      </form>
      {body}
      <Pagination page={p.page} nouns={["organization", "organizations"]} href={(n) => `/access-review/status${statusQuery(p.filter, { page: String(n) })}`} />
    </>
  );
}
