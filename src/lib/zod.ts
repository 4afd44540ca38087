// Every schema is built with zod/mini, imported from here. Classic zod's
// schema classes carry all their methods and the JSON-Schema converter, which
// a bundler cannot drop (60 KiB of the Worker, 16 KiB gzip, against issue 9's
// 200 KiB gzip budget); mini's functions leave only what the schemas use.
// Parsing, checks and messages are the same core. Classic installs the English
// messages when it is imported; mini leaves that to us.
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());

// Imported as a namespace (`import * as z`), so that the bundler keeps only the
// functions a schema calls; re-exporting `z` as one object would keep them all.
export * from "zod/mini";

/**
 * A filter or form field that may be left empty: blank, or only spaces, counts
 * as absent (classic's `z.preprocess`, which mini builds as a pipe).
 */
export const blankable = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.transform((value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value)),
    z.optional(schema),
  );

/** Classic's `ctx.addIssue` inside `z.transform`, which mini's context lacks: the value fails with `message`. */
export function addIssue(ctx: z.core.ParsePayload, message: string, path?: PropertyKey[]) {
  ctx.issues.push({ code: "custom", message, input: ctx.value, ...(path && { path }) });
}
