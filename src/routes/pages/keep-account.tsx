// F-94: the reminder's "keep my account" link. GET only shows a confirm button
// (mail scanners follow links); the POST, with the pre-login CSRF cookie, uses it.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { AppError } from "../../lib/errors";
import { noReferrer } from "../../middleware/security-headers";
import { keepAccount } from "../../services/inactivity";
import { LinkProblemPage } from "../../../views/auth";
import { KeepAccountPage, KeptAccountPage } from "../../../views/inactivity";

export const keepAccountPages = new Hono<AppEnv>();
keepAccountPages.use(noReferrer);

keepAccountPages.get("/", (c) =>
  c.render(<KeepAccountPage userId={c.req.query("u") ?? ""} token={c.req.query("t") ?? ""} />, { title: "Keep your account", narrow: true }),
);

keepAccountPages.post("/", async (c) => {
  const body = await c.req.parseBody();
  const field = (k: string) => (typeof body[k] === "string" ? (body[k] as string) : "");
  try {
    await keepAccount(c.var.deps, field("u"), field("t"));
    return c.render(<KeptAccountPage />, { title: "Keep your account", narrow: true });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    c.status(e.status as 400);
    return c.render(<LinkProblemPage title="Link not valid" message={e.message} action={{ href: "/login", label: "Sign in" }} />, { title: "Keep your account", narrow: true });
  }
});
