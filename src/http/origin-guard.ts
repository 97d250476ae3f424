// Which browsers and which Host names may use the relay (as Ollama decides it). A web page can send a "simple"
// cross-origin POST without a preflight and the relay would spend a turn of the plan on it, so a request that
// carries an Origin is served only when that origin is the relay's own, a loopback page, a desktop-app scheme or an
// entry of CORS_ORIGINS. Requests without an Origin (every non-browser client) are not affected. On a loopback bind
// the Host must be a loopback name too (or in ALLOWED_HOSTS): a page on attacker.example that rebinds its DNS name to
// 127.0.0.1 sends `Host: attacker.example`.

/** Schemes of desktop apps and editors (Electron, Tauri, VS Code webviews): never a web page. */
const APP_SCHEMES = new Set(["app:", "tauri:", "vscode-webview:", "vscode-file:"]);

/** localhost, *.localhost, 127.0.0.0/8, ::1 (with or without brackets). */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Names a rebinding page cannot have (as Ollama allows them): a name without a dot (this machine's host name, an
 * intranet name) or under .local / .internal. A page that rebinds DNS needs a public name it controls.
 */
function isLocalName(hostname: string): boolean {
  if (hostname.startsWith("[")) return false;
  const h = hostname.replace(/\.$/, "");
  return (!h.includes(".") && h !== "") || h.endsWith(".local") || h.endsWith(".internal");
}

/** The hostname of a Host header value ("example.com:8787" → "example.com", "[::1]:80" → "[::1]"). */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

export interface OriginPolicy {
  /** CORS_ORIGINS: exact origins, or "*" for every origin. */
  corsOrigins: readonly string[];
}

/** Whether a request with this Origin header, sent to `host` (its Host header), may be served. */
export function originAllowed(origin: string, host: string | undefined, policy: OriginPolicy): boolean {
  if (policy.corsOrigins.includes("*")) return true;
  const normalised = origin.trim().toLowerCase().replace(/\/+$/, "");
  if (policy.corsOrigins.some((o) => o.toLowerCase().replace(/\/+$/, "") === normalised)) return true;
  // "null" comes from sandboxed iframes and file:// pages: anyone can make one.
  if (normalised === "null") return false;
  let url: URL;
  try {
    url = new URL(normalised);
  } catch {
    return false;
  }
  if (APP_SCHEMES.has(url.protocol)) return true;
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (isLoopbackHostname(url.hostname)) return true;
  // The relay's own pages (same origin): the browser says so by sending the Host it talks to. On a loopback bind
  // the Host check below has already refused a rebound name.
  return host !== undefined && url.host === host.trim().toLowerCase();
}

/** Whether a Host header is acceptable on a loopback bind. */
export function hostAllowed(host: string | undefined, allowedHosts: readonly string[]): boolean {
  // HTTP/1.0 without Host, or a test harness: nothing a browser sends.
  if (host === undefined || host === "") return true;
  if (allowedHosts.includes("*")) return true;
  const hostname = hostnameOf(host);
  if (isLoopbackHostname(hostname) || isLocalName(hostname)) return true;
  return allowedHosts.some((a) => hostnameOf(a) === hostname);
}
