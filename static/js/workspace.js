// The workspace shell: the navigation drawer on narrow screens, and the queue's select-all.
(function () {
  const shell = document.querySelector("[data-shell]");
  const toggle = document.querySelector("[data-menu-toggle]");
  function setOpen(open) {
    if (!shell || !toggle) return;
    shell.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      const first = document.querySelector("#workspace-nav a");
      if (first) first.focus();
    }
  }
  if (toggle) toggle.addEventListener("click", () => setOpen(!shell.classList.contains("nav-open")));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && shell && shell.classList.contains("nav-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
  document.addEventListener("click", (event) => {
    // A click outside the open drawer (on the dimmed page) closes it.
    if (!shell || !shell.classList.contains("nav-open")) return;
    if (!event.target.closest("#workspace-nav") && !event.target.closest("[data-menu-toggle]")) setOpen(false);
  });

  // The queue's filters stay open on a wide screen; on a phone they fold away until asked for.
  const filters = document.querySelector("[data-filters]");
  if (filters && window.matchMedia("(min-width: 64rem)").matches) filters.open = true;

  // Queue: "select all" follows and drives the row checkboxes; selected rows are tinted.
  function syncSelection(root) {
    const all = root.querySelector("[data-select-all]");
    const boxes = Array.from(root.querySelectorAll("[data-queue-row] input[name=ticket]"));
    boxes.forEach((box) => box.closest("tr").classList.toggle("is-selected", box.checked));
    if (all) {
      const checked = boxes.filter((box) => box.checked).length;
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    const counter = root.querySelector("[data-selected-count]");
    if (counter) {
      const n = boxes.filter((box) => box.checked).length;
      counter.textContent = n ? n + " selected" : "";
    }
  }
  document.addEventListener("change", (event) => {
    const form = event.target.closest("#bulk-form");
    if (!form) return;
    if (event.target.matches("[data-select-all]")) {
      form.querySelectorAll("[data-queue-row] input[name=ticket]").forEach((box) => { box.checked = event.target.checked; });
    }
    syncSelection(form);
  });
})();
