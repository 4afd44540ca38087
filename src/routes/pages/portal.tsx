// Signed-in pages: home, account and organizations (operators). Account
// administration (re-invite, deactivate …) is in pages/users.tsx.
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { SESSION_COOKIE, writeCookie, clearCookie } from "../../lib/cookies";
import type { FieldErrors } from "../../lib/errors";
import { requirePageSession } from "../../middleware/require-auth";
import { seeOther, SIGNED_OUT } from "./flash";
import { accountPage, changePassword, ChangePasswordInput, regenerateRecoveryCodesAndPage, RegenerateCodesInput } from "../../services/account";
import {
  getOrganization,
  listOrganizations,
  OnboardInput,
  onboardOrganization,
  UpdateOrgInput,
  updateOrganization,
} from "../../services/organizations";
import { revokeAllSessions, revokeSession } from "../../services/sessions";
import { isSetupOpen } from "../../services/setup";
import { homeAttention } from "../../services/home";
import { AccountPage } from "../../../views/account";
import { HomePage } from "../../../views/home";
import { OrgDetailPage, OrgsPage } from "../../../views/orgs";
import { checkbox, formAction } from "./form-action";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const portalPages = new Hono<Authed>();

portalPages.get(
  "/",
  // The address a fresh install is opened at: on an empty database, straight to first-run setup.
  // Only here, so the sign-in page itself costs no database read.
  async (c, next) => (!c.var.actor && (await isSetupOpen(c.var.deps)) ? c.redirect("/setup", 303) : next()),
  requirePageSession,
  async (c) => c.render(<HomePage actor={c.var.actor} orgName={c.var.actor.orgName} attention={await homeAttention(c.var.deps, c.var.actor)} />, { title: "Home" }),
);

async function renderAccount(c: Context<Authed>, extra: Partial<Parameters<typeof AccountPage>[0]> = {}) {
  const page = await accountPage(c.var.deps, c.var.actor, c.var.session?.id);
  return c.render(<AccountPage user={page.user} recoveryCodesLeft={page.recoveryCodesLeft} sessions={page.sessions} {...extra} />, { title: "Your account" });
}

portalPages.use("/account/*", requirePageSession);
portalPages.get("/account", requirePageSession, (c) => renderAccount(c));

portalPages.post("/account/sessions/:id/revoke", async (c) => {
  await revokeSession(c.var.deps, c.var.actor, c.req.param("id"));
  if (c.req.header("hx-request")) return c.html(<tr><td colspan={4} class="muted" role="status">Session signed out.</td></tr>);
  return seeOther(c, "/account", "Session signed out.");
});

portalPages.post("/account/sessions/revoke-all", async (c) => {
  await revokeAllSessions(c.var.deps, c.var.actor);
  clearCookie(c, SESSION_COOKIE);
  return seeOther(c, "/login", SIGNED_OUT);
});

portalPages.post("/account/password", (c) =>
  formAction(c, {
    schema: ChangePasswordInput,
    run: async (data) => {
      const { secret } = await changePassword(c.var.deps, c.var.actor, data, c.req.header("user-agent") ?? null, c.var.credentials);
      writeCookie(c, SESSION_COOKIE, secret);
      return seeOther(c, "/account", "Your password is changed. Your other sessions were signed out.");
    },
    render: (s) => renderAccount(c, { passwordErrors: s.errors ?? { currentPassword: s.message ?? "" } }),
  }),
);

portalPages.post("/account/recovery-codes", (c) =>
  formAction(c, {
    schema: RegenerateCodesInput,
    run: async (data) => {
      // The refreshed page rides in the write batch (no re-read after it).
      const { codes, page } = await regenerateRecoveryCodesAndPage(c.var.deps, c.var.actor, data, c.var.session?.id, c.var.credentials);
      return c.render(<AccountPage user={page.user} recoveryCodesLeft={page.recoveryCodesLeft} sessions={page.sessions} newCodes={codes} />, { title: "Your account" });
    },
    render: (s) => renderAccount(c, { codesErrors: s.errors ?? { code: s.message ?? "" } }),
  }),
);

portalPages.use("/orgs/*", requirePageSession);
portalPages.use("/orgs", requirePageSession);

async function renderOrgs(c: Context<Authed>, extra: Partial<Parameters<typeof OrgsPage>[0]> = {}) {
  const { items } = await listOrganizations(c.var.deps, c.var.actor, { page: 1, pageSize: 100 });
  return c.render(<OrgsPage orgs={items} {...extra} />, { title: "Organizations" });
}

portalPages.get("/orgs", (c) => renderOrgs(c));

const onboardShape = (v: Record<string, string>) => ({
  name: v.name,
  kind: v.kind,
  channelPartner: checkbox(v.channelPartner),
  managedBy: v.managedBy || undefined,
  manager: { email: v["manager.email"], name: v["manager.name"] },
});

portalPages.post("/orgs", (c) =>
  formAction(c, {
    schema: OnboardInput,
    shape: onboardShape,
    run: async (data) => {
      const { org, user } = await onboardOrganization(c.var.deps, c.var.actor, data);
      return seeOther(c, "/orgs", `${org.name} created; an invitation was sent to ${user.email}.`);
    },
    render: (s) => renderOrgs(c, { form: { values: s.values, errors: s.errors ?? { name: s.message ?? "" } } }),
  }),
);

async function renderOrg(c: Context<Authed>, errors?: FieldErrors) {
  const { org, users } = await getOrganization(c.var.deps, c.var.actor, c.req.param("id")!);
  return c.render(<OrgDetailPage org={org} users={users} errors={errors} />, { title: org.name });
}

portalPages.get("/orgs/:id", (c) => renderOrg(c));
portalPages.post("/orgs/:id", (c) =>
  formAction(c, {
    schema: UpdateOrgInput,
    shape: (v) => ({ name: v.name, channelPartner: checkbox(v.channelPartner) }),
    run: async (data) => {
      await updateOrganization(c.var.deps, c.var.actor, c.req.param("id"), data);
      return seeOther(c, `/orgs/${c.req.param("id")}`, "Saved.");
    },
    render: (s) => renderOrg(c, s.errors ?? { name: s.message ?? "" }),
  }),
);
portalPages.post("/orgs/:id/terminate", async (c) => {
  await updateOrganization(c.var.deps, c.var.actor, c.req.param("id"), { status: "terminated" });
  return seeOther(c, `/orgs/${c.req.param("id")}`, "Organization terminated: its users can no longer sign in.");
});
