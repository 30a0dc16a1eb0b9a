/* The public board's map (Leaflet, vendored): this month's published problems as dots, open or
   closed; a closed one links to its result. Background tiles only when the server names a tile
   URL (MAP_TILE_URL); otherwise the dots stand on a plain ground. Nothing but the points the
   server chose to publish is drawn. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("public-map-config");
  var box = document.getElementById("public-map");
  if (!cfgEl || !box || !window.L) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var map = L.map(box, {zoomSnap: 0.25, scrollWheelZoom: false});
  map.attributionControl.setPrefix("<a href='https://leafletjs.com'>Leaflet</a>");
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, {attribution: cfg.tileAttribution, maxZoom: 19}).addTo(map);
  } else {
    box.classList.add("no-tiles");
  }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  var points = [];
  cfg.markers.forEach(function (m) {
    var colour = m.closed ? "#2e7d32" : "#c62828";
    var dot = L.circleMarker([m.lat, m.lng], {radius: 7, color: "#fff", weight: 2,
                                               fillColor: colour, fillOpacity: 0.9});
    var text = "<b>" + esc(m.category) + "</b><br>" + esc(m.closed ? cfg.closed : cfg.open);
    if (m.closed) {
      text += "<br><a href='" + esc(cfg.resultUrl.replace(/0\/$/, m.id + "/")) + "'>›</a>";
    }
    dot.bindPopup(text);
    dot.addTo(map);
    points.push([m.lat, m.lng]);
  });
  if (points.length) {
    map.fitBounds(L.latLngBounds(points).pad(0.15), {maxZoom: 17});
  }
}());
