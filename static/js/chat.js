/* Live chat on the page: the customer's chat room and the agent's chat pane.
 *
 * One websocket per chat (/ws/chat/<token>/?after=<last id>). Messages carry the chat's
 * sequence number: the page keeps the last one it shows and resumes from it after a dropped
 * connection, so nothing is lost or shown twice. A message typed while offline waits with its
 * own client_id and is sent again on reconnect; the server stores it once.
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-chat]");
  if (!root || !window.WebSocket) return;

  var token = root.dataset.token;
  var role = root.dataset.role;
  var lastId = parseInt(root.dataset.lastId || "0", 10) || 0;
  var log = root.querySelector("[data-chat-log]"); // the scrolling region
  var lines = log.querySelector("[data-chat-lines]") || log; // the list of messages in it
  var typingLine = root.querySelector("[data-chat-typing]");
  var connection = root.querySelector("[data-chat-connection]");
  var composer = root.querySelector("[data-chat-composer]");
  var errorLine = root.querySelector("[data-chat-error]");
  var headline = document.querySelector("[data-chat-headline]");
  var pending = new Map(); // client_id -> {body, el}
  var socket = null;
  var attempts = 0;
  var stopped = false;
  var typingTimer = null;
  var lastTypingSent = 0;
  var baseTitle = document.title;
  var leaving = false;
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) leaving = true;
  });
  window.addEventListener("pageshow", function () { leaving = false; });

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function timeLabel(iso) {
    var date = new Date(iso);
    // 24-hour "09:41", like the times the page itself prints.
    return isNaN(date) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function bubble(m, isPending) {
    var li = document.createElement("li");
    li.className = "chat-msg from-" + m.author + (m.author === role ? " is-mine" : "") + (isPending ? " is-pending" : "");
    if (m.id) li.dataset.id = m.id;
    if (m.author !== "system") {
      var who = document.createElement("span");
      who.className = "chat-who";
      who.textContent = m.name || "";
      li.appendChild(who);
    }
    var body = document.createElement("div");
    body.className = "chat-bubble";
    if (m.file) {
      var link = document.createElement("a");
      link.className = "chat-file";
      link.href = m.file.url;
      link.setAttribute("download", "");
      link.textContent = m.file.name;
      body.appendChild(link);
      var size = document.createElement("span");
      size.className = "muted";
      size.textContent = " (" + formatSize(m.file.size) + ")";
      body.appendChild(size);
    }
    if (m.body) {
      var p = document.createElement("p");
      p.textContent = m.body; // text only: markup a participant types is shown, never run
      body.appendChild(p);
    }
    li.appendChild(body);
    var time = document.createElement("time");
    time.className = "chat-time";
    if (m.at) time.setAttribute("datetime", m.at);
    time.textContent = isPending ? "sending…" : timeLabel(m.at);
    li.appendChild(time);
    return li;
  }

  // Follow the conversation while the reader is at its end; someone scrolled up to read an
  // earlier message is not pulled down by each new one (their own messages still scroll).
  var following = true;

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    following = true;
  }

  log.addEventListener("scroll", function () {
    following = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  });
  window.addEventListener("resize", function () {
    if (following) log.scrollTop = log.scrollHeight;
  });

  function addMessage(m) {
    if (m.id <= lastId) return; // already shown: a resumed stream never duplicates
    lastId = m.id;
    if (m.client_id && pending.has(m.client_id)) {
      pending.get(m.client_id).el.remove();
      pending.delete(m.client_id);
    }
    lines.appendChild(bubble(m, false));
    if (following || m.author === role) scrollDown();
    if (m.author !== role && m.author !== "system") {
      typingLine.textContent = "";
      if (document.hidden) document.title = "New message · " + baseTitle;
    }
  }

  function setConnection(text) {
    if (connection) connection.textContent = text;
  }

  function showError(text) {
    if (!errorLine) {
      setConnection(text);
      return;
    }
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  // What the person was typing survives the redraw (an agent joining reloads the page).
  var draftKey = "chat-draft-" + token;

  function keepDraft() {
    var box = composer && composer.querySelector("textarea");
    try {
      if (box && box.value.trim()) sessionStorage.setItem(draftKey, box.value);
    } catch (e) { /* storage may be off: the draft is lost, as before */ }
  }

  function restoreDraft(box) {
    try {
      var draft = sessionStorage.getItem(draftKey);
      sessionStorage.removeItem(draftKey);
      if (draft && !box.value) box.value = draft;
    } catch (e) { /* nothing kept */ }
  }

  function renderState(state) {
    var changed =
      state.status !== root.dataset.status ||
      String(state.ticket ? state.ticket.number : "") !== root.dataset.ticket ||
      (role === "agent" && (state.agent || "") !== root.dataset.agent);
    if (changed) {
      // The page's actions depend on the state: redraw it (the conversation resumes by id).
      // Not while a form of this page is being sent: that answer is the fresh page already,
      // and a reload now would cancel it and lose its confirmation ("Ticket #12 created").
      if (!leaving) {
        keepDraft();
        window.location.reload();
      }
      return;
    }
    if (headline && state.status === "waiting" && state.queue_position) {
      headline.textContent = "You are number " + state.queue_position + " in line. The next free agent will join you here.";
    } else if (headline && state.status === "active" && state.agent) {
      headline.textContent = "You are chatting with " + state.agent + ".";
    }
  }

  function showTyping(frame) {
    typingLine.textContent = (frame.name || "Someone") + " is typing…";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingLine.textContent = ""; }, 4000);
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/chat/" + token + "/?after=" + lastId);
    socket.onopen = function () {
      attempts = 0;
      setConnection("");
      pending.forEach(function (item, clientId) {
        sendFrame({ type: "message", body: item.body, client_id: clientId });
      });
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "message") addMessage(frame);
      else if (frame.type === "state") renderState(frame);
      else if (frame.type === "typing") showTyping(frame);
      else if (frame.type === "error") showError(frame.message);
    };
    socket.onclose = function (event) {
      if (event.code === 4404 || event.code === 4403) {
        stopped = true;
        setConnection("This chat is not available.");
        return;
      }
      if (stopped) return;
      attempts += 1;
      var delay = Math.min(10000, 500 * Math.pow(2, Math.min(attempts, 5)));
      setConnection("Connection lost; reconnecting…");
      setTimeout(connect, delay);
    };
  }

  if (composer) {
    var textarea = composer.querySelector("textarea");
    var fileInput = composer.querySelector("[data-chat-file]");
    restoreDraft(textarea);

    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = textarea.value.trim();
      if (!body) return;
      if (body.length > 4000) {
        showError("A chat message may be at most 4,000 characters; send a file or split it.");
        return;
      }
      showError("");
      var clientId = newClientId();
      var el = bubble({ author: role, name: "", body: body }, true);
      lines.appendChild(el);
      scrollDown();
      pending.set(clientId, { body: body, el: el });
      textarea.value = "";
      sendFrame({ type: "message", body: body, client_id: clientId });
    });

    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });

    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSent > 2500 && textarea.value.trim()) {
        lastTypingSent = now;
        sendFrame({ type: "typing" });
      }
    });

    if (fileInput) {
      fileInput.addEventListener("change", function () {
        var file = fileInput.files[0];
        if (!file) return;
        var data = new FormData();
        data.append("file", file);
        showError("");
        setConnection("Uploading " + file.name + "…");
        fetch("/chat/" + token + "/files/", {
          method: "POST",
          body: data,
          headers: { "X-CSRFToken": csrf() },
          credentials: "same-origin",
        })
          .then(function (response) {
            return response.json().then(function (json) { return { ok: response.ok, json: json }; });
          })
          .then(function (result) {
            setConnection("");
            if (result.ok) addMessage(result.json.message);
            else showError(result.json.detail || "The file was not accepted.");
          })
          .catch(function () {
            setConnection("");
            showError("The upload failed; check your connection and try again.");
          })
          .finally(function () { fileInput.value = ""; });
      });
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) document.title = baseTitle;
  });
  setInterval(function () { sendFrame({ type: "ping" }); }, 25000);
  scrollDown();
  connect();
})();
