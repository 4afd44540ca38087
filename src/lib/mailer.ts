// Mail transport behind an interface: Resend in production, the development
// mailbox (the outbox table itself, read at /dev/mail) otherwise.
import { Resend } from "resend";

export interface OutgoingMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  readonly name: "resend" | "dev-mailbox" | "none";
  /** Resolves with the provider's message id; rejects when delivery failed. */
  send(mail: OutgoingMail): Promise<string>;
}

export function resendMailer(apiKey: string, from: string): Mailer {
  const client = new Resend(apiKey);
  return {
    name: "resend",
    async send(mail) {
      const { data, error } = await client.emails.send(
        { from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html },
        // The outbox id as idempotency key: a retry after a lost response is not sent twice.
        { idempotencyKey: `outbox-${mail.id}` },
      );
      if (error || !data) throw new Error(`Resend refused the mail: ${error?.name ?? "no data"}: ${error?.message ?? ""}`);
      return data.id;
    },
  };
}

/** Development: the outbox row is the delivered mail, so "sending" only marks it. */
export const devMailbox: Mailer = { name: "dev-mailbox", send: async (mail) => `dev-${mail.id}` };

/** Production without RESEND_API_KEY: nothing is sent, rows stay pending for a later run. */
export const noMailer: Mailer = {
  name: "none",
  send: async () => {
    throw new Error("RESEND_API_KEY is not set");
  },
};
