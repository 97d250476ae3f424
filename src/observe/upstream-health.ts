// What the backend said lately, for /health and the status page: the last error (with its time), the streak of
// failures since the last success, and whether the latest answer was a token rejection or a Cloudflare challenge.
// Fed by the backend client's transports, every one of them (transport-outcomes.ts), and on Workers by the Durable
// Object that shares a challenge between isolates (worker/shared-challenge.ts).

/**
 * - `ok`: a 2xx answer.
 * - `answered`: the backend answered with a client-side error (400, 404, 429, …): it works and took the token.
 * - `token_rejected`: 401, or a 403 that is not a challenge (wrong or missing account).
 * - `challenge`: Cloudflare's HTML 403 with `cf-mitigated: challenge`.
 * - `failure`: 5xx, no answer at all (network error, timeout), or a stream that broke, went silent or ended with
 *   the backend's own failure after the 200.
 */
export type UpstreamOutcomeKind = "ok" | "answered" | "token_rejected" | "challenge" | "failure";

export interface UpstreamErrorRecord {
  kind: Exclude<UpstreamOutcomeKind, "ok">;
  /** HTTP status; null when there was no answer. */
  status: number | null;
  code: string | null;
  message: string;
  at: string;
  /** Fingerprint of the access token the backend rejected (token_rejected only). */
  tokenFingerprint?: string | null;
  /** Which transport carried the attempt. */
  transport?: "http" | "websocket";
}

export interface UpstreamHealthSnapshot {
  lastSuccessAt: string | null;
  lastError: UpstreamErrorRecord | null;
  /** Failures (`failure` outcomes) since the last answer of the backend. */
  consecutiveFailures: number;
  /** The latest outcome, when it was not a success: what /health judges by. */
  latest: UpstreamErrorRecord | null;
}

export class UpstreamHealth {
  private lastSuccessAt: number | null = null;
  private lastError: UpstreamErrorRecord | null = null;
  private latest: UpstreamErrorRecord | null = null;
  private consecutiveFailures = 0;

  constructor(
    private readonly now: () => number = Date.now,
    /** Told of every error as it is recorded (metrics). */
    private readonly onError?: (error: UpstreamErrorRecord) => void,
  ) {}

  recordSuccess(): void {
    this.lastSuccessAt = this.now();
    this.latest = null;
    this.consecutiveFailures = 0;
  }

  record(error: Omit<UpstreamErrorRecord, "at"> & { at?: string }): UpstreamErrorRecord {
    const rec: UpstreamErrorRecord = { ...error, at: error.at ?? new Date(this.now()).toISOString() };
    this.lastError = rec;
    this.latest = rec;
    if (rec.kind === "failure") this.consecutiveFailures++;
    else this.consecutiveFailures = 0;
    this.onError?.(rec);
    return rec;
  }

  snapshot(): UpstreamHealthSnapshot {
    return {
      lastSuccessAt: this.lastSuccessAt === null ? null : new Date(this.lastSuccessAt).toISOString(),
      lastError: this.lastError,
      consecutiveFailures: this.consecutiveFailures,
      latest: this.latest,
    };
  }
}

/** Classifies a non-2xx reply from its status and headers. */
export function classifyStatus(status: number, headers: Headers): UpstreamErrorRecord["kind"] {
  if (status === 401) return "token_rejected";
  if (status === 403) {
    const html = (headers.get("content-type") ?? "").includes("html");
    return headers.get("cf-mitigated") === "challenge" || html ? "challenge" : "token_rejected";
  }
  if (status >= 500) return "failure";
  return "answered";
}
