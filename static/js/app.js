// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle-nav]");
  if (toggle) {
    const nav = document.getElementById(toggle.getAttribute("aria-controls"));
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  }
});

// Inline formsets: "add" clones the <template> (Django's empty_form) with the next index; "remove"
// drops a row that was added here (an untouched extra form is ignored by the server anyway).
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-item]");
  if (add) {
    const container = document.getElementById(add.dataset.addItem);
    const prefix = container.dataset.formsetPrefix;
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    const index = Number(total.value);
    const html = document.getElementById(add.dataset.template).innerHTML.replaceAll("__prefix__", String(index));
    container.insertAdjacentHTML("beforeend", html);
    fillOptions(container.lastElementChild);
    total.value = String(index + 1);
    const first = container.lastElementChild.querySelector("select, input, textarea");
    if (first) first.focus();
  }
  const remove = event.target.closest("[data-remove-item]");
  if (remove) remove.closest(".request-item").remove();
});

// A long option list (the visit form's 300 units) is drawn once per page, as the options of a <template>:
// each select marked data-options="<template id>" gets a copy, keeping the options it was drawn with chosen
// (the server draws only those and the empty choice, so the select posts the same value before this runs).
function fillOptions(root) {
  for (const select of root.querySelectorAll("select[data-options]")) {
    const list = document.getElementById(select.dataset.options);
    if (!list) continue;
    const chosen = new Set(Array.from(select.selectedOptions, (option) => option.value));
    for (const option of Array.from(select.options)) if (option.value !== "") option.remove();
    select.append(list.content.cloneNode(true));
    for (const option of select.options) {
      if (chosen.has(option.value)) {
        option.defaultSelected = true;
        option.selected = true;
      }
    }
    select.removeAttribute("data-options");
  }
}
fillOptions(document);
