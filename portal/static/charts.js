/* Draws every chart of the page with Apache ECharts (served from static/vendor/echarts/).
 *
 * A chart is a <figure class="chart"> holding a <div class="chart-canvas"> and its data in a
 * <script type="application/json" class="chart-data"> (written by templates/_charts.html from
 * portal/charts.py). Charts are drawn on load and after every htmx swap, with the SVG renderer so
 * they print as sharp as the page, and redrawn to their new width when the window or the printed
 * page changes size. A click on a bar or a point opens the list behind it (the same list as the
 * table's link); on a touch screen the first tap shows the value and a second tap on it opens the list.
 */
(function () {
  "use strict";

  var PALETTE = ["#2e86c1", "#c0392b", "#27ae60", "#d68910", "#8e44ad", "#16a085", "#7f8c8d", "#d35400", "#2c3e50", "#b7950b"];
  var script = document.currentScript;
  var echartsSource = script && script.getAttribute("data-echarts");
  var loading = null;
  var drawn = [];

  function lang() {
    return document.documentElement.lang || "zh-CN";
  }

  function format(value, unit, compact) {
    if (value === null || value === undefined || value === "-") {
      return "—";
    }
    if (unit === "percent") {
      return Number(value).toFixed(compact ? 0 : 1) + " %";
    }
    if (unit === "money") {
      var options = compact ? { notation: "compact", maximumFractionDigits: 1 } : { minimumFractionDigits: 2, maximumFractionDigits: 2 };
      return "¥" + new Intl.NumberFormat(lang(), options).format(value);
    }
    return new Intl.NumberFormat(lang(), compact ? { notation: "compact", maximumFractionDigits: 1 } : {}).format(value);
  }

  function loadLibrary(callback) {
    if (window.echarts) {
      callback();
      return;
    }
    if (!loading) {
      loading = [];
      var tag = document.createElement("script");
      tag.src = echartsSource;
      tag.onload = function () {
        var waiting = loading;
        loading = null;
        waiting.forEach(function (fn) { fn(); });
      };
      document.head.appendChild(tag);
    }
    loading.push(callback);
  }

  function valueAxis(spec, index, unit, horizontal) {
    var axis = {
      type: "value",
      axisLabel: { formatter: function (value) { return format(value, unit, true); }, hideOverlap: true },
      splitLine: { show: index === 0, lineStyle: { color: "#e5e5e5" } },
    };
    if (unit === "percent") {
      axis.min = 0;
      axis.max = 100;
    }
    if (index === 0 && spec.max !== undefined) {
      axis.max = spec.max;
    }
    if (horizontal) {
      axis.position = "top";
    }
    return axis;
  }

  function tooltipText(spec, items) {
    var encode = window.echarts.format.encodeHTML;
    var lines = [];
    items.forEach(function (item) {
      var one = spec.series[item.seriesIndex];
      if (!one || item.value === null || item.value === undefined) {
        return;
      }
      lines.push('<span class="chart-key chart-key-' + (item.seriesIndex % PALETTE.length) + '"></span>' +
                 encode(one.name) + ": <strong>" + encode(format(item.value, one.unit, false)) + "</strong>");
    });
    var title = items.length ? encode(items[0].name) : "";
    return "<div class=\"chart-tip\"><div>" + title + "</div>" + lines.join("<br>") + "</div>";
  }

  function options(spec, narrow) {
    var horizontal = !!spec.horizontal;
    var units = [];
    spec.series.forEach(function (one) { units[one.axis] = units[one.axis] || one.unit; });
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisTick: { alignWithLabel: true },
      axisLabel: horizontal
        ? { width: narrow ? 90 : 160, overflow: "truncate" }
        : { hideOverlap: true, rotate: narrow && spec.categories.length > 6 ? 45 : 0 },
    };
    var valueAxes = units.map(function (unit, index) { return valueAxis(spec, index, unit, horizontal); });
    var stacked = false;
    var series = spec.series.map(function (one, index) {
      var shape = {
        name: one.name,
        type: one.kind === "line" ? "line" : "bar",
        data: one.values,
        itemStyle: { color: PALETTE[index % PALETTE.length] },
        emphasis: { focus: "series" },
        connectNulls: false,
        cursor: spec.links ? "pointer" : "default",
      };
      if (horizontal) {
        shape.xAxisIndex = one.axis;
      } else {
        shape.yAxisIndex = one.axis;
      }
      if (one.stack) {
        shape.stack = one.stack;
        stacked = true;
      }
      if (shape.type === "line") {
        shape.symbolSize = 7;
        shape.lineStyle = { width: 2, type: one.dashed ? "dashed" : "solid", color: PALETTE[index % PALETTE.length] };
        if (one.dashed) {
          shape.symbol = "none";
        }
      } else {
        shape.barMaxWidth = 40;
      }
      return shape;
    });
    (spec.lines || []).forEach(function (line) {
      var host = series.filter(function (one, index) { return spec.series[index].axis === line.axis; })[0] || series[0];
      host.markLine = host.markLine || { silent: true, symbol: "none", data: [], lineStyle: { color: "#555", type: "dashed" } };
      var point = horizontal ? { xAxis: line.value } : { yAxis: line.value };
      point.label = { formatter: line.label, position: "insideEndTop" };
      host.markLine.data.push(point);
    });
    (spec.marks || []).forEach(function (mark) {
      var host = series[0];
      host.markLine = host.markLine || { silent: true, symbol: "none", data: [], lineStyle: { color: "#555", type: "dashed" } };
      var point = horizontal ? { yAxis: mark.category } : { xAxis: mark.category };
      point.label = { formatter: mark.label, position: "end" };
      point.lineStyle = { color: "#c0392b", type: "solid" };
      host.markLine.data.push(point);
    });
    var legend = spec.series.length > 1;
    return {
      animation: false,
      aria: { enabled: false },
      textStyle: { fontSize: narrow ? 11 : 12 },
      grid: { left: 8, right: units.length > 1 ? 8 : 24, top: 28, bottom: legend ? 36 : 8, containLabel: true },
      legend: legend ? { type: "scroll", bottom: 0, itemWidth: 14, itemHeight: 10 } : undefined,
      tooltip: {
        trigger: "axis",
        confine: true,
        axisPointer: { type: stacked || horizontal ? "shadow" : "line" },
        formatter: function (items) { return tooltipText(spec, items); },
      },
      xAxis: horizontal ? valueAxes : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxes,
      series: series,
    };
  }

  function draw(figure) {
    var canvas = figure.querySelector(".chart-canvas");
    var source = figure.querySelector("script.chart-data");
    if (!canvas || !source || canvas.getAttribute("data-drawn")) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var narrow = canvas.clientWidth < 500;
    if (spec.horizontal) {
      canvas.style.height = Math.max(120, spec.categories.length * (narrow ? 30 : 28) + 48) + "px";
    }
    var chart = window.echarts.init(canvas, null, { renderer: "svg", locale: lang().indexOf("zh") === 0 ? "ZH" : "EN" });
    chart.setOption(options(spec, narrow));
    canvas.setAttribute("data-drawn", "1");
    var touch = window.matchMedia && window.matchMedia("(hover: none)").matches;
    var lastTap = null;
    chart.getZr().on("click", function (event) {
      var pixel = [event.offsetX, event.offsetY];
      if (!chart.containPixel({ gridIndex: 0 }, pixel)) {
        return;
      }
      var position = chart.convertFromPixel({ gridIndex: 0 }, pixel);
      var dataIndex = Math.round(position[spec.horizontal ? 1 : 0]);
      if (!(dataIndex >= 0 && dataIndex < spec.categories.length)) {
        return;
      }
      var href = spec.links ? spec.links[dataIndex] : null;
      if (!href) {
        return;
      }
      if (touch && lastTap !== dataIndex) {
        lastTap = dataIndex;  // the first tap shows the tooltip
        return;
      }
      window.location.assign(href);
    });
    drawn.push({ chart: chart, canvas: canvas });
  }

  function forget() {
    drawn = drawn.filter(function (entry) {
      if (document.body.contains(entry.canvas)) {
        return true;
      }
      entry.chart.dispose();
      return false;
    });
  }

  function drawAll(root) {
    var figures = (root || document).querySelectorAll("figure.chart");
    if (!figures.length) {
      return;
    }
    loadLibrary(function () {
      forget();
      Array.prototype.forEach.call(figures, draw);
    });
  }

  function resizeAll() {
    drawn.forEach(function (entry) { entry.chart.resize(); });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(resizeAll, 150);
  });
  window.addEventListener("beforeprint", function () {
    // A chart's figures folded under it print with it.
    Array.prototype.forEach.call(document.querySelectorAll("details.chart-figures"), function (details) { details.open = true; });
    resizeAll();
  });
  window.addEventListener("afterprint", resizeAll);
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
})();
