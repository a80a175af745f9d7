// Tradewind dashboard: REST snapshots every few seconds, live changes over /events (server-sent events).
// Nothing is fetched from anywhere but this server; charts are uPlot (vendor/, MIT).
"use strict";

const LOST_AFTER_MS = 3000;  // the server sends a beat every second: three missed means the link is gone
const POLL_MS = 2000;
const CANDLES_AFTER_MIN = 5;  // a price chart window longer than this shows one-minute candles, shorter ones trades
const TOKEN_KEY = "tradewind.token";
const $ = (sel) => document.querySelector(sel);
const state = { seen: new Set(), lastEvent: 0, live: false, instrument: null, prices: [[], [], []], selectedJob: null,
  candles: { key: null, rows: [], drawn: [] } };

// ---- connection state --------------------------------------------------------------------------------------
function setLive(live) {
  state.live = live;
  document.body.classList.toggle("lost", !live);
  const conn = $("#conn");
  conn.dataset.state = live ? "live" : "lost";
  conn.textContent = live ? "live" : "connection lost";
}
function clock(ms) { return new Date(ms).toLocaleTimeString([], { hour12: false }); }
function stamp(panel, ms) {
  const el = document.querySelector(`time[data-asof="${panel}"]`);
  if (el) { el.textContent = clock(ms || Date.now()); el.dateTime = new Date(ms || Date.now()).toISOString(); }
}
setInterval(() => {
  if (state.live && Date.now() - state.lastEvent > LOST_AFTER_MS) setLive(false);
}, 500);

// ---- token (entered once, kept for the session) ---------------------------------------------------------
function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
function showToken() { $("#token-state").textContent = token() ? "token set" : "no token: actions refused"; }
$("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("#token").value.trim();
  if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  $("#token").value = "";
  showToken();
});
showToken();

async function getJson(path) {
  const resp = await fetch(path, { headers: token() ? { Authorization: `Bearer ${token()}` } : {} });
  if (resp.status === 404) return null;  // a workflow this system does not run
  if (!resp.ok) throw new Error(`${path}: ${resp.status}`);
  return resp.json();
}

// ---- command box -----------------------------------------------------------------------------------------
async function runCommand(text) {
  const headers = { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Math.random()) };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const resp = await fetch("/commands", { method: "POST", headers, body: JSON.stringify({ text }) });
  const body = await resp.json().catch(() => ({}));
  stamp("command");
  const out = $("#command-output");
  out.classList.toggle("error", resp.status >= 400);
  const box = $("#confirm-box");
  if (resp.status === 202 && body.confirm) {
    box.hidden = false;
    $("#confirm-text").textContent = `${body.detail || "confirm"} (${body.command})`;
    $("#confirm-button").onclick = () => { box.hidden = true; runCommand(`confirm ${body.confirm}`); };
  } else {
    box.hidden = true;
  }
  out.textContent = `> ${text}\n${resp.status} ${JSON.stringify(body.outcome ?? body, null, 2)}`;
  refresh();
  return resp.status;
}
$("#command-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("#command").value.trim();
  if (text) runCommand(text);
});

// ---- tables --------------------------------------------------------------------------------------------------
function cell(v) { return v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v); }
function fillTable(sel, rows, columns) {
  const table = $(sel);
  rows = rows || [];
  columns = columns || (rows.length ? Object.keys(rows[0]).slice(0, 9) : []);
  table.tHead.rows[0].innerHTML = columns.map((c) => `<th>${c}</th>`).join("");
  if (!rows.length) {
    const tr = document.createElement("tr");
    tr.innerHTML = '<td class="empty">none</td>';
    table.tBodies[0].replaceChildren(tr);
    return;
  }
  table.tBodies[0].replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const c of columns) { const td = document.createElement("td"); td.textContent = cell(r[c]); tr.appendChild(td); }
    return tr;
  }));
}
function rowsOf(body, key) {
  if (!body) return [];
  if (Array.isArray(body)) return body;
  return body[key] || Object.values(body).find(Array.isArray) || [];
}

// ---- panels fed by REST ----------------------------------------------------------------------------------
async function refreshMarket() {
  const subs = (await getJson("/subscriptions")) || [];
  const select = $("#instrument");
  // subscribed markets and those the stream carries (the embedded simulator publishes without a subscription)
  const keys = [...new Set([...subs.map((s) => `${s.exchange}/${s.category}/${s.symbol}`), ...state.seen])].sort();
  if (select.options.length !== keys.length || keys.some((k, i) => select.options[i].value !== k)) {
    select.replaceChildren(...keys.map((k) => new Option(k, k)));
    if (state.instrument && keys.includes(state.instrument)) select.value = state.instrument;
  }
  state.instrument = select.value || null;
  if (!state.instrument) return;
  const [exchange, category, symbol] = state.instrument.split("/");
  const book = await getJson(`/book?exchange=${exchange}&category=${category}&symbol=${symbol}&depth=10`);
  if (book) showBook(book);
  await refreshCandles();
}
$("#instrument").addEventListener("change", () => { state.instrument = $("#instrument").value; state.prices = [[], [], []]; refreshMarket(); });
$("#window").addEventListener("change", () => { if (!zoomedOut()) drawPrices(); refreshMarket(); });

// ---- price chart: trades as points when zoomed in, one-minute OHLC candles (GET /candles) when zoomed out ----
// The last candle is the open one: GET /candles?include_open=true gives it as recorded, each streamed trade of the
// instrument moves it (close, high, low) and the closed candle (md.candle) replaces it when its minute ends.
const MINUTE_MS = 60000;
function zoomedOut() { return Number($("#window").value) > CANDLES_AFTER_MIN; }
function candleRows() {
  if (state.candles.key !== state.instrument) state.candles = { key: state.instrument, rows: [], drawn: [] };
  return state.candles.rows;
}
function toCandle(c, provisional) {
  return { start_ms: c.start_ms, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close), provisional };
}
async function refreshCandles() {
  if (!zoomedOut() || !state.instrument) return;
  const minutes = Number($("#window").value), key = state.instrument;
  const [exchange, category, symbol] = key.split("/");
  const fetched = await getJson(`/candles?exchange=${exchange}&category=${category}&symbol=${symbol}&interval=1&limit=${minutes + 1}&include_open=true`);
  if (fetched === null || !zoomedOut() || key !== state.instrument) return;
  // What the stream brought since is newer than the store: a closed candle not recorded yet stays, and the open
  // candle keeps the stream's close and widest high and low.
  const byStart = new Map(fetched.map((c) => [c.start_ms, toCandle(c, Boolean(c.provisional))]));
  for (const mine of candleRows()) {
    const stored = byStart.get(mine.start_ms);
    if (!stored || (stored.provisional && !mine.provisional)) byStart.set(mine.start_ms, mine);
    else if (stored.provisional && mine.provisional) {
      Object.assign(stored, { high: Math.max(stored.high, mine.high), low: Math.min(stored.low, mine.low), close: mine.close });
    }
  }
  state.candles.rows = [...byStart.values()].sort((a, b) => a.start_ms - b.start_ms);
  drawCandleRows();
}
function liveTrade(p) {
  const rows = candleRows(), price = Number(p.price), start = Math.floor(p.ts_ns / 1e6 / MINUTE_MS) * MINUTE_MS;
  const last = rows[rows.length - 1];
  if (last && start < last.start_ms) return;  // a late trade: its minute is drawn already
  if (last && start === last.start_ms) {
    if (!last.provisional) return;  // its minute has closed: the closed candle is the truth
    Object.assign(last, { high: Math.max(last.high, price), low: Math.min(last.low, price), close: price });
  } else {
    rows.push({ start_ms: start, open: price, high: price, low: price, close: price, provisional: true });
  }
  drawCandleRows();
}
function closedCandle(p) {
  const rows = candleRows(), candle = toCandle(p, false);
  const at = rows.findIndex((c) => c.start_ms >= candle.start_ms);
  if (at < 0) rows.push(candle);
  else rows.splice(at, rows[at].start_ms === candle.start_ms ? 1 : 0, candle);
  drawCandleRows();
}
function drawCandleRows() {
  if (!zoomedOut() || state.candles.key !== state.instrument) return;
  const minutes = Number($("#window").value), now = Date.now();
  const rows = state.candles.rows = state.candles.rows.filter((c) => c.start_ms >= now - (minutes + 1) * MINUTE_MS);
  state.candles.drawn = rows;
  const data = [rows.map((c) => c.start_ms / 1000), ...["open", "high", "low", "close"].map((k) => rows.map((c) => c[k]))];
  const hidden = { paths: () => null, points: { show: false } };
  // the x axis spans the chosen window, up to now, however few candles are stored yet
  const span = () => { const t = Date.now() / 1000; return [t - Number($("#window").value) * 60, t + 60]; };
  const scales = { x: { time: true, range: span } };
  chart("price", "#price-chart", data, ["open", "high", "low", "close"].map((label) => ({ label, ...hidden })), scales, { draw: [drawCandles] });
  const el = $("#price-chart");
  el.dataset.candles = rows.length;
  el.dataset.lastCandle = rows.length ? JSON.stringify(rows[rows.length - 1]) : "";
}
// Bodies open->close and wicks low->high on the plot's canvas, as uPlot's own candlestick demo draws them.
function drawCandles(u) {
  const [xs, open, high, low, close] = u.data;
  if (!xs.length) return;
  const ctx = u.ctx, px = (v) => u.valToPos(v, "y", true);
  const slot = u.bbox.width / Math.max(1, (u.scales.x.max - u.scales.x.min) / 60);
  const body = Math.max(2 * devicePixelRatio, Math.min(12 * devicePixelRatio, slot * 0.7));
  ctx.save();
  for (let i = 0; i < xs.length; i++) {
    const x = Math.round(u.valToPos(xs[i], "x", true));
    ctx.fillStyle = close[i] >= open[i] ? "#35c27a" : "#ef5b5b";
    ctx.globalAlpha = (state.candles.drawn[i] || {}).provisional ? 0.6 : 1;  // the open candle: lighter until it closes
    ctx.fillRect(x - devicePixelRatio / 2, px(high[i]), devicePixelRatio, Math.max(1, px(low[i]) - px(high[i])));
    const top = px(Math.max(open[i], close[i])), bottom = px(Math.min(open[i], close[i]));
    ctx.fillRect(Math.round(x - body / 2), top, body, Math.max(devicePixelRatio, bottom - top));
  }
  ctx.restore();
}

async function refreshTwap() {
  const jobs = await getJson("/twap");
  if (jobs === null) return;
  const tbody = $("#twap-jobs").tBodies[0];
  tbody.replaceChildren(...jobs.map((j) => {
    const tr = document.createElement("tr");
    tr.dataset.job = j.job_id;
    const pct = Number(j.total) ? (100 * Number(j.filled)) / Number(j.total) : 0;
    tr.innerHTML = `<td></td><td></td><td></td><td><progress max="100"></progress> <span class="pct"></span></td><td class="status"></td>
      <td><button data-act="pause">pause</button> <button data-act="resume">resume</button> <button data-act="cancel">cancel</button></td>`;
    tr.cells[0].textContent = j.job_id;
    tr.cells[1].textContent = `${j.exchange} ${j.symbol}`;
    tr.cells[2].textContent = j.side;
    tr.querySelector("progress").value = pct;
    tr.querySelector(".pct").textContent = `${j.filled}/${j.total} (${j.next_slice}/${j.slices})`;
    tr.cells[4].textContent = j.status;
    tr.cells[0].onclick = () => { state.selectedJob = j.job_id; refreshReport(); };
    for (const b of tr.querySelectorAll("button")) b.onclick = () => runCommand(`twap ${b.dataset.act} ${j.job_id}`);
    return tr;
  }));
  state.jobs = Object.fromEntries(jobs.map((j) => [j.job_id, j]));
  if (!state.selectedJob && jobs.length) state.selectedJob = jobs[jobs.length - 1].job_id;
  stamp("twap");
  refreshReport();
}
async function refreshReport() {
  if (!state.selectedJob) return;
  const report = await getJson(`/twap/${encodeURIComponent(state.selectedJob)}/report`).catch(() => null);
  if (!report) return;
  const { slices, ...summary } = report;
  $("#twap-report").textContent = `${state.selectedJob}: ${JSON.stringify(summary)}`;
  const done = (slices || []).filter((s) => s.avg_price !== null && s.avg_price !== undefined);
  let cum = 0;
  const xs = done.map((s) => s.index), px = done.map((s) => Number(s.avg_price));
  const filled = done.map((s) => (cum += Number(s.filled_qty)));
  const job = (state.jobs || {})[state.selectedJob] || {};
  const limit = done.map(() => (job.limit_price ? Number(job.limit_price) : null));
  chart("twap", "#twap-chart", [xs, px, filled, limit], [
    { label: "fill price", stroke: "#4aa3ff" },
    { label: "cumulative filled", stroke: "#35c27a", scale: "qty" },
    { label: "price limit", stroke: "#ef5b5b", dash: [4, 4] },
  ], { x: { time: false, range: [0, Math.max(1, (job.slices || 1) - 1)] } });
}

async function refreshTrading() {
  const trades = await getJson("/trades").catch(() => null);  // manual trades (tolerated when absent)
  const positions = trades ?? (await getJson("/positions"));
  if (positions !== null) fillTable("#positions", rowsOf(positions, trades ? "trades" : "positions"));
  const deals = await getJson("/deals");
  if (deals !== null) fillTable("#deals", rowsOf(deals, "deals").slice(0, 20));
  const balance = await getJson("/balance");
  if (balance !== null) $("#balance").textContent = JSON.stringify(balance);
  stamp("trading");
}
async function refreshSpreads() {
  const spreads = await getJson("/spreads");
  if (spreads !== null) fillTable("#spreads", rowsOf(spreads, "spreads"));
  const exposure = await getJson("/exposure");
  if (exposure !== null) $("#exposure").textContent = JSON.stringify(exposure);
  stamp("spreads");
}
async function refreshSystem() {
  const health = await getJson("/healthz");
  $("#health").textContent = health ? health.status : "—";
  const system = await getJson("/system");
  if (system !== null) showSystem(system);
  const logs = await getJson("/logs?limit=15");
  if (logs !== null) {
    $("#logs").replaceChildren(...logs.map((r) => {
      const li = document.createElement("li");
      li.className = /error|critical|warning/i.test(r.level) ? "error" : "";
      li.textContent = `${clock(r.ts_ns / 1e6)} ${r.level} ${r.event}${r.job_id ? ` [${r.job_id}]` : ""}`;
      return li;
    }));
  }
  stamp("system");
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    await Promise.all([refreshMarket(), refreshTwap(), refreshTrading(), refreshSpreads(), refreshSystem()].map((p) => p.catch((e) => console.warn(e))));
  } finally { refreshing = false; }
}
setInterval(refresh, POLL_MS);

// ---- charts ----------------------------------------------------------------------------------------------
const charts = {};
function chart(name, sel, data, series, scales, hooks) {
  if (typeof uPlot === "undefined") return;
  const el = $(sel);
  const width = Math.max(200, el.clientWidth || 300);
  const shape = JSON.stringify([series.map((s) => s.label), scales || {}]);
  if (!charts[name] || charts[name].shape !== shape) {
    if (charts[name]) charts[name].destroy();
    const axes = [{ stroke: "#7d8a99", grid: { stroke: "#26303b" } }, { stroke: "#7d8a99", grid: { stroke: "#26303b" }, size: 70 }];
    if (series.some((s) => s.scale === "qty")) axes.push({ scale: "qty", side: 1, stroke: "#35c27a", grid: { show: false } });
    charts[name] = new uPlot({ width, height: 150, scales: scales || {}, series: [{}, ...series], axes,
      legend: { show: false }, hooks: hooks || {} }, data, el);
    charts[name].shape = shape;
    el.dataset.series = series.map((s) => s.label).join(" · ");
  } else {
    if (Math.abs(charts[name].width - width) > 20) charts[name].setSize({ width, height: 150 });
    charts[name].setData(data);
  }
}
function showBook(book) {
  const asks = (book.asks || []).slice(0, 10).reverse(), bids = (book.bids || []).slice(0, 10);
  const row = (side) => ([p, q]) => { const tr = document.createElement("tr"); tr.className = side; tr.innerHTML = "<td></td><td></td>"; tr.cells[0].textContent = p; tr.cells[1].textContent = q; return tr; };
  $("#book").tBodies[0].replaceChildren(...asks.map(row("ask")), ...bids.map(row("bid")));
  stamp("market", book.ts_ns ? book.ts_ns / 1e6 : Date.now());
  // depth: cumulative size by price, bids then asks
  const b = [...(book.bids || [])].reverse(), a = book.asks || [];
  let cb = (book.bids || []).reduce((s, [, q]) => s + Number(q), 0), ca = 0;
  const xs = [], bidDepth = [], askDepth = [];
  for (const [p, q] of b) { xs.push(Number(p)); bidDepth.push(cb); askDepth.push(null); cb -= Number(q); }
  for (const [p, q] of a) { ca += Number(q); xs.push(Number(p)); bidDepth.push(null); askDepth.push(ca); }
  chart("depth", "#depth-chart", [xs, bidDepth, askDepth], [{ label: "bids", stroke: "#35c27a" }, { label: "asks", stroke: "#ef5b5b" }], { x: { time: false } });
}
function pushPrice(ts, trade, mid) {
  const [t, tr, md] = state.prices;
  t.push(ts); tr.push(trade); md.push(mid);
  if (t.length > 600) { t.shift(); tr.shift(); md.shift(); }
  if (!zoomedOut()) drawPrices();
}
function drawPrices() {
  delete $("#price-chart").dataset.candles;
  delete $("#price-chart").dataset.lastCandle;
  chart("price", "#price-chart", state.prices, [{ label: "trade", stroke: "#f0a030", points: { show: true }, paths: () => null }, { label: "mid", stroke: "#4aa3ff", spanGaps: true }]);
}

// ---- live stream -----------------------------------------------------------------------------------------
function matchesInstrument(p) {
  return state.instrument && p && `${p.exchange}/${p.category}/${p.symbol}` === state.instrument;
}
function onBusEvent(ev) {
  const kind = ev.topic.split(".").slice(0, 2).join(".");
  const p = ev.payload || {};
  if (kind.startsWith("md.") && p.symbol) {
    const key = `${p.exchange}/${p.category}/${p.symbol}`;
    if (!state.seen.has(key)) { state.seen.add(key); if (!state.instrument) refreshMarket(); }
  }
  if (kind === "md.mid" && p.matching_key) noteMid(p, ev.at);
  if (kind === "md.book" && matchesInstrument(p)) showBook(p);
  else if (kind === "md.trade" && matchesInstrument(p)) { pushPrice(p.ts_ns / 1e9, Number(p.price), null); liveTrade(p); }
  else if (kind === "md.candle" && matchesInstrument(p) && p.interval === 1) closedCandle(p);
  else if (kind === "md.mid" && matchesInstrument(p)) pushPrice(p.ts_ns / 1e9, null, Number(p.mid));
  else if (ev.topic.startsWith("twap.")) refreshTwap();
  else if (ev.topic.startsWith("signal.") || ev.topic.startsWith("trader.")) {
    const li = document.createElement("li");
    li.textContent = `${clock(ev.at * 1000)} ${ev.topic} ${JSON.stringify(p).slice(0, 160)}`;
    $("#signals").prepend(li);
    while ($("#signals").children.length > 30) $("#signals").lastChild.remove();
  }
  if (!kind.startsWith("md.")) {
    const li = document.createElement("li");
    li.textContent = `${clock(ev.at * 1000)} ${ev.topic}`;
    $("#events").prepend(li);
    while ($("#events").children.length > 30) $("#events").lastChild.remove();
  }
}
// spot/perp spread of each matching group (the markets sharing a matching_key), from their mids
const groups = {};
function noteMid(p, at) {
  const g = (groups[`${p.exchange}/${p.matching_key}`] ||= {});
  g[p.category] = { mid: Number(p.mid), at };
}
function showGroups() {
  const rows = Object.entries(groups).filter(([, g]) => g.spot && (g.linear || g.inverse)).sort();
  $("#groups").tBodies[0].replaceChildren(...rows.map(([key, g]) => {
    const perp = g.linear || g.inverse;
    const tr = document.createElement("tr");
    tr.innerHTML = "<td></td><td></td><td></td><td></td><td></td>";
    const bps = ((perp.mid - g.spot.mid) / g.spot.mid) * 1e4;
    [key, g.spot.mid, perp.mid, bps.toFixed(1), clock(Math.max(g.spot.at, perp.at) * 1000)].forEach((v, i) => { tr.cells[i].textContent = v; });
    return tr;
  }));
}
setInterval(showGroups, 1000);

// services (embedded: the components) with their health, the bus queues' backlog, messages/s as the server counts
function rowsInto(sel, rows, cells) {
  $(sel).tBodies[0].replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const [text, cls] of cells(r)) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
    return tr;
  }));
}
function showSystem(system) {
  $("#mode").textContent = system.mode;
  rowsInto("#services", system.services, (s) => [[s.name], s.ready ? ["ready", "ready"] : [s.detail || "not ready", "error detail"]]);
  $("#services").dataset.count = system.services.length;
  // a fan-out subscription's queue matters only when it backs up; work and request queues always show
  const queues = system.queues.filter((q) => !(q.queue.startsWith("fanout:") && q.depth === 0));
  rowsInto("#queues", queues, (q) => [[q.queue], q.depth === null ? [q.detail || "unknown", "error detail"] : [String(q.depth)]]);
  rowsInto("#rates", Object.entries(system.rates), ([kind, rate]) => [[kind], [rate.toFixed(1)], [clock((system.last[kind] || 0) * 1000)]]);
}

function connect() {
  const source = new EventSource("/events");
  const seen = () => { state.lastEvent = Date.now(); $("#last-event").textContent = clock(state.lastEvent); if (!state.live) { setLive(true); refresh(); } };
  source.addEventListener("hello", seen);
  source.addEventListener("beat", seen);
  source.addEventListener("bus", (m) => { seen(); for (const ev of JSON.parse(m.data).events) onBusEvent(ev); });
  source.onerror = () => { setLive(false); };  // EventSource retries by itself; the page says lost meanwhile
  $("#stream-rate").textContent = "/events (server-sent events)";
}
connect();
refresh();
