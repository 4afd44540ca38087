// The app's own route table, as Hono registered it: the walk tests (audit
// coverage, error contract, request budgets) take their list of routes from
// here, so a route added tomorrow is covered or fails the walk.
import { createApp } from "../../src/app";

export interface RouteEntry {
  method: string;
  /** Hono's pattern, e.g. "/api/v1/users/:id/role". */
  path: string;
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function registered(): RouteEntry[] {
  const seen = new Set<string>();
  const out: RouteEntry[] = [];
  // Middleware registered with .use() shows up as method "ALL"; only handlers count.
  for (const r of createApp().routes) {
    if (r.method === "ALL") continue;
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ method: r.method, path: r.path });
  }
  return out;
}

export const routeKey = (r: RouteEntry) => `${r.method} ${r.path}`;

/** Every POST/PUT/PATCH/DELETE route, API and pages alike. */
export const stateChangingRoutes = (): RouteEntry[] => registered().filter((r) => STATE_CHANGING.has(r.method));

export const isApiRoute = (r: RouteEntry) => r.path.startsWith("/api/");

/** Every GET route. */
export const readRoutes = (): RouteEntry[] => registered().filter((r) => r.method === "GET");
