// The development mailbox (F-10): what Resend would have sent, newest first.
import { DateTime, Notice } from "./components";

interface Mail {
  id: string;
  to: string;
  subject: string;
  text: string;
  status: string;
  createdAt: number;
}

const linkify = (text: string) =>
  text.split(/(https?:\/\/[^\s]+)/g).map((part) => (/^https?:\/\//.test(part) ? <a href={part}>{part}</a> : part));

export function DevMailPage(p: { messages: Mail[] }) {
  return (
    <>
      <h1>Development mailbox</h1>
      <Notice>No RESEND_API_KEY is set, so mail stays here. This page does not exist in production.</Notice>
      {p.messages.length === 0 && <p class="muted">No mail yet. Onboard an organization to send an invitation.</p>}
      {p.messages.map((m) => (
        <article class="card" id={`mail-${m.id}`}>
          <h2>{m.subject}</h2>
          <p class="muted">
            To {m.to} · <DateTime at={m.createdAt} /> · {m.status}
          </p>
          <pre class="mail">{linkify(m.text)}</pre>
        </article>
      ))}
    </>
  );
}
