// F-51: every JSON endpoint under /api/v1, as data. Bodies and queries are
// the very zod schemas the routes validate with (jsonBody / queryParams), so
// the document cannot drift from the validation; the route-walk test
// (test/integration/openapi.test.ts) fails when an endpoint is registered
// without an entry here, or an entry outlives its endpoint.
import type * as z from "../lib/zod";
import { SERVICE_INPUTS, SERVICE_KIND_KEYS, SERVICE_KINDS } from "../domain/company-services";
import { ListReviewStatusInput } from "../services/access-review-status";
import { DecideInput } from "../services/access-reviews";
import { ChangePasswordInput, RegenerateCodesInput } from "../services/account";
import { SetOwnerInput } from "../services/analytics-access";
import { BillingInput } from "../services/analytics-billing";
import { BlockInput, DeleteDataInput, ListBlocksInput } from "../services/analytics-blocks";
import { CampaignInput, ListCampaignsInput, UpdateCampaignInput } from "../services/analytics-campaigns";
import { DeveloperSettingsInput } from "../services/analytics-developer";
import { LicenseKeyInput, ListLicenseKeysInput, UpdateLicenseKeyInput } from "../services/analytics-license-keys";
import { CreateMetaSiteInput, DashboardInput, UpdateMetaSiteInput } from "../services/analytics-meta-sites";
import { SegmentInput, UpdateSegmentInput } from "../services/analytics-segments";
import { ModuleGridInput } from "../services/analytics-modules";
import { MetaSiteLevelInput, SiteLevelInput } from "../services/analytics-permissions";
import { MetaReportQuery, ReportQuery } from "../services/analytics-reports";
import { CreateSiteInput, ListWorkspaceInput, UpdateSiteInput } from "../services/analytics-sites";
import { CreateTagInput, UpdateTagInput } from "../services/analytics-tags";
import { CreateTokenInput, ListTokensInput } from "../services/api-tokens";
import { ListAuditInput } from "../services/audit-log";
import { LoginInput, TotpInput } from "../services/auth";
import { BulkInviteInput } from "../services/bulk-invite";
import { CollectInput } from "../services/collect";
import { ATTENTION_KEYS } from "../services/home";
import { CompanyInput, ListCompaniesInput } from "../services/companies";
import { ListInvitationsInput } from "../services/invitation-admin";
import { AcceptInvitationInput } from "../services/invitations";
import { ListDeadLettersInput, ListJobRunsInput } from "../services/job-runs";
import { ListPlansInput, OrderPlanInput, UpdatePlanInput } from "../services/license-plans";
import { ListOrgsInput, OnboardInput, UpdateOrgInput } from "../services/organizations";
import { GrantPartnerInput, ListPartnerOrgsInput, ListPartnersInput, UpdatePartnerInput } from "../services/partner-access";
import { ForgotPasswordInput, ResetPasswordInput } from "../services/password-reset";
import { CreateRequestInput, ListRequestsInput } from "../services/role-requests";
import { SetupInput } from "../services/setup";
import { ChangeRoleInput, InviteUserInput, ListUsersInput } from "../services/users";

/**
 * Who may call: "session" needs the session cookie of a completed sign-in;
 * "bearer" takes a personal API token (F-52) or, failing that, the session;
 * "public" needs neither.
 */
export type ApiAuth = "session" | "bearer" | "public";
export type ApiMethod = "get" | "post" | "put" | "patch" | "delete" | "options";

export interface ApiRoute {
  method: ApiMethod;
  /** Relative to /api/v1, OpenAPI style: /users/{id}. */
  path: string;
  summary: string;
  tag: string;
  auth: ApiAuth;
  body?: z.ZodMiniType;
  query?: z.ZodMiniType;
  /**
   * The answers this endpoint gives on purpose, by status. The builder adds
   * the ones every endpoint of a kind shares (401, 403 for a foreign Origin,
   * 404 for an id, 415, 422 for input), so list only what is particular here.
   */
  responses: Record<number, string>;
  /** Also answers text/csv. Derived from a `format` query field offering "csv"; set it where the query is not a schema. */
  csv?: boolean;
}

type RouteSpec = Omit<ApiRoute, "tag" | "auth"> & { auth?: ApiAuth };

/** One area's endpoints: they share a tag, usually an auth kind, and some answers. */
const section = (tag: string, auth: ApiAuth, routes: RouteSpec[], shared: Record<number, string> = {}): ApiRoute[] =>
  routes.map((r) => ({ ...r, tag, auth: r.auth ?? auth, responses: { ...shared, ...r.responses } }));

const ANALYTICS_FORBIDDEN = { 403: "The caller has no analytics access (AA = Y), or their level or module grant does not allow this." };

// F-31: one set of routes per company service kind, as routes/api/companies.ts registers them.
const companyServiceRoutes: RouteSpec[] = SERVICE_KIND_KEYS.flatMap((kind): RouteSpec[] => {
  const { path, endVerb, plural, label } = SERVICE_KINDS[kind];
  return [
    { method: "get", path: `/companies/{id}/${path}`, summary: `List the company's ${plural}`, responses: { 200: "`{items}`." } },
    { method: "post", path: `/companies/{id}/${path}`, summary: `Add a ${label}`, body: SERVICE_INPUTS[kind], responses: { 201: "`{item}`." } },
    {
      method: "post",
      path: `/companies/{id}/${path}/{itemId}/${endVerb}`,
      summary: `${endVerb[0]!.toUpperCase()}${endVerb.slice(1)} a ${label}`,
      responses: { 200: "`{item}`.", 409: `Already ${SERVICE_KINDS[kind].ended.toLowerCase()}.` },
    },
  ];
});

export const API_ROUTES: readonly ApiRoute[] = [
  ...section("Documentation", "public", [
    { method: "get", path: "/openapi.json", summary: "This OpenAPI document", responses: { 200: "The OpenAPI 3.1 document of every JSON endpoint." } },
  ]),

  ...section("Setup and sign-in", "public", [
    { method: "post", path: "/setup", summary: "Create the vendor organization and its first operator", body: SetupInput, responses: { 201: "`{user}`.", 404: "An account exists already: setup is closed." } },
    {
      method: "post",
      path: "/auth/login",
      summary: "Sign in, step 1: email and password",
      body: LoginInput,
      responses: { 200: '`{next:"totp",challenge}`, or `{next:"totp_enroll",challenge,totp:{secret,uri}}` on first sign-in.', 401: "Wrong email or password.", 429: "Too many attempts (see Retry-After)." },
    },
    {
      method: "post",
      path: "/auth/totp",
      summary: "Sign in, step 2: authenticator code or recovery code",
      body: TotpInput,
      responses: { 200: "`{user,recoveryCodes?}` and the session cookie; `recoveryCodes` only on enrollment.", 401: "Wrong or expired code or challenge.", 429: "Too many attempts (see Retry-After)." },
    },
    { method: "post", path: "/auth/logout", summary: "Sign out (ends the session, if any)", responses: { 204: "Signed out; the cookie is cleared." } },
    { method: "post", path: "/auth/forgot-password", summary: "Ask for a password reset link", body: ForgotPasswordInput, responses: { 202: "`{ok,message}`, whether or not an account uses the address." } },
    {
      method: "post",
      path: "/auth/reset-password",
      summary: "Set a new password with a reset link's token",
      body: ResetPasswordInput,
      responses: { 200: "`{ok:true}`; every session of the account ends.", 400: "`invalid_token` or `expired_token`." },
    },
    {
      method: "post",
      path: "/invitations/accept",
      summary: "Activate an invited account: password and privacy policy",
      body: AcceptInvitationInput,
      responses: { 200: "`{ok:true,email}`; sign in next to enroll 2FA.", 400: "`invalid_token` or `expired_token`." },
    },
  ]),

  ...section("Account", "session", [
    { method: "get", path: "/me", summary: "The signed-in account", responses: { 200: "`{user,recoveryCodesLeft}`." } },
    {
      method: "get",
      path: "/me/attention",
      summary: "What waits on the signed-in account (the home page's list)",
      responses: { 200: "`{items:[{key,count,href}]}`, only what waits, in the home page's order; `href` is the page where it is dealt with. Keys: " + ATTENTION_KEYS.join(", ") + "." },
    },
    { method: "get", path: "/me/sessions", summary: "The account's sessions", responses: { 200: "`{items}`, the current one marked." } },
    { method: "delete", path: "/me/sessions/{id}", summary: "End one session", responses: { 204: "Ended." } },
    { method: "post", path: "/me/sessions/revoke-all", summary: "End every session of the account", responses: { 204: "Ended." } },
    { method: "post", path: "/me/password", summary: "Change the password", body: ChangePasswordInput, responses: { 200: "`{ok:true}`; other sessions end, this one gets a fresh cookie.", 409: "The password was changed elsewhere during this request; nothing changed." } },
    { method: "post", path: "/me/recovery-codes", summary: "Replace the recovery codes", body: RegenerateCodesInput, responses: { 200: "`{recoveryCodes}`, shown once." } },
  ]),

  ...section("Organizations", "session", [
    { method: "get", path: "/orgs", summary: "List organizations (operators)", query: ListOrgsInput, responses: { 200: "A page of organizations.", 403: "Operators only." } },
    {
      method: "post",
      path: "/orgs",
      summary: "Onboard a partner or customer organization and invite its manager",
      body: OnboardInput,
      responses: { 201: "`{org,user}`; the manager is invited as `partner_manager`." },
    },
    { method: "patch", path: "/orgs/{id}", summary: "Rename, change channel partner, or terminate an organization", body: UpdateOrgInput, responses: { 200: "`{org}`.", 409: "The organization is terminated." } },
  ]),

  ...section("Portal users", "session", [
    { method: "get", path: "/users", summary: "List the organization's users (CSV with format=csv)", query: ListUsersInput, responses: { 200: "A page of users, or the CSV export." } },
    { method: "get", path: "/users/inactivity", summary: "Who will be reminded or deactivated for inactivity in the next 30 days", responses: { 200: "`{items}`.", 403: "Partner Managers only." } },
    { method: "get", path: "/users/managers", summary: "Partner Managers of the organization, with analyticsAdmin", responses: { 200: "`{items}`." } },
    { method: "post", path: "/users", summary: "Invite a portal user", body: InviteUserInput, responses: { 201: "`{user}` with status `invited`.", 409: "The organization is terminated." } },
    { method: "post", path: "/users/bulk-invite/preview", summary: "Check a CSV of invitations without sending any", body: BulkInviteInput, responses: { 200: "`{rows,summary}`." } },
    { method: "post", path: "/users/bulk-invite", summary: "Invite every valid row of a CSV", body: BulkInviteInput, responses: { 200: "`{rows,summary}`: an address that got an account since the preview is reported as `already_user`, and the other rows are still invited." } },
    { method: "patch", path: "/users/{id}", summary: "Change a user's role", body: ChangeRoleInput, responses: { 200: "`{user,removed}`.", 409: "The organization would lose its last active Partner Manager, or the user is an operator." } },
    { method: "post", path: "/users/{id}/reinvite", summary: "Send a new invitation", responses: { 200: "`{user}`.", 409: "The user has already activated their account." } },
    { method: "post", path: "/users/{id}/deactivate", summary: "Deactivate a user", responses: { 200: "`{user}`.", 409: "The caller's own account, already deactivated, or the last active Partner Manager." } },
    { method: "post", path: "/users/{id}/activate", summary: "Reactivate a user", responses: { 200: "`{user}`.", 409: "The user is not deactivated." } },
    { method: "post", path: "/users/{id}/reset-2fa", summary: "Reset a user's two-factor authentication", responses: { 200: "`{user}`.", 409: "The account is not active." } },
    { method: "delete", path: "/users/{id}", summary: "Delete a user and everything only theirs (audit entries stay)", responses: { 204: "Deleted.", 409: "The caller's own account, or the last active Partner Manager." } },
    { method: "post", path: "/users/{id}/analytics/invite", summary: "Invite a user to analytics (Analytics Administrators)", responses: { 200: "`{user}` with AA = I.", 409: "The account is not active, or already has analytics access." } },
    { method: "post", path: "/users/{id}/analytics/revoke", summary: "Revoke a user's analytics access (Analytics Administrators)", responses: { 200: "`{user}` with AA = N.", 409: "The user has no analytics access to revoke." } },
  ]),

  ...section("Invitations", "session", [
    { method: "get", path: "/invitations", summary: "List the organization's invitations", query: ListInvitationsInput, responses: { 200: "A page of invitations." } },
    { method: "post", path: "/invitations/{id}/resend", summary: "Resend an invitation", responses: { 200: "`{user,invitation}`.", 409: "Already accepted or revoked." } },
    { method: "post", path: "/invitations/{id}/revoke", summary: "Revoke an invitation", responses: { 200: "`{invitation}`.", 409: "Already accepted or revoked." } },
  ]),

  ...section("Role requests", "session", [
    { method: "get", path: "/requests", summary: "List Purchaser / Analytics Administrator requests (own organization; operators: all)", query: ListRequestsInput, responses: { 200: "A page of requests." } },
    { method: "post", path: "/requests", summary: "Request a secondary role for a user (Partner Managers)", body: CreateRequestInput, responses: { 201: "`{request}`.", 409: "The user already has the role, or a request for it is waiting." } },
    { method: "post", path: "/requests/{id}/approve", summary: "Approve a request (operators)", responses: { 200: "`{request}`.", 409: "Already decided, or the user can no longer hold the role." } },
    { method: "post", path: "/requests/{id}/reject", summary: "Reject a request (operators)", responses: { 200: "`{request}`.", 409: "Already decided." } },
  ]),

  ...section("Companies", "session", [
    { method: "get", path: "/companies", summary: "List the partner's companies", query: ListCompaniesInput, responses: { 200: "A page of companies." } },
    { method: "post", path: "/companies", summary: "Add a company", body: CompanyInput, responses: { 201: "`{company}`." } },
    { method: "get", path: "/companies/{id}", summary: "One company with its services", responses: { 200: "`{company,services}`." } },
    { method: "patch", path: "/companies/{id}", summary: "Rename a company", body: CompanyInput, responses: { 200: "`{company}`.", 409: "The company is terminated." } },
    { method: "post", path: "/companies/{id}/terminate", summary: "Terminate a company", responses: { 200: "`{company}`.", 409: "Already terminated." } },
    ...companyServiceRoutes,
    {
      method: "get",
      path: "/companies/{id}/handout",
      summary: "The company's handout (format=csv for CSV)",
      csv: true,
      responses: { 200: "`{company,generatedAt,services}`, or CSV with `?format=csv`." },
    },
    { method: "get", path: "/companies/{id}/plans", summary: "The company's license plans (prices for Purchasers only)", query: ListPlansInput, responses: { 200: "A page of plans." } },
    { method: "post", path: "/companies/{id}/plans", summary: "Order a plan (Purchasers)", body: OrderPlanInput, responses: { 201: "`{plan}`.", 409: "The company was terminated meanwhile." } },
  ], { 403: "Partner organizations only, or the caller's role does not allow this." }),

  ...section("License plans", "session", [
    { method: "get", path: "/plans/{id}", summary: "One plan (prices for Purchasers only)", responses: { 200: "`{plan}`." } },
    { method: "patch", path: "/plans/{id}", summary: "Change seats or auto-renewal (Purchasers)", body: UpdatePlanInput, responses: { 200: "`{plan}`.", 409: "The plan has expired: renew it first." } },
    { method: "post", path: "/plans/{id}/renew", summary: "Renew a plan now (Purchasers)", responses: { 200: "`{plan}`.", 409: "Renewed or changed meanwhile." } },
  ], { 403: "Purchasers only." }),

  ...section("Audit", "session", [
    { method: "get", path: "/audit", summary: "The audit log (format=csv streams the same filter)", query: ListAuditInput, responses: { 200: "A page of audit entries (`action` and its words `actionLabel`, `targetLabel` for a target that still exists), or the CSV export.", 403: "The caller may not read the audit log." } },
  ]),

  ...section("Jobs", "session", [
    { method: "get", path: "/jobs", summary: "The last cron job runs", query: ListJobRunsInput, responses: { 200: "A page of job runs." } },
    { method: "get", path: "/jobs/dead-letters", summary: "Mail that could not be delivered", query: ListDeadLettersInput, responses: { 200: "A page of undelivered mails." } },
    { method: "post", path: "/jobs/dead-letters/{id}/retry", summary: "Queue an undelivered mail again", responses: { 200: "`{mail}`." } },
  ], { 403: "Operators only." }),

  ...section("Analytics access", "session", [
    { method: "post", path: "/analytics/accept", summary: "Accept the analytics invitation (AA = I → Y)", responses: { 200: "`{user,becameOwner}`.", 409: "The caller has no open analytics invitation, or already has access." } },
    { method: "put", path: "/analytics/users/{id}/owner", summary: "Make a user workspace owner, or remove that (owners)", body: SetOwnerInput, responses: { 200: "`{user,changed}`.", 409: "The user cannot be owner (no analytics access), or is the workspace's last active owner." } },
  ]),

  ...section("Analytics workspace", "session", [
    { method: "get", path: "/analytics/sites", summary: "Sites and apps the caller can see", query: ListWorkspaceInput, responses: { 200: "A page of sites with the caller's level." } },
    { method: "post", path: "/analytics/sites", summary: "Add a site or app", body: CreateSiteInput, responses: { 201: "`{site}`." } },
    { method: "get", path: "/analytics/sites/{id}", summary: "One site or app", responses: { 200: "`{site}`." } },
    { method: "patch", path: "/analytics/sites/{id}", summary: "Rename a site, change its kind or address", body: UpdateSiteInput, responses: { 200: "`{site,changed}`." } },
    { method: "delete", path: "/analytics/sites/{id}", summary: "Delete a site or app", responses: { 204: "Deleted." } },
    { method: "get", path: "/analytics/sites/{id}/permissions", summary: "Who has which level on a site", responses: { 200: "`{items}`." } },
    { method: "put", path: "/analytics/sites/{id}/permissions/{userId}", summary: "Set a user's level on a site", body: SiteLevelInput, responses: { 200: "`{permission,changed}`.", 409: "The user is an owner or has no analytics access, or the level changed meanwhile." } },
    { method: "get", path: "/analytics/sites/{id}/tags", summary: "A site's tags", responses: { 200: "`{items}`." } },
    { method: "post", path: "/analytics/sites/{id}/tags", summary: "Add a tag to a site", body: CreateTagInput, responses: { 201: "`{tag}`." } },
    { method: "get", path: "/analytics/tags/{id}", summary: "One tag", responses: { 200: "`{tag}`." } },
    { method: "patch", path: "/analytics/tags/{id}", summary: "Edit a tag's name or code", body: UpdateTagInput, responses: { 200: "`{tag,changed}`." } },
    { method: "post", path: "/analytics/tags/{id}/publish", summary: "Publish a tag (Edit & Publish or Manage)", responses: { 200: "`{tag}`.", 409: "The tag has no unpublished changes." } },
    { method: "get", path: "/analytics/meta-sites", summary: "Meta sites the caller can see", query: ListWorkspaceInput, responses: { 200: "A page of meta sites." } },
    { method: "post", path: "/analytics/meta-sites", summary: "Add a meta site over some sites", body: CreateMetaSiteInput, responses: { 201: "`{metaSite}`." } },
    { method: "get", path: "/analytics/meta-sites/{id}", summary: "One meta site with its sites and dashboard", responses: { 200: "`{metaSite}`." } },
    { method: "patch", path: "/analytics/meta-sites/{id}", summary: "Rename a meta site or change its sites", body: UpdateMetaSiteInput, responses: { 200: "`{metaSite,changed}`." } },
    { method: "delete", path: "/analytics/meta-sites/{id}", summary: "Delete a meta site", responses: { 204: "Deleted." } },
    { method: "get", path: "/analytics/meta-sites/{id}/permissions", summary: "Who has which level on a meta site", responses: { 200: "`{items}`." } },
    {
      method: "put",
      path: "/analytics/meta-sites/{id}/permissions/{userId}",
      summary: "Set a user's level on a meta site",
      body: MetaSiteLevelInput,
      responses: { 200: "`{permission,changed}`.", 409: "The user is an owner or has no analytics access, or the level changed meanwhile." },
    },
    { method: "put", path: "/analytics/meta-sites/{id}/dashboard", summary: "Save a meta site's dashboard", body: DashboardInput, responses: { 200: "`{dashboard}`." } },
    { method: "get", path: "/analytics/meta-sites/{id}/segments", summary: "A meta site's segments", responses: { 200: "`{items}`." } },
    { method: "post", path: "/analytics/meta-sites/{id}/segments", summary: "Add a segment to a meta site", body: SegmentInput, responses: { 201: "`{segment}`." } },
    { method: "patch", path: "/analytics/segments/{id}", summary: "Rename a segment or change its sites", body: UpdateSegmentInput, responses: { 200: "`{segment}`." } },
    { method: "delete", path: "/analytics/segments/{id}", summary: "Delete a segment", responses: { 204: "Deleted." } },
    { method: "get", path: "/analytics/users", summary: "Analytics users with their module grants", query: ListWorkspaceInput, responses: { 200: "A page of users." } },
    { method: "get", path: "/analytics/users/{id}/modules", summary: "A user's module grid and what the caller may grant", responses: { 200: "`{user,modules,effective,grantable}`." } },
    { method: "put", path: "/analytics/users/{id}/modules", summary: "Set a user's module levels", body: ModuleGridInput, responses: { 200: "`{user,changed}`.", 409: "The user has no analytics access, or the grid changed meanwhile." } },
  ], ANALYTICS_FORBIDDEN),

  ...section("Analytics modules", "session", [
    { method: "get", path: "/analytics/blocks", summary: "Blocked IP addresses and clients (Product Administrator)", query: ListBlocksInput, responses: { 200: "A page of blocks." } },
    { method: "post", path: "/analytics/blocks", summary: "Block an IP address or client", body: BlockInput, responses: { 201: "`{block}`.", 409: "Already blocked." } },
    { method: "delete", path: "/analytics/blocks/{id}", summary: "Remove a block", responses: { 204: "Removed." } },
    { method: "delete", path: "/analytics/sites/{id}/data", summary: "Delete a site's collected data for some days", query: DeleteDataInput, responses: { 200: "What was deleted: `{deleted}`, the number of daily rows removed." } },
    { method: "get", path: "/analytics/settings/developer", summary: "Developer settings", responses: { 200: "`{developer}`." } },
    { method: "put", path: "/analytics/settings/developer", summary: "Change developer settings", body: DeveloperSettingsInput, responses: { 200: "`{developer}`." } },
    { method: "post", path: "/analytics/settings/developer/aes-key", summary: "Generate a new AES key (shown once)", responses: { 201: "`{aesKey,setAt}`." } },
    { method: "get", path: "/analytics/quota", summary: "This month's quota usage", responses: { 200: "`{month,quota,used,perSite,percent}`." } },
    { method: "get", path: "/analytics/billing", summary: "Billing details", responses: { 200: "`{billing}`." } },
    { method: "put", path: "/analytics/billing", summary: "Change billing details", body: BillingInput, responses: { 200: "`{billing}`." } },
    { method: "get", path: "/analytics/license-keys", summary: "License keys", query: ListLicenseKeysInput, responses: { 200: "A page of license keys." } },
    { method: "post", path: "/analytics/license-keys", summary: "Add a license key", body: LicenseKeyInput, responses: { 201: "`{licenseKey}`.", 409: "The key is already in the registry." } },
    { method: "get", path: "/analytics/license-keys/{id}", summary: "One license key", responses: { 200: "`{licenseKey}`." } },
    { method: "patch", path: "/analytics/license-keys/{id}", summary: "Change a license key's label or status", body: UpdateLicenseKeyInput, responses: { 200: "`{licenseKey}`." } },
    { method: "delete", path: "/analytics/license-keys/{id}", summary: "Delete a license key", responses: { 204: "Deleted." } },
    { method: "get", path: "/analytics/campaigns", summary: "ReachOut campaigns", query: ListCampaignsInput, responses: { 200: "A page of campaigns." } },
    { method: "post", path: "/analytics/campaigns", summary: "Add a campaign", body: CampaignInput, responses: { 201: "`{campaign}`." } },
    { method: "get", path: "/analytics/campaigns/{id}", summary: "One campaign", responses: { 200: "`{campaign}`." } },
    { method: "patch", path: "/analytics/campaigns/{id}", summary: "Change a campaign's name, message or status", body: UpdateCampaignInput, responses: { 200: "`{campaign}`.", 409: "This status change is not allowed, or the campaign changed meanwhile." } },
    { method: "delete", path: "/analytics/campaigns/{id}", summary: "Delete a campaign", responses: { 204: "Deleted.", 409: "Only draft campaigns can be deleted." } },
  ], ANALYTICS_FORBIDDEN),

  ...section("Collection", "public", [
    { method: "options", path: "/collect", summary: "CORS preflight for tracked pages on any origin", responses: { 204: "Allows POST with Content-Type from any origin." } },
    {
      method: "post",
      path: "/collect",
      summary: "Record one hit from a tracked page (JSON sent as application/json or text/plain, at most 2 kB)",
      body: CollectInput,
      responses: { 204: "Recorded.", 403: "The workspace blocks this client or address.", 404: "No site or app has this key.", 409: "Not recorded: send it again.", 415: "Not JSON or text/plain.", 429: "Too many hits from this address for this site; `Retry-After` says when to send again." },
    },
  ]),

  ...section("Reports", "bearer", [
    { method: "get", path: "/reports/sites/{id}", summary: "A site's report (format=csv for CSV)", query: ReportQuery, responses: { 200: "`{site,rows:[{day,visits,events}],...}`, or CSV." } },
    { method: "get", path: "/reports/meta-sites/{id}", summary: "A meta site's report, optionally for one segment (format=csv for CSV)", query: MetaReportQuery, responses: { 200: "`{metaSite,rows,...}`, or CSV." } },
  ], { 403: "No analytics access, no Reporting module grant, or the site's level does not allow this." }),

  ...section("API tokens", "session", [
    { method: "get", path: "/tokens", summary: "The caller's personal API tokens", query: ListTokensInput, responses: { 200: "A page of tokens (never their secrets)." } },
    { method: "post", path: "/tokens", summary: "Create a personal API token (Reporting API module)", body: CreateTokenInput, responses: { 201: "`{token,secret}`: the secret is shown in this answer only.", 409: "The caller has the maximum number of active tokens." } },
    { method: "delete", path: "/tokens/{id}", summary: "Revoke a token", responses: { 204: "Revoked." } },
  ], ANALYTICS_FORBIDDEN),

  ...section("Partner access", "session", [
    { method: "get", path: "/partners", summary: "Partners with access to the organization's insights", query: ListPartnersInput, responses: { 200: "`{items:[{org:{id,name},addedUsers,users}]}`." } },
    {
      method: "post",
      path: "/partners",
      summary: "Grant a partner access: by one partner user's email, or an organization and some of its users",
      body: GrantPartnerInput,
      responses: { 201: "`{partner}`.", 403: "The granting account is not verified (`grantor_not_verified`).", 422: "Field errors, or `target_in_own_organization`, `not_a_partner_account`, `not_channel_partner`." },
    },
    { method: "get", path: "/partners/organizations", summary: "Channel partner organizations to pick from", query: ListPartnerOrgsInput, responses: { 200: "`{items}`." } },
    { method: "get", path: "/partners/organizations/{id}/users", summary: "A channel partner's users to pick from", responses: { 200: "`{org,items}`." } },
    { method: "put", path: "/partners/{orgId}", summary: "Change which of a partner's users have access", body: UpdatePartnerInput, responses: { 200: "`{partner}`." } },
    { method: "delete", path: "/partners/{orgId}", summary: "Remove a partner's access", responses: { 204: "Removed." } },
  ], { 403: "Customer organizations only, or the caller's role does not allow this." }),

  ...section("Partner dashboard", "session", [
    { method: "get", path: "/partner-dashboard", summary: "Every customer that granted the caller access, with statistics", responses: { 200: "`{window,customers:[{org,stats}]}`." } },
    { method: "get", path: "/partner-dashboard/{orgId}", summary: "One customer's insights", responses: { 200: "`{window,customer,sites}`." } },
  ]),

  ...section("Access review", "session", [
    { method: "post", path: "/access-reviews", summary: "Start an access review of the organization (Partner Managers)", responses: { 201: "`{review,counts,items,partnerAccess}`: one item per user who is not deactivated.", 409: "A review is already open, or the organization is terminated." } },
    { method: "get", path: "/access-reviews/current", summary: "The organization's open review, and when the last one was completed", responses: { 200: "`{open:{review,counts,items,partnerAccess}|null,lastCompleted:{id,completedAt}|null}`." } },
    { method: "get", path: "/access-reviews/status", summary: "Every organization's review state (operators)", query: ListReviewStatusInput, responses: { 200: "A page of `{org,state,open,lastCompleted}`.", 403: "Operators only." } },
    { method: "get", path: "/access-reviews/{id}", summary: "One review with every user: role, P/AA/AAA, partner grants, decision (operators: any organization)", responses: { 200: "`{review,counts,items,partnerAccess}`." } },
    {
      method: "post",
      path: "/access-reviews/{id}/items/{userId}",
      summary: "Confirm, change (role, revoke AA, request P/AAA) or deactivate one user",
      body: DecideInput,
      responses: { 200: "`{review,item,counts,removed,requested}`.", 409: "The review is completed, the last active Partner Manager would be lost, or the user changed meanwhile." },
    },
    { method: "post", path: "/access-reviews/{id}/confirm-remaining", summary: "Confirm every user still without a decision", responses: { 200: "`{confirmed,counts}`.", 409: "The review is completed." } },
    { method: "post", path: "/access-reviews/{id}/complete", summary: "Complete the review once every user has a decision", responses: { 200: "`{review,counts,items,partnerAccess}`; the outcome counts are audited.", 409: "Users still need a decision, or the review is already completed." } },
  ], { 403: "Partner Managers of the organization only (operators may read)." }),
];
