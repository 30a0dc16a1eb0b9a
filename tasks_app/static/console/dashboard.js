/* The dashboard's charts (Chart.js, vendored). Data and links come from the page
   (json_script "dashboard-charts"); a click on a bar or a point opens the tasks behind it. */
(function () {
  "use strict";
  var el = document.getElementById("dashboard-charts");
  if (!el || typeof Chart === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var L = data.labels;
  var COLOURS = {red: "#c62828", yellow: "#f9a825", green: "#2e7d32", blue: "#1565c0",
                 grey: "#90a4ae"};
  var css = getComputedStyle(document.documentElement);
  var fg = (css.getPropertyValue("--body-quiet-color") || "#666").trim() || "#666";
  var grid = (css.getPropertyValue("--hairline-color") || "#e8e8e8").trim() || "#e8e8e8";
  Chart.defaults.color = fg;
  Chart.defaults.borderColor = grid;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;  // figures, not a show: draw at once

  function linkTo(urls) {
    return function (event, elements, chart) {
      if (!elements.length) { return; }
      var e = elements[0];
      var url = urls[e.datasetIndex] && urls[e.datasetIndex][e.index];
      if (url) { window.location.href = url; }
    };
  }
  function pointer(event, elements) {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  }

  function bars(id, d, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas || !d.labels.length) { return null; }
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          {label: L.overdue, data: d.overdue, backgroundColor: COLOURS.red, stack: "s",
           maxBarThickness: 56},
          {label: L.within, data: d.within, backgroundColor: COLOURS.blue, stack: "s",
           maxBarThickness: 56}
        ]
      },
      options: {
        indexAxis: horizontal || d.labels.length > 8 ? "y" : "x",
        scales: {x: {stacked: true, ticks: {precision: 0}}, y: {stacked: true, ticks: {precision: 0}}},
        plugins: {legend: {position: "bottom"}},
        onClick: linkTo([d.overdue_urls, d.within_urls]),
        onHover: pointer
      }
    });
  }

  function trend(id, d) {
    var canvas = document.getElementById(id);
    if (!canvas) { return null; }
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          {type: "line", label: L.late, data: d.late, borderColor: COLOURS.red,
           backgroundColor: COLOURS.red, pointRadius: 2, borderWidth: 2, tension: 0.25, order: 0},
          {label: L.new, data: d.new, backgroundColor: "rgba(21,101,192,0.55)", order: 1},
          {label: L.closed, data: d.closed, backgroundColor: "rgba(46,125,50,0.55)", order: 1}
        ]
      },
      options: {
        interaction: {mode: "index", intersect: false},
        scales: {x: {ticks: {maxRotation: 0, autoSkipPadding: 12}, grid: {display: false}},
                 y: {beginAtZero: true, ticks: {precision: 0}}},
        plugins: {legend: {position: "bottom"}},
        onClick: function (event, elements, chart) {
          // In "index" mode every series of the day is hit: open the one nearest the pointer.
          var hit = chart.getElementsAtEventForMode(event, "nearest", {intersect: false}, false);
          linkTo([d.late_urls, d.new_urls, d.closed_urls])(event, hit.length ? hit : elements,
                                                            chart);
        },
        onHover: pointer
      }
    });
  }

  window.consoleCharts = [
    bars("chart-streets", data.streets, false),
    bars("chart-departments", data.departments, true),  // long names read better across
    trend("chart-trend", data.trend)
  ].filter(Boolean);
})();
