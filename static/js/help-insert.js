// The agent ticket page's "Help articles" panel: search the published articles as the agent
// types, and "Insert link" puts a Markdown link to one at the cursor in the reply box.
// Without JavaScript the search form opens the results page (with links to copy) in a new tab.
(function () {
  const panel = document.querySelector("[data-help-panel]");
  if (!panel || panel.dataset.ready) return;
  panel.dataset.ready = "1";
  const form = panel.querySelector("[data-help-search]");
  const input = form.querySelector("input[name=q]");
  const results = panel.querySelector("[data-help-results]");
  const status = panel.querySelector("[data-help-status]");
  const replyBox = () => document.querySelector("#reply textarea[name=body]");
  let timer = null;
  let controller = null;
  let shown = null;

  // Where the agent's cursor was in the reply box: a textarea that was never focused reports
  // position 0, but a link added to a drafted reply belongs at its end.
  let caretKnown = false;
  document.addEventListener("focusin", (event) => {
    if (event.target === replyBox()) caretKnown = true;
  });

  function announce(text) {
    status.textContent = "";
    window.setTimeout(() => { status.textContent = text; }, 50);
  }

  async function search() {
    const query = input.value.trim();
    if (query === shown) return;
    shown = query;
    if (controller) controller.abort();
    controller = new AbortController();
    const url = form.action + "?" + new URLSearchParams({ q: query }).toString();
    try {
      const response = await fetch(url, {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(String(response.status));
      results.innerHTML = await response.text();
      const summary = results.querySelector("[data-help-summary]");
      if (summary && summary.dataset.helpSummary) announce(summary.dataset.helpSummary);
    } catch (error) {
      if (error.name === "AbortError") return;
      shown = null;
      results.innerHTML = "";
      const problem = document.createElement("p");
      problem.className = "small message message-error";
      problem.textContent = "Search is not available right now. Try again in a moment.";
      results.append(problem);
    }
  }

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 250);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(timer);
    search();
  });
  input.addEventListener("keydown", (event) => {
    // Down arrow: to the first result's "Insert link" button.
    if (event.key !== "ArrowDown") return;
    const first = results.querySelector("[data-help-insert]");
    if (first) { event.preventDefault(); first.focus(); }
  });

  function insert(markdown) {
    const box = replyBox();
    if (!box) return false;
    const end = caretKnown ? box.selectionEnd : box.value.length;
    const start = caretKnown ? box.selectionStart : end;
    const before = box.value.slice(0, start);
    const after = box.value.slice(end);
    const lead = before && !/\s$/.test(before) ? " " : "";
    const trail = after && !/^\s/.test(after) ? " " : "";
    box.focus();
    box.setRangeText(lead + markdown + trail, start, end, "end");
    caretKnown = true;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  results.addEventListener("click", (event) => {
    const button = event.target.closest("[data-help-insert]");
    if (!button) return;
    if (insert(button.dataset.markdown)) {
      announce("Link to “" + button.dataset.title + "” inserted in your reply.");
    } else {
      announce("There is no reply box on this page to insert into.");
    }
  });
})();
