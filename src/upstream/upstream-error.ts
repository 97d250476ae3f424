// Maps a non-2xx reply of the backend to a RelayError that keeps the backend's real message. Bodies come as
// {"detail": "…"}, {"error": {message, code, type, resets_at, …}}, or an HTML page (Cloudflare).

import { RelayError } from "../core/errors.ts";

interface ErrorBody {
  detail?: unknown;
  error?:
    | {
        message?: unknown;
        code?: unknown;
        type?: unknown;
        resets_at?: unknown;
        resets_in_seconds?: unknown;
        plan_type?: unknown;
      }
    | string;
  message?: unknown;
}

function parseBody(text: string): ErrorBody | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as ErrorBody) : null;
  } catch {
    return null;
  }
}

function detailText(detail: unknown): string | null {
  if (typeof detail === "string") return detail;
  if (detail && typeof detail === "object") {
    const m = (detail as { message?: unknown }).message;
    if (typeof m === "string") return m;
    return JSON.stringify(detail);
  }
  return null;
}

export interface UpstreamErrorInfo {
  status: number;
  message: string;
  code: string | null;
  type: string | null;
}

/** Reads status + body into message/code, whatever the body's shape. */
export function describeUpstreamError(
  status: number,
  bodyText: string,
  contentType: string | null,
): UpstreamErrorInfo & { body: ErrorBody | null } {
  const body = parseBody(bodyText);
  let message: string | null = null;
  let code: string | null = null;
  let type: string | null = null;
  if (body) {
    message = detailText(body.detail);
    if (typeof body.error === "string") {
      code = body.error;
    } else if (body.error && typeof body.error === "object") {
      if (typeof body.error.message === "string") message = body.error.message;
      if (typeof body.error.code === "string") code = body.error.code;
      if (typeof body.error.type === "string") type = body.error.type;
    }
    if (!message && typeof body.message === "string") message = body.message;
  }
  if (!message) {
    const html = (contentType ?? "").includes("html") || /^\s*</.test(bodyText);
    message = html
      ? `The ChatGPT backend answered HTTP ${status} with an HTML page (often a Cloudflare challenge); try again later.`
      : bodyText.trim().slice(0, 300) || `The ChatGPT backend answered HTTP ${status} with no detail.`;
  }
  return { status, message, code, type, body };
}

function formatReset(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Whether a reply is Cloudflare's bot challenge rather than the backend's answer: the `cf-mitigated: challenge`
 * header Cloudflare sets on it, or (where the header was lost) a 403 HTML page with the challenge's markers.
 */
export function isCloudflareChallenge(
  status: number,
  mitigated: string | null,
  contentType: string | null,
  bodyText: string,
): boolean {
  if (mitigated?.toLowerCase() === "challenge") return true;
  const html = (contentType ?? "").includes("html") || /^\s*</.test(bodyText);
  return status === 403 && html && /Just a moment|challenge-platform|cf_chl_|cf-chl-/i.test(bodyText);
}

export const CLOUDFLARE_CHALLENGE_MESSAGE =
  "chatgpt.com answered with a Cloudflare challenge (HTTP 403, cf-mitigated: challenge) instead of the Codex " +
  "backend: Cloudflare's bot protection does not let requests from where this relay runs through. This is " +
  "known to happen to relays on Cloudflare Workers, and to some data-centre and VPN addresses; it is not caused " +
  "by your request or your sign-in, and retrying will not help. Run codex-relay with Node (`npm start` or " +
  "`npx codex-relay serve`) or in its Docker container, on a machine whose address chatgpt.com accepts, and " +
  "point your client at that.";

/** The error a client sees for a Cloudflare challenge, on every runtime and in every dialect. */
export function cloudflareChallengeError(headers: Record<string, string> = {}): RelayError {
  return new RelayError(502, CLOUDFLARE_CHALLENGE_MESSAGE, {
    type: "upstream_error",
    code: "cloudflare_challenge",
    headers,
  });
}

/**
 * The RelayError a client sees for a final (not retried) upstream failure. `mitigated` is the reply's
 * `cf-mitigated` header.
 */
export function toRelayError(
  status: number,
  bodyText: string,
  contentType: string | null,
  headers: Record<string, string> = {},
  mitigated: string | null = null,
): RelayError {
  if (isCloudflareChallenge(status, mitigated, contentType, bodyText))
    return cloudflareChallengeError(headers);
  const info = describeUpstreamError(status, bodyText, contentType);
  const err = info.body?.error;
  const errObj = err && typeof err === "object" ? err : null;
  const limitType = info.type ?? info.code;

  if (status === 429 && (limitType === "usage_limit_reached" || limitType === "usage_not_included")) {
    const resetsAt = typeof errObj?.resets_at === "number" ? errObj.resets_at : null;
    const resetsIn =
      typeof errObj?.resets_in_seconds === "number"
        ? errObj.resets_in_seconds
        : resetsAt !== null
          ? Math.max(0, resetsAt - Date.now() / 1000)
          : null;
    const plan = typeof errObj?.plan_type === "string" ? ` (plan: ${errObj.plan_type})` : "";
    const when =
      resetsAt !== null
        ? ` It resets at ${formatReset(resetsAt)}.`
        : resetsIn !== null
          ? ` It resets in ${Math.ceil(resetsIn)} seconds.`
          : "";
    const message =
      limitType === "usage_not_included"
        ? `Codex usage is not included in this ChatGPT plan${plan}: ${info.message}`
        : `You've hit your ChatGPT usage limit${plan}: ${info.message}.${when}`;
    const h = { ...headers };
    if (resetsIn !== null) h["retry-after"] = String(Math.ceil(resetsIn));
    return new RelayError(429, message, { type: "usage_limit_reached", code: limitType, headers: h });
  }
  if (status === 401) {
    return new RelayError(401, `The ChatGPT backend rejected the sign-in: ${info.message}`, {
      code: info.code ?? "upstream_unauthorized",
      headers,
    });
  }
  if (status === 429)
    return new RelayError(429, info.message, { code: info.code ?? "rate_limit_exceeded", headers });
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    return new RelayError(status === 404 ? 502 : status, info.message, {
      code: info.code ?? "upstream_invalid_request",
      type: status === 404 ? "upstream_error" : "invalid_request_error",
      headers,
    });
  }
  if (status === 503 || info.code === "server_is_overloaded" || info.code === "slow_down") {
    return new RelayError(503, `The ChatGPT backend is overloaded: ${info.message}`, {
      code: info.code ?? "upstream_unavailable",
      headers,
    });
  }
  return new RelayError(502, `The ChatGPT backend failed (HTTP ${status}): ${info.message}`, {
    code: info.code ?? "upstream_error",
    headers,
  });
}
