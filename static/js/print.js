// The print button of the meeting's papers (the board's print pack, the notice): the browser's own print.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
