// Reading rendered pages the way the UI checks need (issue 8): elements and
// their attributes, found with the Workers runtime's own HTML parser
// (HTMLRewriter), so the tests assert on the markup a browser gets.
import { expect } from "vitest";
import { page } from "./portal";

export interface FoundElement {
  tag: string;
  attrs: Record<string, string>;
  /** The element's text (direct and nested), whitespace collapsed. */
  text: string;
}

/** Elements that never have content (and so no end tag to wait for). */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);

/** Every element matching `selector` in `html`, in document order. */
export async function elements(html: string, selector: string): Promise<FoundElement[]> {
  const found: FoundElement[] = [];
  // Elements still open, innermost last: text belongs to each of them.
  const open: FoundElement[] = [];
  await new HTMLRewriter()
    .on(selector, {
      element(el) {
        const item: FoundElement = { tag: el.tagName, attrs: Object.fromEntries(el.attributes), text: "" };
        found.push(item);
        if (VOID.has(el.tagName)) return;
        try {
          el.onEndTag(() => {
            open.splice(open.indexOf(item), 1);
          });
          open.push(item);
        } catch {
          // A self-closing element (<path/> in an SVG) has no end tag, and no text.
        }
      },
    })
    .onDocument({
      // Every text chunk of the document once; it belongs to each element still open around it.
      text(chunk) {
        for (const item of open) item.text += chunk.text;
      },
    })
    .transform(new Response(html))
    .text();
  for (const item of found) item.text = item.text.replace(/\s+/g, " ").trim();
  return found;
}

/** GET a page with the session cookie, expecting 200, and return its HTML. */
export async function pageHtml(path: string, cookie: string): Promise<string> {
  const res = await page(path, cookie);
  expect(res.status, `GET ${path}`).toBe(200);
  return res.text();
}

const HX_VERBS = ["hx-post", "hx-put", "hx-patch", "hx-delete"] as const;

/** Elements that send a state-changing htmx request. */
export const hxActions = (html: string) => elements(html, HX_VERBS.map((v) => `[${v}]`).join(", "));

export const hxPath = (el: FoundElement) => HX_VERBS.map((v) => el.attrs[v]).find(Boolean) ?? "";

/**
 * Each htmx action with the form around it (its action, or null when there
 * is none): without JavaScript that form is what the button submits.
 */
export async function hxActionsInForms(html: string): Promise<{ path: string; tag: string; type?: string; form: string | null }[]> {
  const found: { path: string; tag: string; type?: string; form: string | null }[] = [];
  const forms: string[] = [];
  await new HTMLRewriter()
    .on("form", {
      element(el) {
        forms.push(el.getAttribute("action") ?? "");
        el.onEndTag(() => {
          forms.pop();
        });
      },
    })
    .on(HX_VERBS.map((v) => `[${v}]`).join(", "), {
      element(el) {
        const path = HX_VERBS.map((v) => el.getAttribute(v)).find(Boolean) ?? "";
        found.push({ path, tag: el.tagName, type: el.getAttribute("type") ?? undefined, form: forms.at(-1) ?? null });
      },
    })
    .transform(new Response(html))
    .text();
  return found;
}

/**
 * Each htmx action with the hx-target and hx-swap htmx uses for it: its own,
 * or else inherited from the nearest element around it that has one (a
 * `swapRows` table body). Null where neither says.
 */
export async function hxActionTargets(html: string): Promise<{ path: string; target: string | null; swap: string | null }[]> {
  const found: { path: string; target: string | null; swap: string | null }[] = [];
  const around: { target: string | null; swap: string | null }[] = [];
  const rewriter = new HTMLRewriter()
    .on(HX_VERBS.map((v) => `[${v}]`).join(", "), {
      element(el) {
        const nearest = (name: "target" | "swap") => [...around].reverse().find((a) => a[name] !== null)?.[name] ?? null;
        found.push({
          path: HX_VERBS.map((v) => el.getAttribute(v)).find(Boolean) ?? "",
          target: el.getAttribute("hx-target") ?? nearest("target"),
          swap: el.getAttribute("hx-swap") ?? nearest("swap"),
        });
      },
    })
    .on("[hx-target], [hx-swap]", {
      element(el) {
        if (HX_VERBS.some((v) => el.hasAttribute(v))) return; // the action itself, read above
        const entry = { target: el.getAttribute("hx-target"), swap: el.getAttribute("hx-swap") };
        around.push(entry);
        el.onEndTag(() => {
          around.splice(around.indexOf(entry), 1);
        });
      },
    });
  await rewriter.transform(new Response(html)).text();
  return found;
}

/**
 * Form controls a person fills in, and whether each has an accessible name:
 * a <label for>, aria-label or aria-labelledby. Hidden inputs, `hidden`
 * fields (the username hint for password managers) and buttons are not asked.
 */
export async function unlabelledControls(html: string): Promise<string[]> {
  const labels = new Set((await elements(html, "label[for]")).map((l) => l.attrs.for));
  const controls = await elements(html, "input, select, textarea");
  return controls
    .filter((c) => !["hidden", "submit", "button", "reset"].includes(c.attrs.type ?? "") && !("hidden" in c.attrs))
    .filter((c) => !(c.attrs.id && labels.has(c.attrs.id)) && !c.attrs["aria-label"] && !c.attrs["aria-labelledby"])
    .map((c) => `<${c.tag} name="${c.attrs.name ?? ""}" id="${c.attrs.id ?? ""}">`);
}

/** Ids used more than once (a duplicate breaks <label for> and aria-describedby). */
export async function duplicateIds(html: string): Promise<string[]> {
  const seen = new Map<string, number>();
  for (const el of await elements(html, "[id]")) seen.set(el.attrs.id!, (seen.get(el.attrs.id!) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}
