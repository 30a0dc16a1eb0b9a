/* The registration desk (立案): pick the place on the map (Leaflet, vendored; the user's grids
   and roads drawn, background tiles only when MAP_TILE_URL names them), then the page asks the
   server which open tasks of the same category are nearby and shows them before anything is
   saved. The ids shown go back with the form ("seen"): the server registers a new task only
   when the user has seen every open candidate, else it shows them again. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("desk-config").textContent);
  var form = document.getElementById("desk-form");
  var el = function (name) { return form.elements[name]; };
  var panel = document.getElementById("desk-nearby");
  var lnglat = document.getElementById("desk-lnglat");

  var map = L.map("desk-map", {zoomSnap: 0.25});
  window.deskMap = map;
  map.attributionControl.setPrefix("<a href='https://leafletjs.com'>Leaflet</a>");
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, {attribution: cfg.tileAttribution, maxZoom: 19}).addTo(map);
  } else {
    document.getElementById("desk-map").classList.add("no-tiles");
  }
  var marker = null;

  function get(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); });
  }

  function place(lng, lat) {
    var at = L.latLng(lat, lng);
    if (marker) { marker.setLatLng(at); } else {
      marker = L.circleMarker(at, {radius: 9, color: "#fff", weight: 2, fillColor: "#c62828",
                                   fillOpacity: 0.95, className: "desk-marker"}).addTo(map);
      marker.bindTooltip(cfg.i18n.picked);
    }
  }

  function setPoint(lng, lat) {
    el("lng").value = lng.toFixed(6);
    el("lat").value = lat.toFixed(6);
    lnglat.textContent = el("lng").value + ", " + el("lat").value;
    place(lng, lat);
  }

  var asked = 0;
  function check() {
    var params = new URLSearchParams();
    params.set("category", el("category").value);
    if (el("lng").value && el("lat").value) {
      params.set("lng", el("lng").value);
      params.set("lat", el("lat").value);
    } else {
      params.set("address", el("address").value);
    }
    var mine = ++asked;
    panel.setAttribute("aria-busy", "true");
    return get(cfg.preview + "?" + params.toString()).then(function (body) {
      if (mine !== asked) { return; }  // a later pick answered first
      panel.innerHTML = body.html;
      el("seen").value = (body.ids || []).join(",");
      if (body.lng !== undefined && !el("lng").value) { place(body.lng, body.lat); }
      panel.setAttribute("data-checked", "1");
    }).catch(function () {
      panel.textContent = cfg.i18n.failed;
    }).finally(function () { panel.removeAttribute("aria-busy"); });
  }

  map.on("click", function (e) {
    setPoint(e.latlng.lng, e.latlng.lat);
    check();
  });
  el("category").addEventListener("change", function () {
    if (el("lng").value || el("address").value) { check(); }
  });
  el("address").addEventListener("change", function () {
    if (!el("lng").value) { check(); }
  });
  document.getElementById("desk-check").addEventListener("click", check);

  // Clicks on a grid or a road bubble up to the map (Leaflet paths do by default).
  Promise.all([get(cfg.grids), get(cfg.roads)]).then(function (data) {
    var grids = L.geoJSON(data[0], {
      style: function () { return {color: "#455a64", weight: 1, fillColor: "#90caf9", fillOpacity: 0.25}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.code + " " + f.properties.name, {sticky: true});
      }
    }).addTo(map);
    L.geoJSON(data[1], {
      style: function () { return {color: "#37474f", weight: 4, opacity: 0.7}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.name, {sticky: true});
      }
    }).addTo(map);
    var bounds = grids.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [12, 12]}); }
    if (el("lng").value && el("lat").value) {
      place(parseFloat(el("lng").value), parseFloat(el("lat").value));
    }
    document.getElementById("desk-map").setAttribute("data-ready", "1");
  });
})();
