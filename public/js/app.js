// Progressive enhancement only; every form also works without JavaScript.
// Destructive forms carry data-confirm; ask before they are sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
document.addEventListener("htmx:confirm", (event) => {
  const form = event.target.closest && event.target.closest("form[data-confirm]");
  if (!form) return;
  event.preventDefault();
  if (window.confirm(form.dataset.confirm)) event.detail.issueRequest(true);
});

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
});

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
