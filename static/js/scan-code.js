// Scan a volunteer's personal code from the QR code on their phone, where the browser can
// (the Shape Detection API's BarcodeDetector and a camera). Progressive enhancement: the code
// field works by typing everywhere; this only adds a "Scan" button beside each field marked
// data-scan-code. No inline script (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
      typeof navigator.mediaDevices.getUserMedia !== "function") {
    return;
  }
  // What a QR code may hold: the bare code, or a text or address ending with it.
  var CODE = /([A-HJ-NP-Z2-9]{6})\W*$/i;

  function codeFrom(raw) {
    var text = String(raw || "").trim();
    var match = text.match(CODE);
    return (match ? match[1] : text).toUpperCase();
  }

  function attach(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary scan-button";
    button.textContent = input.getAttribute("data-scan-label") || "Scan QR code";
    input.insertAdjacentElement("afterend", button);

    var running = null;

    function stop() {
      if (!running) {
        return;
      }
      window.clearTimeout(running.timer);
      running.stream.getTracks().forEach(function (track) { track.stop(); });
      running.box.remove();
      running = null;
      button.hidden = false;
    }

    button.addEventListener("click", function () {
      var detector;
      try {
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (error) {
        button.hidden = true;
        return;
      }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (stream) {
          var box = document.createElement("div");
          box.className = "scan-box";
          var video = document.createElement("video");
          video.className = "scan-video";
          video.setAttribute("playsinline", "");
          video.muted = true;
          video.srcObject = stream;
          var cancel = document.createElement("button");
          cancel.type = "button";
          cancel.className = "secondary";
          cancel.textContent = input.getAttribute("data-scan-cancel") || "Cancel";
          cancel.addEventListener("click", stop);
          box.appendChild(video);
          box.appendChild(cancel);
          button.insertAdjacentElement("afterend", box);
          button.hidden = true;
          running = { stream: stream, box: box, timer: null };
          video.play();

          function look() {
            if (!running) {
              return;
            }
            detector.detect(video).then(function (codes) {
              if (codes.length && running) {
                input.value = codeFrom(codes[0].rawValue);
                input.dispatchEvent(new Event("input", { bubbles: true }));
                stop();
                input.focus();
                return;
              }
              if (running) {
                running.timer = window.setTimeout(look, 250);
              }
            }).catch(function () {
              if (running) {
                running.timer = window.setTimeout(look, 500);
              }
            });
          }
          look();
        })
        .catch(function () {
          // No camera, or permission refused: typing the code still works.
          button.hidden = true;
        });
    });
  }

  document.querySelectorAll("input[data-scan-code]").forEach(attach);
})();
