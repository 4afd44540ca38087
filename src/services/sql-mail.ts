// Set-based mail: a template is composed once with placeholder markers, then
// INSERT … SELECT fills it per row with SQL replace(), so mailing 10,000
// accounts costs one statement instead of one per recipient.
import { sql, type SQL } from "drizzle-orm";
import type { MailContent } from "../../views/mail/templates";

/** The marker a template carries where a per-row value goes. */
export const slot = (name: string) => `%%PORTICO_${name.toUpperCase()}%%`;

/** The SQL equivalent of hono/html's escaping, for text filled into an HTML body. */
export const htmlEscaped = (expr: SQL) =>
  sql`replace(replace(replace(replace(replace(${expr}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')`;

/**
 * The template's subject, text and HTML with every slot replaced by its SQL
 * value (HTML-escaped in the HTML body). Values are filled in the order
 * given: put values people typed (names) last, so one cannot inject a slot.
 */
export function filledMail(template: MailContent, values: [name: string, value: SQL][]): { subject: SQL; text: SQL; html: SQL } {
  const fill = (text: string, escape: boolean) =>
    values.reduce<SQL>((acc, [name, value]) => sql`replace(${acc}, ${slot(name)}, ${escape ? htmlEscaped(value) : value})`, sql`${text}`);
  return { subject: fill(template.subject, false), text: fill(template.text, false), html: fill(template.html, true) };
}
