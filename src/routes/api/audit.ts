// The audit log as JSON, or as a streamed CSV of the same filter (api.md "Audit", F-50).
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { csvResponse } from "../../lib/csv";
import { queryParams } from "../../lib/validate";
import { requireApiSession } from "../../middleware/require-auth";
import { ListAuditInput, listAuditEvents, streamAuditCsv } from "../../services/audit-log";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const auditApi = new Hono<Authed>();
auditApi.use(requireApiSession);

auditApi.get("/", queryParams(ListAuditInput), async (c) => {
  const input = c.req.valid("query");
  if (input.format === "csv") return csvResponse(streamAuditCsv(c.var.deps, c.var.actor, input), "audit-log.csv");
  return c.json(await listAuditEvents(c.var.deps, c.var.actor, input));
});
