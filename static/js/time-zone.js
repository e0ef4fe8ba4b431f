// Tells the server this browser's time zone, so that pages show times in it.
//
// The server keeps the zone in the "tz" cookie (and, for a signed-in person who has not chosen
// one in their profile, on their account). So the report is sent only when the cookie is
// missing or names another zone: once per browser, and again after travelling. A report that
// fails is not retried in the same tab. The first page is in the tenant's zone; the next ones
// are in the browser's. Loaded by base.html on every page.
(function () {
  "use strict";
  var ENDPOINT = "/accounts/time-zone/"; // helpdesk/urls.py: name="time_zone_report"
  if (!window.Intl || !window.fetch || !document.body) return;

  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || typeof zone !== "string" || zone.length > 64) return;

  function cookie(name) {
    var pairs = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < pairs.length; i++) {
      var pair = pairs[i].trim();
      if (pair.indexOf(name + "=") === 0) {
        // Django quotes a value with a "/" in it: tz="Europe/Paris".
        return pair.slice(name.length + 1).replace(/^"(.*)"$/, "$1");
      }
    }
    return null;
  }

  function csrfToken() {
    // base.html puts the token in <body hx-headers='{"X-CSRFToken": "..."}'>; else the cookie.
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (error) {
      /* fall through to the cookie */
    }
    return cookie("csrftoken");
  }

  if (cookie("tz") === zone) return;
  // A refused report (a zone the server does not know) is not sent again from this tab.
  var REFUSED = "helpdesk-tz-refused";
  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; // storage disabled
    }
  }
  var store = storage();
  if (store && store.getItem(REFUSED) === zone) return;
  function refused() {
    try {
      if (store) store.setItem(REFUSED, zone);
    } catch (error) {
      /* storage full: at worst the report is sent again on the next page */
    }
  }
  var token = csrfToken();
  if (!token) return;
  fetch(ENDPOINT, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ time_zone: zone }).toString(),
  })
    .then(function (response) {
      if (!response.ok) refused();
    })
    .catch(refused); // offline: pages keep the tenant's zone; nothing to tell the reader
})();
