/* The workspace's link to live chat (every agent page).
 *
 * One websocket (/ws/agent/) keeps the agent counted as present and brings notices: a customer
 * is waiting, the waiting line changed, a chat was handed to you, a customer wrote in one of
 * your chats. A notice updates the "Chats" badge, shows a toast, changes the tab title until the
 * tab is looked at, and (when the agent is available) plays a short tone.
 */
(function () {
  "use strict";
  if (!window.WebSocket || !document.querySelector(".workspace-body")) return;

  var badge = document.querySelector("[data-chats-badge]");
  var toasts = document.querySelector("[data-toasts]");
  var switchForm = document.querySelector("[data-chat-switch]");
  var baseTitle = document.title;
  var flashTimer = null;
  var attempts = 0;
  var socket = null;
  var chatPane = document.querySelector("[data-chat]");
  var currentChat = chatPane ? chatPane.dataset.token : null;

  function available() {
    var button = document.querySelector("[data-chat-switch] [role=switch]");
    return button && button.getAttribute("aria-checked") === "true";
  }

  function setBadge(count) {
    if (!badge || typeof count !== "number") return;
    badge.textContent = count;
    badge.hidden = count === 0;
    badge.classList.toggle("is-alert", count > 0);
    badge.setAttribute("aria-label", count + " waiting");
  }

  function tone() {
    if (!available()) return;
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      var context = new Context();
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, context.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 0.35);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start();
      oscillator.stop(context.currentTime + 0.35);
    } catch (e) { /* no sound before the page was touched: the title and toast remain */ }
  }

  function flashTitle(text) {
    if (!document.hidden) return;
    clearInterval(flashTimer);
    var on = false;
    flashTimer = setInterval(function () {
      document.title = (on = !on) ? text : baseTitle;
    }, 1200);
  }

  function toast(text, href) {
    if (!toasts) return;
    var item = document.createElement(href ? "a" : "div");
    item.className = "toast";
    if (href) item.href = href;
    item.textContent = text;
    toasts.appendChild(item);
    setTimeout(function () { item.remove(); }, 8000);
  }

  function refreshLists() {
    var lists = document.querySelector("[data-chat-lists]");
    if (!lists) return;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-chat-lists]");
        if (fresh) lists.replaceWith(fresh);
      })
      .catch(function () {});
  }

  function onNotice(notice) {
    setBadge(notice.waiting);
    var chatUrl = notice.token ? "/agent/chats/" + notice.token + "/" : "/agent/chats/";
    if (notice.kind === "waiting") {
      toast("New chat: " + notice.name + " — " + notice.preview, chatUrl);
      flashTitle("(" + notice.waiting + ") New chat");
      tone();
    } else if (notice.kind === "assigned") {
      toast(notice.name + ": " + notice.preview, chatUrl);
      flashTitle("Chat handed to you");
      tone();
    } else if (notice.kind === "message" && notice.token !== currentChat) {
      var item = document.querySelector('[data-chat-item="' + notice.token + '"] [data-unread]');
      if (item) item.hidden = false;
      toast(notice.name + ": " + notice.preview, chatUrl);
      flashTitle("New message from " + notice.name);
      tone();
    } else if (notice.kind === "message" && document.hidden) {
      flashTitle("New message from " + notice.name);
      tone();
    }
    if (notice.kind !== "message") refreshLists();
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/agent/");
    socket.onopen = function () { attempts = 0; };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "hello") setBadge(frame.waiting);
      else if (frame.type === "notice") onNotice(frame);
    };
    socket.onclose = function (event) {
      if (event.code === 4403) return;
      attempts += 1;
      setTimeout(connect, Math.min(15000, 1000 * Math.pow(2, Math.min(attempts, 4))));
    };
  }

  if (switchForm) {
    document.querySelectorAll("[data-chat-switch]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) { return response.json(); })
          .then(function (json) {
            document.querySelectorAll("[data-chat-switch]").forEach(function (other) {
              var button = other.querySelector("[role=switch]");
              button.setAttribute("aria-checked", json.available ? "true" : "false");
              button.classList.toggle("is-on", json.available);
              other.querySelector(".switch-label").textContent = json.available ? "Available for chat" : "Away from chat";
              other.querySelector("input[name=available]").value = json.available ? "0" : "1";
            });
          })
          .catch(function () { form.submit(); });
      });
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      clearInterval(flashTimer);
      document.title = baseTitle;
    }
  });
  setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
  }, 30000);
  connect();
})();
