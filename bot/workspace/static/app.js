// The local workspace: channels, messages, a command box, and Adaptive Card forms.
"use strict";

const state = { user: "", channel: null, channels: [], seen: new Map(), general: "", waiting: {} };
const $ = (id) => document.getElementById(id);

// Markdown in a TextBlock (the Adaptive Cards subset) through markdown-it with raw HTML off,
// and its output through DOMPurify, keeping only the tags that subset produces. Text that
// people typed never reaches it: the bot puts it in TextRuns, which are shown literally.
const markdown = window.markdownit({ html: false, linkify: false, typographer: false });
const MARKDOWN_TAGS = ["p", "strong", "em", "ul", "ol", "li", "a", "br", "code"];
AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = DOMPurify.sanitize(markdown.render(text), {
    ALLOWED_TAGS: MARKDOWN_TAGS,
    ALLOWED_ATTR: ["href"],
  });
  result.didProcess = true;
};
// Text colours with at least 4.5:1 contrast on a card's white (WCAG 1.4.3): the renderer's
// defaults for accent (#2E89FC) and warning (#E69500) text are too light to read.
(function readableColours() {
  const config = AdaptiveCards.defaultHostConfig;
  if (!config) return;
  const colours = { accent: "#005ea5", good: "#00703c", warning: "#8a5a00", attention: "#b1400d" };
  for (const style of ["default", "emphasis"]) {
    const set = config.containerStyles.getStyleByName(style).foregroundColors;
    for (const [name, colour] of Object.entries(colours)) {
      set[name].default = colour;
      set[name].subtle = colour;
    }
  }
})();
// Choice labels are the bot's words or people's names: plain text, never Markdown.
AdaptiveCards.GlobalSettings.useMarkdownInRadioButtonAndCheckbox = false;

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
    else if (action instanceof AdaptiveCards.OpenUrlAction) window.location.assign(action.url);
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
  if (text) {
    const t = document.createElement("div");
    t.className = "text";
    t.textContent = text;
    li.appendChild(t);
  }
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

async function handleReply(reply, channel) {
  if (reply.form) {
    showForm(reply.form, reply.ok ? "" : reply.text);
    return;
  }
  $("form-dialog").close();
  // The server answers once the command's posts are in their channels: they are shown
  // first, and the reply below them, where the person is looking.
  await refresh(true);
  const text = reply.card && reply.text === reply.summary ? "" : reply.text || "";
  if (!text && !reply.card) return;
  const local = [text, reply.ok !== false, reply.card];
  // A reply belongs to the channel its command was typed in: if the person has moved on, it
  // waits there for them (its buttons act in that channel), as Slack's ephemeral messages do.
  if (channel === state.channel) addLocal(...local);
  else (state.waiting[channel] = state.waiting[channel] || []).push(local);
}

async function submitData(data, key) {
  const channel = state.channel;
  const reply = await api("/api/submit", { user: state.user, channel, data, key: key || newKey() });
  await handleReply(reply, channel);
}

async function sendCommand(text) {
  const channel = state.channel;
  const reply = await api("/api/command", { user: state.user, channel, text, key: newKey() });
  await handleReply(reply, channel);
}

function renderChannels() {
  const ul = $("channels");
  ul.innerHTML = "";
  for (const c of state.channels) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    // A closed incident's channel: marked first, so a long name cannot hide it.
    b.textContent = (c.closed ? "🗄 closed · " : c.private ? "🔒 " : "# ") + c.name;
    if (c.closed) b.title = "Closed: the incident's channel is archived";
    b.dataset.channel = c.name;
    b.className = [c.id === state.channel ? "active" : "", c.closed ? "closed" : ""].join(" ").trim();
    b.onclick = () => selectChannel(c.id);
    li.appendChild(b);
    ul.appendChild(li);
  }
}

function selectChannel(id) {
  state.channel = id;
  state.seen = new Map();
  clearMessages();
  // Nothing of the channel left stays on show while the new one loads: its name at once,
  // and no topic, bookmarks or welcome of another.
  const chosen = state.channels.find((c) => c.id === id);
  if (chosen) $("channel-name").textContent = (chosen.private ? "🔒 " : "# ") + chosen.name;
  $("channel-topic").textContent = "";
  renderBookmarks([]);
  renderWelcome(state.welcome);
  localStorage.setItem("opss-channel", id);
  renderChannels();
  // After any refresh already under way, which may have fetched the channel just left.
  refresh(true);
}

function clearMessages() {
  delete $("messages").dataset.channel;
  for (const li of [...$("messages").children]) if (li.id !== "welcome") li.remove();
}

function renderWelcome(card) {
  // The first page explains itself: who the demo people are and what to type first.
  const host = $("welcome");
  const text = JSON.stringify(card || null);
  const show = card && state.channel === state.general;
  host.hidden = !show;
  if (!show || host.dataset.card === text) return;
  host.dataset.card = text;
  host.innerHTML = "";
  host.appendChild(renderCard(card, submitData));
}

async function loadState() {
  const res = await fetch(`/api/state?user=${encodeURIComponent(state.user)}`);
  if (res.status === 401) {
    const refused = await res.json().catch(() => ({}));
    if (refused.mode) window.opssMode = refused.mode; // which sign-in to offer
    return window.opssSignIn("Your session has ended: sign in again.");
  }
  if (!res.ok) return;
  const s = await res.json();
  window.opssMode = s.mode;
  if (s.mode !== "pick") {
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
  // The dashboard link names who is looking when names are picked.
  $("mi-link").href = s.mode === "pick" ? `/mi?user=${encodeURIComponent(state.user)}` : "/mi";
  state.channels = s.channels;
  state.general = s.general;
  state.welcome = s.welcome;
  $("clock").textContent = s.now;
  const dl = $("people");
  dl.innerHTML = "";
  for (const p of s.people) {
    const o = document.createElement("option");
    o.value = p.name;
    o.label = p.label || p.display_name;
    dl.appendChild(o);
  }
  if (!state.channels.find((c) => c.id === state.channel)) {
    state.channel = state.general;
    state.seen = new Map();
    clearMessages();
  }
  renderChannels();
  renderWelcome(state.welcome);
}

async function loadMessages() {
  const { channel, user } = state;
  if (!channel) return;
  const res = await fetch(`/api/channels/${channel}/messages?user=${encodeURIComponent(user)}`);
  if (!res.ok) return;
  const data = await res.json();
  // The person moved to another channel (or name) while this was fetched: not shown.
  if (channel !== state.channel || user !== state.user) return;
  $("channel-name").textContent = (data.channel.private ? "🔒 " : "# ") + data.channel.name;
  $("channel-topic").textContent = data.channel.topic;
  const closed = $("channel-closed");
  closed.hidden = !data.channel.closed;
  closed.textContent = data.channel.closed
    ? `Closed ${data.channel.closed}: this incident's channel is archived. Its records stay available (/opss export).`
    : "";
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
    if (m.file) {
      const a = document.createElement("a");
      a.href = m.file.url;
      a.className = "file";
      a.dataset.testid = "file";
      a.setAttribute("download", m.file.filename);
      a.textContent = `📄 ${m.file.filename} (${Math.max(1, Math.round(m.file.size / 1024))} KB)`;
      li.querySelector(".text").textContent = "";
      li.querySelector(".text").appendChild(a);
    }
    if (m.card) li.appendChild(renderCard(m.card, submitData));
    if (fresh) {
      $("messages").appendChild(li);
      li.scrollIntoView();
    }
  }
  for (const local of state.waiting[channel] || []) addLocal(...local);
  delete state.waiting[channel];
  // Which channel the list now shows in full (tests wait on it).
  $("messages").dataset.channel = data.channel.name;
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

// One refresh at a time. A reply asks for a fresh one (``after``): it waits for any pass
// under way, then runs one that sees what the command posted.
let running = null;
let queued = null;
function refresh(after) {
  if (running && !after) return running;
  if (running) {
    queued = queued || running.then(() => { queued = null; return refresh(); });
    return queued;
  }
  running = (async () => {
    try {
      await loadState();
      await loadMessages();
    } finally {
      running = null;
    }
  })();
  return running;
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
    clearMessages();
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
