// F-40/F-41/F-44: the analytics workspace overview — the sites and meta sites
// the user can see with their level, the owner's add forms, and links to the
// module pages their module levels let them read.
import { META_SITE_LEVEL_LABELS, SITE_LEVEL_LABELS, type Module } from "../../src/domain/analytics";
import type { PublicMetaSite } from "../../src/services/analytics-meta-sites";
import { SITE_KIND_LABELS, SITE_KINDS, type PublicSite } from "../../src/services/analytics-sites";
import { DataTable, EmptyState, Field, Form, FormErrors, Select } from "../components";
import { SiteCheckboxes, type FormState } from "./workspace-parts";

/** Where each module's pages live; a module without pages of its own (Reporting, License Key Filtering) has no entry. */
export const MODULE_PAGES: Partial<Record<Module, { href: string; label: string }>> = {
  user_management: { href: "/analytics/users", label: "Users and module permissions" },
  developer: { href: "/analytics/settings", label: "Developer settings" },
  license_key_management: { href: "/analytics/license-keys", label: "License keys" },
  reachout: { href: "/analytics/campaigns", label: "ReachOut campaigns" },
  quota_usage: { href: "/analytics/quota", label: "Quota usage" },
  billing: { href: "/analytics/billing", label: "Billing" },
  product_admin: { href: "/analytics/blocks", label: "Blocked clients and IP addresses" },
};

export interface WorkspacePageProps {
  owner: boolean;
  sites: PublicSite[];
  sitesTotal: number;
  metaSites: PublicMetaSite[];
  metaSitesTotal: number;
  /** Every site (first 100), for the meta-site form, whatever the search. */
  allSites: PublicSite[];
  q?: string;
  /** MODULE_PAGES entries whose module the user may read, in MODULES order. */
  moduleLinks: { href: string; label: string }[];
  /** The viewer's own id: everyone may read their own module grid. */
  selfId: string;
  forms?: { site?: FormState; metaSite?: FormState };
}

function AddSiteForm(p: FormState) {
  const v = p.values ?? {};
  return (
    <Form action="/analytics/sites" class="card" id="add-site">
      <h2>Add a site or app</h2>
      <FormErrors errors={p.errors} shown={["name", "kind", "url"]} message={p.message} />
      <Field id="f-site-name" name="name" label="Name" value={v.name} errors={p.errors} required maxlength={120} />
      <Select id="f-site-kind" name="kind" label="Kind" value={v.kind ?? "site"} errors={p.errors} options={SITE_KINDS.map((k) => ({ value: k, label: SITE_KIND_LABELS[k] }))} />
      <Field id="f-site-url" name="url" label="Address (optional)" type="url" value={v.url} errors={p.errors} maxlength={2000} hint="http:// or https://" />
      <button type="submit">Add</button>
    </Form>
  );
}

function AddMetaSiteForm(p: FormState & { sites: PublicSite[] }) {
  return (
    <Form action="/analytics/meta-sites" class="card" id="add-meta-site">
      <h2>Add a meta site or app</h2>
      <p class="muted">A meta site groups sites of this workspace for dashboards, reports and segments.</p>
      <FormErrors errors={p.errors} shown={["name", "siteIds"]} message={p.message} />
      <Field id="f-meta-name" name="name" label="Name" value={p.values?.name} errors={p.errors} required maxlength={120} />
      <SiteCheckboxes legend="Sites it groups" idPrefix="f-meta-site" sites={p.sites} checked={[]} values={p.values} errors={p.errors} />
      <button type="submit">Add meta site</button>
    </Form>
  );
}

const more = (shown: number, total: number, noun: string) =>
  total > shown ? <p class="muted">{`Showing ${shown} of ${total} ${noun}. Search to narrow the list.`}</p> : null;

export function WorkspacePage(p: WorkspacePageProps) {
  return (
    <>
      <h1>Analytics</h1>
      <p class="muted">
        {p.owner ? "You are an owner of this workspace: you have unlimited access to every site, meta site and module." : "You see the sites and meta sites you were given a level on."}
      </p>

      <nav class="workspace-links" aria-label="Analytics areas">
        {p.moduleLinks.map((l) => (
          <a href={l.href}>{l.label}</a>
        ))}
        <a href={`/analytics/users/${p.selfId}`}>Your module permissions</a>
        <a href="/analytics/tokens">API tokens</a>
      </nav>

      <form method="get" action="/analytics" class="filters" role="search">
        <Field id="f-workspace-q" name="q" label="Search sites and meta sites" value={p.q} maxlength={120} />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>

      <section id="sites" aria-labelledby="sites-heading">
        <h2 id="sites-heading">Sites and apps</h2>
        {p.sites.length === 0 ? (
          <EmptyState>{p.q ? "No site matches this search." : p.owner ? "No sites yet. Add the first one with the form below." : "You have no level on any site yet. Ask an owner or a user with Manage on the site."}</EmptyState>
        ) : (
          <DataTable columns={["Name", "Kind", "Address", "Your level"]} label="Sites and apps">
            {p.sites.map((s) => (
              <tr>
                <td>
                  <a href={`/analytics/sites/${s.id}`}>{s.name}</a>
                </td>
                <td>{SITE_KIND_LABELS[s.kind]}</td>
                <td>{s.url ?? <span class="muted">—</span>}</td>
                <td>{p.owner ? "Owner" : SITE_LEVEL_LABELS[s.level]}</td>
              </tr>
            ))}
          </DataTable>
        )}
        {more(p.sites.length, p.sitesTotal, "sites")}
      </section>

      <section id="meta-sites" aria-labelledby="meta-sites-heading">
        <h2 id="meta-sites-heading">Meta sites and apps</h2>
        {p.metaSites.length === 0 ? (
          <EmptyState>{p.q ? "No meta site matches this search." : p.owner ? "No meta sites yet. Add one below to group sites for dashboards and reports." : "You have no level on any meta site yet. Ask an owner or a user with Manage on it."}</EmptyState>
        ) : (
          <DataTable columns={["Name", "Sites", "Your level"]} label="Meta sites and apps">
            {p.metaSites.map((m) => (
              <tr>
                <td>
                  <a href={`/analytics/meta-sites/${m.id}`}>{m.name}</a>
                </td>
                <td>{m.siteIds.length}</td>
                <td>{p.owner ? "Owner" : META_SITE_LEVEL_LABELS[m.level]}</td>
              </tr>
            ))}
          </DataTable>
        )}
        {more(p.metaSites.length, p.metaSitesTotal, "meta sites")}
      </section>

      {p.owner && (
        <div class="workspace-forms">
          <AddSiteForm {...p.forms?.site} />
          <AddMetaSiteForm {...p.forms?.metaSite} sites={p.allSites} />
        </div>
      )}
    </>
  );
}
