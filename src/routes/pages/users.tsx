// Users, invitations and requests pages (F-11…F-17, F-92): each form calls the
// same service as its JSON twin. Forms work without JavaScript (post, then a
// redirect or the page again with its errors); htmx posts row actions and
// swaps in the row the server answers with, result or refusal inside it.
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { RequestContext } from "hono/jsx-renderer";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { canAdministerAnalyticsAccess } from "../../domain/analytics";
import { MAX_BULK_CSV_CHARS } from "../../domain/bulk-invite";
import { isOperator, ROLE_LABELS, SECONDARY_ROLES } from "../../domain/roles";
import { AppError } from "../../lib/errors";
import { fieldsFromZod } from "../../lib/validate";
import { requirePageSession } from "../../middleware/require-auth";
import { BulkInviteInput, bulkInviteAndList, previewBulkInvite } from "../../services/bulk-invite";
import { getInvitation, ListInvitationsInput, listInvitations, resendInvitation, revokeInvitation } from "../../services/invitation-admin";
import {
  approveRoleRequest,
  CreateRequestInput,
  createRoleRequest,
  getRoleRequest,
  ListRequestsInput,
  requestsPage,
  rejectRoleRequest,
} from "../../services/role-requests";
import { inactivityForecast } from "../../services/inactivity";
import { inviteToAnalytics, revokeAnalytics } from "../../services/analytics-access";
import { activateUser, deactivateUser, findAdministrable, reinviteUser, resetTwoFactor } from "../../services/user-admin";
import { deleteUser } from "../../services/user-delete";
import { toPublicUser, type PublicUser } from "../../services/user-shape";
import { ChangeRoleInput, changeUserRole, InviteUserInput, inviteUser, ListUsersInput, usersPage } from "../../services/users";
import { InvitationRow, InvitationsPage, type BulkState } from "../../../views/invitations";
import { RequestRow, RequestsPage } from "../../../views/requests";
import { DeletedUserRow, DeleteUserPage, UserRow, UsersPage } from "../../../views/users";
import { InactivityForecastPage } from "../../../views/inactivity";
import { seeOther } from "./flash";
import { formAction, type FormState } from "./form-action";

type Authed = AppEnv & { Variables: { actor: Actor } };
type C = Context<Authed>;

const isHtmx = (c: C) => Boolean(c.req.header("hx-request"));

/** An htmx fragment: outside c.render, so the request context (CSRF fields) is provided here. */
const fragment = (c: C, node: Child, status = 200) => c.html(<RequestContext.Provider value={c}>{node}</RequestContext.Provider>, status as 200);

/** An expected refusal (409, 403, 422 …) that a page can show in place; anything else goes to app.onError. */
const isShowable = (e: unknown): e is AppError => e instanceof AppError && e.status < 500 && e.code !== "UNAUTHENTICATED";

/**
 * An htmx row action that was refused answers with its row and the message,
 * keeping the real status; public/js/app.js swaps responses marked this way.
 */
function rowRefusal(c: C, e: AppError, row: Child) {
  c.header("X-Swap-Error", "row");
  return fragment(c, row, e.status);
}

// ---------------------------------------------------------------- users

export const userPages = new Hono<Authed>();
userPages.use(requirePageSession);

async function renderUsers(c: C, extra: { error?: string; invite?: FormState } = {}) {
  const { deps, actor } = c.var;
  const parsed = ListUsersInput.safeParse(c.req.method === "GET" ? c.req.query() : {});
  const filter = parsed.success ? parsed.data : ListUsersInput.parse({});
  const { list, managers } = await usersPage(deps, actor, { ...filter, orgId: undefined });
  const error = extra.error ?? (parsed.success ? undefined : `The filter was not understood: ${Object.values(fieldsFromZod(parsed.error)).join(" ")}`);
  return c.render(
    <UsersPage
      actor={actor}
      users={list.items}
      page={list.page}
      filter={{ q: filter.q, role: filter.role, status: filter.status }}
      managers={managers.items}
      error={error}
      invite={extra.invite && { values: extra.invite.values, errors: extra.invite.errors, message: extra.invite.message }}
    />,
    { title: "Users" },
  );
}

userPages.get("/", (c) => {
  // Operators administer accounts from each organization's page.
  if (isOperator(c.var.actor)) return c.redirect("/orgs", 303);
  return renderUsers(c);
});

/** F-94: the inactivity dry run for the Partner Manager's organization. */
userPages.get("/inactivity", async (c) => {
  const { items } = await inactivityForecast(c.var.deps, c.var.actor);
  return c.render(<InactivityForecastPage rows={items} />, { title: "Inactive accounts" });
});

userPages.post("/", (c) =>
  formAction(c, {
    schema: InviteUserInput,
    shape: (v) => ({ email: v.email, name: v.name, role: v.role }),
    run: async (data) => {
      const { user } = await inviteUser(c.var.deps, c.var.actor, data);
      return seeOther(c, `/users?q=${encodeURIComponent(user.email)}`, `Invitation sent to ${user.email}.`);
    },
    render: (s) => renderUsers(c, { invite: s }),
  }),
);

type RowResult = { user: PublicUser; message: string };

/** A user's row as `actor` sees it: account actions, and the AA buttons for their Analytics Administrator. */
const userRowFor = (actor: Actor, user: PublicUser, message?: string, error = false) => (
  <UserRow user={user} actions self={user.id === actor.id} aaa={canAdministerAnalyticsAccess(actor, actor.orgId, user.orgId)} message={message} error={error} />
);

/** Where a plain form post about `user` goes back to: operators administer accounts from each organization's page. */
const usersPageOf = (actor: Actor, user: { orgId: string }) => (isOperator(actor) ? `/orgs/${user.orgId}` : "/users");

/**
 * One user row action. htmx gets the row with the result (or the refusal) in
 * it; a plain form post is redirected back to the page it came from.
 */
async function userRowAction(c: C, run: () => Promise<RowResult>) {
  const actor = c.var.actor;
  try {
    const { user, message } = await run();
    if (isHtmx(c)) return fragment(c, userRowFor(actor, user, message));
    return seeOther(c, usersPageOf(actor, user), `${user.email}: ${message}`);
  } catch (e) {
    return userRowRefusal(c, e);
  }
}

/** A refused row action: the users page with the reason, or (htmx) the row as it is now with the reason inside. */
async function userRowRefusal(c: C, e: unknown) {
  const { deps, actor } = c.var;
  if (!isShowable(e)) throw e;
  if (!isHtmx(c)) {
    if (isOperator(actor)) throw e;
    c.status(e.status as 400);
    return renderUsers(c, { error: e.message });
  }
  // A user not found or not ours stays an error notice.
  const current = await findAdministrable(deps, actor, c.req.param("id")!).catch(() => null);
  if (!current) throw e;
  return rowRefusal(c, e, userRowFor(actor, toPublicUser(current.user), e.message, true));
}

const USER_ACTIONS = {
  reinvite: [reinviteUser, "Invitation sent again."],
  deactivate: [deactivateUser, "Deactivated."],
  activate: [activateUser, "Activated."],
  "reset-2fa": [resetTwoFactor, "2FA reset; they set it up again at next sign-in."],
} as const;

for (const [path, [action, done]] of Object.entries(USER_ACTIONS)) {
  userPages.post(`/:id/${path}`, (c) =>
    userRowAction(c, async () => ({ user: (await action(c.var.deps, c.var.actor, c.req.param("id"))).user, message: done })),
  );
}

userPages.post("/:id/role", (c) =>
  userRowAction(c, async () => {
    const body = await c.req.parseBody();
    const parsed = ChangeRoleInput.safeParse({ role: body.role });
    if (!parsed.success) throw new AppError("VALIDATION_FAILED", "Choose Read-only User, Regular User or Partner Manager.", fieldsFromZod(parsed.error));
    const { user, removed, changed } = await changeUserRole(c.var.deps, c.var.actor, c.req.param("id"), parsed.data);
    const message = !changed
      ? `Already ${ROLE_LABELS[user.role]}; nothing changed.`
      : `Role changed to ${ROLE_LABELS[user.role]}.` + (removed.length ? ` Removed: ${removed.map((k) => SECONDARY_ROLES[k].label).join(", ")}.` : "");
    return { user, message };
  }),
);

/** F-23/F-24: an Analytics Administrator invites (or re-sends) and revokes, from the AA column. */
userPages.post("/:id/analytics/invite", (c) =>
  userRowAction(c, async () => {
    const { user, resent } = await inviteToAnalytics(c.var.deps, c.var.actor, c.req.param("id"));
    return { user, message: resent ? "Analytics invitation sent again." : "Invited to Analytics; a mail explains how to accept." };
  }),
);
userPages.post("/:id/analytics/revoke", (c) =>
  userRowAction(c, async () => ({
    user: (await revokeAnalytics(c.var.deps, c.var.actor, c.req.param("id"))).user,
    message: "Analytics access revoked; the portal account stays.",
  })),
);

/** F-46 without JavaScript: the confirmation page (the row's Delete opens it). */
userPages.get("/:id/delete", async (c) => {
  const { deps, actor } = c.var;
  const { user } = await findAdministrable(deps, actor, c.req.param("id"));
  if (user.id === actor.id) throw new AppError("CONFLICT", "You cannot delete your own account.");
  return c.render(<DeleteUserPage user={toPublicUser(user)} back={usersPageOf(actor, user)} />, { title: `Delete ${user.name}` });
});

userPages.post("/:id/delete", async (c) => {
  const { deps, actor } = c.var;
  try {
    const { user } = await deleteUser(deps, actor, c.req.param("id"));
    if (isHtmx(c)) return fragment(c, <DeletedUserRow id={user.id} email={user.email} />);
    return seeOther(c, usersPageOf(actor, user), `${user.email}: account deleted.`);
  } catch (e) {
    return userRowRefusal(c, e);
  }
});

// ---------------------------------------------------------------- invitations

export const invitationPages = new Hono<Authed>();
invitationPages.use(requirePageSession);

/** The list's filter: the query's on the page itself, the first page after a post. */
function invitationsFilter(c: C) {
  const parsed = ListInvitationsInput.safeParse(c.req.method === "GET" ? c.req.query() : {});
  return { ...(parsed.success ? parsed.data : ListInvitationsInput.parse({})), orgId: undefined };
}

type InvitationList = Awaited<ReturnType<typeof listInvitations>>;

async function renderInvitations(c: C, extra: { bulk?: BulkState } = {}, read?: InvitationList) {
  const filter = invitationsFilter(c);
  const list = read ?? (await listInvitations(c.var.deps, c.var.actor, filter));
  return c.render(<InvitationsPage invitations={list.items} page={list.page} state={filter.state} bulk={extra.bulk} />, { title: "Invitations" });
}

invitationPages.get("/", (c) => {
  if (isOperator(c.var.actor)) return c.redirect("/orgs", 303);
  return renderInvitations(c);
});

/** The CSV from the textarea, or from the uploaded file when one was chosen (multipart). */
async function readCsv(c: C): Promise<{ csv: string; fileError?: string }> {
  const body = await c.req.parseBody();
  const file = body.file;
  if (file instanceof File && file.size > 0) {
    if (file.size > MAX_BULK_CSV_CHARS) return { csv: "", fileError: `Upload at most ${MAX_BULK_CSV_CHARS / 1000} kB of CSV.` };
    return { csv: await file.text() };
  }
  return { csv: typeof body.csv === "string" ? body.csv : "" };
}

/** Preview and commit share the shape: read the CSV, run, show the report or the errors next to the form. */
function bulkStep(step: "preview" | "commit") {
  return async (c: C) => {
    const { csv, fileError } = await readCsv(c);
    const parsed = BulkInviteInput.safeParse({ csv });
    if (fileError || !parsed.success) {
      c.status(422);
      return renderInvitations(c, { bulk: { csv, errors: fileError ? { file: fileError } : fieldsFromZod(parsed.error!) } });
    }
    try {
      if (step === "preview") return renderInvitations(c, { bulk: { csv, preview: await previewBulkInvite(c.var.deps, c.var.actor, parsed.data) } });
      // The list beside the report is read in the invite's own batch.
      const { report, list } = await bulkInviteAndList(c.var.deps, c.var.actor, parsed.data, invitationsFilter(c));
      return renderInvitations(c, { bulk: { done: report } }, list);
    } catch (e) {
      if (!isShowable(e) || e.code === "FORBIDDEN") throw e;
      c.status(e.status as 400);
      return renderInvitations(c, { bulk: e.fields ? { csv, errors: e.fields } : { csv, message: e.message } });
    }
  };
}

invitationPages.post("/preview", bulkStep("preview"));
invitationPages.post("/bulk", bulkStep("commit"));

for (const [path, run, done] of [
  ["resend", resendInvitation, "Sent again with a new link."],
  ["revoke", revokeInvitation, "Revoked: the link no longer works."],
] as const) {
  invitationPages.post(`/:id/${path}`, async (c) => {
    try {
      const { invitation } = await run(c.var.deps, c.var.actor, c.req.param("id"));
      if (isHtmx(c)) return fragment(c, <InvitationRow invitation={invitation} message={done} />);
      return seeOther(c, "/invitations", `${invitation.user.email}: ${done}`);
    } catch (e) {
      if (!isShowable(e) || !isHtmx(c) || e.status !== 409) throw e;
      // A conflict (already used or revoked): show the invitation's row as it is now.
      const row = await getInvitation(c.var.deps, c.var.actor, c.req.param("id")).catch(() => null);
      if (!row) throw e;
      return rowRefusal(c, e, <InvitationRow invitation={row} message={e.message} error />);
    }
  });
}

// ---------------------------------------------------------------- requests

export const requestPages = new Hono<Authed>();
requestPages.use(requirePageSession);

async function renderRequests(c: C, extra: { form?: FormState } = {}) {
  const parsed = ListRequestsInput.safeParse(c.req.method === "GET" ? c.req.query() : {});
  const filter = parsed.success ? parsed.data : ListRequestsInput.parse({});
  const { list, users } = await requestsPage(c.var.deps, c.var.actor, filter);
  return c.render(<RequestsPage actor={c.var.actor} requests={list.items} page={list.page} users={users} form={extra.form} />, { title: "Requests" });
}

requestPages.get("/", (c) => renderRequests(c));

requestPages.post("/", (c) =>
  formAction(c, {
    schema: CreateRequestInput,
    shape: (v) => ({ kind: v.kind, userId: v.userId }),
    run: async (data) => {
      await createRoleRequest(c.var.deps, c.var.actor, data);
      return seeOther(c, "/requests", "Request sent. Operators decide; you get an email either way.");
    },
    render: (s) => renderRequests(c, { form: s }),
  }),
);

for (const [path, run, done] of [
  ["approve", approveRoleRequest, "Approved; the requester is mailed."],
  ["reject", rejectRoleRequest, "Rejected; the requester is mailed."],
] as const) {
  requestPages.post(`/:id/${path}`, async (c) => {
    try {
      const { request } = await run(c.var.deps, c.var.actor, c.req.param("id"));
      if (isHtmx(c)) return fragment(c, <RequestRow request={request} decide message={done} />);
      return seeOther(c, "/requests", done);
    } catch (e) {
      if (!isShowable(e) || !isHtmx(c) || e.status !== 409) throw e;
      const row = await getRoleRequest(c.var.deps, c.var.actor, c.req.param("id")).catch(() => null);
      if (!row) throw e;
      return rowRefusal(c, e, <RequestRow request={row} decide message={e.message} error />);
    }
  });
}
