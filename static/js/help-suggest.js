/* The ticket form's help-center suggestions: while the customer types the subject, ask
 * /help/suggest/?q=<subject> (after a pause in typing) and show the small HTML fragment it
 * returns in the live region under the field. Nothing is shown for short or empty subjects.
 * Without JavaScript the form simply has no suggestions. */
(function () {
  "use strict";
  var DELAY_MS = 350;
  var MIN_CHARS = 4;
  var box = document.getElementById("help-suggestions");
  if (!box || !window.fetch) return;
  var input = document.getElementById(box.getAttribute("data-for"));
  var url = box.getAttribute("data-url");
  if (!input || !url) return;
  var timer = null;
  var asked = null;
  var pending = null;

  function show(html) {
    box.innerHTML = html.trim();
  }

  function ask() {
    var subject = input.value.replace(/\s+/g, " ").trim();
    if (subject === asked) return;
    asked = subject;
    if (pending) pending.abort();
    pending = null;
    if (subject.length < MIN_CHARS) {
      show("");
      return;
    }
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    fetch(url + "?q=" + encodeURIComponent(subject.slice(0, 200)), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (pending === controller) show(html);
      })
      .catch(function (error) {
        // An aborted request was replaced by a newer one; anything else: no suggestions.
        if (!error || error.name !== "AbortError") show("");
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, DELAY_MS);
  });
  // A form shown again after an error keeps its subject: suggest for it straight away.
  if (input.value.trim()) ask();
})();
