// The local workspace: channels, messages, a command box, and Adaptive Card forms.
"use strict";

const state = { user: "", channel: null, channels: [], seen: new Map(), general: "" };
const $ = (id) => document.getElementById(id);

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = escapeHtml(text).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
  result.didProcess = true;
};

function newKey() {
  return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
}

async function api(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-OPSS-Local": "1" },
    body: JSON.stringify(body),
  });
  if (!res.ok) return { ok: false, text: await res.text() };
  return res.json();
}

function renderCard(json, onSubmit) {
  const card = new AdaptiveCards.AdaptiveCard();
  card.parse(json);
  card.onExecuteAction = (action) => {
    if (action instanceof AdaptiveCards.SubmitAction) onSubmit(action.data);
  };
  const el = card.render();
  const wrap = document.createElement("div");
  wrap.className = "card";
  wrap.appendChild(el);
  return wrap;
}

function addLocal(text, ok, card) {
  const li = document.createElement("li");
  li.className = "ephemeral" + (ok ? "" : " error");
  li.dataset.testid = "ephemeral";
  li.innerHTML = `<div class="meta"><span class="author">OPSS bot</span>only visible to you</div>`;
  const t = document.createElement("div");
  t.className = "text";
  t.textContent = text;
  li.appendChild(t);
  if (card) li.appendChild(renderCard(card, submitData));
  $("messages").appendChild(li);
  li.scrollIntoView();
}

function showForm(formJson, errorText) {
  const host = $("form-host");
  host.innerHTML = "";
  if (errorText) {
    const e = document.createElement("div");
    e.className = "form-error";
    e.textContent = errorText;
    host.appendChild(e);
  }
  const key = newKey(); // one key per opened form: a double click submits once
  host.appendChild(renderCard(formJson, (data) => submitData(data, key)));
  const dlg = $("form-dialog");
  if (!dlg.open) dlg.showModal();
}

function handleReply(reply) {
  if (reply.form) {
    showForm(reply.form, reply.ok ? "" : reply.text);
    return;
  }
  $("form-dialog").close();
  if (reply.text || reply.card) addLocal(reply.text || "", reply.ok !== false, reply.card);
  refresh();
}

async function submitData(data, key) {
  const reply = await api("/api/submit", { user: state.user, channel: state.channel, data, key: key || newKey() });
  handleReply(reply);
}

async function sendCommand(text) {
  const reply = await api("/api/command", { user: state.user, channel: state.channel, text, key: newKey() });
  handleReply(reply);
}

function renderChannels() {
  const ul = $("channels");
  ul.innerHTML = "";
  for (const c of state.channels) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.textContent = (c.private ? "🔒 " : "# ") + c.name;
    b.dataset.channel = c.name;
    if (c.id === state.channel) b.className = "active";
    b.onclick = () => selectChannel(c.id);
    li.appendChild(b);
    ul.appendChild(li);
  }
}

function selectChannel(id) {
  state.channel = id;
  state.seen = new Map();
  $("messages").innerHTML = "";
  localStorage.setItem("opss-channel", id);
  renderChannels();
  refresh();
}

async function loadState() {
  const res = await fetch(`/api/state?user=${encodeURIComponent(state.user)}`);
  if (res.status === 401) return window.opssSignIn("Your session has ended: sign in again.");
  if (!res.ok) return;
  const s = await res.json();
  if (s.mode === "password") {
    // Signed in: the server says who you are; there is no picking a name.
    if (!s.me) {
      $("user").value = "";
      $("user").disabled = true;
      return window.opssSignIn();
    }
    state.user = s.me;
    $("user").value = s.me;
    $("user").disabled = true;
    window.opssSignedIn();
  }
  state.channels = s.channels;
  state.general = s.general;
  $("clock").textContent = s.now;
  const dl = $("people");
  dl.innerHTML = "";
  for (const p of s.people) {
    const o = document.createElement("option");
    o.value = p.name;
    o.label = p.display_name;
    dl.appendChild(o);
  }
  if (!state.channels.find((c) => c.id === state.channel)) {
    state.channel = state.general;
    state.seen = new Map();
    $("messages").innerHTML = "";
  }
  renderChannels();
}

async function loadMessages() {
  if (!state.channel) return;
  const res = await fetch(`/api/channels/${state.channel}/messages?user=${encodeURIComponent(state.user)}`);
  if (!res.ok) return;
  const data = await res.json();
  $("channel-name").textContent = (data.channel.private ? "🔒 " : "# ") + data.channel.name;
  $("channel-topic").textContent = data.channel.topic;
  renderBookmarks(data.channel.bookmarks);
  for (const m of data.messages) {
    const key = `${m.revision}:${m.pinned}`;
    if (state.seen.get(m.id) === key) continue;
    const fresh = !state.seen.has(m.id);
    state.seen.set(m.id, key);
    const li = document.getElementById(`msg-${m.id}`) || document.createElement("li");
    li.id = `msg-${m.id}`;
    li.dataset.testid = "message";
    li.dataset.revision = String(m.revision);
    li.className = m.pinned ? "pinned" : "";
    li.innerHTML = `<div class="meta"><span class="author"></span><span class="at"></span></div><div class="text"></div>`;
    li.querySelector(".author").textContent = m.author;
    li.querySelector(".at").textContent = m.at;
    li.querySelector(".text").textContent = m.text;
    if (m.card) li.appendChild(renderCard(m.card, submitData));
    if (fresh) {
      $("messages").appendChild(li);
      li.scrollIntoView();
    }
  }
}

function renderBookmarks(marks) {
  const host = $("bookmarks");
  const text = JSON.stringify(marks || []);
  if (host.dataset.marks === text) return;
  host.dataset.marks = text;
  host.innerHTML = "";
  for (const b of marks || []) {
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = "🔖 " + b.title;
    a.dataset.testid = "bookmark";
    a.onclick = (ev) => {
      ev.preventDefault();
      if (b.channel !== state.channel) selectChannel(b.channel);
      setTimeout(() => {
        const el = document.getElementById(`msg-${b.message}`);
        if (el) el.scrollIntoView();
      }, 300);
    };
    host.appendChild(a);
  }
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    await loadState();
    await loadMessages();
  } finally {
    busy = false;
  }
}

function init() {
  const params = new URLSearchParams(location.search);
  state.user = params.get("user") || localStorage.getItem("opss-user") || "guest";
  state.channel = localStorage.getItem("opss-channel");
  $("user").value = state.user;
  $("user").addEventListener("change", () => {
    state.user = $("user").value.trim().toLowerCase() || "guest";
    localStorage.setItem("opss-user", state.user);
    state.seen = new Map();
    $("messages").innerHTML = "";
    refresh();
  });
  $("command-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("command").value.trim();
    if (!text) return;
    $("command").value = "";
    sendCommand(text);
  });
  $("form-close").onclick = () => $("form-dialog").close();
  for (const b of document.querySelectorAll("[data-forward]")) {
    b.onclick = () => sendCommand(`/opss clock ${b.dataset.forward}`);
  }
  refresh();
  setInterval(refresh, 1000);
}

init();
