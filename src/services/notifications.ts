// F-91 security notifications: a mail to the account holder, queued in the
// batch of the change it reports.
import { sql, type SQL } from "drizzle-orm";
import { users } from "../db/schema";
import type { Deps } from "../deps";
import { securityNoticeMail, type SecurityNotice } from "../../views/mail/templates";
import { mailInsert, outboxInsertSelect } from "./outbox";
import { filledMail, slot } from "./sql-mail";

export function securityNoticeInsert(deps: Deps, user: { email: string; name: string }, notice: SecurityNotice, detail?: string, id?: string) {
  const { appName, origin } = deps.config;
  return mailInsert(deps, user.email, securityNoticeMail({ appName, name: user.name, notice, detail, origin }), id);
}

/**
 * The same notice to the account `where` (SQL over users) finds, its address
 * and name read inside the batch, so the change needs no read first. `detail`
 * may hold slots, filled by `values` (before the name).
 */
export function securityNoticeInsertWhere(
  deps: Deps,
  where: SQL,
  notice: SecurityNotice,
  detail?: { text: string; values?: [name: string, value: SQL][] },
  id?: string,
) {
  const { appName, origin } = deps.config;
  const mail = securityNoticeMail({ appName, name: slot("name"), notice, detail: detail?.text, origin });
  const values: [string, SQL][] = [...(detail?.values ?? []), ["name", sql`${users.name}`]];
  return outboxInsertSelect(deps, { id, to: sql`${users.email}`, ...filledMail(mail, values) }, sql`FROM ${users} WHERE ${where}`);
}
