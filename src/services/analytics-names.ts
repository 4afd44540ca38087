// The name rule of sites, meta sites, segments and tags. A module of its own so
// those services share it without importing one another: analytics-sites
// imports analytics-tags, so a schema analytics-tags took from analytics-sites
// would be read before it exists whenever analytics-sites loads first.
import * as z from "../lib/zod";

export const analyticsName = z
  .string({ error: "Enter a name." })
  .check(z.trim(), z.minLength(1, "Enter a name."), z.maxLength(120, "Use at most 120 characters."));
