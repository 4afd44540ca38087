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
