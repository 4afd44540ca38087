// The page shell (jsxRenderer): header, navigation for what this user may
// open, and htmx loaded from our own origin with the CSP nonce.
import type { Child } from "hono/jsx";
import { jsxRenderer, useRequestContext } from "hono/jsx-renderer";
import type { AppEnv } from "../src/env";
import { canRunAccessReview } from "../src/domain/access-review";
import { can, canReadAuditLog, isOperator, ROLE_LABELS } from "../src/domain/roles";
import { CsrfField } from "./components";

declare module "hono" {
  interface ContextRenderer {
    (content: string | Promise<string>, props: { title: string; narrow?: boolean }): Response | Promise<Response>;
  }
}

/** htmx settings: no eval, no injected <style> (the CSP forbids both), and 422 answers are swapped so forms show their errors. */
const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  includeIndicatorStyles: false,
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "[45]..", swap: false, error: true },
  ],
});

function Nav() {
  const c = useRequestContext<AppEnv>();
  const actor = c.get("actor");
  if (!actor) return null;
  return (
    <nav aria-label="Main">
      <a href="/">Home</a>
      {isOperator(actor) && <a href="/orgs">Organizations</a>}
      {!isOperator(actor) && <a href="/users">Users</a>}
      {!isOperator(actor) && can(actor, "managePortalUsers") && <a href="/invitations">Invitations</a>}
      {actor.orgKind === "partner" && <a href="/companies">Companies</a>}
      {actor.analyticsAccess !== "N" && <a href={actor.analyticsAccess === "I" ? "/analytics/accept" : "/analytics"}>Analytics</a>}
      {actor.orgKind === "customer" && <a href="/partners">Partners</a>}
      {actor.orgKind === "partner" && <a href="/partner-dashboard">Partner dashboard</a>}
      {can(actor, "managePortalUsers") && <a href="/requests">Requests</a>}
      {(canRunAccessReview(actor) || isOperator(actor)) && <a href={isOperator(actor) ? "/access-review/status" : "/access-review"}>{isOperator(actor) ? "Access reviews" : "Access review"}</a>}
      {canReadAuditLog(actor) && <a href="/audit">Audit log</a>}
      {isOperator(actor) && <a href="/jobs">Jobs</a>}
      <a href="/account">Account</a>
      <span class="who" title={actor.email}>
        {actor.name} · {ROLE_LABELS[actor.role]}
      </span>
      <form method="post" action="/logout" class="inline">
        <CsrfField />
        <button type="submit" class="link">Sign out</button>
      </form>
    </nav>
  );
}

export function Shell(p: { title: string; narrow?: boolean; children: Child }) {
  const c = useRequestContext<AppEnv>();
  const nonce = c.get("secureHeadersNonce");
  const appName = c.get("deps").config.appName;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${p.title} · ${appName}`}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/css/app.css" />
        <script src="/vendor/htmx.min.js" nonce={nonce} defer></script>
        <script src="/js/app.js" nonce={nonce} defer></script>
      </head>
      <body hx-headers={JSON.stringify({ "X-CSRF-Token": c.get("csrfToken") })}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">{appName}</a>
          <Nav />
        </header>
        <main id="main" class={p.narrow ? "narrow" : undefined}>
          {p.children}
        </main>
      </body>
    </html>
  );
}

export const layout = jsxRenderer(({ children, title, narrow }) => (
  <Shell title={title} narrow={narrow}>
    {children}
  </Shell>
), { docType: true });
