// benchgen page behaviour: machine picker, latency-vs-mAP chart, history chart, sortable tables.
// The numbers come from the generated window.BENCHGEN_DATA / BENCHGEN_HISTORY; this file holds
// no data. Material's instant navigation swaps page content without reloading scripts, so all
// set-up runs from document$ (or DOMContentLoaded when Material's observable is absent).
(function () {
  "use strict";

  const GREY = "rgba(140, 140, 140, 0.45)";

  function cssVar(name, fallback) {
    const value = getComputedStyle(document.body).getPropertyValue(name).trim();
    return value || fallback;
  }

  function viewById(id) {
    const data = window.BENCHGEN_DATA;
    // a machine's INT8 view ("<id>@int8") charts on its machine's view, which draws the INT8 series dashed
    return data.views.find((v) => v.id === id) || data.views.find((v) => v.id === id.split("@")[0]) || data.views[0];
  }

  function currentView(root) {
    const select = root.querySelector(".bg-view-select");
    return select ? select.value : window.BENCHGEN_DATA.views[0].id;
  }

  // A series beside a family's own ("yolox@int8": its INT8 graphs) is shown wherever the family is.
  function familyOf(id) {
    return id.split("@")[0];
  }

  function exactView(id) {
    return window.BENCHGEN_DATA.views.find((v) => v.id === id) || null;
  }

  // Latency measures with at least one point of the given families in the view.
  function availableMetrics(view, families) {
    const metrics = window.BENCHGEN_DATA.latencyMetrics;
    return Object.keys(metrics).filter((m) => view.rows.some(
      (r) => families.includes(familyOf(r.family)) && r[m] !== null && r.map !== null));
  }

  // What the chart plots for the chosen view: its own figures, or, when it holds no drawable
  // latency of the page's models (a machine whose timings all came out unstable), the authors'
  // reported ones, said so in the legend, the tooltip and one line under the chart.
  function plottedView(chosen, families) {
    if (availableMetrics(chosen, families).length || chosen.id === "reported") return { view: chosen, fallback: false };
    const reported = exactView("reported");
    if (reported && availableMetrics(reported, families).length) return { view: reported, fallback: true };
    return { view: chosen, fallback: false };
  }

  // One family's points split by where their mAP comes from: reported by the authors, or measured
  // by benchgen on one dataset (an 80-image subset is not full val2017), so that no line joins
  // figures of different origins. A family with one origin keeps its plain name.
  function accuracySeries(rows) {
    const groups = new Map();
    rows.forEach((r) => {
      const key = r.map_origin === "measured" ? r.map_series || "measured" : "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(r);
    });
    return [...groups.entries()];
  }

  function chartConfig(container, view, metric) {
    const data = window.BENCHGEN_DATA;
    const highlight = container.dataset.highlight.split(",");
    const shown = container.dataset.families.split(",");
    const text = cssVar("--md-default-fg-color", "#333");
    const grid = cssVar("--md-default-fg-color--lightest", "rgba(0,0,0,0.1)");
    const reported = view.id === "reported";
    const counts = { measured: 0, reported: 0 };
    const datasets = [];
    data.families
      .filter((f) => shown.includes(familyOf(f.id)))
      .forEach((family) => {
        const on = highlight.includes(familyOf(family.id));
        const color = on ? family.color : GREY;
        const rows = view.rows.filter((r) => r.family === family.id && r[metric] !== null && r.map !== null);
        const series = accuracySeries(rows);
        series.forEach(([key, members]) => {
          const measured = key !== "";
          counts[measured ? "measured" : "reported"] += members.length;
          const points = members
            .map((r) => ({ x: r[metric], y: r.map, label: r.name, measured, basis: r.map_basis }))
            .sort((a, b) => a.x - b.x);
          let label = family.name;
          if (series.length > 1) label += measured ? ` (mAP measured ${key})` : " (mAP reported)";
          if (reported) label += " (reported)";
          datasets.push({
            label,
            reported,
            measuredAccuracy: measured,
            data: points,
            borderColor: color,
            backgroundColor: measured ? color : "rgba(0, 0, 0, 0)",
            pointStyle: measured ? "circle" : "triangle",
            // reported accuracy: dashed; an INT8 series (family.dashed): dotted
            borderDash: measured ? (family.dashed ? [2, 3] : []) : [5, 4],
            borderWidth: on ? 2.5 : 1.5,
            pointRadius: on ? 4.5 : 3,
            showLine: true,
            order: on ? 0 : 1,
          });
        });
      });
    const axis = `COCO mAP 50-95 — ● measured by benchgen (${counts.measured}), △ reported (${counts.reported})`;
    return {
      type: "scatter",
      data: { datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { labels: { color: text, usePointStyle: true } },
          tooltip: {
            callbacks: {
              label: (ctx) => [
                `${ctx.raw.label}: ${ctx.raw.y.toFixed(1)} AP, ${ctx.raw.x.toFixed(2)} ms` +
                  (ctx.dataset.reported ? " (reported latency)" : ""),
                `AP ${ctx.raw.basis || (ctx.raw.measured ? "measured by benchgen" : "reported")}`,
              ],
            },
          },
        },
        scales: {
          x: {
            title: { display: true, text: `${data.latencyMetrics[metric]} latency (ms, batch 1) — ${view.label}`, color: text },
            ticks: { color: text },
            grid: { color: grid },
          },
          y: {
            title: { display: true, text: axis, color: text },
            ticks: { color: text },
            grid: { color: grid },
          },
        },
      },
    };
  }

  function drawChart(container, root) {
    const chosen = viewById(currentView(root));
    const { view, fallback } = plottedView(chosen, container.dataset.highlight.split(","));
    const select = container.querySelector(".bg-latency-select");
    const metrics = availableMetrics(view, container.dataset.highlight.split(","));
    const previous = select.value;
    select.innerHTML = "";
    metrics.forEach((m) => select.add(new Option(window.BENCHGEN_DATA.latencyMetrics[m], m)));
    if (metrics.includes(previous)) select.value = previous;
    select.parentElement.hidden = metrics.length < 2;
    const canvas = container.querySelector("canvas");
    const existing = Chart.getChart(canvas);
    if (existing) existing.destroy();
    container.querySelector(".bg-chart-empty").hidden = metrics.length > 0;
    const why = container.querySelector(".bg-chart-fallback");
    why.hidden = !fallback;
    why.textContent = fallback ? `Nothing measured in the view “${chosen.label}” can be drawn for these models ` +
      "(its timings are unstable or missing), so the chart shows the latencies reported by the authors, " +
      "marked “reported”." : "";
    canvas.parentElement.hidden = metrics.length === 0;
    if (metrics.length === 0) return;
    new Chart(canvas, chartConfig(container, view, select.value || metrics[0]));
  }

  function drawHistory(container) {
    const family = container.dataset.family;
    const series = (window.BENCHGEN_HISTORY || {})[family] || {};
    const select = container.querySelector(".bg-history-select");
    const metrics = [...new Set(Object.values(series).flat().map((p) => p.metric))];
    if (!select.options.length) metrics.forEach((m) => select.add(new Option(m, m)));
    const metric = select.value || metrics[0];
    const canvas = container.querySelector("canvas");
    const existing = Chart.getChart(canvas);
    if (existing) existing.destroy();
    const families = window.BENCHGEN_DATA.families;
    const color = (families.find((f) => f.id === family) || { color: "#555" }).color;
    const datasets = Object.entries(series).map(([variant, points], i) => ({
      label: variant,
      data: points.filter((p) => p.metric === metric).map((p) => ({ x: Date.parse(p.date), y: p.value, machine: p.machine, commit: p.commit })),
      showLine: true,
      borderColor: color,
      backgroundColor: color,
      borderDash: i % 2 ? [6, 3] : [],
      pointStyle: ["circle", "rect", "triangle", "rectRot", "star"][i % 5],
    })).filter((d) => d.data.length);
    const text = cssVar("--md-default-fg-color", "#333");
    new Chart(canvas, {
      type: "scatter",
      data: { datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {
          legend: { labels: { color: text } },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${ctx.raw.y} (${new Date(ctx.raw.x).toISOString().slice(0, 16)}, ${ctx.raw.machine}, ${ctx.raw.commit})` } },
        },
        scales: {
          x: { ticks: { color: text, callback: (v) => new Date(v).toISOString().slice(0, 10) }, title: { display: true, text: "date", color: text } },
          y: { ticks: { color: text }, title: { display: true, text: metric, color: text } },
        },
      },
    });
  }

  function showView(root) {
    const id = currentView(root);
    root.querySelectorAll(".bg-view").forEach((el) => { el.hidden = el.dataset.view !== id; });
    root.querySelectorAll(".bg-chart").forEach((c) => drawChart(c, root));
  }

  function setUp() {
    if (!window.BENCHGEN_DATA || typeof Chart === "undefined") return;
    const root = document.querySelector("article") || document.body;
    const picker = root.querySelector(".bg-view-select");
    if (picker) {
      const stored = sessionStorage.getItem("benchgen-view");
      if (stored && [...picker.options].some((o) => o.value === stored)) picker.value = stored;
      picker.addEventListener("change", () => {
        sessionStorage.setItem("benchgen-view", picker.value);
        showView(root);
      });
    }
    root.querySelectorAll(".bg-latency-select").forEach((select) => {
      select.addEventListener("change", () => drawChart(select.closest(".bg-chart"), root));
    });
    root.querySelectorAll(".bg-history").forEach((h) => {
      drawHistory(h);
      h.querySelector(".bg-history-select").addEventListener("change", () => drawHistory(h));
    });
    showView(root);
    if (typeof Tablesort !== "undefined") {
      root.querySelectorAll(".bg-sortable table").forEach((t) => new Tablesort(t));
    }
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(setUp);
  } else {
    document.addEventListener("DOMContentLoaded", setUp);
  }
})();
