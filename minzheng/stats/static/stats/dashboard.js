/* Statistics charts (ECharts). Data comes from the page's json_script element, already in
 * the active language: the section page's trend line and bars by subordinate division
 * (click a bar to drill down), and the big screen's ranking and layer shares. */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function chart(id, theme) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return null;
    var c = echarts.init(el, theme || null);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  function trend(d) {
    var c = chart("chart-trend");
    if (!c) return;
    c.setOption({
      tooltip: {trigger: "axis"},
      grid: {left: 60, right: 20, top: 30, bottom: 30},
      xAxis: {type: "category", data: d.trend.periods},
      yAxis: {type: "value", name: d.unit},
      series: [{name: d.title, type: "line", data: d.trend.values, smooth: true, connectNulls: true}]
    });
  }

  function bars(d) {
    var c = chart("chart-bars");
    if (!c) return;
    var items = d.bars.slice().sort(function (a, b) { return (b.value || 0) - (a.value || 0); });
    c.setOption({
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      grid: {left: 60, right: 20, top: 30, bottom: 70},
      xAxis: {type: "category", data: items.map(function (b) { return b.name; }),
              axisLabel: {rotate: items.length > 8 ? 40 : 0, interval: 0}},
      yAxis: {type: "value", name: d.unit},
      series: [{name: d.title, type: "bar", itemStyle: {color: "#409EFF"},
                data: items.map(function (b) { return {value: b.value, href: b.href}; })}],
      title: {text: d.total.name + "：" + (d.total.value === null ? "—" : d.total.value.toLocaleString()),
              right: 10, top: 0, textStyle: {fontSize: 13, fontWeight: "normal", color: "#606266"}}
    });
    c.on("click", function (p) { if (p.data && p.data.href) window.location.href = p.data.href; });
  }

  function ranking(d) {
    var c = chart("chart-ranking", "dark");
    if (!c) return;
    var n = d.names.slice(0, 20).reverse(), v = d.values.slice(0, 20).reverse();
    c.setOption({
      backgroundColor: "transparent",
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      grid: {left: 140, right: 60, top: 10, bottom: 20},
      xAxis: {type: "value", splitLine: {lineStyle: {color: "#1e4d8f"}}},
      yAxis: {type: "category", data: n, axisLabel: {fontSize: 16}},
      series: [{type: "bar", data: v, itemStyle: {color: "#3fd0ff"},
                label: {show: true, position: "right", color: "#cfe3ff"}}]
    });
  }

  function layers(d) {
    var c = chart("chart-layers", "dark");
    if (!c) return;
    c.setOption({
      backgroundColor: "transparent",
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      grid: {left: 200, right: 70, top: 10, bottom: 20},
      xAxis: {type: "value", max: 100, splitLine: {lineStyle: {color: "#1e4d8f"}}},
      yAxis: {type: "category", data: d.names, axisLabel: {fontSize: 15}},
      series: [{type: "bar", itemStyle: {color: "#f5a623"},
                data: d.values.map(function (x) { return x === null ? null : Math.round(x * 10) / 10; }),
                label: {show: true, position: "right", formatter: "{c}%", color: "#cfe3ff"}}]
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var d = data("stats-charts");
    if (d && d.trend) { trend(d); bars(d); }
    var b = data("stats-bigscreen");
    if (b) { ranking(b.ranking); layers(b.layers); }
  });
})();
