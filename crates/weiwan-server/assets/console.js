// weiwan console: draws the charts a page describes and lets htmx show error answers.
// A chart is an element with data-chart holding an ECharts option object as JSON, written
// by the server; nothing else on the page runs script.
(function () {
  "use strict";
  function draw(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(el.dataset.chart));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof htmx !== "undefined") {
      // Show refusals (400, 403, 404, 409) where the answer was meant to go.
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "[45]..", swap: true, error: true }
      ];
    }
    draw(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
