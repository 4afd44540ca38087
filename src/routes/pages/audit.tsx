// The audit log page (F-50, F-96): a GET filter form, the entries, pagination
// and an "Export CSV" link to the JSON API's streamed export of the same filter.
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import type { Actor } from "../../domain/actor";
import { canReadAuditLog } from "../../domain/roles";
import { AppError } from "../../lib/errors";
import { fieldsFromZod } from "../../lib/validate";
import { requirePageSession } from "../../middleware/require-auth";
import { auditOrgOptions, ListAuditInput, listAuditEvents } from "../../services/audit-log";
import { AuditPage, type AuditFormValues } from "../../../views/audit";

type Authed = AppEnv & { Variables: { actor: Actor } };
export const auditPages = new Hono<Authed>();
auditPages.use(requirePageSession);

const FILTER_KEYS = ["actor", "action", "target", "from", "to", "orgId"] as const;

auditPages.get("/", async (c) => {
  const { deps, actor } = c.var;
  if (!canReadAuditLog(actor)) throw new AppError("FORBIDDEN", "Only Partner Managers and operators can read the audit log.");
  const query = c.req.query();
  const values: AuditFormValues = {};
  for (const k of FILTER_KEYS) if (query[k]) values[k] = query[k];
  const parsed = ListAuditInput.safeParse(query);
  // A filter that is not understood shows its errors next to the fields and lists nothing, rather than everything.
  const errors = parsed.success ? undefined : fieldsFromZod(parsed.error);
  const [list, orgs] = await Promise.all([
    parsed.success ? listAuditEvents(deps, actor, { ...parsed.data, format: undefined }) : null,
    auditOrgOptions(deps, actor),
  ]);
  if (!parsed.success) c.status(422);
  const pageSize = parsed.success && query.pageSize ? String(parsed.data.pageSize) : undefined;
  return c.render(<AuditPage actor={actor} values={values} errors={errors} list={list} orgs={orgs} pageSize={pageSize} />, { title: "Audit log" });
});
