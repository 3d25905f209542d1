// The diff page's keyboard: n and p move focus to the next and the previous change
// (every element with data-op, outside any other one; what is collapsed is skipped).
"use strict";

function changes() {
  return Array.from(document.querySelectorAll("[data-op]")).filter(
    (el) => !el.parentElement.closest("[data-op]") && el.getClientRects().length > 0,
  );
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "n" && event.key !== "p") return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target instanceof Element && event.target.closest("input, select, textarea, [contenteditable]")) return;
  const list = changes();
  if (list.length === 0) return;
  const at = list.findIndex((el) => el.contains(document.activeElement));
  let next;
  if (event.key === "n") next = at < 0 ? 0 : Math.min(at + 1, list.length - 1);
  else next = at < 0 ? list.length - 1 : Math.max(at - 1, 0);
  event.preventDefault();
  list[next].focus({ preventScroll: true });
  list[next].scrollIntoView({ block: "center" });
});
