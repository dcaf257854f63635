// The projector: one screenful of the group's rows at a time. ← / → (or PageUp / PageDown, as a presenter's
// remote sends) show the previous / next rows, and past the last (first) rows open the next (previous) peer
// group. Without JavaScript every row shows and the page scrolls down.
(() => {
  "use strict";

  let rows = [];
  let pages = [[0, 0]];
  let current = 0;

  function table() {
    return document.querySelector("body.projector table.ranking");
  }

  // Cut the rows into screenfuls by their drawn heights: columns are fixed, so a row's height does not
  // depend on the rows shown beside it.
  function paginate() {
    const tbody = table().tBodies[0];
    rows.forEach((row) => { row.hidden = false; });
    window.scrollTo(0, 0);
    const status = document.querySelector("[data-projector-status]");
    status.hidden = false;
    const margin = parseFloat(getComputedStyle(document.body).paddingBottom) || 0;
    const available = window.innerHeight - tbody.getBoundingClientRect().top - margin - 2;
    pages = [];
    let start = 0;
    let used = 0;
    rows.forEach((row, index) => {
      const height = row.getBoundingClientRect().height;
      if (index > start && used + height > available) {
        pages.push([start, index]);
        start = index;
        used = 0;
      }
      used += height;
    });
    pages.push([start, rows.length]);
  }

  function show(index) {
    current = Math.max(0, Math.min(index, pages.length - 1));
    const [start, end] = pages[current];
    rows.forEach((row, i) => { row.hidden = i < start || i >= end; });
    const label = document.querySelector("[data-projector-rows]");
    label.textContent = label.dataset.template
      .replace("{first}", rows.length ? String(start + 1) : "0")
      .replace("{last}", String(end))
      .replace("{count}", String(rows.length))
      .replace("{page}", String(current + 1))
      .replace("{pages}", String(pages.length));
    history.replaceState(null, "", `#page=${current + 1}`);
  }

  // The next / previous peer group's tab, or null at either end.
  function neighbour(step) {
    const tabs = Array.from(document.querySelectorAll(".board-groups a"));
    const at = tabs.findIndex((tab) => tab.classList.contains("active"));
    return at < 0 ? null : tabs[at + step] || null;
  }

  function move(step) {
    const target = current + step;
    if (target >= 0 && target < pages.length) {
      show(target);
      return;
    }
    const tab = neighbour(step);
    if (tab) window.location.assign(`${tab.href}#page=${step > 0 ? "1" : "last"}`);
  }

  function start() {
    const found = table();
    if (!found) return;
    rows = Array.from(found.tBodies[0].rows);
    paginate();
    const wanted = /#page=(\w+)/.exec(window.location.hash);
    show(!wanted ? 0 : wanted[1] === "last" ? pages.length - 1 : Number(wanted[1]) - 1 || 0);

    document.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, select, textarea")) return;
      const step = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[event.key];
      if (step) {
        event.preventDefault();
        move(step);
      }
    });
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const first = pages[current][0];
        paginate();
        show(pages.findIndex(([s, e]) => first >= s && first < e));
      }, 150);
    });
    // Printing shows every row (print CSS), so nothing to do there.
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
