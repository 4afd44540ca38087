// /analytics pages of analytics access: the invitation (acceptPages, before
// the AA = Y guard; the index applies requirePageSession to /accept) and the
// personal API tokens (accessPages, behind the guard). Each form calls the
// same service as its JSON twin.
import { Hono, type Context } from "hono";
import { RequestContext } from "hono/jsx-renderer";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { AppError } from "../../../lib/errors";
import { newId } from "../../../lib/ids";
import { acceptAnalyticsInvitation, invitationOverview } from "../../../services/analytics-access";
import { CreateTokenFormInput, createApiTokenAndList, listApiTokens, MAX_LIVE_TOKENS, revokeApiToken, type PublicToken } from "../../../services/api-tokens";
import { AcceptInvitationPage, InvitationAcceptedPage, NoAnalyticsAccessPage } from "../../../../views/analytics/access";
import { TokenRow, TokensPage, type CreateTokenState } from "../../../../views/analytics/tokens";
import { seeOther } from "../flash";
import { formAction } from "../form-action";

type Authed = AppEnv & { Variables: { actor: Actor } };
type TokenList = Awaited<ReturnType<typeof listApiTokens>>;
type C = Context<Authed>;
export const accessPages = new Hono<Authed>();
export const acceptPages = new Hono<Authed>();

const isHtmx = (c: C) => Boolean(c.req.header("hx-request"));

// ---------------------------------------------------------------- invitation (F-23)

async function renderInvitation(c: C, error?: string) {
  const view = await invitationOverview(c.var.deps, c.var.actor);
  if (view.orgName !== null) return c.render(<AcceptInvitationPage orgName={view.orgName} error={error} />, { title: "Analytics invitation" });
  return c.render(<NoAnalyticsAccessPage admins={view.admins} error={error} />, { title: "Analytics" });
}

acceptPages.get("/accept", (c) => {
  if (c.var.actor.analyticsAccess === "Y") return c.redirect("/analytics", 303);
  return renderInvitation(c);
});

acceptPages.post("/accept", async (c) => {
  try {
    const { message, becameOwner } = await acceptAnalyticsInvitation(c.var.deps, c.var.actor);
    return c.render(<InvitationAcceptedPage message={message} becameOwner={becameOwner} />, { title: "Analytics access activated" });
  } catch (e) {
    if (!(e instanceof AppError) || e.status !== 409) throw e;
    // Accepted meanwhile (another tab): nothing left to do here.
    if (c.var.actor.analyticsAccess === "Y") return c.redirect("/analytics", 303);
    c.status(409);
    return renderInvitation(c, e.message);
  }
});

// ---------------------------------------------------------------- API tokens (F-52)

/** The tokens page shows the first 100 own tokens. */
const TOKEN_LIST = { page: 1, pageSize: 100 };

async function renderTokens(c: C, extra: { created?: { token: PublicToken; secret: string }; form?: CreateTokenState } = {}, list?: TokenList) {
  const { items, page } = list ?? (await listApiTokens(c.var.deps, c.var.actor, TOKEN_LIST));
  return c.render(
    <TokensPage
      tokens={items}
      total={page.total}
      now={c.var.deps.now()}
      maxLive={MAX_LIVE_TOKENS}
      created={extra.created}
      form={{ ...extra.form, formKey: newId() }}
    />,
    { title: "API tokens" },
  );
}

accessPages.get("/tokens", (c) => renderTokens(c));

/**
 * The secret is rendered into this answer (never a redirect URL) and nowhere
 * else. Each rendering of the form carries a fresh key, so a reload that
 * re-sends this post is refused instead of making a second token.
 */
accessPages.post("/tokens", (c) =>
  formAction(c, {
    schema: CreateTokenFormInput,
    shape: (v) => ({ name: v.name, expiresInDays: v.expiresInDays, formKey: v.formKey }),
    run: async (data) => {
      // The list as the insert left it comes back with the new token: no read after.
      const { token, secret, list } = await createApiTokenAndList(c.var.deps, c.var.actor, data, TOKEN_LIST);
      return renderTokens(c, { created: { token, secret } }, list);
    },
    render: (form) => renderTokens(c, { form }),
  }),
);

accessPages.post("/tokens/:id/revoke", async (c) => {
  const { deps, actor } = c.var;
  const { token, changed } = await revokeApiToken(deps, actor, c.req.param("id"));
  const message = changed ? "Revoked: it no longer works." : "Already revoked.";
  if (!isHtmx(c)) return seeOther(c, "/analytics/tokens", `${token.name}: ${message}`);
  const row = <TokenRow token={token} now={deps.now()} message={message} />;
  return c.html(<RequestContext.Provider value={c}>{row}</RequestContext.Provider>);
});
