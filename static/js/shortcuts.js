// Keyboard shortcuts for the agent queue and ticket page (documented in the "?" overlay).
(function () {
  const overlay = document.querySelector("[data-shortcuts]");
  let current = -1;
  let pendingG = false;

  function rows() { return Array.from(document.querySelectorAll("[data-queue-row]")); }
  function highlight(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("is-current", i === current));
    all[current].scrollIntoView({ block: "nearest" });
    const link = all[current].querySelector("[data-queue-link]");
    if (link) link.focus({ preventScroll: true });
  }
  function toggleHelp(show) {
    if (!overlay) return;
    overlay.hidden = show === undefined ? !overlay.hidden : !show;
  }
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-shortcuts-toggle]")) toggleHelp();
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "Escape") { toggleHelp(false); if (typing) event.target.blur(); return; }
    if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
    if (pendingG) {
      pendingG = false;
      if (event.key === "q") { window.location.href = "/agent/"; }
      return;
    }
    switch (event.key) {
      case "?": toggleHelp(); break;
      case "j": highlight(current + 1); break;
      case "k": highlight(current - 1); break;
      case "o": case "Enter": {
        const row = rows()[current];
        const link = row && row.querySelector("[data-queue-link]");
        if (link) { event.preventDefault(); link.click(); }
        break;
      }
      case "x": {
        const row = rows()[current];
        const box = row && row.querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        break;
      }
      case "/": {
        const search = document.querySelector("[data-shortcut-search]");
        if (search) { event.preventDefault(); search.focus(); }
        break;
      }
      case "r": {
        const reply = document.querySelector("[data-shortcut-reply]");
        if (reply) { event.preventDefault(); reply.focus(); }
        break;
      }
      case "g": pendingG = true; break;
      default: return;
    }
  });
  document.body.addEventListener("htmx:afterSwap", () => { current = -1; });
})();
