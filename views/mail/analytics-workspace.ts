// F-42…F-44: the user whose analytics rights changed hears it, one mail per change.
import { compose } from "./templates";

/** A level on a site/app or a meta site/app changed (labels as the permission tables show them). */
export const analyticsLevelChangedMail = (p: {
  appName: string;
  name: string;
  what: "site/app" | "meta site/app";
  targetName: string;
  before: string;
  after: string;
  changedBy: string;
  url: string;
}) =>
  compose(
    `Your access to the ${p.what} ${p.targetName} changed`,
    [
      `Hello ${p.name},`,
      `${p.changedBy} changed your permission on the ${p.what} ${p.targetName} in ${p.appName} Analytics from ${p.before} to ${p.after}.`,
      p.after === "No access" ? "You can no longer open it." : "The new level applies from your next page load.",
    ],
    { label: "Open Analytics", url: p.url },
  );

/** F-44: module permissions changed; each changed module is named with its old and new level. */
export const analyticsModulesChangedMail = (p: {
  appName: string;
  name: string;
  changes: { module: string; before: string; after: string }[];
  changedBy: string;
  url: string;
}) =>
  compose(
    `Your ${p.appName} Analytics module permissions changed`,
    [
      `Hello ${p.name},`,
      `${p.changedBy} changed your module permissions in ${p.appName} Analytics:`,
      ...p.changes.map((c) => `${c.module}: ${c.before} → ${c.after}`),
    ],
    { label: "See your module permissions", url: p.url },
  );
