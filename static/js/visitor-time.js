// Shows the next opening/closing time in the visitor's own time zone as well, when it differs.
(function () {
  const time = document.querySelector(".live-status time.tenant-time");
  const target = document.querySelector(".live-status .visitor-time");
  if (!time || !target || !window.Intl) return;
  const when = new Date(time.getAttribute("datetime"));
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const text = new Intl.DateTimeFormat(undefined, {
    weekday: "long", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  }).format(when);
  target.textContent = "(" + text + " your time, " + zone + ")";
  target.hidden = false;
})();
