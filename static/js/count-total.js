// The count form's total as the counter types: each denomination row's amount (quantity x
// the unit value in cents, from the input's data-unit-cents), the checks, and the total.
// Whole cents only (integers; no floating-point money). The server works everything out
// again when the count is saved; without JavaScript the "Work out the total" button does it.
// Enter in a field moves to the next one instead of sending the form (a tablet's "Go" key
// must never save half a count). No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-count-form]");
  if (!form) {
    return;
  }
  var QUANTITY = /^\d{1,6}$/;
  var AMOUNT = /^\$?(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d{0,2}))?$/;
  var MAX_QUANTITY = 100000;
  var MAX_CENTS = 1000000000;

  function quantity(text) {
    text = String(text || "").trim();
    if (text === "") {
      return 0;
    }
    if (!QUANTITY.test(text)) {
      return null;
    }
    var value = parseInt(text, 10);
    return value > MAX_QUANTITY ? null : value;
  }

  function cents(text) {
    text = String(text || "").replace(/\s/g, "");
    if (text === "") {
      return 0;
    }
    var match = text.match(AMOUNT);
    if (!match || (match[1] === undefined && !match[2])) {
      return null;
    }
    var whole = parseInt((match[1] || "0").replace(/,/g, ""), 10);
    var frac = parseInt(((match[2] || "") + "00").slice(0, 2), 10);
    var value = whole * 100 + frac;
    return value > MAX_CENTS ? null : value;
  }

  function money(value) {
    var sign = value < 0 ? "-" : "";
    value = Math.abs(value);
    var whole = Math.floor(value / 100);
    var frac = value % 100;
    var grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + "$" + grouped + "." + (frac < 10 ? "0" : "") + frac;
  }

  function show(output, value) {
    if (!output) {
      return;
    }
    output.textContent = value === null ? "?" : money(value);
    output.classList.toggle("count-unsure", value === null);
  }

  function update() {
    var cash = 0;
    form.querySelectorAll("input[data-unit-cents]").forEach(function (input) {
      var n = quantity(input.value);
      var unit = parseInt(input.getAttribute("data-unit-cents"), 10);
      var line = n === null ? null : n * unit;
      show(form.querySelector('output[data-line-for="' + input.name + '"]'), line);
      cash = (cash === null || line === null) ? null : cash + line;
    });
    var checks = 0;
    form.querySelectorAll("input[data-check-amount]").forEach(function (input) {
      var amount = cents(input.value);
      checks = (checks === null || amount === null) ? null : checks + amount;
    });
    show(document.getElementById("count-cash"), cash);
    show(document.getElementById("count-checks"), checks);
    var total = (cash === null || checks === null) ? null : cash + checks;
    var totalOutput = document.getElementById("count-total");
    show(totalOutput, total);
    if (total === null && totalOutput) {
      totalOutput.textContent = "? " + (form.getAttribute("data-incomplete") || "");
    }
  }

  // Enter moves on to the next field, like a spreadsheet; it never sends the form.
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target.tagName !== "INPUT" || target.type === "checkbox") {
      return;
    }
    event.preventDefault();
    var fields = Array.prototype.filter.call(
      form.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), textarea"),
      function (field) { return !field.disabled && field.offsetParent !== null; }
    );
    var next = fields[fields.indexOf(target) + 1];
    if (next) {
      next.focus();
      if (typeof next.select === "function") {
        next.select();
      }
    }
  });

  // After a refused save, start at the first field that needs fixing.
  var wrong = form.querySelector('[aria-invalid="true"]');
  if (wrong) {
    wrong.scrollIntoView({ block: "center" });
    wrong.focus({ preventScroll: true });
  }

  form.addEventListener("input", update);
  form.querySelectorAll("[data-work-out]").forEach(function (button) {
    button.hidden = true;
  });
  update();
})();
