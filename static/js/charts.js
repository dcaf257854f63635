// The charts of a page, drawn on canvas by Apache ECharts (static/vendor/echarts, pinned by its manifest.json).
// Each <div data-chart="ID"> draws the data of <script type="application/json" id="ID"> (the server's
// json_script), whose `kind` says how:
//   line   {categories, series: [{name, data}], percent?, inverse?, min?, max?}  (a rank: inverse, 1 on top)
//   bar    {categories, series: [{name, data}], percent?}  horizontal bars, the first category at the top
//   pie    {items: [{name, value, color?}]}
//   funnel {items: [{name, value}]}  in the order given
// Every chart's numbers are also on the page as a table (read without JavaScript, printed instead of the
// canvas). No inline script, no eval, and the tooltips are drawn on the canvas too: ECharts' HTML tooltips
// carry style attributes, which the Content Security Policy (style-src 'self') refuses.

const { echarts } = window;
const root = getComputedStyle(document.documentElement);
const INK = root.getPropertyValue("--ink").trim() || "#1f2328";
const MUTED = root.getPropertyValue("--muted").trim() || "#646b73";
const PALETTE = ["#b3261e", "#0b5cad", "#1a7f37", "#9a6700", "#8250df", "#0a7f8c", "#e16f24", "#57606a",
  "#d4a72c", "#bf3989"];

const percent = (value) => (value == null ? "—" : `${value}%`);

function common(spec) {
  return {
    color: PALETTE,
    animation: !matchMedia("(prefers-reduced-motion: reduce)").matches,
    textStyle: { fontFamily: root.fontFamily, color: INK },
    tooltip: { renderMode: "richText", confine: true, ...(spec.percent ? { valueFormatter: percent } : {}) },
  };
}

const axisLabel = (spec) => (spec.percent ? { formatter: "{value}%", color: MUTED } : { color: MUTED });

const OPTIONS = {
  line: (spec) => ({
    // a rank chart has a line per unit: one point's tooltip, not the whole month's
    tooltip: { trigger: spec.inverse ? "item" : "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: spec.categories, boundaryGap: false, axisLabel: { color: MUTED } },
    yAxis: {
      type: "value",
      inverse: Boolean(spec.inverse),
      min: spec.min ?? (spec.percent ? 0 : null),
      max: spec.max ?? (spec.percent ? 100 : null),
      minInterval: 1,
      axisLabel: axisLabel(spec),
    },
    series: spec.series.map((s) => ({
      type: "line", name: s.name, data: s.data, symbolSize: 7, connectNulls: false, emphasis: { focus: "series" },
    })),
  }),
  bar: (spec) => ({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: spec.percent ? 0 : 1, axisLabel: axisLabel(spec) },
    yAxis: {
      type: "category", data: spec.categories, inverse: true,
      axisLabel: { color: INK, width: 140, overflow: "truncate" },
    },
    series: spec.series.map((s) => ({
      type: "bar", name: s.name, data: s.data, barMaxWidth: 18,
      label: { show: true, position: "right", color: INK, ...(spec.percent ? { formatter: "{c}%" } : {}) },
    })),
  }),
  pie: (spec) => ({
    tooltip: { trigger: "item" },
    legend: { bottom: 0, data: spec.items.map((item) => item.name) },
    series: [{
      type: "pie", radius: ["38%", "66%"], center: ["50%", "45%"],
      label: { formatter: "{b}: {c}", color: INK },
      data: spec.items.filter((item) => item.value).map((item) => ({
        name: item.name, value: item.value, ...(item.color ? { itemStyle: { color: item.color } } : {}),
      })),
    }],
  }),
  funnel: (spec) => ({
    tooltip: { trigger: "item" },
    series: [{
      type: "funnel", sort: "none", left: "4%", width: "60%", top: 8, bottom: 8, gap: 2, minSize: "6%",
      min: 0, max: Math.max(1, ...spec.items.map((item) => item.value)),
      label: { position: "right", formatter: "{b}: {c}", color: INK },
      data: spec.items,
    }],
  }),
};

function draw(element) {
  const source = document.getElementById(element.dataset.chart);
  const spec = source && JSON.parse(source.textContent);
  const build = spec && OPTIONS[spec.kind];
  if (!build) return;
  if (spec.kind === "bar") {
    // a bar per row: as tall as its rows need (CSS sets the other charts' heights)
    element.style.height = `${Math.max(160, spec.categories.length * 26 + 32)}px`;
  }
  const chart = echarts.init(element, null, { renderer: "canvas" });
  const base = common(spec);
  const own = build(spec);
  chart.setOption({ ...base, ...own, tooltip: { ...base.tooltip, ...own.tooltip } });
  new ResizeObserver(() => requestAnimationFrame(() => chart.resize())).observe(element);
}

if (echarts) {
  for (const element of document.querySelectorAll("[data-chart]")) draw(element);
}

// On paper each chart is its table (app.css hides the canvas and shows the closed <details> where the
// browser lets CSS open them); for the others, open them for the print and close them again after.
let opened = [];
addEventListener("beforeprint", () => {
  opened = Array.from(document.querySelectorAll("details.chart-numbers:not([open])"));
  for (const details of opened) details.open = true;
});
addEventListener("afterprint", () => {
  for (const details of opened) details.open = false;
  opened = [];
});
