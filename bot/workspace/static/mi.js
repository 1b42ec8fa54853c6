// The management-information dashboard: the figures from /api/mi, each panel a Chart.js
// chart with the same figures in a table beneath it. Everything shown is set as text
// (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const me = { user: params.get("user") || localStorage.getItem("opss-user") || "guest" };
const charts = [];

// Colours with at least 3:1 contrast against white (WCAG 1.4.11); EXERCISE series are
// hatched as well as coloured, so they differ without colour too.
const COLOURS = ["#1d2b53", "#b1400d", "#00703c", "#6f3c97", "#005ea5", "#594d00"];
const EXERCISE_COLOUR = "#8a5a00";

function hatch(colour) {
  const c = document.createElement("canvas");
  c.width = c.height = 8;
  const g = c.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, 8, 8);
  g.strokeStyle = colour;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(0, 8); g.lineTo(8, 0);
  g.moveTo(-2, 2); g.lineTo(2, -2);
  g.moveTo(6, 10); g.lineTo(10, 6);
  g.stroke();
  return g.createPattern(c, "repeat");
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function figure(value, decimals) {
  if (value === null || value === undefined) return "–";
  return decimals ? value.toFixed(decimals) : String(Math.round(value));
}

function table(t, key) {
  // A table in a scrolling box of its own on narrow screens; the box can take the focus so
  // a keyboard can scroll it.
  const wrap = el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t.caption });
  const tbl = el("table");
  if (key) tbl.dataset.table = key;
  tbl.appendChild(el("caption", {}, t.caption));
  const head = el("tr");
  t.columns.forEach((c) => head.appendChild(el("th", { scope: "col" }, c)));
  tbl.appendChild(el("thead")).appendChild(head);
  const body = tbl.appendChild(el("tbody"));
  if (!t.rows.length) {
    const tr = body.appendChild(el("tr"));
    tr.appendChild(el("td", { colspan: String(t.columns.length) }, t.empty));
  }
  t.rows.forEach((row, i) => {
    const tr = body.appendChild(el("tr"));
    if (t.exercise_rows.includes(i)) tr.className = "exercise";
    row.forEach((cell, j) => tr.appendChild(el(j === 0 ? "th" : "td", j === 0 ? { scope: "row" } : {}, cell)));
  });
  wrap.appendChild(tbl);
  return wrap;
}

// A long category name on as many lines as it needs, so narrow screens cut none of it.
function lines(text, width) {
  const out = [];
  let line = "";
  for (const word of String(text).split(" ")) {
    if (line && (line + " " + word).length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function chart(panel) {
  const box = el("div", { class: "chart-box" });
  const width = window.innerWidth < 640 ? 16 : 28;
  // Horizontal bars get room for each label, on all its lines.
  const tall = Math.max(1, ...panel.labels.map((l) => lines(l, width).length));
  const rows = panel.labels.length;
  box.style.height = panel.horizontal ? `${Math.max(8, 5 + rows * (1.2 + tall * 0.9))}rem` : "16rem";
  const canvas = el("canvas", { role: "img", "aria-label": `Chart: ${panel.summary} The table below gives its figures.` });
  canvas.dataset.panel = panel.key;
  box.appendChild(canvas);
  let real = 0;
  const datasets = panel.series.map((s) => {
    const colour = s.exercise ? EXERCISE_COLOUR : COLOURS[real++ % COLOURS.length];
    return {
      label: s.label,
      data: s.values,
      backgroundColor: s.exercise ? hatch(colour) : colour,
      borderColor: colour,
      borderWidth: s.exercise ? 2 : 0,
      stack: panel.stacked ? (s.exercise ? "exercise" : "real") : undefined,
    };
  });
  const axis = { beginAtZero: true, ticks: { color: "#1d1c1d", precision: panel.decimals ? undefined : 0 }, title: { display: !!panel.unit, text: panel.unit, color: "#1d1c1d" } };
  const cat = {
    ticks: {
      color: "#1d1c1d",
      autoSkip: false,
      callback(value) { return lines(this.getLabelForValue(value), width); },
    },
    stacked: panel.stacked,
  };
  const config = {
    type: "bar",
    data: { labels: panel.labels, datasets },
    options: {
      indexAxis: panel.horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: panel.horizontal ? { x: { ...axis, stacked: panel.stacked }, y: cat } : { y: { ...axis, stacked: panel.stacked }, x: cat },
      plugins: {
        legend: { display: datasets.length > 1, labels: { color: "#1d1c1d" } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${figure(ctx.raw, panel.decimals)}` } },
      },
    },
  };
  // Drawn once the box is laid out (Chart.js sizes to its container).
  requestAnimationFrame(() => charts.push(new Chart(canvas, config)));
  return box;
}

function panelSection(panel) {
  const section = el("section", { class: "panel", id: `panel-${panel.key}`, "aria-labelledby": `title-${panel.key}` });
  section.dataset.panel = panel.key;
  section.appendChild(el("h2", { id: `title-${panel.key}` }, panel.title));
  section.appendChild(el("p", { class: "summary" }, panel.summary));
  if (panel.labels.length) section.appendChild(chart(panel));
  else section.appendChild(el("p", { class: "empty" }, "Nothing to chart."));
  section.appendChild(table(panel.table, panel.key));
  for (const d of panel.details) section.appendChild(table(d));
  if (panel.note) section.appendChild(el("p", { class: "note" }, panel.note));
  return section;
}

function fillChoices(data) {
  const area = $("area");
  if (area.options.length === 1) {
    for (const a of data.areas) area.appendChild(el("option", { value: a }, a));
  }
  const period = $("period");
  if (!period.options.length) {
    for (const p of data.periods) period.appendChild(el("option", { value: p.value }, p.label));
  }
}

function query() {
  const q = new URLSearchParams();
  if (window.opssMode === "pick" || !window.opssMode) q.set("user", me.user);
  const area = params.get("area");
  if (area) q.set("area", area);
  if (params.get("period")) q.set("period", params.get("period"));
  if (params.get("exercises") === "1") q.set("exercises", "1");
  return q;
}

async function load() {
  const res = await fetch(`/api/mi?${query()}`);
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    if (data.mode) window.opssMode = data.mode;
    $("user").value = "";
    $("user").disabled = true;
    return window.opssSignIn ? window.opssSignIn() : undefined;
  }
  if (data.mode) window.opssMode = data.mode;
  if (data.mode && data.mode !== "pick") {
    $("user").disabled = true;
    window.opssSignedIn();
  }
  if (data.me) $("user").value = data.me;
  if (res.status === 400) {
    $("scope").textContent = "";
    const r = $("refused");
    r.hidden = false;
    r.textContent = data.error;
    return;
  }
  if (data.areas) fillChoices(data);
  if (res.status !== 200) {
    // Refused: what the person holds and who may see this, and nothing of the figures.
    $("filters").hidden = true;
    $("headline").hidden = true;
    $("exercise-banner").hidden = true;
    $("figures").replaceChildren();
    const r = $("refused");
    r.hidden = false;
    r.replaceChildren(el("p", {}, data.refused || "The dashboard could not be shown."));
    const back = el("a", { href: "/" + (window.opssMode === "pick" ? `?user=${encodeURIComponent(me.user)}` : "") }, "Back to the workspace");
    r.appendChild(el("p")).appendChild(back);
    return;
  }
  $("refused").hidden = true;
  $("filters").hidden = false;
  $("area").value = data.filters.area;
  $("period").value = data.filters.period;
  $("exercises").checked = data.filters.exercises;
  $("scope").textContent = `As at ${data.as_at}: ${data.scope}.`;
  $("exercise-banner").hidden = !data.filters.exercises;
  const list = $("headline-list");
  list.replaceChildren();
  for (const h of data.headline) {
    const item = el("div", { class: "tile" });
    item.appendChild(el("dt", {}, h.label));
    const dd = el("dd", {}, h.value);
    if (h.note) dd.appendChild(el("span", { class: "tile-note" }, ` ${h.note}`));
    item.appendChild(dd);
    list.appendChild(item);
  }
  $("headline").hidden = false;
  while (charts.length) charts.pop().destroy();
  const figures = $("figures");
  figures.replaceChildren(...data.panels.map(panelSection));
  document.body.dataset.loaded = String(Date.now());
}

function init() {
  $("user").value = me.user;
  $("user").addEventListener("change", () => {
    me.user = $("user").value.trim().toLowerCase() || "guest";
    localStorage.setItem("opss-user", me.user);
    params.set("user", me.user);
    history.replaceState(null, "", `?${params}`);
    load();
  });
  $("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    for (const name of ["area", "period"]) {
      const v = $(name).value;
      if (v) params.set(name, v);
      else params.delete(name);
    }
    if ($("exercises").checked) params.set("exercises", "1");
    else params.delete("exercises");
    history.replaceState(null, "", `?${params}`);
    load();
  });
  if (window.opssMode === undefined) window.opssMode = "pick";
  const link = $("workspace-link");
  link.href = "/" + (params.get("user") ? `?user=${encodeURIComponent(me.user)}` : "");
  load();
}

init();
