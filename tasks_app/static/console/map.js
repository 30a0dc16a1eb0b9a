/* The console map (Leaflet, vendored): grids shaded by their open or overdue tasks, roads, open
   tasks coloured by their light now, and repeat hotspots. Background tiles only when the server
   names a tile URL (MAP_TILE_URL); without them the grids and roads are drawn on a plain ground. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.i18n;
  var COLOURS = {red: "#c62828", yellow: "#f9a825", green: "#2e7d32", reported: "#6a1b9a",
                 on_hold: "#78909c", submitted: "#1565c0"};
  var SCALES = {
    open: {colours: ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"], breaks: [1, 3, 6, 10]},
    overdue: {colours: ["#fff5f0", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d"], breaks: [1, 2, 4, 7]}
  };
  var shading = "open";
  var COVERAGE = {overdue: "#c62828", today: "#2e7d32", week: "#81c784", ok: "#90a4ae"};

  var map = L.map("console-map", {zoomSnap: 0.25, preferCanvas: false});
  window.consoleMap = map;
  map.attributionControl.setPrefix("<a href='https://leafletjs.com'>Leaflet</a>");
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, {attribution: cfg.tileAttribution, maxZoom: 19}).addTo(map);
  } else {
    document.getElementById("console-map").classList.add("no-tiles");
  }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function classOf(n, scale) {
    var i = 0;
    while (i < scale.breaks.length && n >= scale.breaks[i]) { i++; }
    return i;
  }
  function gridStyle(feature) {
    var scale = SCALES[shading];
    var n = feature.properties[shading];
    return {color: "#455a64", weight: 1, opacity: 0.8, fillOpacity: 0.55,
            fillColor: scale.colours[classOf(n, scale)]};
  }

  var layers = {};
  function load(name) {
    return fetch(cfg.layers[name], {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) { throw new Error(name + ": " + r.status); }
      return r.json();
    });
  }

  Promise.all(["grids", "roads", "tasks", "hotspots", "coverage"].map(load)).then(function (data) {
    var grids = data[0], roads = data[1], tasks = data[2], hotspots = data[3];
    var coverage = data[4];

    layers.grids = L.geoJSON(grids, {
      style: gridStyle,
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(esc(p.code) + " " + esc(p.name) + "<br>" + esc(T.open) + " " + p.open +
                          " · " + esc(T.overdue) + " " + p.overdue, {sticky: true});
        layer.bindPopup("<b>" + esc(p.name) + "</b> <small>" + esc(p.code) + "</small><br>" +
          esc(p.community) + "<br><a href='" + esc(p.url) + "'>" + esc(T.open) + " " + p.open +
          "</a> · <a class='red' href='" + esc(p.overdue_url) + "'>" + esc(T.overdue) + " " +
          p.overdue + "</a>");
      }
    }).addTo(map);

    layers.roads = L.geoJSON(roads, {
      style: function () { return {color: "#37474f", weight: 4, opacity: 0.75}; },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(esc(p.name) + " · " + esc(T.open) + " " + p.open, {sticky: true});
        layer.bindPopup("<b>" + esc(p.name) + "</b><br><a href='" + esc(p.url) + "'>" +
                        esc(T.open) + " " + p.open + "</a>");
      }
    }).addTo(map);

    layers.tasks = L.geoJSON(tasks, {
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        return L.circleMarker(latlng, {
          radius: p.light === "red" ? 7 : 6, weight: 1.5, color: "#fff", fillOpacity: 0.95,
          fillColor: COLOURS[p.light] || "#555", className: "task-marker light-" + p.light
        });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup("<b><a href='" + esc(p.url) + "'>" + esc(p.code) + "</a></b> " +
          esc(p.title) + "<br>" + esc(p.category) + " · " + esc(p.status_label) +
          (p.time ? "<br><b style='color:" + (COLOURS[p.light] || "inherit") + "'>" +
                    esc(p.time) + "</b>" : "") +
          (p.assignee ? "<br>" + esc(T.assignee) + ": " + esc(p.assignee) : ""));
      }
    }).addTo(map);

    layers.hotspots = L.layerGroup(hotspots.features.map(function (f) {
      var p = f.properties;
      var latlng = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
      var popup = "<b>" + esc(p.category) + "</b> · " + esc(p.grid) + "<br>" +
        esc(T.occurrences) + ": " + p.occurrences + " · " + esc(T.stillOpen) + ": " + p.open +
        "<br>" + esc(T.latest) + ": " + esc(p.latest) + "<br><a href='" + esc(p.url) + "'>" +
        esc(T.showTasks) + "</a>";
      return L.layerGroup([
        L.circle(latlng, {radius: Math.max(p.radius_m, 40), color: "#6a1b9a", weight: 2,
                          dashArray: "4 4", fillColor: "#ab47bc", fillOpacity: 0.15}),
        L.marker(latlng, {icon: L.divIcon({className: "hotspot-icon", iconSize: [30, 30],
                                           html: "×" + p.occurrences}),
                          title: p.category}).bindPopup(popup)
      ]);
    })).addTo(map);

    // Patrol coverage: roads and grids coloured by their last patrol against their frequency.
    layers.coverage = L.geoJSON(coverage, {
      style: function (f) {
        var c = COVERAGE[f.properties.state] || "#78909c";
        return f.properties.kind === "road" ? {color: c, weight: 7, opacity: 0.9}
          : {color: c, weight: 2, opacity: 0.9, fillColor: c, fillOpacity: 0.35};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var text = "<b>" + esc(p.name) + "</b> <small>" + esc(p.code) + "</small><br>" +
          esc(p.state_label) + "<br>" + esc(coverage.labels.last) + ": " +
          esc(p.last || coverage.labels.never) + " · " + esc(coverage.labels.week) + " " +
          p.patrols_week;
        layer.bindTooltip(text, {sticky: true});
        layer.bindPopup(text);
      }
    });
    if (/[?&]layer=coverage\b/.test(location.search)) {
      layers.coverage.addTo(map);
      layers.coverage.eachLayer(function (l) {
        if (l.feature.properties.kind === "road") { l.bringToFront(); }
      });
    }

    var overlays = {};
    overlays[T.grids] = layers.grids;
    overlays[T.roads] = layers.roads;
    overlays[T.tasks] = layers.tasks;
    overlays[T.hotspots] = layers.hotspots;
    overlays[coverage.title] = layers.coverage;
    L.control.layers(null, overlays, {collapsed: false, position: "topright"}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);

    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      L.DomEvent.disableClickPropagation(div);
      div.innerHTML = legendHtml() + "<b>" + esc(coverage.title) + "</b><div class='lights'>" +
        Object.keys(COVERAGE).map(function (k) {
          return "<span><i class='dot' style='background:" + COVERAGE[k] + "'></i>" +
                 esc(coverage.legend[k]) + "</span>";
        }).join("") + "</div>";
      div.addEventListener("change", function (e) {
        if (e.target.name === "shade") {
          shading = e.target.value;
          layers.grids.setStyle(gridStyle);
          div.querySelector(".scale").innerHTML = scaleHtml();
        }
      });
      return div;
    };
    legend.addTo(map);

    var bounds = layers.grids.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [12, 12]}); }
    else { map.setView([30.26, 120.2], 13); }
    if (tasks.truncated) { document.getElementById("map-note").textContent = T.truncated; }
    document.getElementById("console-map").setAttribute("data-ready", "1");
  }).catch(function (err) {
    document.getElementById("map-note").textContent = String(err);
  });

  function scaleHtml() {
    var s = SCALES[shading], out = "";
    for (var i = 0; i < s.colours.length; i++) {
      var lo = i === 0 ? 0 : s.breaks[i - 1];
      var hi = i < s.breaks.length ? s.breaks[i] - 1 : null;
      var label = hi === null ? lo + "+" : (lo === hi ? String(lo) : lo + "–" + hi);
      out += "<span><i style='background:" + s.colours[i] + "'></i>" + label + "</span>";
    }
    return out;
  }
  function legendHtml() {
    var lights = ["red", "yellow", "green", "reported", "on_hold", "submitted"].map(function (k) {
      return "<span><i class='dot' style='background:" + COLOURS[k] + "'></i>" + esc(T[k]) +
             "</span>";
    }).join("");
    return "<b>" + esc(T.shade) + "</b>" +
      "<label><input type='radio' name='shade' value='open' checked> " + esc(T.openTasks) +
      "</label><label><input type='radio' name='shade' value='overdue'> " +
      esc(T.overdueTasks) + "</label><div class='scale'>" + scaleHtml() + "</div>" +
      "<b>" + esc(T.tasks) + "</b><div class='lights'>" + lights + "</div>" +
      "<b>" + esc(T.hotspots) + "</b><div><span class='hotspot-icon mini'>×3</span></div>";
  }
})();
