// The Print button of Rally's print pages (badges, run sheets, the disclosure card). The button
// is hidden in the markup and shown here, so a browser without JavaScript sees only the hint to
// use its own Print command. No inline handler: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();
