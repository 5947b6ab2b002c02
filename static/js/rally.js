// Rally's own script: small behaviour that must not live in inline attributes, which the
// Content-Security-Policy forbids (no 'unsafe-inline', no 'unsafe-eval').
//
// data-htmx-swap-status="409 422" on an element (or an ancestor of the element that sends an
// htmx request): answers with those status codes carry a fragment to show in place (a refusal
// with its reason), so htmx swaps them instead of treating them as errors. base.html puts
// "409 422" on <body>: every refusal Rally answers to an htmx request is such a fragment.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.target;
    if (!target || typeof target.closest !== "function") {
      return;
    }
    var holder = target.closest("[data-htmx-swap-status]");
    if (!holder) {
      return;
    }
    var status = String(event.detail.xhr.status);
    var wanted = holder.getAttribute("data-htmx-swap-status").split(/\s+/);
    if (wanted.indexOf(status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
