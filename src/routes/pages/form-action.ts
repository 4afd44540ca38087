// The one shape of every page form post: validate, call the service, and on
// an expected failure render the same form again with the values typed and the
// errors next to their fields (status 422, 401, 429 … as the API would answer).
import type { Context } from "hono";
import type * as z from "../../lib/zod";
import { AppError, type FieldErrors } from "../../lib/errors";
import { readForm, type FormValues } from "../../lib/validate";

export interface FormState {
  values: FormValues;
  errors?: FieldErrors;
  message?: string;
}

export async function formAction<T extends z.ZodMiniType>(
  c: Context,
  options: {
    schema: T;
    shape?: (values: FormValues) => unknown;
    run: (data: z.infer<T>, values: FormValues) => Promise<Response>;
    render: (state: FormState) => Response | Promise<Response>;
  },
): Promise<Response> {
  const form = await readForm(c, options.schema, options.shape);
  if (!form.ok) {
    c.status(422);
    return options.render({ values: form.values, errors: form.fields });
  }
  try {
    return await options.run(form.data, form.values);
  } catch (e) {
    if (!(e instanceof AppError) || e.status >= 500) throw e;
    c.status(e.status as 400);
    if (e.retryAfter) c.header("Retry-After", String(e.retryAfter));
    return options.render(e.fields ? { values: form.values, errors: e.fields } : { values: form.values, message: e.message });
  }
}

/** Checkbox fields arrive as "on" or not at all. */
export const checkbox = (value: string | undefined) => value === "on";
