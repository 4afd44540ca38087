// /api/v1/reports (F-45, F-52): the report data as JSON or CSV, for a personal
// API token (Bearer) or the browser's session (the pages' "Download CSV").
// Authorization and validation of ranges live in the service.
import { Hono } from "hono";
import { csvResponse } from "../../lib/csv";
import { queryParams } from "../../lib/validate";
import { reportingAuth, type ReportingEnv } from "../../middleware/reporting-auth";
import { MetaReportQuery, metaSiteReport, reportCsv, reportFilename, ReportQuery, siteReport } from "../../services/analytics-reports";

export const reportsApi = new Hono<ReportingEnv>();
reportsApi.use(reportingAuth);

reportsApi.get("/sites/:id", queryParams(ReportQuery), async (c) => {
  const { format, ...input } = c.req.valid("query");
  const report = await siteReport(c.var.deps, c.var.actor, c.req.param("id"), input, c.var.reportingVia);
  if (format === "csv") return csvResponse(reportCsv(report), reportFilename(report.site.name, report));
  return c.json(report);
});

reportsApi.get("/meta-sites/:id", queryParams(MetaReportQuery), async (c) => {
  const { format, segment, ...input } = c.req.valid("query");
  const report = await metaSiteReport(c.var.deps, c.var.actor, c.req.param("id"), { ...input, segmentId: segment }, c.var.reportingVia, {
    export: format === "csv",
  });
  if (format === "csv") return csvResponse(reportCsv(report), reportFilename(report.metaSite.name, report));
  return c.json(report);
});
