// F-46: the mail to the address of a removed account.
import { compose } from "./templates";

export const accountDeletedMail = (p: { appName: string; name: string; orgName: string }) =>
  compose(`Your ${p.appName} account was removed`, [
    `Hello ${p.name},`,
    `Your ${p.appName} partner portal account with ${p.orgName} was removed, together with its analytics access, permissions and API tokens. You can no longer sign in with it.`,
    "If you think this is a mistake, ask a Partner Manager of your organization to invite you again.",
  ]);
