// Mail transport behind an interface: Resend's batch endpoint in production,
// the development mailbox (the outbox table itself, read at /dev/mail) otherwise.

export interface OutgoingMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Per mail, in the order sent: the provider's id, or why the provider refused that one mail (final). */
export type MailOutcome = { ok: true; providerId: string } | { ok: false; error: string };

/** The whole batch failed and may be retried as it is (network, 5xx, 429, bad key). */
export class MailTransportError extends Error {
  constructor(
    message: string,
    /** Seconds the provider asked us to wait (429 Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "MailTransportError";
  }
}

export interface Mailer {
  readonly name: "resend" | "dev-mailbox" | "none";
  /** The most mails one call takes. */
  readonly maxBatch: number;
  /** Calls per second the provider allows; 0 = no limit. */
  readonly ratePerSecond: number;
  /**
   * Sends up to maxBatch mails in one call. The same key with the same mails
   * is answered from the provider's record instead of sending again.
   */
  sendBatch(mails: OutgoingMail[], idempotencyKey: string): Promise<MailOutcome[]>;
}

/** Resend's documented default rate limit (requests per second per team); override with MAIL_RATE_PER_SECOND. */
export const RESEND_DEFAULT_RATE = 2;

const RESEND_BATCH_URL = "https://api.resend.com/emails/batch";

/**
 * Resend's batch endpoint, called with fetch. The official SDK is not used:
 * it bundles its inbound-mail parser (postal-mime), over 100 KiB minified,
 * into every Worker for the one POST this needs (issue 9's bundle budget).
 */
export function resendMailer(apiKey: string, from: string, ratePerSecond = RESEND_DEFAULT_RATE): Mailer {
  return {
    name: "resend",
    maxBatch: 100,
    ratePerSecond,
    async sendBatch(mails, idempotencyKey) {
      let res: Response;
      try {
        res = await fetch(RESEND_BATCH_URL, {
          method: "POST",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            "idempotency-key": idempotencyKey,
            // Permissive: one bad address is refused on its own instead of failing the other 99.
            "x-batch-validation": "permissive",
          },
          body: JSON.stringify(mails.map((m) => ({ from, to: m.to, subject: m.subject, text: m.text, html: m.html }))),
        });
      } catch (e) {
        throw new MailTransportError(`Resend could not be reached: ${String((e as Error)?.message ?? e)}`);
      }
      const body = (await res.json().catch(() => null)) as ResendBatchAnswer | ResendError | null;
      if (!res.ok || !body || !("data" in body)) {
        const err = body && "name" in body ? body : null;
        const retryAfter = Number(res.headers.get("retry-after"));
        throw new MailTransportError(
          `Resend refused the batch (${res.status}): ${err?.name ?? "unreadable answer"}: ${err?.message ?? ""}`,
          res.status === 429 ? (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) : undefined,
        );
      }
      const refused = new Map((body.errors ?? []).map((e) => [e.index, e.message]));
      // Resend lists the created emails in order, skipping the refused ones.
      const ids = body.data.map((d) => d.id);
      return mails.map((_, i): MailOutcome => (refused.has(i) ? { ok: false, error: refused.get(i)! } : { ok: true, providerId: ids.shift() ?? "" }));
    },
  };
}

interface ResendBatchAnswer {
  data: { id: string }[];
  errors?: { index: number; message: string }[];
}
interface ResendError {
  name: string;
  message: string;
}

/** Development: the outbox row is the delivered mail, so "sending" only marks it. */
export const devMailbox: Mailer = {
  name: "dev-mailbox",
  maxBatch: 100,
  ratePerSecond: 0,
  sendBatch: async (mails) => mails.map((m) => ({ ok: true, providerId: `dev-${m.id}` })),
};

/** Production without RESEND_API_KEY: nothing is sent, rows stay pending for a later run. */
export const noMailer: Mailer = {
  name: "none",
  maxBatch: 100,
  ratePerSecond: 0,
  sendBatch: async () => {
    throw new MailTransportError("RESEND_API_KEY is not set");
  },
};
