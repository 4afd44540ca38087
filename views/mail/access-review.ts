// F-93: the mails to an organization's Partner Managers when the quarterly
// access review starts and when it is still open after a week. Composed once
// with slots (services/sql-mail.ts) and filled per organization in SQL.
import { compose } from "./templates";

export const accessReviewStartedMail = (p: { appName: string; orgName: string; dueOn: string; url: string }) =>
  compose(
    `Quarterly access review for ${p.orgName}`,
    [
      "Hello,",
      `It is time for the quarterly access review of ${p.orgName} on the ${p.appName} partner portal.`,
      "Go through every user of the organization once: their role, Purchaser (P), Analytics Access (AA), Analytics Administrator (AAA) and partner access. Confirm what is right, change or deactivate what is not, then complete the review.",
      `Please complete it by ${p.dueOn}.`,
      "You receive this as a Partner Manager of the organization.",
    ],
    { label: "Open the access review", url: p.url },
  );

export const accessReviewReminderMail = (p: { appName: string; orgName: string; pending: string; dueOn: string; url: string }) =>
  compose(
    `Reminder: access review for ${p.orgName} is still open`,
    [
      "Hello,",
      `The access review of ${p.orgName} on the ${p.appName} partner portal is still open: ${p.pending} user(s) still need a decision.`,
      `Please complete it by ${p.dueOn}.`,
      "You receive this as a Partner Manager of the organization.",
    ],
    { label: "Open the access review", url: p.url },
  );
