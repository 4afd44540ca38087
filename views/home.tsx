// The landing page after sign-in.
import type { Actor } from "../src/domain/actor";
import { isOperator, ROLE_LABELS } from "../src/domain/roles";

export function HomePage(p: { actor: Actor; orgName: string }) {
  return (
    <>
      <h1>Welcome, {p.actor.name}</h1>
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
