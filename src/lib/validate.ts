// zod at the edge of every route: JSON bodies and queries answer 422 with
// field errors (api.md); forms return their errors and the values typed, so a
// page can show them next to the fields and lose nothing.
import { zValidator } from "@hono/zod-validator";
import type { Context } from "hono";
import type * as z from "./zod";
import { AppError, validationError, type FieldErrors } from "./errors";

export function fieldsFromZod(error: z.core.$ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "body";
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) fields[[...issue.path, k].join(".")] ??= "This field is not accepted.";
      continue;
    }
    fields[key] ??= issue.message;
  }
  return fields;
}

const hook = (result: { success: boolean }) => {
  if (!result.success) throw validationError(fieldsFromZod((result as unknown as { error: z.core.$ZodError }).error));
};

/** The media types the JSON validator reads; with any other it would validate `{}` in place of the body sent. */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

export const jsonBody = <T extends z.ZodMiniType>(schema: T) => {
  const validate = zValidator("json", schema, hook);
  return (async (c, next) => {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send JSON with Content-Type: application/json.");
    return validate(c, next);
  }) as typeof validate;
};
export const queryParams = <T extends z.ZodMiniType>(schema: T) => zValidator("query", schema, hook);

export type FormValues = Record<string, string>;
export type FormResult<T> = { ok: true; data: T; values: FormValues } | { ok: false; fields: FieldErrors; values: FormValues };

/**
 * Reads a urlencoded or multipart form into plain strings (the CSRF field
 * removed), lets `shape` map it to the schema's input (checkboxes, nesting),
 * and validates.
 */
export async function readForm<T extends z.ZodMiniType>(
  c: Context,
  schema: T,
  shape: (values: FormValues) => unknown = (v) => v,
): Promise<FormResult<z.infer<T>>> {
  const body = await c.req.parseBody();
  const values: FormValues = {};
  for (const [k, v] of Object.entries(body)) if (k !== "_csrf" && typeof v === "string") values[k] = v;
  const result = schema.safeParse(shape(values));
  return result.success ? { ok: true, data: result.data, values } : { ok: false, fields: fieldsFromZod(result.error), values };
}
