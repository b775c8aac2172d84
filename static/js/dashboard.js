// The park dashboard's charts, drawn with Apache ECharts (served from /vendor, no CDN)
// from the JSON the page embeds in #chart-data. Without ECharts the page keeps its tables.
(function () {
  "use strict";
  var holder = document.getElementById("chart-data");
  if (!holder || typeof echarts === "undefined") return;
  var data = JSON.parse(holder.textContent);
  var L = data.labels || {};
  var narrow = window.matchMedia("(max-width: 575.98px)").matches;
  var charts = [];
  var shown = function (name) { return String(name).replace(/^\d\|/, ""); };

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  if (data.sankey && data.sankey.links && data.sankey.links.length) {
    draw("chart-sankey", {
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.dataType === "edge") {
            return shown(p.data.source) + " → " + shown(p.data.target) + ": " + p.data.value + " " + L.t;
          }
          return shown(p.name) + ": " + p.value + " " + L.t;
        }
      },
      series: [{
        type: "sankey",
        left: narrow ? 0 : 10, right: narrow ? 60 : 170, top: 10, bottom: 10,
        nodeGap: 8, nodeWidth: narrow ? 10 : 14, draggable: false,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", curveness: 0.5, opacity: 0.35 },
        label: { formatter: function (p) { return shown(p.name); }, fontSize: narrow ? 9 : 12,
                 width: narrow ? 58 : 160, overflow: narrow ? "break" : "truncate" },
        data: data.sankey.nodes,
        links: data.sankey.links
      }]
    });
  }

  if (data.trend) {
    var t = data.trend;
    var rate = t.started.map(function (s, i) { return s ? Math.round(1000 * t.closed[i] / s) / 10 : null; });
    draw("chart-trends", {
      animation: false,
      color: ["#198754", "#0d6efd", "#fd7e14"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 50, top: 40, bottom: 30 },
      xAxis: { type: "category", data: t.months },
      // deals have their own (unlabelled) scale: the tooltip gives the numbers
      yAxis: [{ type: "value", name: L.t }, { type: "value", name: "%", max: 100, splitLine: { show: false } },
              { type: "value", show: false, minInterval: 1 }],
      series: [
        { name: L.tonnes, type: "bar", data: t.kg.map(function (kg) { return kg / 1000; }) },
        { name: L.deals, type: "line", yAxisIndex: 2, data: t.deals },
        { name: L.rate, type: "line", yAxisIndex: 1, data: rate, connectNulls: true }
      ]
    });
  }

  if (data.capacity) {
    var c = data.capacity;
    draw("chart-capacity", {
      animation: false,
      color: ["#6c757d", "#adb5bd", "#198754", "#0dcaf0", "#ffc107", "#dc3545"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: narrow ? 70 : 160, right: 20, top: narrow ? 60 : 40, bottom: 30 },
      yAxis: { type: "category", data: c.classes, inverse: true,
               axisLabel: { width: narrow ? 60 : 150, overflow: "truncate" } },
      xAxis: { type: "log", min: 0.1, name: L.t, axisLabel: { formatter: function (v) {
        return v >= 1000 ? (v / 1000).toLocaleString() + "k" : String(v);
      } } },
      series: [
        { name: L.generated, type: "bar", data: c.generated },
        { name: L.offered, type: "bar", data: c.offered },
        { name: L.capacity, type: "bar", data: c.capacity },
        { name: L.park, type: "bar", stack: "went", data: c.park },
        { name: L.province, type: "bar", stack: "went", data: c.province },
        { name: L.farther, type: "bar", stack: "went", data: c.farther }
      ]
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
