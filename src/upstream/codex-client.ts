// The client of the ChatGPT Codex backend: builds the request headers, sends the Responses body, retries what is
// safe to retry (5xx and network errors before the first byte, one refresh-and-retry on 401), maps failures to
// RelayErrors with the backend's own message, and exposes the reply as an async stream of parsed events.

import { CODEX_CLIENT_VERSION, type Config } from "../config.ts";
import { RelayError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Credentials } from "../auth/types.ts";
import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import { forwardableHeaders, type RateLimitTracker } from "./rate-limits.ts";
import { SseParser } from "./sse-parser.ts";
import { toRelayError } from "./upstream-error.ts";

export const RELAY_VERSION = "0.1.0";

/** The part of the TokenManager the upstream client needs. */
export interface CredentialProvider {
  getCredentials(): Promise<Credentials>;
  handleUnauthorized(rejected: Credentials): Promise<Credentials>;
}

export interface UpstreamRequestOptions {
  /** Aborted when the client goes away: the backend request is aborted with it. */
  signal?: AbortSignal;
  /** Stable per conversation: sent as session-id and used for prompt caching. */
  sessionId: string;
}

export interface UpstreamReply {
  /** Headers to pass on to the client (rate limits, openai-model). */
  headers: Record<string, string>;
  /** The backend's events, parsed. Breaking out of the loop aborts the backend request. */
  events: AsyncIterable<UpstreamEvent>;
}

export interface CodexClient {
  stream(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<UpstreamReply>;
}

export interface CodexClientDeps {
  config: Pick<Config, "responsesUrl" | "originator" | "upstreamIdleTimeoutMs" | "upstreamRetries">;
  credentials: CredentialProvider;
  rateLimits?: RateLimitTracker;
  logger: Logger;
  fetch?: typeof fetch;
  /** Stable id of this relay installation (x-codex-installation-id). */
  installationId: string;
  /** Base backoff in ms before retry n is base·2ⁿ with ±50 % jitter. */
  retryBaseMs?: number;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

export function createCodexClient(deps: CodexClientDeps): CodexClient {
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const { config, logger } = deps;
  const userAgent = `${config.originator}/${CODEX_CLIENT_VERSION} (codex-relay ${RELAY_VERSION})`;
  const retryBase = deps.retryBaseMs ?? 250;

  function headersFor(creds: Credentials, sessionId: string): Record<string, string> {
    return {
      authorization: `Bearer ${creds.accessToken}`,
      "chatgpt-account-id": creds.accountId,
      originator: config.originator,
      "user-agent": userAgent,
      "session-id": sessionId,
      "x-codex-installation-id": deps.installationId,
      accept: "text/event-stream",
      "content-type": "application/json",
    };
  }

  async function stream(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<UpstreamReply> {
    if (!body.client_metadata) body.client_metadata = { "x-codex-installation-id": deps.installationId };
    const payload = JSON.stringify(body);
    let creds = await deps.credentials.getCredentials();
    let refreshedAfter401 = false;
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw clientGone();
      // One controller per attempt, which the client's signal aborts too. Not AbortSignal.any, which is slow on
      // Node 20: with the abort reason made once (readEvents), this saves ~12 % of the relay's CPU per non-stream
      // request in `npm run bench`.
      const controller = new AbortController();
      const clientSignal = options.signal;
      const follow = () => controller.abort(clientSignal?.reason);
      clientSignal?.addEventListener("abort", follow, { once: true });
      const unfollow = () => clientSignal?.removeEventListener("abort", follow);
      const signal = controller.signal;
      // The idle timeout also covers the wait for the response headers (and for an error body): a backend that
      // accepts the connection and then says nothing must not hold the request forever.
      const headersTimer = setTimeout(
        () => controller.abort(new IdleTimeout()),
        config.upstreamIdleTimeoutMs,
      );
      let res: Response;
      try {
        res = await doFetch(config.responsesUrl, {
          method: "POST",
          headers: headersFor(creds, options.sessionId),
          body: payload,
          signal,
        });
      } catch (err) {
        clearTimeout(headersTimer);
        unfollow();
        if (options.signal?.aborted) throw clientGone();
        if (controller.signal.reason instanceof IdleTimeout)
          throw idleTimeoutError(config.upstreamIdleTimeoutMs);
        if (attempt < config.upstreamRetries) {
          logger.warn({ attempt, err: errorText(err) }, "backend unreachable, retrying");
          await backoff(attempt, retryBase, options.signal);
          continue;
        }
        throw new RelayError(502, `Could not reach the ChatGPT backend: ${errorText(err)}`, {
          code: "upstream_unreachable",
        });
      }
      deps.rateLimits?.record(res.headers);
      const forwarded = forwardableHeaders(res.headers);
      if (res.ok && res.body) {
        clearTimeout(headersTimer);
        return {
          headers: forwarded,
          events: readEvents(res.body, controller, config.upstreamIdleTimeoutMs, options.signal),
        };
      }
      const text = await res.text().catch(() => "");
      clearTimeout(headersTimer);
      unfollow();
      if (options.signal?.aborted) throw clientGone();
      if (res.status === 401 && !refreshedAfter401) {
        refreshedAfter401 = true;
        logger.info({ status: 401 }, "backend rejected the access token; refreshing and retrying once");
        creds = await deps.credentials.handleUnauthorized(creds);
        attempt--; // the auth retry does not use up the 5xx retry budget
        continue;
      }
      if (RETRYABLE_STATUS.has(res.status) && attempt < config.upstreamRetries) {
        logger.warn({ attempt, status: res.status }, "backend error before the first byte, retrying");
        await backoff(attempt, retryBase, options.signal, res.headers.get("retry-after"));
        continue;
      }
      const error = toRelayError(res.status, text, res.headers.get("content-type"), forwarded);
      logger.warn({ status: res.status, code: error.code }, "backend refused the request");
      throw error;
    }
  }

  return { stream };
}

function clientGone(): RelayError {
  return new RelayError(499, "The client closed the request.", { code: "client_closed" });
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? cause.message : "";
    return causeText && causeText !== err.message ? `${err.message} (${causeText})` : err.message;
  }
  return String(err);
}

function backoff(
  attempt: number,
  baseMs: number,
  signal?: AbortSignal,
  retryAfter?: string | null,
): Promise<void> {
  const hinted = retryAfter && /^\d+$/.test(retryAfter) ? Math.min(Number(retryAfter) * 1000, 5000) : 0;
  const exp = baseMs * 2 ** attempt;
  const ms = Math.max(hinted, exp * (0.5 + Math.random()));
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

class IdleTimeout extends Error {}

/** The abort reason when the relay stops reading a stream it no longer needs. */
const STOPPED_READING = new Error("The relay stopped reading the backend's stream.");

function idleTimeoutError(idleMs: number): RelayError {
  const span = idleMs >= 1000 ? `${Math.round(idleMs / 1000)} s` : `${idleMs} ms`;
  return new RelayError(
    504,
    `The ChatGPT backend sent nothing for ${span} (UPSTREAM_IDLE_TIMEOUT_MS); the request was aborted.`,
    { code: "upstream_idle_timeout" },
  );
}

/**
 * Parses the SSE body into events. One timer per stream watches for stalls (re-armed lazily, not per chunk). When
 * the consumer stops early, or the stream ends, the backend request is aborted.
 */
async function* readEvents(
  body: ReadableStream<Uint8Array>,
  controller: AbortController,
  idleMs: number,
  clientSignal?: AbortSignal,
): AsyncGenerator<UpstreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let lastActivity = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number) => {
    timer = setTimeout(() => {
      const idle = Date.now() - lastActivity;
      if (idle >= idleMs) controller.abort(new IdleTimeout());
      else arm(idleMs - idle);
    }, ms);
  };
  arm(idleMs);
  let finished = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (controller.signal.reason instanceof IdleTimeout) throw idleTimeoutError(idleMs);
        if (clientSignal?.aborted) throw clientGone();
        throw new RelayError(
          502,
          `The connection to the ChatGPT backend broke mid-stream: ${errorText(err)}`,
          { code: "upstream_stream_error" },
        );
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      lastActivity = Date.now();
      const messages = parser.push(decoder.decode(chunk.value, { stream: true }));
      for (const m of messages) {
        if (m.data === "[DONE]") continue;
        let event: unknown;
        try {
          event = JSON.parse(m.data);
        } catch {
          continue; // like Codex: unparseable data is skipped
        }
        if (event && typeof event === "object" && typeof (event as UpstreamEvent).type === "string") {
          yield event as UpstreamEvent;
        }
      }
    }
  } finally {
    clearTimeout(timer);
    if (!finished) {
      // A reason made once: without one, every early stop (each non-stream answer stops at its terminal event)
      // would build a DOMException with a stack trace.
      controller.abort(STOPPED_READING);
      reader.cancel().catch(() => {});
    }
  }
}
