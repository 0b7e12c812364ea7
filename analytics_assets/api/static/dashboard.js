// Dashboard: every figure comes from the /v1 API (the HttpOnly cookie authenticates the GETs).
"use strict";

const $ = (id) => document.getElementById(id);
const layout = (title, extra) => Object.assign({
  title: { text: title, font: { size: 14 } }, margin: { l: 50, r: 20, t: 40, b: 40 },
  legend: { orientation: "h" }, autosize: true,
}, extra || {});
const config = { displaylogo: false, responsive: true };
let nextCursor = null;

async function api(path, params) {
  const url = new URL(path, window.location.origin);
  Object.entries(params || {}).forEach(([k, v]) => { if (v !== "" && v != null) url.searchParams.set(k, v); });
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
  return body;
}

function addDay(iso, days) {
  const d = new Date(iso + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function range() {
  return { from: $("pick-from").value, to: addDay($("pick-to").value, 1) };
}

function filters() {
  return { app: $("pick-app").value, model: $("pick-model").value, language: $("pick-language").value };
}

function fill(select, values) {
  const current = select.value;
  select.querySelectorAll("option:not(:first-child)").forEach((o) => o.remove());
  values.forEach((v) => { const o = document.createElement("option"); o.value = v; o.textContent = v; select.appendChild(o); });
  if (values.includes(current)) select.value = current;
}

function byKey(rows, key, measure) {
  const out = {};
  rows.forEach((r) => { (out[r[key]] = out[r[key]] || []).push({ x: r.period, y: r[measure] }); });
  return Object.entries(out).map(([name, pts]) => ({
    name, x: pts.map((p) => p.x), y: pts.map((p) => p.y), type: "scatter", mode: "lines", stackgroup: "one",
  }));
}

function shares(rows, key) {
  const total = rows.reduce((s, r) => s + r.messages, 0) || 1;
  const sorted = rows.slice().sort((a, b) => b.messages - a.messages);
  return [{ type: "bar", x: sorted.map((r) => r[key]), y: sorted.map((r) => r.messages / total), name: key }];
}

async function loadPickers() {
  const base = range();
  for (const [dim, id] of [["app", "pick-app"], ["model", "pick-model"], ["language", "pick-language"]]) {
    const res = await api("/v1/metrics", { ...base, measures: "messages", dimensions: dim });
    fill($(id), res.data.map((r) => r[dim]).filter((v) => v != null));
  }
}

async function loadCharts() {
  const q = { ...range(), ...filters() };
  const totals = await api("/v1/metrics", { ...q, measures: "messages,conversations,users,cost,latency_p95,error_rate" });
  const t = totals.data[0] || {};
  $("kpi-messages").textContent = t.messages != null ? String(t.messages) : "0";
  $("kpi-conversations").textContent = t.conversations != null ? String(t.conversations) : "0";
  $("kpi-users").textContent = t.users != null ? String(t.users) : "0";
  $("kpi-cost").textContent = t.cost != null ? t.cost.toFixed(2) : "0";
  $("kpi-latency").textContent = t.latency_p95 != null ? t.latency_p95.toFixed(2) : "–";
  $("kpi-errors").textContent = t.error_rate != null ? (100 * t.error_rate).toFixed(1) + "%" : "–";

  const daily = await api("/v1/metrics", { ...q, measures: "messages,users,error_rate", granularity: "day" });
  const days = daily.data.map((r) => r.period);
  Plotly.react("chart-volume", [
    { name: "messages", x: days, y: daily.data.map((r) => r.messages), type: "bar" },
    { name: "users", x: days, y: daily.data.map((r) => r.users), type: "scatter", mode: "lines+markers", yaxis: "y2" },
  ], layout("Messages and users per day", { yaxis2: { overlaying: "y", side: "right" } }), config);
  Plotly.react("chart-errors", [
    { name: "error rate", x: days, y: daily.data.map((r) => r.error_rate), type: "scatter", mode: "lines+markers" },
  ], layout("Error rate per day", { yaxis: { tickformat: ".1%" } }), config);

  const topics = await api("/v1/metrics", { ...q, measures: "messages,negative_share", dimensions: "topic" });
  Plotly.react("chart-topics", shares(topics.data, "topic"), layout("Topic shares", { yaxis: { tickformat: ".0%" } }), config);
  const negative = topics.data.slice().sort((a, b) => b.negative_share - a.negative_share).slice(0, 8);
  Plotly.react("chart-negative-topics", [{
    type: "bar", orientation: "h", x: negative.map((r) => r.negative_share), y: negative.map((r) => r.topic),
  }], layout("Topics with the most negative sentiment", { xaxis: { tickformat: ".0%" }, yaxis: { autorange: "reversed" }, margin: { l: 130, r: 20, t: 40, b: 40 } }), config);

  const topicTrend = await api("/v1/metrics", { ...q, measures: "messages", dimensions: "topic", granularity: "day" });
  Plotly.react("chart-topic-trend", byKey(topicTrend.data, "topic", "messages"), layout("Topics per day"), config);

  const intents = await api("/v1/metrics", { ...q, measures: "messages", dimensions: "intent" });
  Plotly.react("chart-intents", shares(intents.data, "intent"), layout("Intent shares", { yaxis: { tickformat: ".0%" } }), config);

  const sentiment = await api("/v1/metrics", { ...q, measures: "messages", dimensions: "sentiment", granularity: "day" });
  Plotly.react("chart-sentiment", byKey(sentiment.data, "sentiment", "messages"), layout("Sentiment per day"), config);

  const models = await api("/v1/metrics", { ...q, measures: "latency_p95,cost", dimensions: "model" });
  Plotly.react("chart-models", [
    { name: "latency p95 (s)", type: "bar", x: models.data.map((r) => r.model), y: models.data.map((r) => r.latency_p95) },
    { name: "cost", type: "bar", x: models.data.map((r) => r.model), y: models.data.map((r) => r.cost), yaxis: "y2" },
  ], layout("Latency p95 and cost by model", { barmode: "group", yaxis2: { overlaying: "y", side: "right" } }), config);
}

function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); }

async function loadConversations(append) {
  const params = { ...range(), ...filters(), limit: 20 };
  if (append && nextCursor) params.cursor = nextCursor;
  const page = await api("/v1/conversations", params);
  const body = $("conversations").querySelector("tbody");
  if (!append) body.replaceChildren();
  page.data.forEach((c) => {
    const tr = document.createElement("tr");
    tr.dataset.id = c.conversation_id;
    cell(tr, c.first_message_at.slice(0, 16).replace("T", " "));
    cell(tr, c.dominant_topic); cell(tr, c.dominant_intent); cell(tr, c.sentiment_end);
    cell(tr, String(c.message_count)); cell(tr, c.total_cost.toFixed(4)); cell(tr, String(c.error_count));
    tr.addEventListener("click", () => showConversation(c.conversation_id));
    body.appendChild(tr);
  });
  nextCursor = page.next_cursor;
  $("more").disabled = !nextCursor;
}

async function showConversation(id) {
  const c = await api("/v1/conversations/" + encodeURIComponent(id));
  const detail = $("detail");
  detail.replaceChildren();
  const h = document.createElement("h2"); h.textContent = "Conversation " + id.slice(0, 8) + " · " + c.turn_count + " turns";
  detail.appendChild(h);
  c.turns.forEach((t) => {
    const div = document.createElement("div"); div.className = "turn";
    const meta = document.createElement("div"); meta.className = "meta";
    const l = t.labels;
    meta.textContent = `${t.created_at.slice(0, 19).replace("T", " ")} · ${t.model_id} · ${t.language} · topic ${l.topic.value} (${(l.topic.confidence || 0).toFixed(2)}) · intent ${l.intent.value} (${(l.intent.confidence || 0).toFixed(2)}) · sentiment ${l.sentiment.value} · ${t.latency_seconds ?? "–"} s · ${(t.message_tokens || 0) + (t.answer_tokens || 0)} tokens · ${t.cost ?? 0}`;
    const q = document.createElement("div"); q.className = "q"; q.textContent = t.query || "";
    const a = document.createElement("div"); a.className = "a"; a.textContent = t.answer || "";
    div.append(meta, q, a);
    if (t.translation && t.translation.query) {
      const tr = document.createElement("div"); tr.className = "meta"; tr.textContent = "→ " + t.translation.query; div.appendChild(tr);
    }
    if (t.is_error) { const e = document.createElement("div"); e.className = "error"; e.textContent = "error: " + (t.error || ""); div.appendChild(e); }
    detail.appendChild(div);
  });
}

async function refresh() {
  $("status").textContent = "loading…";
  try {
    await loadCharts();
    await loadConversations(false);
    $("status").textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC";
    document.body.dataset.ready = "true";
  } catch (err) {
    $("status").textContent = "error: " + err.message;
  }
}

async function start() {
  const health = await api("/v1/health");
  const newest = (health.lake.newest_partition || {}).raw_messages || new Date().toISOString().slice(0, 10);
  $("pick-to").value = newest;
  $("pick-from").value = addDay(newest, -6);
  await loadPickers();
  $("apply").addEventListener("click", refresh);
  $("more").addEventListener("click", () => loadConversations(true));
  await refresh();
}

start();
