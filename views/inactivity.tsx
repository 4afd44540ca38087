// F-94: the "keep my account" confirmation (pre-login) and the Partner
// Manager's 30-day inactivity forecast.
import { DataTable, Form, Notice } from "./components";
import type { InactivityForecastRow } from "../src/services/inactivity";

export function KeepAccountPage(p: { userId: string; token: string }) {
  return (
    <>
      <h1>Keep your account</h1>
      <p>Confirm to keep your partner portal account. This counts as activity; you do not need to sign in.</p>
      <Form action="/keep-account">
        <input type="hidden" name="u" value={p.userId} />
        <input type="hidden" name="t" value={p.token} />
        <button type="submit">Keep my account</button>
      </Form>
    </>
  );
}

export function KeptAccountPage() {
  return (
    <>
      <h1>Your account stays active</h1>
      <Notice kind="success">Thank you. Your account will not be deactivated for inactivity.</Notice>
      <a class="button" href="/login">Sign in</a>
    </>
  );
}

export function InactivityForecastPage(p: { rows: InactivityForecastRow[] }) {
  return (
    <>
      <h1>Inactive accounts</h1>
      <p>
        Accounts of your organization that will be reminded (150 days without activity) or deactivated (30 days after the
        reminder, still without activity) within the next 30 days. Signing in, or the link in the reminder, resets the clock.
      </p>
      {p.rows.length === 0 ? (
        <Notice>No account will be reminded or deactivated in the next 30 days.</Notice>
      ) : (
        <DataTable columns={["Name", "Email", "Last activity", "What happens", "On"]} label="Inactive accounts">
          {p.rows.map((r) => (
            <tr>
              <td>{r.name}</td>
              <td>{r.email}</td>
              <td>{r.lastActivityAt.slice(0, 10)}</td>
              <td>{r.action === "reminder" ? "Reminder mail" : "Deactivation"}</td>
              <td>{r.on}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <p>
        <a href="/users">Back to users</a>
      </p>
    </>
  );
}
