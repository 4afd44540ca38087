// Paged lists: one shape for the query parameters and the answer's `page`.
import * as z from "./zod";

/** `page` and `pageSize` query parameters; `size` is the default page size. */
export const pageFields = ({ size, max = 100 }: { size: number; max?: number }) => ({
  page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
  pageSize: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), size),
});

export interface PageInput {
  page: number;
  pageSize: number;
}

/** Rows to skip for the requested page. */
export const pageOffset = (input: PageInput) => (input.page - 1) * input.pageSize;

/** The answer's `page`: which one, its size, and how many items match in all. */
export const pageOf = (input: PageInput, total: { n: number } | undefined) => ({ number: input.page, size: input.pageSize, total: total?.n ?? 0 });
