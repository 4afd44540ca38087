// The page shell (jsxRenderer): header, navigation for what this user may
// open, the flash message, and htmx loaded from our own origin with the CSP
// nonce. Assets are linked under their content-hashed names (views/asset-urls).
import type { Child } from "hono/jsx";
import { jsxRenderer, useRequestContext } from "hono/jsx-renderer";
import type { AppEnv } from "../src/env";
import { cspNonce } from "../src/middleware/security-headers";
import { canRunAccessReview } from "../src/domain/access-review";
import { can, canReadAuditLog, isOperator, ROLE_LABELS } from "../src/domain/roles";
import type { Actor } from "../src/domain/actor";
import { ASSET_URLS } from "./asset-urls";
import { CsrfField, Notice } from "./components";

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

/** The main sections; each shows only for an account the section's guard lets in. */
function navLinks(actor: Actor): { href: string; label: string }[] {
  const operator = isOperator(actor);
  const links: ({ href: string; label: string } | false)[] = [
    { href: "/", label: "Home" },
    operator && { href: "/orgs", label: "Organizations" },
    !operator && { href: "/users", label: "Users" },
    !operator && can(actor, "managePortalUsers") && { href: "/invitations", label: "Invitations" },
    actor.orgKind === "partner" && { href: "/companies", label: "Companies" },
    actor.analyticsAccess !== "N" && { href: actor.analyticsAccess === "I" ? "/analytics/accept" : "/analytics", label: "Analytics" },
    actor.orgKind === "customer" && { href: "/partners", label: "Partners" },
    actor.orgKind === "partner" && { href: "/partner-dashboard", label: "Partner dashboard" },
    can(actor, "managePortalUsers") && { href: "/requests", label: "Requests" },
    canRunAccessReview(actor) && !operator && { href: "/access-review", label: "Access review" },
    operator && { href: "/access-review/status", label: "Access reviews" },
    canReadAuditLog(actor) && { href: "/audit", label: "Audit log" },
    operator && { href: "/jobs", label: "Jobs" },
  ];
  return links.filter((l): l is { href: string; label: string } => Boolean(l));
}

/** The section a path belongs to: its link is marked aria-current. */
const isCurrent = (path: string, href: string) => (href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`));

/**
 * The navigation. At phone widths it folds into a <details> menu, which opens
 * without JavaScript; on wider screens app.css shows it unfolded.
 */
function Nav() {
  const c = useRequestContext<AppEnv>();
  const actor = c.get("actor");
  if (!actor) return null;
  const path = c.req.path;
  return (
    <details class="menu">
      <summary>Menu</summary>
      <div class="menu-body">
        <nav aria-label="Main">
          <ul>
            {navLinks(actor).map((l) => (
              <li>
                <a aria-current={isCurrent(path, l.href) ? "page" : undefined} href={l.href}>
                  {l.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {/* The account is linked by who you are, as most sites do: the row stays for the sections (nine for a partner's Partner Manager with Analytics). */}
        <div class="who">
          <a class="account" href="/account" title={`Your account: ${actor.email}`} aria-current={isCurrent(path, "/account") ? "page" : undefined}>
            <span class="name">{actor.name}</span> <span class="role">{ROLE_LABELS[actor.role]}</span>
          </a>
          <form method="post" action="/logout" class="inline">
            <CsrfField />
            <button type="submit" class="link">
              Sign out
            </button>
          </form>
        </div>
      </div>
    </details>
  );
}

/**
 * The message of the previous redirect (src/routes/pages/flash.ts), and the
 * region where app.js announces what an htmx action answered: both exist
 * before anything changes, as screen readers need of a live region.
 */
function Flash() {
  const message = useRequestContext<AppEnv>().get("flash");
  return (
    <>
      <div id="flash" class="flash">
        {message && <Notice kind="success">{message}</Notice>}
      </div>
      <div id="announce" class="visually-hidden" role="status" aria-live="polite"></div>
    </>
  );
}

export function Shell(p: { title: string; narrow?: boolean; children: Child }) {
  const c = useRequestContext<AppEnv>();
  const nonce = cspNonce(c);
  const appName = c.get("deps").config.appName;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${p.title} · ${appName}`}</title>
        <link rel="icon" href={ASSET_URLS["favicon.svg"]} type="image/svg+xml" />
        <link rel="stylesheet" href={ASSET_URLS["app.css"]} />
        <script src={ASSET_URLS["htmx.min.js"]} nonce={nonce} defer></script>
        <script src={ASSET_URLS["app.js"]} nonce={nonce} defer></script>
      </head>
      <body hx-headers={JSON.stringify({ "X-CSRF-Token": c.get("csrfToken") })}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">{appName}</a>
          <Nav />
        </header>
        <main id="main" class={p.narrow ? "narrow" : undefined}>
          <Flash />
          {p.children}
        </main>
      </body>
    </html>
  );
}

/**
 * Pages are streamed (issue 8). Only the content type is set: hono's
 * `stream: true` would also send `Content-Encoding: Identity`, which keeps
 * Cloudflare from compressing the HTML.
 */
export const layout = jsxRenderer(
  ({ children, title, narrow }) => (
    <Shell title={title} narrow={narrow}>
      {children}
    </Shell>
  ),
  { docType: true, stream: { "Content-Type": "text/html; charset=UTF-8" } },
);
