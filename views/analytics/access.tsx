// F-23: the analytics invitation page — accept it (AA = I), or learn whom to
// ask (AA = N), and the answer after accepting (owner bootstrap, F-41).
import { ANALYTICS_ACCESS_LABELS } from "../../src/domain/analytics";
import { Form, Notice } from "../components";

export interface AnalyticsAdmin {
  name: string;
  email: string;
}

function AdminList(p: { admins: AnalyticsAdmin[] }) {
  if (p.admins.length === 0) {
    return (
      <p>
        Nobody in your organization is an Analytics Administrator yet. A Partner Manager can request the role for one of your Partner Managers on
        the <a href="/requests">Requests</a> page; see <a href="/users#managers-heading">who your Partner Managers are</a>.
      </p>
    );
  }
  return (
    <ul>
      {p.admins.map((a) => (
        <li>
          {a.name} — <a href={`mailto:${a.email}`}>{a.email}</a>
        </li>
      ))}
    </ul>
  );
}

/** AA = I: what accepting means, and the button. */
export function AcceptInvitationPage(p: { orgName: string; error?: string }) {
  return (
    <>
      <h1>Your Analytics invitation</h1>
      {p.error && <Notice kind="error">{p.error}</Notice>}
      <div class="card">
        <p>
          You are invited to use Analytics for <strong>{p.orgName}</strong>. Accepting gives you access to the analytics area; what you can see and
          change inside it depends on the site and module permissions you are given.
        </p>
        <Form action="/analytics/accept">
          <button type="submit">Accept the invitation</button>
        </Form>
      </div>
    </>
  );
}

/** AA = N: no invitation; whom to ask. */
export function NoAnalyticsAccessPage(p: { admins: AnalyticsAdmin[]; error?: string }) {
  return (
    <>
      <h1>Analytics</h1>
      {p.error && <Notice kind="error">{p.error}</Notice>}
      <Notice>
        Your Analytics Access is “{ANALYTICS_ACCESS_LABELS.N}”: you have no invitation to accept. Ask an Analytics Administrator of your organization to
        invite you.
      </Notice>
      <h2>Your Analytics Administrators</h2>
      <AdminList admins={p.admins} />
    </>
  );
}

export function InvitationAcceptedPage(p: { message: string; becameOwner: boolean }) {
  return (
    <>
      <h1>Analytics access activated</h1>
      <Notice kind="success">{p.message}</Notice>
      {p.becameOwner && (
        <p class="muted">As owner you have unlimited access in the workspace; you can make other users owner from their analytics permissions.</p>
      )}
      <p>
        <a class="button" href="/analytics">
          Open Analytics
        </a>
      </p>
    </>
  );
}
