// MIA dashboard: receives snapshots over server-sent events and redraws the page (plain DOM + SVG).
"use strict";

const T = {
  en: {
    connecting: "connecting…", live: "live", reconnecting: "reconnecting…", updated: "updated",
    equity: "Equity", pnl_today: "P&L today", win_rate: "Win rate", profit_factor: "Profit factor", max_dd: "Max drawdown",
    equity_curve: "Equity and P&L", positions: "Positions", symbol: "Symbol", qty: "Qty", avg_price: "Avg price",
    last: "Last", unrealized: "Unrealized", no_position: "No open position", working_orders: "Working orders",
    none: "none", recent_orders: "Recent orders and rejections", time: "Time", order: "Order", status: "Status",
    reason: "Price / reason", no_order: "No order yet", regime_over_price: "Regime over price", shap: "Top SHAP features",
    ensemble: "Ensemble SAC / PPO / DDPG", latency: "Voice pipeline latency", stage: "Stage", count: "n",
    no_latency: "No voice command measured yet", system: "System and ML", monitor_alerts: "Monitor alerts",
    no_alert: "No alert", voice_commands: "Recent voice commands", transcript: "Transcript", intent: "Intent",
    answer: "Answer", no_command: "No command yet",
    footer: "Local page: nothing leaves this machine. Figures are also saved as PNG in",
    paper: "paper", live_mode: "LIVE", open: "market open", closed: "market closed", connected: "connected",
    disconnected: "DISCONNECTED", realized: "realized", commissions: "commissions", trades: "trades", net: "net",
    of_peak: "of peak", start: "start", no_equity: "No equity recorded yet", no_trades: "No closed trade yet",
    intel_off: "Intelligence panels are switched off (--no-intelligence).",
    intel_loading: "Loading the models… (the first time they are trained, which takes a few seconds)",
    not_trained: "Not trained yet", regime_unknown: "unknown", no_prices: "No price yet",
    cpu: "CPU", memory: "Memory", disk: "Disk", uptime: "MIA up", prediction: "prediction", predictions: "predictions",
    inference: "inference p95", cache: "cache hits", accuracy: "live accuracy", signals: "signals",
    confidence: "mean confidence", no_ml: "No ML prediction yet.", no_monitor: "Monitor not running.",
    var: "VaR", alpha: "alpha", episodes: "episodes", limit: "limit", lambda: "λ", cvar_loss: "CVaR loss",
    greedy: "best action", weights: "weights", members: "member actions", target: "target position",
    trend: "trend", range: "range", defensive: "defensive", unknown: "unknown",
    BUY: "buy", SELL: "sell", FILLED: "filled", WORKING: "working", PENDING: "pending", CANCELLED: "cancelled",
    REJECTED: "rejected", MARKET: "market", LIMIT: "limit", STOP: "stop", ACTIVE: "ACTIVE", HALTED: "HALTED",
    REDUCING: "REDUCE-ONLY",
    autopilot: "Autopilot", signal: "Signal", scores: "Score / confidence", filter_model: "Filter / model",
    decision: "Decision", no_signal: "No signal yet", vol_forecast: "Volatility forecast (VIX, LSTM)",
    ap_absent: "The autopilot is not running in this process (mia run --autopilot propose).",
    ap_off: "OFF", ap_propose: "PROPOSE", ap_auto: "AUTO", proposed: "waiting for confirmation", executed: "executed",
    refused: "refused", expired: "expired", pending_until: "Waiting for your confirmation until",
    stop: "stop", target_px: "target", taken: "taken", not_taken: "refused", not_confirmed: "expired / declined",
    ap_pnl: "Autopilot P&L", manual_pnl: "your own trades", level: "level",
    predicted_vix: "Predicted VIX", for_day: "for", vix_today: "VIX", rmse: "walk-forward RMSE", mae: "MAE",
    naive: "naive", beats: "beats the naive forecast: used for sizing", no_beat: "does not beat the naive forecast: not used",
    vol_loading: "Forecast loading…", model_not_trained: "model not trained: the ML filter decides alone",
  },
  fr: {
    connecting: "connexion…", live: "en direct", reconnecting: "reconnexion…", updated: "mis à jour",
    equity: "Valeur du compte", pnl_today: "P&L du jour", win_rate: "Taux de réussite", profit_factor: "Facteur de profit",
    max_dd: "Drawdown max", equity_curve: "Valeur du compte et P&L", positions: "Positions", symbol: "Symbole",
    qty: "Qté", avg_price: "Prix moyen", last: "Dernier", unrealized: "Latent", no_position: "Aucune position ouverte",
    working_orders: "Ordres en attente", none: "aucun", recent_orders: "Ordres récents et refus", time: "Heure",
    order: "Ordre", status: "Statut", reason: "Prix / motif", no_order: "Aucun ordre pour l'instant",
    regime_over_price: "Régime sur le prix", shap: "Principales variables (SHAP)", ensemble: "Ensemble SAC / PPO / DDPG",
    latency: "Latence du pipeline vocal", stage: "Étape", count: "n", no_latency: "Aucune commande vocale mesurée",
    system: "Système et ML", monitor_alerts: "Alertes du moniteur", no_alert: "Aucune alerte",
    voice_commands: "Commandes vocales récentes", transcript: "Transcription", intent: "Intention", answer: "Réponse",
    no_command: "Aucune commande pour l'instant",
    footer: "Page locale : rien ne quitte cette machine. Les figures sont aussi enregistrées en PNG dans",
    paper: "simulation", live_mode: "RÉEL", open: "marché ouvert", closed: "marché fermé", connected: "connecté",
    disconnected: "DÉCONNECTÉ", realized: "réalisé", commissions: "commissions", trades: "trades", net: "net",
    of_peak: "du sommet", start: "départ", no_equity: "Aucune valeur enregistrée", no_trades: "Aucun trade clôturé",
    intel_off: "Les panneaux d'intelligence sont désactivés (--no-intelligence).",
    intel_loading: "Chargement des modèles… (la première fois ils sont entraînés, quelques secondes)",
    not_trained: "Pas encore entraîné", regime_unknown: "inconnu", no_prices: "Aucun prix pour l'instant",
    cpu: "Processeur", memory: "Mémoire", disk: "Disque", uptime: "MIA active depuis", prediction: "prédiction", predictions: "prédictions",
    inference: "inférence p95", cache: "succès du cache", accuracy: "précision en direct", signals: "signaux",
    confidence: "confiance moyenne", no_ml: "Aucune prédiction ML pour l'instant.", no_monitor: "Moniteur arrêté.",
    var: "VaR", alpha: "alpha", episodes: "épisodes", limit: "limite", lambda: "λ", cvar_loss: "Perte CVaR",
    greedy: "meilleure action", weights: "poids", members: "actions des membres", target: "position cible",
    trend: "tendance", range: "range", defensive: "défensif", unknown: "inconnu",
    BUY: "achat", SELL: "vente", FILLED: "exécuté", WORKING: "en attente", PENDING: "envoyé", CANCELLED: "annulé",
    REJECTED: "refusé", MARKET: "marché", LIMIT: "limite", STOP: "stop", ACTIVE: "ACTIF", HALTED: "ARRÊTÉ",
    REDUCING: "RÉDUCTION SEULE",
    autopilot: "Pilote automatique", signal: "Signal", scores: "Score / confiance", filter_model: "Filtre / modèle",
    decision: "Décision", no_signal: "Aucun signal pour l'instant", vol_forecast: "Prévision de volatilité (VIX, LSTM)",
    ap_absent: "Le pilote automatique ne tourne pas dans ce processus (mia run --autopilot propose).",
    ap_off: "DÉSACTIVÉ", ap_propose: "PROPOSITION", ap_auto: "AUTOMATIQUE", proposed: "en attente de confirmation",
    executed: "exécuté", refused: "refusé", expired: "expiré", pending_until: "En attente de votre confirmation jusqu'à",
    stop: "stop", target_px: "objectif", taken: "pris", not_taken: "refusés", not_confirmed: "expirés / refusés par vous",
    ap_pnl: "P&L du pilote", manual_pnl: "vos propres trades", level: "niveau",
    predicted_vix: "VIX prévu", for_day: "pour le", vix_today: "VIX", rmse: "RMSE walk-forward", mae: "MAE",
    naive: "naïve", beats: "bat la prévision naïve : utilisée pour la taille", no_beat: "ne bat pas la prévision naïve : non utilisée",
    vol_loading: "Chargement de la prévision…", model_not_trained: "modèle non entraîné : le filtre ML décide seul",
  },
};
const REGIME_COLOURS = { trend: "#2ca02c", range: "#1f77b4", defensive: "#d62728", unknown: "#9aa3ad" };
const SVG_NS = "http://www.w3.org/2000/svg";

let lang = localStorage.getItem("mia.lang") || null;
let last = null;
let connState = "connecting";  // connecting / live / reconnecting

const $ = (id) => document.getElementById(id);
const tr = (key) => (T[lang] && T[lang][key]) || T.en[key] || key;

function money(v) {
  if (v === null || v === undefined) return "–";
  const s = Math.abs(v).toLocaleString(lang === "fr" ? "fr-FR" : "en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const sign = v < 0 ? "-" : "";
  return lang === "fr" ? `${sign}${s} $` : `${sign}$${s}`;
}
function num(v, d = 2) {
  if (v === null || v === undefined) return "–";
  return Number(v).toLocaleString(lang === "fr" ? "fr-FR" : "en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
}
function pct(fraction, d = 0) {
  if (fraction === null || fraction === undefined) return "–";
  return lang === "fr" ? `${num(fraction * 100, d)} %` : `${num(fraction * 100, d)}%`;
}
function hhmmss(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return d.toLocaleTimeString(lang === "fr" ? "fr-FR" : "en-GB", { hour12: false });
}
function signClass(el, v) {
  el.classList.toggle("up", v > 0);
  el.classList.toggle("down", v < 0);
}
function setText(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }
function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}
function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
function rows(tbody, html, emptyKey, cols) {
  tbody.innerHTML = html || `<tr class="empty"><td colspan="${cols}">${esc(tr(emptyKey))}</td></tr>`;
}

function applyStatic() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = tr(el.dataset.i18n); });
  $("lang-toggle").textContent = lang === "fr" ? "EN" : "FR";
  showConn(connState);
}

function showConn(state) {
  connState = state;
  $("conn").textContent = tr(state);
  $("conn").className = "badge " + (state === "live" ? "ok" : "conn-wait");
}

// ---------------------------------------------------------------- charts
function lineChart(svg, series, opts) {
  clear(svg);
  const W = 800, H = Number(svg.getAttribute("viewBox").split(" ")[3]);
  const padL = 70, padR = 10, padT = 10, padB = 22;
  if (!series.length) {
    svg.appendChild(svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, opts.empty));
    return;
  }
  const xs = series.map((p) => p.x), ys = series.map((p) => p.y).concat(opts.extraY || []);
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const pad = (y1 - y0) * 0.08; y0 -= pad; y1 += pad;
  const sx = (x) => padL + ((x - x0) / (x1 - x0)) * (W - padL - padR);
  const sy = (y) => padT + (1 - (y - y0) / (y1 - y0)) * (H - padT - padB);
  for (let i = 0; i <= 3; i++) {
    const y = y0 + ((y1 - y0) * i) / 3;
    svg.appendChild(svgEl("line", { x1: padL, x2: W - padR, y1: sy(y), y2: sy(y), stroke: "#e6e9ef" }));
    svg.appendChild(svgEl("text", { x: padL - 6, y: sy(y) + 4, "text-anchor": "end" }, opts.fmtY(y)));
  }
  for (const h of opts.hlines || []) {
    svg.appendChild(svgEl("line", { x1: padL, x2: W - padR, y1: sy(h.y), y2: sy(h.y), stroke: h.colour, "stroke-dasharray": "4 3" }));
  }
  // segments, each with its own colour (regime over price), or one polyline
  let pts = [], colour = null;
  const flush = () => {
    if (pts.length > 1) svg.appendChild(svgEl("polyline", { points: pts.join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
  };
  series.forEach((p, i) => {
    const c = p.colour || opts.colour;
    const xy = `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`;
    if (c !== colour) { if (pts.length) { flush(); pts = [pts[pts.length - 1]]; } colour = c; }
    pts.push(xy);
  });
  flush();
  const lastP = series[series.length - 1];
  svg.appendChild(svgEl("circle", { cx: sx(lastP.x), cy: sy(lastP.y), r: 3.5, fill: lastP.colour || opts.colour }));
  svg.appendChild(svgEl("text", { x: padL, y: H - 6 }, hhmmss(new Date(x0).toISOString())));
  svg.appendChild(svgEl("text", { x: W - padR, y: H - 6, "text-anchor": "end" }, hhmmss(new Date(x1).toISOString())));
}

function tradesChart(svg, trades) {
  clear(svg);
  const W = 800, H = 90;
  if (!trades.length) {
    svg.appendChild(svgEl("text", { x: W / 2, y: H / 2 + 4, "text-anchor": "middle" }, tr("no_trades")));
    return;
  }
  const m = Math.max(...trades.map((t) => Math.abs(t.pnl)), 1);
  const bw = Math.min(40, (W - 80) / trades.length);
  const mid = H / 2;
  svg.appendChild(svgEl("line", { x1: 70, x2: W - 10, y1: mid, y2: mid, stroke: "#9aa3ad" }));
  svg.appendChild(svgEl("text", { x: 64, y: 14, "text-anchor": "end" }, money(m)));
  svg.appendChild(svgEl("text", { x: 64, y: H - 4, "text-anchor": "end" }, money(-m)));
  trades.forEach((t, i) => {
    const h = (Math.abs(t.pnl) / m) * (mid - 6);
    const x = 72 + i * bw;
    const y = t.pnl >= 0 ? mid - h : mid;
    const r = svgEl("rect", { x, y, width: Math.max(bw - 3, 2), height: Math.max(h, 1), fill: t.pnl >= 0 ? "#12805c" : "#c62f2f" });
    r.appendChild(svgEl("title", {}, `${tr(t.side)} ${t.qty} ${t.symbol}: ${money(t.pnl)}`));
    svg.appendChild(r);
  });
}

function barRows(container, items, fmt, classFor) {
  const m = Math.max(...items.map((i) => Math.abs(i.value)), 1e-9);
  container.innerHTML = items.map((i) => {
    const w = Math.max(2, (Math.abs(i.value) / m) * 100);
    const cls = classFor ? classFor(i) : "";
    return `<div class="bar-row"><span class="name" title="${esc(i.name)}">${esc(i.name)}</span>` +
      `<span class="track"><span class="fill ${cls}" style="display:block;width:${w.toFixed(1)}%"></span></span>` +
      `<span class="mono">${esc(fmt(i.value))}</span></div>`;
  }).join("");
}

// ---------------------------------------------------------------- panels
function renderHeader(s) {
  setText("mode", s.mode === "live" ? tr("live_mode") : tr("paper"));
  $("mode").className = "badge " + (s.mode === "live" ? "bad" : "ok");
  setText("market-name", s.market);
  setText("state", tr(s.state));
  $("state").className = "badge " + (s.state === "ACTIVE" ? "ok" : s.state === "HALTED" ? "bad" : "warn");
  setText("market-open", s.market_open ? tr("open") : tr("closed"));
  $("market-open").className = "badge " + (s.market_open ? "ok" : "warn");
  setText("broker", `${s.broker} ${s.broker_connected ? tr("connected") : tr("disconnected")} · ${s.feed}`);
  setText("prices", Object.entries(s.prices).map(([k, v]) => `${k} ${num(v)}`).join("   "));
  setText("updated", hhmmss(new Date(s.wall_ts * 1000).toISOString()));
}

function renderKpis(s) {
  const a = s.account, p = s.pnl, m = s.metrics;
  setText("equity", money(a.equity));
  setText("equity-sub", `${tr("start")} ${money(a.starting)} · ${tr("unrealized")} ${money(a.unrealized)}`);
  setText("pnl-today", money(p.total)); signClass($("pnl-today"), p.total);
  setText("pnl-sub", `${tr("realized")} ${money(p.realized)} · ${tr("commissions")} ${money(p.commissions)}`);
  setText("win-rate", m.trades ? pct(m.win_rate, 1) : "–");
  setText("trades-sub", `${m.trades} ${tr("trades")} (${m.wins} / ${m.losses})`);
  setText("profit-factor", m.profit_factor === null ? (m.trades ? "∞" : "–") : num(m.profit_factor));
  setText("net-sub", `${tr("net")} ${money(m.net)}`);
  setText("max-dd", money(m.max_drawdown));
  setText("dd-sub", `${num(m.max_drawdown_pct)} % ${tr("of_peak")}`.replace(" % ", lang === "fr" ? " % " : "% "));
}

function renderEquity(s) {
  const series = s.equity_curve.map((p) => ({ x: Date.parse(p[0]), y: p[1] }));
  lineChart($("equity-chart"), series, {
    colour: "#1f5fbf", empty: tr("no_equity"), fmtY: (y) => num(y, 0),
    hlines: [{ y: s.account.starting, colour: "#9aa3ad" }], extraY: [s.account.starting],
  });
  tradesChart($("trades-chart"), s.trades);
}

function renderPositions(s) {
  rows($("positions").tBodies[0], s.positions.map((p) =>
    `<tr data-symbol="${esc(p.symbol)}"><td>${esc(p.symbol)}</td><td class="num">${p.qty > 0 ? "+" : ""}${p.qty}</td>` +
    `<td class="num">${num(p.avg)}</td><td class="num">${num(p.last)}</td>` +
    `<td class="num ${p.unrealized > 0 ? "up" : p.unrealized < 0 ? "down" : ""}">${money(p.unrealized)}</td></tr>`).join(""),
    "no_position", 5);
  rows($("working").tBodies[0], s.working.map((o) =>
    `<tr><td>${esc(tr(o.side))} ${o.qty} ${esc(o.symbol)} ${esc(tr(o.type))} ${o.price !== null ? "@ " + num(o.price) : ""}</td>` +
    `<td class="muted">${esc(tr(o.status))}</td></tr>`).join(""), "none", 2);
}

function renderOrders(s) {
  rows($("orders").tBodies[0], s.orders.slice(0, 15).map((o) => {
    const reason = o.status === "REJECTED" ? esc(lang === "fr" ? o.reason_fr : o.reason_en) :
      (o.avg_fill !== null ? "@ " + num(o.avg_fill) : o.price !== null ? "@ " + num(o.price) : "");
    return `<tr class="${o.status === "REJECTED" ? "rejected" : ""}" data-status="${o.status}"><td class="mono">${hhmmss(o.ts)}</td>` +
      `<td>${esc(tr(o.side))} ${o.qty} ${esc(o.symbol)} <span class="muted">${esc(tr(o.type))}</span></td>` +
      `<td>${esc(tr(o.status))}</td><td>${reason}</td></tr>`;
  }).join(""), "no_order", 4);
}

function regimeAt(marks, t) {
  let r = null;
  for (const [ts, regime] of marks) { if (Date.parse(ts) <= t) r = regime; else break; }
  return r;
}

function renderRegime(s) {
  const sym = s.market;
  const marks = (s.regime_marks && s.regime_marks[sym]) || [];
  const series = ((s.price_series && s.price_series[sym]) || []).map((p) => {
    const x = Date.parse(p[0]);
    const r = regimeAt(marks, x);
    return { x, y: p[1], colour: REGIME_COLOURS[r || "unknown"] };
  });
  lineChart($("price-chart"), series, { colour: REGIME_COLOURS.unknown, empty: tr("no_prices"), fmtY: (y) => num(y, 2) });
  $("regime-legend").innerHTML = ["trend", "range", "defensive", "unknown"].map((r) =>
    `<span><i style="background:${REGIME_COLOURS[r]}"></i>${esc(tr(r))}</span>`).join("");
  const intel = s.intel || {};
  const info = intel.regime;
  const badge = $("regime-now");
  if (intel.status === "off") { badge.textContent = tr("intel_off"); badge.className = "badge"; $("regime-dist").innerHTML = ""; return; }
  if (!info) {
    badge.textContent = intel.regime_error ? (lang === "fr" ? intel.regime_error.message_fr : intel.regime_error.message_en) : tr("intel_loading");
    badge.className = "badge warn"; return;
  }
  badge.textContent = `${sym}: ${lang === "fr" ? info.name_fr : info.name_en} ${info.regime !== "unknown" ? pct(info.probability) : ""}`;
  badge.style.background = REGIME_COLOURS[info.regime] || REGIME_COLOURS.unknown; badge.style.color = "#fff";
  $("regime-dist").innerHTML = Object.entries(info.distribution).map(([r, p]) =>
    `<div title="${esc(tr(r))} ${pct(p)}" style="width:${(p * 100).toFixed(1)}%;background:${REGIME_COLOURS[r] || "#999"}"></div>`).join("");
}

function notTrained(el, report) {
  const msg = report ? (lang === "fr" ? report.message_fr : report.message_en) : "";
  el.innerHTML = `<div class="not-trained"><b>${esc(tr("not_trained"))}.</b> ${esc(msg || "")}</div>`;
}

function renderIntel(s) {
  const intel = s.intel || {};
  const ids = ["shap", "cvar", "quantiles", "ensemble"];
  if (intel.status === "off" || intel.status === "loading" || intel.status === "error") {
    const text = intel.status === "off" ? tr("intel_off") : intel.status === "loading" ? tr("intel_loading") :
      (lang === "fr" ? intel.message_fr : intel.message_en);
    ids.forEach((id) => { $(id).innerHTML = `<div class="note">${esc(text)}</div>`; });
    return;
  }
  if (intel.features && intel.features.length) {
    barRows($("shap"), intel.features.map((f) => ({ name: f.name, value: f.value })), (v) => num(v, 3));
  } else {
    const err = intel.features_error;
    $("shap").innerHTML = `<div class="note">${esc(err ? (lang === "fr" ? err.message_fr : err.message_en) : tr("not_trained"))}</div>`;
  }
  const c = intel.cvar;
  if (c && c.trained) {
    $("cvar").innerHTML = `<div class="big mono">${money(c.cvar_loss_usd)}</div>` +
      `<div class="note">${esc(tr("cvar_loss"))} (${esc(tr("alpha"))} ${num(c.alpha, 2)}), ${esc(tr("var"))} ${money(c.var_loss_usd)}, ` +
      `${esc(tr("limit"))} ${money(c.cvar_limit_usd)}, ${esc(tr("lambda"))} ${num(c.lagrange_multiplier, 3)}, ${c.episodes} ${esc(tr("episodes"))}</div>`;
  } else notTrained($("cvar"), c);
  const q = intel.quantiles;
  if (q && q.trained && q.quantiles_usd && Object.keys(q.quantiles_usd).length) {
    const items = Object.entries(q.expected_usd || {}).map(([a, v]) => ({ name: `${a} E[Z]`, value: v }));
    barRows($("quantiles"), items, (v) => money(v), (i) => (i.value < 0 ? "bad" : ""));
    $("quantiles").insertAdjacentHTML("beforeend", `<div class="note">${esc(tr("greedy"))}: ${esc(q.greedy_action)} · ` +
      `${esc(lang === "fr" ? q.message_fr : q.message_en)}</div>`);
  } else if (q && q.trained) {
    $("quantiles").innerHTML = `<div class="note">${esc(lang === "fr" ? q.message_fr : q.message_en)}</div>`;
  } else notTrained($("quantiles"), q);
  const e = intel.ensemble;
  if (e && e.weights && e.weights.length) {
    barRows($("ensemble"), e.members.map((m, i) => ({ name: m.toUpperCase(), value: e.weights[i] })), (v) => pct(v));
    if (!e.trained) $("ensemble").insertAdjacentHTML("beforeend",
      `<div class="not-trained"><b>${esc(tr("not_trained"))}.</b> ${esc(lang === "fr" ? e.message_fr : e.message_en)}</div>`);
    else $("ensemble").insertAdjacentHTML("beforeend", `<div class="note">${esc(lang === "fr" ? e.message_fr : e.message_en)}</div>`);
  } else notTrained($("ensemble"), e);
}

function renderMonitor(s) {
  const mon = s.monitor;
  if (!mon) { $("system").innerHTML = `<div class="note">${esc(tr("no_monitor"))}</div>`; return; }
  const th = mon.thresholds || {};
  const lat = mon.latency || [];
  rows($("latency").tBodies[0], lat.map((st) => {
    const cls = th.latency && st.p95 >= th.latency[1] ? "down" : th.latency && st.p95 >= th.latency[0] ? "p3" : "";
    return `<tr><td>${esc(st.stage)}</td><td class="num">${num(st.p50)} s</td><td class="num ${cls}">${num(st.p95)} s</td>` +
      `<td class="num">${st.total_count}</td><td class="num muted">${num(st.last)} s</td></tr>`;
  }).join(""), "no_latency", 5);
  const sy = mon.system;
  if (sy) {
    const level = (v, t) => (t && v >= t[1] ? "bad" : t && v >= t[0] ? "warn" : "");
    const items = [
      { name: tr("cpu"), value: sy.cpu_percent, cls: level(sy.cpu_percent, th.cpu) },
      { name: tr("memory"), value: sy.memory_percent, cls: level(sy.memory_percent, th.memory) },
      { name: tr("disk"), value: sy.disk_percent || 0, cls: "" },
    ];
    $("system").innerHTML = items.map((i) => `<div class="bar-row"><span class="name">${esc(i.name)}</span>` +
      `<span class="track"><span class="fill ${i.cls}" style="display:block;width:${Math.min(100, i.value).toFixed(1)}%"></span></span>` +
      `<span class="mono">${pct(i.value / 100)}</span></div>`).join("") +
      `<div class="note">${esc(tr("uptime"))} ${Math.floor(sy.process_uptime_s / 60)} min · ${num(sy.process_rss_mb, 0)} MB</div>`;
  }
  const ml = mon.ml;
  if (ml && (ml.predictions || ml.outcomes || ml.cache_hits || ml.cache_misses)) {
    const bits = [`${ml.predictions} ${tr(ml.predictions === 1 ? "prediction" : "predictions")}`];
    if (ml.inference_p95_ms !== null) bits.push(`${tr("inference")} ${num(ml.inference_p95_ms, 0)} ms`);
    if (ml.cache_hit_rate !== null) bits.push(`${tr("cache")} ${pct(ml.cache_hit_rate)}`);
    if (ml.accuracy !== null) bits.push(`${tr("accuracy")} ${pct(ml.accuracy)} (${ml.outcomes} ${tr("signals")})`);
    if (ml.mean_confidence !== null) bits.push(`${tr("confidence")} ${num(ml.mean_confidence)}`);
    $("ml").textContent = "ML: " + bits.join(" · ");
  } else $("ml").textContent = tr("no_ml");
  const alerts = mon.alerts || [];
  $("alerts").innerHTML = alerts.length ? alerts.map((a) =>
    `<li class="p${a.priority}"><span class="mono">${hhmmss(a.ts)}</span> ${esc(lang === "fr" ? a.title_fr : a.title_en)} — ` +
    `<span class="muted">${esc(lang === "fr" ? a.body_fr : a.body_en)}</span></li>`).join("") :
    `<li class="muted">${esc(tr("no_alert"))}</li>`;
}

function renderCommands(s) {
  rows($("commands").tBodies[0], (s.commands || []).map((c) =>
    `<tr><td class="mono">${hhmmss(new Date(c.ts * 1000).toISOString())}</td><td>« ${esc(c.transcript)} »</td>` +
    `<td class="muted">${esc(c.intent || "–")}</td><td>${esc(c.answer)}</td></tr>`).join(""), "no_command", 4);
}

const LEVEL_CLASS = { INFO: "ok", WARNING: "warn", CRITICAL: "bad", CATASTROPHE: "bad" };

function apSignal(x) {
  return `${esc(x.side === "BUY" ? "long" : "short")} ${x.qty} ${esc(x.symbol)} @ ${num(x.entry)} · ` +
    `${esc(tr("stop"))} ${num(x.stop)} · ${esc(tr("target_px"))} ${num(x.target)}`;
}

function renderVolatility(v) {
  const el = $("ap-vol");
  if (!v) { el.textContent = tr("vol_loading"); return; }
  if (!v.trained || v.predicted_vix === null || v.predicted_vix === undefined) {
    el.textContent = lang === "fr" ? v.message_fr : v.message_en; return;
  }
  el.innerHTML = `<span class="big mono" id="ap-vix">${num(v.predicted_vix)}</span> ` +
    `${esc(tr("predicted_vix"))} ${esc(tr("for_day"))} ${esc(v.for_date)} (${esc(tr("vix_today"))} ${num(v.last_vix)}). ` +
    `${esc(tr("rmse"))} ${num(v.rmse_model)} / ${num(v.rmse_naive)} ${esc(tr("naive"))}, ${esc(tr("mae"))} ` +
    `${num(v.mae_model)} / ${num(v.mae_naive)}: <b>${esc(tr(v.beats_baseline ? "beats" : "no_beat"))}</b>`;
}

function renderAutopilot(s) {
  const ap = s.autopilot;
  if (!ap) return;
  renderVolatility(ap.volatility);
  if (!ap.attached) {
    setText("ap-mode", tr("ap_off")); $("ap-mode").className = "badge";
    setText("ap-level", ""); $("ap-model").textContent = tr("ap_absent");
    $("ap-pending").innerHTML = "";
    rows($("ap-signals").tBodies[0], "", "no_signal", 5);
    return;
  }
  setText("ap-mode", tr("ap_" + ap.mode));
  $("ap-mode").className = "badge " + (ap.mode === "auto" ? "bad" : ap.mode === "propose" ? "warn" : "");
  $("ap-mode").dataset.mode = ap.mode;
  setText("ap-level", `${tr("level")} ${ap.level}`);
  $("ap-level").className = "badge " + (LEVEL_CLASS[ap.level] || "");
  $("ap-model").textContent = `${ap.model_type} · ${ap.model_trained ? "" : tr("model_not_trained")}`;
  $("ap-pending").innerHTML = ap.pending.map((x) =>
    `<div class="pending" data-signal="${esc(x.id)}"><b>${esc(tr("pending_until"))} ${hhmmss(x.expires)}</b>: ${apSignal(x)}</div>`).join("");
  rows($("ap-signals").tBodies[0], ap.signals.map((x) => {
    const why = x.reason_code ? ` — ${esc(lang === "fr" ? x.reason_fr : x.reason_en)}` : "";
    const model = x.model === null ? "–" : num(x.model);
    return `<tr data-decision="${esc(x.decision)}"><td class="mono">${hhmmss(x.ts)}</td><td>${apSignal(x)}</td>` +
      `<td class="num">${num(x.score)} / ${num(x.confidence)}</td><td class="num">${x.filter === null ? "–" : num(x.filter)} / ${model}</td>` +
      `<td>${esc(tr(x.decision))}${why}</td></tr>`;
  }).join(""), "no_signal", 5);
  const st = ap.stats;
  $("ap-stats").textContent = st ? `${st.executed} ${tr("taken")} · ${st.refused} ${tr("not_taken")} · ${st.expired} ` +
    `${tr("not_confirmed")} · ${tr("ap_pnl")} ${money(st.autopilot.net)} (${st.autopilot.trades} ${tr("trades")}) · ` +
    `${tr("manual_pnl")} ${money(st.manual.net)} (${st.manual.trades} ${tr("trades")})` : "";
}

function render(s) {
  last = s;
  if (!lang) { lang = s.lang || "en"; applyStatic(); }
  setText("fig-dir", `data/figures/${s.market}/`);
  for (const f of [renderHeader, renderKpis, renderEquity, renderPositions, renderOrders, renderRegime, renderIntel, renderMonitor, renderCommands, renderAutopilot]) {
    try { f(s); } catch (err) { console.error(f.name, err); }
  }
}

// ---------------------------------------------------------------- wiring
function connect() {
  const es = new EventSource("/api/events");
  es.addEventListener("snapshot", (e) => {
    if (connState !== "live") showConn("live");
    render(JSON.parse(e.data));
  });
  es.onerror = () => showConn("reconnecting");
}

$("lang-toggle").addEventListener("click", () => {
  lang = lang === "fr" ? "en" : "fr";
  localStorage.setItem("mia.lang", lang);
  applyStatic();
  if (last) render(last);
});
if (lang) applyStatic();
connect();
