// F-09: after sign-in, `next` may only lead to a path on the portal's own origin.
export function safeNextPath(next: string | null | undefined, origin: string, fallback = "/"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  // Browsers treat tabs/newlines and backslashes leniently; resolve it the way they would and compare origins.
  try {
    const url = new URL(next, origin);
    if (url.origin !== origin) return fallback;
    return url.pathname + url.search + url.hash;
  } catch {
    return fallback;
  }
}
