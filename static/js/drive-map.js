// The drive map (events/views_board.drive_map): one circle marker per site, coloured by
// coverage, with a popup (its windows, and the buckets out there now: overdue in red). Site
// data come from the <script type="application/json" id="drive-sites"> tag; the tile URL
// from data-tile-url. The page lists every site anyway, so without Leaflet or tiles nothing
// is lost.
(function () {
  "use strict";
  var COLOURS = { covered: "#1b7a3a", below: "#b35c00", empty: "#b3261e" };

  function text(tag, value) {
    var element = document.createElement(tag);
    element.textContent = value;
    return element;
  }

  function popup(site, labels) {
    var box = document.createElement("div");
    box.appendChild(text("strong", site.name));
    box.appendChild(text("div", site.coverage_label));
    if (site.teams.length) {
      box.appendChild(text("div", labels.teams + ": " + site.teams.join(", ")));
    }
    var list = document.createElement("ul");
    site.windows.forEach(function (w) {
      list.appendChild(text("li", w.time + ": " + w.filled + "/" + w.needed +
        (w.team ? " (" + w.team + ")" : "")));
    });
    box.appendChild(list);
    if (site.buckets && site.buckets.length) {
      var buckets = document.createElement("ul");
      site.buckets.forEach(function (b) {
        var item = text("li", labels.bucket + " " + b.number +
          (b.holder ? " (" + b.holder + ")" : "") + (b.overdue ? ": " + labels.overdue : ""));
        if (b.overdue) {
          item.style.color = COLOURS.empty;
          item.style.fontWeight = "600";
        }
        buckets.appendChild(item);
      });
      box.appendChild(text("div", labels.buckets));
      box.appendChild(buckets);
    }
    return box;
  }

  function start() {
    var holder = document.getElementById("drive-map");
    var source = document.getElementById("drive-sites");
    if (!holder || !source || typeof window.L === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.sites.length) {
      holder.hidden = true;
      return;
    }
    var map = window.L.map(holder);
    window.L.tileLayer(holder.getAttribute("data-tile-url"), {
      maxZoom: 19,
      attribution: holder.getAttribute("data-tile-attribution")
    }).addTo(map);
    var bounds = [];
    data.sites.forEach(function (site) {
      var point = [site.lat, site.lon];
      bounds.push(point);
      window.L.circleMarker(point, {
        radius: 9, weight: 2, color: "#222", fillOpacity: 0.85,
        fillColor: COLOURS[site.coverage] || "#666"
      }).bindPopup(popup(site, data.labels)).bindTooltip(site.name).addTo(map);
    });
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
