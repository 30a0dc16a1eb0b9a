/* The evaluation page: a bar chart of the scores (Chart.js, vendored) and a table that sorts
   by any column when its heading is clicked (numbers numerically, empty cells last). */
(function () {
  "use strict";
  var data = document.getElementById("evaluation-data");
  if (data && typeof Chart !== "undefined") {
    var d = JSON.parse(data.textContent);
    Chart.defaults.animation = false;
    new Chart(document.getElementById("evaluation-chart"), {
      type: "bar",
      data: {labels: d.labels, datasets: [{label: d.label, data: d.scores,
                                           backgroundColor: "#1565c0"}]},
      options: {indexAxis: "y", maintainAspectRatio: false,
                plugins: {legend: {display: false}}}
    });
  }
  var table = document.getElementById("evaluation-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  table.querySelectorAll("th button.sort").forEach(function (button, column) {
    button.addEventListener("click", function () {
      var th = button.parentNode;
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.sort, y = b.cells[column].dataset.sort;
        if (x === "" || y === "") { return (x === "") - (y === ""); }
        var nx = Number(x), ny = Number(y);
        var cmp = isNaN(nx) || isNaN(ny) ? x.localeCompare(y, "zh") : nx - ny;
        return ascending ? cmp : -cmp;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
