/* The citizen's report form: tap the map (Leaflet, vendored; background tiles only when
   MAP_TILE_URL names them) or use the phone's position, then the page asks which open problems
   of the same category are nearby and shows them before sending ("already reported, follow
   it"). The ids shown go back with the form ("seen"): the server files the report only when
   the citizen has seen every one of them. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("report-config").textContent);
  var form = document.getElementById("report-form");
  var el = function (name) { return form.elements[name]; };
  var panel = document.getElementById("report-nearby");
  var lnglat = document.getElementById("report-lnglat");

  var map = L.map("report-map", {zoomSnap: 0.25});
  window.reportMap = map;
  map.attributionControl.setPrefix("<a href='https://leafletjs.com'>Leaflet</a>");
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, {attribution: cfg.tileAttribution, maxZoom: 19}).addTo(map);
  } else {
    document.getElementById("report-map").classList.add("no-tiles");
  }
  (cfg.outlines || []).forEach(function (boundary) {
    L.geoJSON(boundary, {interactive: false,
      style: {color: "#455a64", weight: 1, fillColor: "#90caf9", fillOpacity: 0.2}}).addTo(map);
  });
  if (cfg.bounds) { map.fitBounds(cfg.bounds, {padding: [8, 8]}); } else { map.setView([30, 120], 12); }

  var marker = null;
  function place(lng, lat) {
    var at = L.latLng(lat, lng);
    if (marker) { marker.setLatLng(at); } else {
      marker = L.circleMarker(at, {radius: 10, color: "#fff", weight: 2, fillColor: "#c62828",
                                   fillOpacity: 0.95, className: "report-marker"}).addTo(map);
      marker.bindTooltip(cfg.i18n.picked);
    }
  }

  var asked = 0;
  function check() {
    if (!el("category").value || !el("lng").value) { return; }
    var params = new URLSearchParams({category: el("category").value, lng: el("lng").value,
                                      lat: el("lat").value});
    var mine = ++asked;
    panel.setAttribute("aria-busy", "true");
    panel.removeAttribute("data-checked");
    fetch(cfg.nearby + "?" + params.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (mine !== asked) { return; }  // a later pick answered first
        panel.innerHTML = body.html || "";
        el("seen").value = (body.ids || []).join(",");
        panel.setAttribute("data-checked", "1");
      })
      .catch(function () { panel.textContent = cfg.i18n.failed; })
      .finally(function () { panel.removeAttribute("aria-busy"); });
  }

  function setPoint(lng, lat) {
    el("lng").value = lng.toFixed(6);
    el("lat").value = lat.toFixed(6);
    lnglat.textContent = el("lng").value + ", " + el("lat").value;
    place(lng, lat);
    check();
  }

  map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat); });
  el("category").addEventListener("change", check);
  document.getElementById("report-gps").addEventListener("click", function () {
    if (!navigator.geolocation) { lnglat.textContent = cfg.i18n.noGps; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude);
      map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 16));
    }, function () { lnglat.textContent = cfg.i18n.noGps; },
    {enableHighAccuracy: true, timeout: 10000});
  });
  if (el("lng").value && el("lat").value) {
    place(parseFloat(el("lng").value), parseFloat(el("lat").value));
  }
  // One send per tap: a double tap would otherwise post the same report twice.
  form.addEventListener("submit", function () {
    document.getElementById("report-send").disabled = true;
  });
  document.getElementById("report-map").setAttribute("data-ready", "1");
})();
