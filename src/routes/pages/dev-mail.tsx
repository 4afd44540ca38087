// The development mailbox (F-10, api.md): only without RESEND_API_KEY and never in production.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { AppError } from "../../lib/errors";
import { listMailbox } from "../../services/outbox";
import { DevMailPage } from "../../../views/dev-mail";

export const devMailPages = new Hono<AppEnv>();

devMailPages.use(async (c, next) => {
  const { config } = c.var.deps;
  if (config.isProduction || config.resendApiKey) throw new AppError("NOT_FOUND", "Not found.");
  await next();
});

devMailPages.get("/mail.json", async (c) => {
  const rows = await listMailbox(c.var.deps);
  return c.json({
    messages: rows.map((m) => ({ id: m.id, to: m.to, subject: m.subject, text: m.text, html: m.html, status: m.status, createdAt: new Date(m.createdAt).toISOString() })),
  });
});

devMailPages.get("/mail", async (c) => c.render(<DevMailPage messages={await listMailbox(c.var.deps)} />, { title: "Mailbox" }));
