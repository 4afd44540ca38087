// D1 keeps times as epoch milliseconds; the API and the pages show them as
// ISO-8601 UTC strings (api.md).

/** An epoch-milliseconds value as an ISO-8601 UTC string; null (never, not set) stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null | undefined): string | null;
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
