// Progressive enhancement only; every form also works without JavaScript.
// Destructive forms carry data-confirm; ask before they are sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
// htmx asks itself when the element has hx-confirm (views/components.tsx hxPost);
// this covers an htmx element without it inside a form that has data-confirm.
document.addEventListener("htmx:confirm", (event) => {
  if (event.detail.question) return;
  const form = event.target.closest && event.target.closest("form[data-confirm]");
  if (!form) return;
  event.preventDefault();
  if (window.confirm(form.dataset.confirm)) event.detail.issueRequest(true);
});

/** Shows `message` in the page's flash area (views/layout.tsx), as an alert. */
function flashError(message) {
  let flash = document.getElementById("flash");
  if (!flash) {
    flash = document.createElement("div");
    flash.id = "flash";
    flash.className = "flash";
    document.querySelector("main")?.prepend(flash);
  }
  const notice = document.createElement("div");
  notice.className = "notice error";
  notice.setAttribute("role", "alert");
  notice.textContent = message;
  flash.replaceChildren(notice);
  addDismiss(notice);
}

// A refused htmx request (403, 404, 409 …) swaps nothing; show the server's
// message instead of failing silently. Text only, never the response's markup.
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let message = "The request failed. Reload the page and try again.";
  if (xhr && xhr.responseText) {
    const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const alert = doc.querySelector("[role=alert], .notice");
    const text = (alert || doc.body).textContent.trim();
    if (text) message = text.slice(0, 300);
  }
  flashError(message);
});
document.addEventListener("htmx:sendError", () => flashError("The portal could not be reached. Check your connection and try again."));

// The handout's Print button (inline handlers are not allowed by the CSP).
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) window.print();
});
// A refused row action (409 …) answers with the row itself, the reason inside it,
// marked X-Swap-Error: row. Swap it in instead of dropping the answer.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.getResponseHeader("X-Swap-Error") === "row") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Dates: the server writes UTC (views/components.tsx DateTime); show them in
// the reader's own locale and time zone.
// The day and the time stay two spans (see DateTime), each kept whole.
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const clockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
function span(text) {
  const el = document.createElement("span");
  el.textContent = text;
  return el;
}
function localizeDates(root) {
  for (const time of root.querySelectorAll("time[data-local=datetime]")) {
    const at = new Date(time.dateTime);
    if (!Number.isNaN(at.getTime())) time.replaceChildren(span(dayFormat.format(at)), " ", span(clockFormat.format(at)));
  }
}

// The outcome an htmx action swapped in (RowMessage and other role=status
// text) is read out through the page's live region, which exists from the
// start: a live region that arrives with the new content is often not
// announced. Alerts (role=alert) are announced by themselves.
let announceTimer;
function announce(root) {
  const region = document.getElementById("announce");
  if (!region) return;
  const statuses = [...(root.matches("[role=status]") ? [root] : []), ...root.querySelectorAll("[role=status]")].filter((el) => el !== region);
  const text = statuses.map((el) => el.textContent.trim()).filter(Boolean).join(" ");
  if (!text) return;
  // Emptied first so the same message twice in a row is read twice.
  region.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => (region.textContent = text), 50);
}

// Flash messages keep until the reader closes them (no timer: WCAG 2.2.1).
function addDismiss(notice) {
  if (notice.querySelector(".dismiss")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "dismiss link";
  button.setAttribute("aria-label", "Dismiss message");
  button.textContent = "×";
  button.addEventListener("click", () => notice.remove());
  notice.append(button);
}

// A form that came back with errors (422): the cursor goes to the first field
// to fix, whose error message is read with it (aria-describedby).
function focusFirstInvalid(root) {
  const field = root.querySelector("[aria-invalid=true]");
  if (field instanceof HTMLElement) field.focus();
}

document.addEventListener("htmx:load", (event) => {
  const elt = event.detail.elt;
  if (!(elt instanceof Element)) return;
  localizeDates(elt);
  if (elt === document.body) return;
  announce(elt);
  focusFirstInvalid(elt);
});
document.addEventListener("DOMContentLoaded", () => {
  localizeDates(document);
  for (const notice of document.querySelectorAll("#flash .notice")) addDismiss(notice);
  const main = document.querySelector("main");
  if (main) focusFirstInvalid(main);
});

// Assistive technology hears that an element is waiting for the server.
document.addEventListener("htmx:beforeRequest", (event) => event.detail.elt.setAttribute("aria-busy", "true"));
document.addEventListener("htmx:afterRequest", (event) => event.detail.elt.removeAttribute("aria-busy"));

// Two-factor enrollment: draw the authenticator link as a QR code. uqr is a
// static asset the page names, so the Worker does not carry it; without
// JavaScript the key printed under the code is entered by hand.
for (const box of document.querySelectorAll("[data-otpauth][data-qr-module]")) {
  import(box.dataset.qrModule)
    .then(({ renderSVG }) => {
      box.innerHTML = renderSVG(box.dataset.otpauth, { border: 1 });
    })
    .catch(() => box.remove());
}
