// Dashboard charts drawn with Chart.js (served from /static/vendor) from the page's #chart-data JSON:
// instances started and completed per day, and the cycle-time histogram.
(function () {
  "use strict";

  function data() {
    var node = document.getElementById("chart-data");
    try { return JSON.parse(node ? node.textContent : "{}"); } catch (e) { return {}; }
  }

  function bar(id, labels, datasets) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof window.Chart !== "function") return null;
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: datasets.length > 1 } }
      }
    });
    canvas.dataset.rendered = "true";
    return chart;
  }

  function render() {
    var d = data();
    var text = d.text || {};
    bar("chart-per-day", d.days || [], [
      { label: text.started, data: d.started || [], backgroundColor: "#1d5fbf" },
      { label: text.completed, data: d.completed || [], backgroundColor: "#2e7d32" }
    ]);
    bar("chart-cycle", d.cycle_labels || [], [
      { label: text.instances, data: d.cycle_counts || [], backgroundColor: "#e07b00" }
    ]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
