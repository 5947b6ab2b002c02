/* Deposit pages: the ticked buckets' total against the slip's total, as the treasurer ticks
   and types. The server adds up again on "Add up" and on saving; this only saves a click. */
(function () {
  "use strict";

  function cents(text) {
    var raw = String(text || "").replace(/[\s$,]/g, "");
    if (!/^\d+(\.\d{0,2})?$/.test(raw) && !/^\.\d{1,2}$/.test(raw)) { return null; }
    var parts = raw.split(".");
    return parseInt(parts[0] || "0", 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function money(value) {
    var sign = value < 0 ? "-" : "";
    var whole = Math.floor(Math.abs(value) / 100);
    var rest = String(Math.abs(value) % 100);
    return sign + "$" + whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." +
      (rest.length < 2 ? "0" + rest : rest);
  }

  document.querySelectorAll("form[data-running-total]").forEach(function (form) {
    var selected = form.querySelector("[data-selected]");
    var declared = form.querySelector("[data-declared]");
    var difference = form.querySelector("[data-difference]");
    var slip = form.querySelector("input[name$='declared_cents']");

    function update() {
      var sum = 0;
      form.querySelectorAll("input[type=checkbox][data-cents]:checked").forEach(function (box) {
        sum += parseInt(box.getAttribute("data-cents"), 10) || 0;
      });
      if (selected) { selected.textContent = money(sum); }
      var onSlip = slip ? cents(slip.value) : null;
      if (declared) { declared.textContent = onSlip === null ? "—" : money(onSlip); }
      if (difference) { difference.textContent = onSlip === null ? "—" : money(onSlip - sum); }
    }

    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  });
}());
