// CSV in and out through d3-dsv (RFC 4180 quoting), so exports and bulk
// uploads share one tested parser instead of hand-written splitting.
import { csvFormatRows, csvParseRows } from "d3-dsv";

type Cell = string | number | boolean | null | undefined;

/**
 * Cells that a spreadsheet would run as a formula are prefixed with a quote
 * (OWASP "CSV injection"), since exports are opened in Excel.
 */
const neutralize = (value: Cell) => {
  const text = value === null || value === undefined ? "" : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
};

export const toCsv = (header: string[], rows: Cell[][]) => csvFormatRows([header, ...rows.map((r) => r.map(neutralize))]) + "\r\n";

/** Parses CSV text into rows of trimmed cells, dropping empty lines. */
export const parseCsvRows = (text: string): string[][] =>
  csvParseRows(text.replace(/^\uFEFF/, ""))
    .map((row) => row.map((cell) => cell.trim()))
    .filter((row) => row.some((cell) => cell !== ""));

export function csvResponse(csv: string, filename: string): Response {
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename.replace(/[^\w.-]/g, "_")}"`,
      "Cache-Control": "no-store",
    },
  });
}
