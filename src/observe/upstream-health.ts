// What the backend said lately, for /health and the status page: the last error (with its time), the streak of
// failures since the last success, and whether the latest answer was a token rejection or a Cloudflare challenge.
// Fed at the transport level (observeFetch below wraps the fetch the upstream client uses); another transport
// (WebSocket) calls `record` itself with the same facts.

import { fingerprint } from "../core/logger.ts";
import { CLOUDFLARE_CHALLENGE_MESSAGE, describeUpstreamError } from "../upstream/upstream-error.ts";

/**
 * - `ok`: a 2xx answer.
 * - `answered`: the backend answered with a client-side error (400, 404, 429, …): it works and took the token.
 * - `token_rejected`: 401, or a 403 that is not a challenge (wrong or missing account).
 * - `challenge`: Cloudflare's HTML 403 with `cf-mitigated: challenge`.
 * - `failure`: 5xx or no answer at all (network error, timeout).
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

const MAX_MESSAGE = 300;

/**
 * A fetch that reports every backend reply to `health`. Costs nothing on a 2xx (no body is touched); on an error
 * it reads a clone of the (small) error body for the backend's message. A request aborted by its own signal (the
 * client went away, or the relay stopped it) is not the backend's fault and is not recorded.
 */
export function observeFetch(inner: typeof fetch, health: UpstreamHealth): typeof fetch {
  return async (input, init) => {
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (err) {
      if (!init?.signal?.aborted) {
        health.record({
          kind: "failure",
          status: null,
          code: "upstream_unreachable",
          message: `Could not reach the ChatGPT backend: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
      throw err;
    }
    if (res.ok) {
      health.recordSuccess();
      return res;
    }
    const kind = classifyStatus(res.status, res.headers);
    const contentType = res.headers.get("content-type");
    // Recorded at once (the verdict must not wait for the body); the backend's own message is filled in when the
    // body arrives.
    const rec = health.record({
      kind,
      status: res.status,
      code: kind === "challenge" ? "cloudflare_challenge" : null,
      message:
        kind === "challenge"
          ? CLOUDFLARE_CHALLENGE_MESSAGE
          : `The ChatGPT backend answered HTTP ${res.status}.`,
      ...(kind === "token_rejected" ? { tokenFingerprint: fingerprint(bearerOf(init?.headers)) } : {}),
    });
    if (kind !== "challenge") {
      res
        .clone()
        .text()
        .then((text) => {
          const info = describeUpstreamError(res.status, text, contentType);
          rec.message = info.message.slice(0, MAX_MESSAGE);
          rec.code = info.code;
        })
        .catch(() => {});
    }
    return res;
  };
}

function bearerOf(headers: HeadersInit | undefined): string | null {
  if (!headers) return null;
  let value: string | null | undefined;
  if (headers instanceof Headers) value = headers.get("authorization");
  else if (Array.isArray(headers)) value = headers.find(([k]) => k.toLowerCase() === "authorization")?.[1];
  else
    value =
      (headers as Record<string, string>).authorization ?? (headers as Record<string, string>).Authorization;
  const m = value ? /^Bearer\s+(.+)$/i.exec(value) : null;
  return m ? m[1]!.trim() : null;
}
