// The status page (GET / for a browser): one static HTML document with its CSS and a few lines of script, held as a
// string so every runtime serves it without a file system or a build step. It carries no data: the script reads
// /health (the public verdict) and /status.json (the details, behind the key when one is set) and fills the page
// with text nodes only — a model name or an error message can never become markup.

const STYLE = `
:root { color-scheme: light dark; --bg: #f7f7f8; --fg: #1d1d1f; --muted: #6e6e73; --card: #fff; --line: #e3e3e6;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --bar: #0969da; --mono: ui-monospace, SFMono-Regular, Menlo, monospace; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #8d96a0; --card: #161b22;
  --line: #30363d; --ok: #3fb950; --bad: #f85149; --warn: #d29922; --bar: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin-bottom: 12px; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 8px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.badge { padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; }
.badge.ok { background: color-mix(in srgb, var(--ok) 15%, transparent); color: var(--ok); }
.badge.bad { background: color-mix(in srgb, var(--bad) 15%, transparent); color: var(--bad); }
.badge.warn { background: color-mix(in srgb, var(--warn) 15%, transparent); color: var(--warn); }
.account .head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px; margin-bottom: 8px; }
.account dl { margin-bottom: 8px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px; margin-bottom: 12px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.bar { height: 10px; border-radius: 5px; background: var(--line); overflow: hidden; margin: 4px 0 2px; }
.bar > span { display: block; height: 100%; background: var(--bar); }
.bar.high > span { background: var(--bad); }
.small { color: var(--muted); font-size: 13px; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.err { color: var(--bad); }
code, pre { font-family: var(--mono); font-size: 12.5px; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto; margin: 4px 0 10px; }
form { display: flex; gap: 8px; flex-wrap: wrap; }
input { flex: 1; min-width: 200px; padding: 6px 8px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
button { padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: var(--bar); color: #fff; font-weight: 600; cursor: pointer; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
"use strict";
const KEY = "codex-relay-key";
const $ = (id) => document.getElementById(id);
function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
const fill = (id, ...kids) => $(id).replaceChildren(...kids);
const when = (iso) => iso ? new Date(iso).toLocaleString() : "–";
function inTime(iso) {
  if (!iso) return "";
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (s <= 0) return "now";
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return "in " + (d ? d + " d " + h + " h" : h ? h + " h " + m + " min" : m + " min");
}
function verdict(v) {
  const b = $("verdict");
  b.textContent = v.ok ? "ready" : "not ready: " + v.reason;
  b.className = "badge " + (v.ok ? "ok" : "bad");
  fill("why", v.ok ? "" : v.message || "");
}
function usage(label, w) {
  if (!w || w.usedPercent == null) return el("p", { class: "small" }, label + ": not reported yet");
  const pct = Math.max(0, Math.min(100, w.usedPercent));
  const bar = el("div", { class: "bar" + (pct >= 90 ? " high" : ""), role: "meter", "aria-label": label,
    "aria-valuenow": String(pct), "aria-valuemin": "0", "aria-valuemax": "100" }, el("span", { style: "width:" + pct + "%" }));
  return el("div", { "data-window": label }, el("div", {}, label + ": ", el("strong", {}, pct + "% used")), bar,
    el("div", { class: "small" }, "resets " + inTime(w.resetAt) + " (" + when(w.resetAt) + ")"));
}
function snippets(s) {
  const key = s.api_key_required ? "<your OPENAI_API_KEY>" : "anything (no key set)";
  const keyVar = s.api_key_required ? "$OPENAI_API_KEY" : "unused";
  const items = [
    ["Open WebUI", "Admin Panel → Settings → Connections → OpenAI API\\nURL: " + s.openai_base_url + "\\nKey: " + key],
    ["Cline / Continue", "Provider: OpenAI Compatible\\nBase URL: " + s.openai_base_url + "\\nModel: gpt-5.5\\nAPI key: " + key],
    ["Codex CLI (~/.codex/config.toml)", "model_provider = \\"relay\\"\\nmodel = \\"gpt-5.5\\"\\n\\n[model_providers.relay]\\nname = \\"codex-relay\\"\\nbase_url = \\"" + s.openai_base_url + "\\"\\nwire_api = \\"responses\\"" + (s.api_key_required ? "\\nenv_key = \\"CODEX_RELAY_API_KEY\\"" : "")],
    ["OpenAI SDK", "new OpenAI({ baseURL: \\"" + s.openai_base_url + "\\", apiKey: \\"" + keyVar + "\\" })"],
    ["Ollama clients", "host: " + s.ollama_base_url],
  ];
  return items.map(([name, text]) => el("div", {}, el("strong", {}, name), el("pre", {}, text)));
}
function requestsTable(list) {
  if (!list.length) return el("p", { class: "small" }, "No requests yet.");
  const head = ["time", "route", "model", "effort", "status", "latency", "ttfb", "tokens in", "tokens out", "account"];
  const rows = list.map((r) => el("tr", {},
    el("td", {}, new Date(r.at).toLocaleTimeString()), el("td", {}, r.method + " " + r.route), el("td", {}, r.model || "–"),
    el("td", {}, r.effort || "–"), el("td", { class: r.error || r.status >= 400 ? "err" : "" }, r.status + (r.error ? " " + r.error : "")),
    el("td", { class: "num" }, r.latencyMs + " ms"), el("td", { class: "num" }, r.ttfbMs == null ? "–" : r.ttfbMs + " ms"),
    el("td", { class: "num" }, r.inputTokens ?? "–"), el("td", { class: "num" }, r.outputTokens ?? "–"), el("td", {}, r.account || "–")));
  return el("div", { class: "table" }, el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), el("tbody", {}, ...rows)));
}
function stateBadge(a) {
  if (a.state === "ready") return el("span", { class: "badge ok" }, "ready");
  if (a.state === "parked") {
    const until = a.parked && a.parked.until;
    return el("span", { class: "badge warn" }, until ? "parked until " + when(until) + " (" + inTime(until) + ")" : "parked");
  }
  return el("span", { class: "badge bad" }, "sign-in needed");
}
function accountBlock(a) {
  const u = a.usage || {};
  const why = a.parked ? a.parked.message : a.last_error ? a.last_error.message : "";
  return el("section", { class: "account", "data-account": a.fingerprint || a.key },
    el("div", { class: "head" }, el("strong", { class: "email" }, a.email || a.key), stateBadge(a)),
    el("dl", {},
      el("dt", {}, "account"), el("dd", { class: "fingerprint" }, a.fingerprint || "–"),
      el("dt", {}, "plan"), el("dd", { class: "plan" }, a.plan || u.planType || "–"),
      el("dt", {}, "token"), el("dd", {}, a.access_token || "–"),
      el("dt", {}, "expires"), el("dd", { class: "expires" }, a.expires_at ? when(a.expires_at) + " (" + inTime(a.expires_at) + ")" : "–"),
      el("dt", {}, "in flight"), el("dd", { class: "inflight" }, String(a.in_flight)),
      el("dt", {}, "conversations"), el("dd", {}, String(a.conversations))),
    why ? el("p", { class: "small err" }, why) : "",
    usage("5-hour window", u.primary), usage("weekly window", u.secondary),
    el("p", { class: "small" }, u.observedAt ? "usage as of " + when(u.observedAt) : "The backend reports usage with each answer."));
}
function details(d) {
  verdict(d);
  $("details").hidden = false;
  $("locked").hidden = true;
  const t = d.tokens || {};
  const accounts = d.accounts || [];
  const ready = accounts.filter((a) => a.state === "ready").length;
  fill("accounts-count", ready + " of " + accounts.length + " ready");
  fill("accounts", ...accounts.map(accountBlock));
  fill("relay", el("dl", {},
    el("dt", {}, "version"), el("dd", {}, d.version + ", up " + Math.round(d.uptime_seconds / 60) + " min"),
    el("dt", {}, "sign-in from"), el("dd", {}, t.source || "none"),
    el("dt", {}, "token store"), el("dd", {}, (t.store && t.store.kind) || "–"),
    el("dt", {}, "models from"), el("dd", {}, d.models_source || "–")));
  const e = d.upstream && d.upstream.last_error;
  fill("upstream", el("dl", {},
    el("dt", {}, "last success"), el("dd", {}, when(d.upstream && d.upstream.last_success_at)),
    el("dt", {}, "last error"), el("dd", { class: e ? "err" : "" }, e ? when(e.at) + ": " + (e.status || "no answer") + " " + e.message : "none")));
  fill("models", el("p", {}, ...d.models.flatMap((m, i) => [i ? ", " : "", el("code", {}, m.id)])),
    el("p", { class: "small" }, "Add -low, -medium, -high … to pick a reasoning effort, e.g. gpt-5.5-high."));
  fill("settings", ...snippets(d.settings));
  fill("requests", requestsTable(d.requests));
}
async function refresh() {
  const key = sessionStorage.getItem(KEY);
  const headers = key ? { authorization: "Bearer " + key } : {};
  try {
    const res = await fetch("status.json", { headers, cache: "no-store" });
    if (res.ok) return details(await res.json());
    if (res.status === 401) {
      if (key) { sessionStorage.removeItem(KEY); $("keyerr").hidden = false; }
      $("details").hidden = true;
      $("locked").hidden = false;
      const h = await fetch("health", { cache: "no-store" });
      verdict(await h.json());
    }
  } catch (err) {
    const b = $("verdict"); b.textContent = "unreachable"; b.className = "badge bad";
  }
}
$("keyform").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(KEY, $("key").value.trim());
  $("keyerr").hidden = true;
  $("key").value = "";
  refresh();
});
refresh();
setInterval(refresh, 5000);
`;

export const STATUS_PAGE_SCRIPT = SCRIPT;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>codex-relay</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header><h1>codex-relay</h1><span id="verdict" class="badge">…</span><span id="why" class="small"></span></header>
<section id="locked" hidden>
<h2>Sign in to this relay</h2>
<p class="small">This relay has an API key. Enter it to see the account, usage and requests (kept in this browser tab only).</p>
<form id="keyform"><input id="key" type="password" autocomplete="current-password" placeholder="OPENAI_API_KEY" aria-label="API key"><button type="submit">Show details</button></form>
<p id="keyerr" class="err" hidden>That key was not accepted.</p>
</section>
<div id="details" hidden>
<h2>Accounts <span id="accounts-count" class="small"></span></h2>
<div id="accounts" class="grid"></div>
<div class="grid">
<section><h2>Relay</h2><div id="relay"></div></section>
<section><h2>Backend</h2><div id="upstream"></div></section>
<section><h2>Models</h2><div id="models"></div></section>
</div>
<section><h2>Last requests</h2><div id="requests"></div></section>
<section><h2>Client settings</h2><div id="settings" class="grid"></div></section>
</div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

let csp: Promise<string> | undefined;

/** The page's Content-Security-Policy: its own inline script (by hash) and style, requests to the relay only. */
export function statusPageCsp(): Promise<string> {
  csp ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(SCRIPT)).then((d) => {
    const hash = btoa(String.fromCharCode(...new Uint8Array(d)));
    return (
      `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; ` +
      "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
  });
  return csp;
}
