// F-45 report pages under /analytics (AA = Y guard applied in index.tsx). The
// range form is a GET form, so a report is a link that can be shared; a bad
// range re-renders the form with the typed values and field errors (422).
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../../env";
import type { Actor } from "../../../domain/actor";
import { lastDays, REPORT_PRESETS } from "../../../domain/analytics-data";
import { AppError, type FieldErrors } from "../../../lib/errors";
import { fieldsFromZod } from "../../../lib/validate";
import { MetaReportQuery, metaSiteReportPage, ReportQuery, siteReportPage } from "../../../services/analytics-reports";
import { MetaSiteReportView, SiteReportView, type ReportFormValues } from "../../../../views/analytics/reports";

type Authed = AppEnv & { Variables: { actor: Actor } };
type C = Context<Authed>;
export const reportPages = new Hono<Authed>();

const presets = (now: number) => REPORT_PRESETS.map((days) => ({ days, ...lastDays(days, now) }));

/**
 * Runs the report for the query; on a field error (from zod or from the
 * range rules) runs it again for the defaults, only to have the page's frame
 * (names, filters offered), and hands back the errors to show.
 */
async function withFieldErrors<Q, R>(parse: () => { ok: true; query: Q } | { ok: false; fields: FieldErrors }, run: (query: Q | undefined) => Promise<R>) {
  const parsed = parse();
  if (parsed.ok) {
    try {
      return { data: await run(parsed.query), errors: undefined };
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== "VALIDATION_FAILED" || !e.fields) throw e;
      return { data: await run(undefined), errors: e.fields };
    }
  }
  return { data: await run(undefined), errors: parsed.fields };
}

function parseWith<T extends typeof ReportQuery | typeof MetaReportQuery>(schema: T, c: C) {
  const result = schema.safeParse(c.req.query());
  return () => (result.success ? { ok: true as const, query: result.data as ReturnType<T["parse"]> } : { ok: false as const, fields: fieldsFromZod(result.error) });
}

/** The typed values after an error (nothing lost), else what the report covers. */
const formValues = (c: C, errors: FieldErrors | undefined, report: { from: string; to: string; licenseKey: string | null }, segment?: string): ReportFormValues =>
  errors
    ? { from: c.req.query("from"), to: c.req.query("to"), licenseKey: c.req.query("licenseKey"), segment: c.req.query("segment") }
    : { from: report.from, to: report.to, licenseKey: report.licenseKey ?? undefined, segment };

function csvHref(path: string, report: { from: string; to: string; licenseKey: string | null }, segment?: string) {
  const params = new URLSearchParams({ from: report.from, to: report.to });
  if (report.licenseKey !== null) params.set("licenseKey", report.licenseKey);
  if (segment) params.set("segment", segment);
  params.set("format", "csv");
  return `${path}?${params}`;
}

reportPages.get("/sites/:id/report", async (c) => {
  const id = c.req.param("id");
  const { data, errors } = await withFieldErrors(parseWith(ReportQuery, c), (q) =>
    siteReportPage(c.var.deps, c.var.actor, id, q ? { from: q.from, to: q.to, licenseKey: q.licenseKey } : {}),
  );
  if (errors) c.status(422);
  const report = data.report;
  const form = {
    action: `/analytics/sites/${id}/report`,
    values: formValues(c, errors, report),
    errors,
    canFilterByLicenseKey: data.canFilterByLicenseKey,
    presets: presets(c.var.deps.now()),
  };
  return c.render(<SiteReportView report={report} form={form} csvHref={csvHref(`/api/v1/reports/sites/${id}`, report)} />, {
    title: `Report: ${report.site.name}`,
  });
});

reportPages.get("/meta-sites/:id/report", async (c) => {
  const id = c.req.param("id");
  const { data, errors } = await withFieldErrors(parseWith(MetaReportQuery, c), (q) =>
    metaSiteReportPage(c.var.deps, c.var.actor, id, q ? { from: q.from, to: q.to, licenseKey: q.licenseKey, segmentId: q.segment } : {}),
  );
  if (errors) c.status(422);
  const report = data.report;
  const segment = report.segment?.id;
  const form = {
    action: `/analytics/meta-sites/${id}/report`,
    values: formValues(c, errors, report, segment),
    errors,
    canFilterByLicenseKey: data.canFilterByLicenseKey,
    segments: report.segments,
    presets: presets(c.var.deps.now()),
  };
  return c.render(<MetaSiteReportView data={data} form={form} csvHref={csvHref(`/api/v1/reports/meta-sites/${id}`, report, segment)} />, {
    title: `Report: ${report.metaSite.name}`,
  });
});
