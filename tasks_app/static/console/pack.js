/* The meeting pack: the street scores as a bar chart (Chart.js, vendored), drawn without
   animation so that printing catches it whole, and the print button. */
(function () {
  "use strict";
  var data = document.getElementById("pack-data");
  if (data && typeof Chart !== "undefined") {
    var d = JSON.parse(data.textContent);
    Chart.defaults.animation = false;
    window.packChart = new Chart(document.getElementById("pack-chart"), {
      type: "bar",
      data: {labels: d.labels, datasets: [{label: d.label, data: d.scores,
                                           backgroundColor: "#1565c0"}]},
      options: {indexAxis: "y", maintainAspectRatio: false, responsive: true,
                plugins: {legend: {display: false}}}
    });
    // Printing resizes the page: redraw the chart at the printed width.
    window.addEventListener("beforeprint", function () { window.packChart.resize(); });
  }
  var button = document.getElementById("pack-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
