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

function window(h: Headers, which: "primary" | "secondary", observedAt: number): RateLimitWindow {
  const resetAt = num(h, `x-codex-${which}-reset-at`);
  const resetAfter = num(h, `x-codex-${which}-reset-after-seconds`);
  const at = resetAt !== null ? resetAt * 1000 : resetAfter !== null ? observedAt + resetAfter * 1000 : null;
  return {
    usedPercent: num(h, `x-codex-${which}-used-percent`),
    windowMinutes: num(h, `x-codex-${which}-window-minutes`),
    resetAt: at === null ? null : new Date(at).toISOString(),
  };
}

function hasRateLimits(h: Headers): boolean {
  return h.has("x-codex-primary-used-percent") || h.has("x-codex-plan-type");
}

/** Null when the reply carries no rate-limit headers. `observedAt`: when the reply came, ms since the epoch. */
export function parseRateLimits(h: Headers, observedAt = Date.now()): RateLimitSnapshot | null {
  if (!hasRateLimits(h)) return null;
  return {
    planType: h.get("x-codex-plan-type"),
    primary: window(h, "primary", observedAt),
    secondary: window(h, "secondary", observedAt),
    observedAt: new Date(observedAt).toISOString(),
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
  #latest: RateLimitSnapshot | null = null;
  /**
   * The last reply with rate-limit headers, parsed only when `latest` is read: every request records, but only
   * /health, the status page and the account pool's choice among several accounts read (parsing ten headers and
   * three dates per request was ~3 % of the relay's CPU in `npm run bench`).
   */
  #unparsed: { headers: Headers; at: number } | null = null;

  get latest(): RateLimitSnapshot | null {
    if (this.#unparsed) {
      this.#latest = parseRateLimits(this.#unparsed.headers, this.#unparsed.at);
      this.#unparsed = null;
    }
    return this.#latest;
  }

  /** A snapshot learned elsewhere (another instance's, through the shared store). */
  set latest(snapshot: RateLimitSnapshot | null) {
    this.#latest = snapshot;
    this.#unparsed = null;
  }

  record(h: Headers): void {
    if (hasRateLimits(h)) this.#unparsed = { headers: h, at: Date.now() };
  }
}
