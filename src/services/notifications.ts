// F-91 security notifications: a mail to the account holder, queued in the
// batch of the change it reports.
import type { Deps } from "../deps";
import { securityNoticeMail, type SecurityNotice } from "../../views/mail/templates";
import { mailInsert } from "./outbox";

export function securityNoticeInsert(deps: Deps, user: { email: string; name: string }, notice: SecurityNotice, detail?: string, id?: string) {
  const { appName, origin } = deps.config;
  return mailInsert(deps, user.email, securityNoticeMail({ appName, name: user.name, notice, detail, origin }), id);
}
