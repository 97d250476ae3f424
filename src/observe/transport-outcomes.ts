// Tells UpstreamHealth (/health, the status page, the upstream_errors metric) how every attempt on every transport
// to the backend went. The backend client wraps each of its transports (HTTP/SSE, WebSocket) with this once, so
// one place sees them all: a refusal (an HTTP status, a refused WebSocket handshake, a wrapped error frame), no
// answer at all, and what happens after the 200 — a stream that breaks, goes silent, or ends with the backend's
// own failure. A turn counts as a success only when its stream ends cleanly: a backend that answers 200 and then
// breaks every stream is failing. Client-side refusals (a bad request, a usage limit) are answers, not failures.
// A WebSocket opened ahead of its turn (in the background) reports each failed handshake the same way.

import { fingerprint } from "../core/logger.ts";
import { RelayError } from "../core/errors.ts";
import type { UpstreamEvent } from "../responses/types.ts";
import type { TransportAttempt, TransportOutcome, UpstreamTransport } from "../upstream/transport.ts";
import { CLOUDFLARE_CHALLENGE_MESSAGE, describeUpstreamError } from "../upstream/upstream-error.ts";
import {
  WebSocketUnavailable,
  type PreopenFailure,
  type WebSocketTransport,
} from "../upstream/websocket-transport.ts";
import { errorText, IdleTimeout } from "../upstream/stream-errors.ts";
import { classifyStatus, type UpstreamErrorRecord, type UpstreamHealth } from "./upstream-health.ts";

export type TransportName = "http" | "websocket";

const MAX_MESSAGE = 300;

/**
 * Codes of a failed response (or an error event) that are about the request or the plan, not the backend's health:
 * the backend worked and said no.
 */
const CLIENT_SIDE_CODES = new Set([
  "context_length_exceeded",
  "context_window_exceeded",
  "invalid_prompt",
  "invalid_request_error",
  "invalid_encrypted_content",
  "previous_response_not_found",
  "usage_limit_reached",
  "usage_not_included",
  "insufficient_quota",
  "rate_limit_exceeded",
  "content_filter",
  "cyber_policy",
]);

/** `transport` with every outcome reported to `health`; events pass through unchanged. */
export function observeTransport<T extends UpstreamTransport>(
  transport: T,
  name: TransportName,
  health: UpstreamHealth,
): T {
  const watched: UpstreamTransport = {
    async send(attempt: TransportAttempt): Promise<TransportOutcome> {
      let outcome: TransportOutcome;
      try {
        outcome = await transport.send(attempt);
      } catch (err) {
        if (!(err instanceof WebSocketUnavailable) && !attempt.clientSignal?.aborted)
          recordUnreachable(health, name, attempt.controller.signal.reason instanceof IdleTimeout, err);
        throw err;
      }
      if (!outcome.ok) {
        recordRefusal(health, name, attempt, outcome);
        return outcome;
      }
      const seen = { headers: attempt.headers, clientSignal: attempt.clientSignal };
      return { ...outcome, events: watchedEvents(outcome.events, name, seen, health) };
    },
  };
  const preopener = (transport as Partial<WebSocketTransport>).preopen;
  if (!preopener) return watched as T;
  const preopen: WebSocketTransport["preopen"] = (request) =>
    preopener.call(transport, {
      ...request,
      retry(failure: PreopenFailure, attempt, signal) {
        if (failure.status !== undefined) recordRefusal(health, name, request, failure);
        else recordUnreachable(health, name, failure.error instanceof IdleTimeout, failure.error);
        return request.retry(failure, attempt, signal);
      },
    });
  return { ...watched, preopen } as unknown as T;
}

function recordUnreachable(health: UpstreamHealth, name: TransportName, silent: boolean, err: unknown): void {
  health.record({
    kind: "failure",
    status: null,
    code: silent ? "upstream_idle_timeout" : "upstream_unreachable",
    message: silent
      ? "The ChatGPT backend sent no answer in time (UPSTREAM_IDLE_TIMEOUT_MS)."
      : `Could not reach the ChatGPT backend: ${errorText(err)}`,
    transport: name,
  });
}

function recordRefusal(
  health: UpstreamHealth,
  name: TransportName,
  attempt: Pick<TransportAttempt, "headers">,
  outcome: Pick<Extract<TransportOutcome, { ok: false }>, "status" | "text" | "headers">,
): void {
  const kind = classifyStatus(outcome.status, outcome.headers);
  const info =
    kind === "challenge"
      ? { message: CLOUDFLARE_CHALLENGE_MESSAGE, code: "cloudflare_challenge" }
      : describeUpstreamError(outcome.status, outcome.text, outcome.headers.get("content-type"));
  health.record({
    kind,
    status: outcome.status,
    code: info.code,
    message: info.message.slice(0, MAX_MESSAGE),
    transport: name,
    ...(kind === "token_rejected" ? { tokenFingerprint: fingerprint(bearerOf(attempt.headers)) } : {}),
  });
}

/**
 * The backend's events; the first terminal event or error decides the turn's outcome. A stream that ends without
 * one, breaks or goes silent is a failure; a consumer that stops early (the client left) reports nothing. A plain
 * iterator rather than an async generator: it adds one `then` per event (measured: ~0.05 µs, a generator ~0.5 µs).
 */
function watchedEvents(
  events: AsyncIterable<UpstreamEvent>,
  name: TransportName,
  // Not the whole attempt: the watcher lives as long as the stream, and the attempt holds the turn's body.
  attempt: WatchedAttempt,
  health: UpstreamHealth,
): AsyncIterable<UpstreamEvent> {
  let settled = false;
  const settle = (record: Omit<UpstreamErrorRecord, "at" | "transport"> | null) => {
    settled = true;
    if (record) health.record({ ...record, transport: name });
    else health.recordSuccess();
  };
  const seen = (r: IteratorResult<UpstreamEvent>): IteratorResult<UpstreamEvent> => {
    if (settled) return r;
    if (r.done) {
      settle({
        kind: "failure",
        status: null,
        code: "upstream_stream_error",
        message: "The backend's stream ended before the response was complete.",
      });
      return r;
    }
    const type = r.value.type;
    if (type === "response.completed" || type === "response.incomplete") settle(null);
    else if (type === "response.failed" || type === "error") settle(eventOutcome(r.value, attempt));
    return r;
  };
  const failed = (err: unknown): never => {
    const e = err instanceof RelayError ? err : null;
    // An event too large for the relay is the relay's limit, not a failing backend; a client that left neither.
    if (!settled && !attempt.clientSignal?.aborted && e?.code !== "upstream_event_too_large") {
      settle({
        kind: "failure",
        status: null,
        code: e?.code ?? "upstream_stream_error",
        message: (e?.message ?? errorText(err)).slice(0, MAX_MESSAGE),
      });
    }
    throw err;
  };
  return {
    [Symbol.asyncIterator]() {
      const inner = events[Symbol.asyncIterator]();
      return {
        next: () => inner.next().then(seen, failed),
        return: (value?: unknown) =>
          inner.return
            ? inner.return(value)
            : Promise.resolve({ done: true as const, value: value as UpstreamEvent }),
      };
    },
  };
}

type WatchedAttempt = Pick<TransportAttempt, "headers" | "clientSignal">;

/** A `response.failed` or `error` event: a failure of the backend, or its answer to a request it would not serve. */
function eventOutcome(
  event: UpstreamEvent,
  attempt: WatchedAttempt,
): Omit<UpstreamErrorRecord, "at" | "transport"> {
  const source =
    event.type === "response.failed"
      ? (event.response as { error?: unknown } | undefined)?.error
      : event.error;
  const error = source !== null && typeof source === "object" ? (source as Record<string, unknown>) : {};
  const flat = event as Record<string, unknown>;
  const code = typeof error.code === "string" ? error.code : typeof flat.code === "string" ? flat.code : null;
  const message =
    typeof error.message === "string"
      ? error.message
      : typeof flat.message === "string"
        ? flat.message
        : "The backend failed the response.";
  const rawStatus = flat.status ?? flat.status_code;
  const status = typeof rawStatus === "number" && Number.isInteger(rawStatus) ? rawStatus : null;
  const clientSide = status !== null ? status < 500 : code !== null && CLIENT_SIDE_CODES.has(code);
  if (status === 401) {
    const tokenFingerprint = fingerprint(bearerOf(attempt.headers));
    return { kind: "token_rejected", status, code, message: message.slice(0, MAX_MESSAGE), tokenFingerprint };
  }
  return { kind: clientSide ? "answered" : "failure", status, code, message: message.slice(0, MAX_MESSAGE) };
}

function bearerOf(headers: Record<string, string>): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "");
  return m ? m[1]!.trim() : null;
}
