// How an error reaches a person: a page, or a fragment for htmx.
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { Notice } from "../../../views/components";

const TITLES: Record<number, string> = { 400: "Bad request", 401: "Please sign in", 403: "Not allowed", 404: "Page not found", 409: "Conflict", 415: "Unsupported request", 422: "Please check the form", 429: "Too many attempts", 500: "Something went wrong" };

export function renderErrorPage(c: Context<AppEnv>, status: number, message: string) {
  c.status(status as 400);
  if (c.req.header("hx-request")) return c.html(<Notice kind="error">{message}</Notice>);
  const title = TITLES[status] ?? "Error";
  return c.render(
    <>
      <h1>{title}</h1>
      <Notice kind="error">{message}</Notice>
      <p>
        <a href="/">Go to the start page</a>
      </p>
    </>,
    { title, narrow: true },
  );
}

