// The landing page after sign-in: what waits on you (src/services/home.ts),
// each line linking to where it is dealt with, and who you are.
import type { Actor } from "../src/domain/actor";
import { isOperator, ROLE_LABELS } from "../src/domain/roles";
import type { Attention, AttentionKey } from "../src/services/home";

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const SAY: Record<AttentionKey, (n: number, actor: Actor) => string> = {
  analyticsInvitation: () => "You are invited to Analytics: accept the invitation",
  recoveryCodesLow: (n) => (n === 0 ? "You have no recovery codes left: make new ones" : `Only ${plural(n, "recovery code is", "recovery codes are")} left: make new ones`),
  reviewDecisions: (n) => `${plural(n, "user still needs", "users still need")} a decision in the open access review`,
  invitationsPending: (n) => `${plural(n, "invitation is", "invitations are")} waiting to be accepted`,
  invitationsExpired: (n) => `${plural(n, "invitation has", "invitations have")} expired: resend or revoke`,
  requestsPending: (n, actor) => (isOperator(actor) ? `${plural(n, "request", "requests")} to decide` : `${plural(n, "request is", "requests are")} waiting for an operator`),
  reviewsOverdue: (n) => plural(n, "organization has an overdue access review", "organizations have overdue access reviews"),
  mailUndelivered: (n) => `${plural(n, "mail", "mails")} could not be delivered`,
};

function AttentionList(p: { actor: Actor; attention: Attention[] }) {
  return (
    <section class="card" aria-labelledby="attention-heading">
      <h2 id="attention-heading">Needs your attention</h2>
      {p.attention.length === 0 ? (
        <p class="muted">Nothing is waiting for you.</p>
      ) : (
        <ul>
          {p.attention.map((a) => (
            <li>
              <a href={a.href}>{SAY[a.key](a.count, p.actor)}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function HomePage(p: { actor: Actor; orgName: string; attention: Attention[] }) {
  return (
    <>
      <h1>Welcome, {p.actor.name}</h1>
      <AttentionList actor={p.actor} attention={p.attention} />
      <div class="card">
        <p>
          You are signed in as <strong>{p.actor.email}</strong>, {ROLE_LABELS[p.actor.role]} of <strong>{p.orgName}</strong>.
        </p>
        <ul>
          {isOperator(p.actor) && (
            <li>
              <a href="/orgs">Onboard and manage partner and customer organizations</a>
            </li>
          )}
          <li>
            <a href="/account">Your account: sessions, password and recovery codes</a>
          </li>
        </ul>
      </div>
    </>
  );
}
