// The backend's rate-limit headers (x-codex-primary-used-percent, …): forwarded to clients as they are, and kept
// as the latest snapshot for /health and the status page.

export interface RateLimitWindow {
  usedPercent: number | null;
  windowMinutes: number | null;
  resetAt: string | null;
}

export interface RateLimitSnapshot {
  planType: string | null;
  primary: RateLimitWindow;
  secondary: RateLimitWindow;
  observedAt: string;
}

function num(h: Headers, name: string): number | null {
  const v = h.get(name);
  if (v === null || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function window(h: Headers, which: "primary" | "secondary"): RateLimitWindow {
  const resetAt = num(h, `x-codex-${which}-reset-at`);
  const resetAfter = num(h, `x-codex-${which}-reset-after-seconds`);
  const at = resetAt !== null ? resetAt * 1000 : resetAfter !== null ? Date.now() + resetAfter * 1000 : null;
  return {
    usedPercent: num(h, `x-codex-${which}-used-percent`),
    windowMinutes: num(h, `x-codex-${which}-window-minutes`),
    resetAt: at === null ? null : new Date(at).toISOString(),
  };
}

/** Null when the reply carries no rate-limit headers. */
export function parseRateLimits(h: Headers): RateLimitSnapshot | null {
  if (!h.has("x-codex-primary-used-percent") && !h.has("x-codex-plan-type")) return null;
  return {
    planType: h.get("x-codex-plan-type"),
    primary: window(h, "primary"),
    secondary: window(h, "secondary"),
    observedAt: new Date().toISOString(),
  };
}

/** The headers a client gets from the backend's reply: the rate-limit family and the model actually used. */
export function forwardableHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((value, name) => {
    if (name.startsWith("x-codex-") || name === "openai-model") out[name] = value;
  });
  return out;
}

export class RateLimitTracker {
  latest: RateLimitSnapshot | null = null;
  record(h: Headers): void {
    const snap = parseRateLimits(h);
    if (snap) this.latest = snap;
  }
}
