// CSV in and out through d3-dsv (RFC 4180 quoting), so exports and bulk
// uploads share one tested parser instead of hand-written splitting.
import { csvFormatRow, csvParseRows } from "d3-dsv";

type Cell = string | number | boolean | null | undefined;

/**
 * Cells that a spreadsheet would run as a formula are prefixed with a quote
 * (OWASP "CSV injection"), since exports are opened in Excel.
 */
export const neutralize = (value: Cell) => {
  const text = value === null || value === undefined ? "" : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
};

/** RFC 4180: every record, the last one included, ends with CRLF. */
export const toCsv = (header: string[], rows: Cell[][]) => csvFormatRow(header) + "\r\n" + toCsvRows(rows);

/** Records only, no header: the chunks of a streamed export after its first. */
export const toCsvRows = (rows: Cell[][]) => rows.map((r) => csvFormatRow(r.map(neutralize)) + "\r\n").join("");

/** A CSV download: the whole text, or a stream of it (exports with no row limit, F-50). */
export function csvResponse(csv: string | ReadableStream<Uint8Array>, filename: string): Response {
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename.replace(/[^\w.-]/g, "_")}"`,
      "Cache-Control": "no-store",
    },
  });
}

/**
 * Like parseCsvRows, but keeps each record's 1-based position in the file, so
 * a report can name the line (blank lines count, as an editor shows them).
 */
export const parseCsvRecords = (text: string): { line: number; cells: string[] }[] =>
  csvParseRows(text.replace(/^\uFEFF/, ""))
    .map((row, i) => ({ line: i + 1, cells: row.map((cell) => cell.trim()) }))
    .filter((r) => r.cells.some((cell) => cell !== ""));
