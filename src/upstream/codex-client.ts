// The client of the ChatGPT Codex backend: builds the request headers, hands the Responses body to a transport
// (HTTP/SSE in http-transport.ts, WebSocket in websocket-transport.ts), retries what is safe to retry (5xx and
// network errors before the first byte, one refresh-and-retry on 401), maps failures to RelayErrors with the
// backend's own message, and exposes the reply as an async stream of parsed events.
//
// Transport choice and fallback follow the official Codex CLI: the WebSocket for models that prefer it (or all, or
// none: UPSTREAM_TRANSPORT); a 426 to the WebSocket handshake switches to HTTP at once (for every conversation, for
// WS_REFUSED_MS); other WebSocket failures use up the retry budget first, then that conversation goes over HTTP.
// With UPSTREAM_TRANSPORT=auto no turn waits for a handshake: a conversation without an open connection sends its
// turn over HTTP (a warm keep-alive connection) while its connection opens in the background, with the same token
// and account, for the next turn; the same rules apply to that handshake.

import { CODEX_CLIENT_VERSION, type Config } from "../config.ts";
import { RelayError } from "../core/errors.ts";
import { fingerprint, type Logger } from "../core/logger.ts";
import type { Credentials } from "../auth/types.ts";
import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import { forwardableHeaders, type RateLimitTracker } from "./rate-limits.ts";
import type { SecretScrubber } from "../core/secret-scrubber.ts";
import { toRelayError } from "./upstream-error.ts";
import { createHttpTransport } from "./http-transport.ts";
import type { RequestCompressor } from "./request-compression.ts";
import type { UpstreamTransport } from "./transport.ts";
import { clientGone, errorText, IdleTimeout, idleTimeoutError } from "./stream-errors.ts";
import {
  WebSocketUnavailable,
  type Preopen,
  type PreopenFailure,
  type WebSocketTransport,
} from "./websocket-transport.ts";
import type { WebSocketPool } from "./websocket-pool.ts";

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
  /**
   * The WebSocket connections of the client connection this turn belongs to, used instead of the relay's pool:
   * where a socket lives only as long as the client request that opened it (Workers), a client's WebSocket to the
   * relay keeps its own connections to the backend.
   */
  connections?: WebSocketPool;
  /** The credentials read when the request arrived (http/credentials-ahead.ts); read now when absent. */
  credentials?: Promise<Credentials>;
}

export interface UpstreamReply {
  /** Headers to pass on to the client (rate limits, openai-model). */
  headers: Record<string, string>;
  /** The backend's events, parsed. Breaking out of the loop aborts the backend request. */
  events: AsyncIterable<UpstreamEvent>;
  /** Fingerprint of the account that took the turn. */
  account?: string | null;
}

export interface CodexClient {
  stream(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<UpstreamReply>;
  /**
   * Starts reading, now, the credentials a turn would use, for `UpstreamRequestOptions.credentials`. Undefined where
   * the account is only known once the turn starts (a pool of several accounts).
   */
  credentialsAhead?(): Promise<Credentials> | undefined;
  /**
   * A conversation is about to start (a client announced it: the Codex CLI's prewarm): opens its WebSocket
   * connection now, in the background, if its turns would use one. `body` is the turn-to-be (its model).
   */
  preconnect?(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<void>;
}

export interface CodexClientDeps {
  config: Pick<Config, "responsesUrl" | "originator" | "upstreamIdleTimeoutMs" | "upstreamRetries"> &
    Partial<Pick<Config, "upstreamTransport">>;
  credentials: CredentialProvider;
  rateLimits?: RateLimitTracker;
  logger: Logger;
  fetch?: typeof fetch;
  /** The HTTP transport; default: HTTP/SSE to config.responsesUrl with `fetch`. */
  transport?: UpstreamTransport;
  /** Compresses HTTP request bodies (UPSTREAM_REQUEST_COMPRESSION); none when absent. */
  compressor?: Promise<RequestCompressor | null>;
  /** The WebSocket transport; without it every turn goes over HTTP. */
  websocket?: WebSocketTransport;
  /**
   * The runtime's sockets cannot outlive the client request that opened them (Workers): only turns that bring their
   * own `connections` go over the WebSocket, the others over HTTP.
   */
  websocketNeedsConnections?: boolean;
  /** Whether the catalogue entry of `model` prefers WebSockets (UPSTREAM_TRANSPORT=auto). */
  prefersWebSockets?: (model: string) => Promise<boolean>;
  /**
   * Wraps each transport once, to see every attempt's outcome on all of them (observe/transport-outcomes.ts: what
   * /health knows of the backend).
   */
  watchTransport?: <T extends UpstreamTransport>(transport: T, name: "http" | "websocket") => T;
  /** Stable id of this relay installation (x-codex-installation-id). */
  installationId: string;
  /** Base backoff in ms before retry n is base·2ⁿ with ±50 % jitter. */
  retryBaseMs?: number;
  /** Removes secrets the backend may echo from its error bodies before they reach the client or the log. */
  scrubber?: SecretScrubber;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

interface TurnState {
  /** The background open of the conversation's connection this turn started (auto), if any. */
  opening: Preopen | null;
}

/** After a 426 to the WebSocket handshake, how long every conversation uses HTTP before the WebSocket is tried again. */
export const WS_REFUSED_MS = 10 * 60_000;
/** Conversations remembered as HTTP-only after their WebSocket failed (oldest forgotten first). */
const MAX_HTTP_ONLY = 10_000;

export function createCodexClient(deps: CodexClientDeps): CodexClient {
  const { config, logger } = deps;
  const watch = deps.watchTransport ?? (<T extends UpstreamTransport>(transport: T) => transport);
  const http = watch(
    deps.transport ??
      createHttpTransport({ url: config.responsesUrl, fetch: deps.fetch, compressor: deps.compressor }),
    "http",
  );
  const websocket = deps.websocket && watch(deps.websocket, "websocket");
  const mode = config.upstreamTransport ?? "auto";
  const userAgent = `${config.originator}/${CODEX_CLIENT_VERSION} (codex-relay ${RELAY_VERSION})`;
  const retryBase = deps.retryBaseMs ?? 250;
  let wsRefusedUntil = 0;
  const httpOnly = new Set<string>();

  function headersFor(creds: Credentials, sessionId: string): Record<string, string> {
    return {
      authorization: `Bearer ${creds.accessToken}`,
      "chatgpt-account-id": creds.accountId,
      originator: config.originator,
      "user-agent": userAgent,
      "session-id": sessionId,
      "x-codex-installation-id": deps.installationId,
    };
  }

  async function wantsWebSocket(
    body: ResponsesRequestBody,
    { sessionId, connections }: UpstreamRequestOptions,
  ): Promise<boolean> {
    if (!websocket || mode === "http") return false;
    if (deps.websocketNeedsConnections && !connections) return false;
    if (Date.now() < wsRefusedUntil || httpOnly.has(sessionId)) return false;
    if (mode === "websocket") return true;
    return (await deps.prefersWebSockets?.(body.model)) ?? false;
  }

  function markHttpOnly(sessionId: string): void {
    if (httpOnly.size >= MAX_HTTP_ONLY) httpOnly.delete(httpOnly.values().next().value as string);
    httpOnly.add(sessionId);
  }

  /**
   * Opens the conversation's connection in the background (null: it has one open or on its way, or no room). Its
   * failures follow the same fallback rules as a turn's handshake: a 426 switches every conversation to HTTP, other
   * failures use up the retry budget, then the conversation stays on HTTP. A 401 or 429 says nothing about the
   * WebSocket (the turn over HTTP meets the same token and plan): that open is given up, and the next turn tries.
   */
  function preopen(creds: Credentials, options: UpstreamRequestOptions): Preopen | null {
    const { sessionId } = options;
    const started = websocket?.preopen({
      headers: headersFor(creds, sessionId),
      sessionId,
      connections: options.connections,
      timeoutMs: config.upstreamIdleTimeoutMs,
      retry: async (failure: PreopenFailure, attempt: number, signal: AbortSignal) => {
        const status = failure.status;
        const why = status === undefined ? { err: errorText(failure.error) } : { status };
        if (status === 426) {
          wsRefusedUntil = Date.now() + WS_REFUSED_MS;
          logger.warn({ sessionId }, "the backend refused the WebSocket (426); using HTTP");
          return false;
        }
        if (status === 401 || status === 429) {
          logger.info(
            { sessionId, status },
            "the backend refused the WebSocket's handshake; the next turn tries again",
          );
          return false;
        }
        if ((status === undefined || RETRYABLE_STATUS.has(status)) && attempt < config.upstreamRetries) {
          logger.warn({ sessionId, attempt, ...why }, "the backend's WebSocket handshake failed, retrying");
          await backoff(
            attempt,
            retryBase,
            signal,
            status === undefined ? null : failure.headers.get("retry-after"),
          );
          return true;
        }
        markHttpOnly(sessionId);
        logger.warn(
          { sessionId, ...why },
          "the backend's WebSocket failed after the retries; this conversation stays on HTTP",
        );
        return false;
      },
    });
    if (started) logger.debug({ sessionId }, "opening the conversation's WebSocket for its next turn");
    return started ?? null;
  }

  async function preconnect(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<void> {
    if (!(await wantsWebSocket(body, options))) return;
    preopen(await deps.credentials.getCredentials(), options);
  }

  async function stream(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<UpstreamReply> {
    const turn: TurnState = { opening: null };
    try {
      return await attemptTurn(body, options, turn);
    } catch (err) {
      // The turn failed here (another account may take it): the connection opened for it is not wanted.
      turn.opening?.cancel();
      throw err;
    }
  }

  async function attemptTurn(
    body: ResponsesRequestBody,
    options: UpstreamRequestOptions,
    turn: TurnState,
  ): Promise<UpstreamReply> {
    if (!body.client_metadata) body.client_metadata = { "x-codex-installation-id": deps.installationId };
    // Serialised once, when a transport first needs it: a WebSocket turn that sends only new items never does.
    let payloadText: string | undefined;
    const payload = () => (payloadText ??= JSON.stringify(body));
    let creds = await (options.credentials ?? deps.credentials.getCredentials());
    let refreshedAfter401 = false;
    let onWebSocket = await wantsWebSocket(body, options);
    const openConnectionOnly = mode === "auto";
    /** Leaves the WebSocket for this turn; `budget`: the HTTP attempts start with a fresh retry budget. */
    const toHttp = (why: string, extra: Record<string, unknown> = {}) => {
      onWebSocket = false;
      logger.warn({ sessionId: options.sessionId, ...extra }, why);
    };
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw clientGone();
      const transport = onWebSocket && websocket ? websocket : http;
      const clientSignal = options.signal;
      const { controller, headersTimer, unfollow } = attemptAbort(clientSignal, config.upstreamIdleTimeoutMs);
      let outcome;
      try {
        outcome = await transport.send({
          headers: headersFor(creds, options.sessionId),
          body,
          get payload() {
            return payload();
          },
          sessionId: options.sessionId,
          controller,
          idleMs: config.upstreamIdleTimeoutMs,
          clientSignal,
          connections: options.connections,
          openConnectionOnly,
        });
      } catch (err) {
        clearTimeout(headersTimer);
        unfollow();
        if (options.signal?.aborted) throw clientGone();
        if (controller.signal.reason instanceof IdleTimeout)
          throw idleTimeoutError(config.upstreamIdleTimeoutMs);
        if (err instanceof WebSocketUnavailable) {
          // Every connection is busy, or the conversation's is not open yet: this turn goes over HTTP, no
          // failure. Not open: it opens now, in the background, with this turn's token, for the next turn.
          onWebSocket = false;
          if (err.reason === "not_open") turn.opening = preopen(creds, options);
          attempt--;
          continue;
        }
        if (attempt < config.upstreamRetries) {
          logger.warn(
            { attempt, err: errorText(err), websocket: onWebSocket },
            "backend unreachable, retrying",
          );
          await backoff(attempt, retryBase, options.signal);
          continue;
        }
        if (onWebSocket) {
          markHttpOnly(options.sessionId);
          toHttp("the backend's WebSocket failed after the retries; this conversation falls back to HTTP", {
            err: errorText(err),
          });
          attempt = -1;
          continue;
        }
        throw new RelayError(502, `Could not reach the ChatGPT backend: ${errorText(err)}`, {
          code: "upstream_unreachable",
        });
      }
      clearTimeout(headersTimer);
      deps.rateLimits?.record(outcome.headers);
      const forwarded = forwardableHeaders(outcome.headers);
      if (outcome.ok)
        return { headers: forwarded, events: outcome.events, account: fingerprint(creds.accountId) };
      unfollow();
      if (options.signal?.aborted) throw clientGone();
      if (onWebSocket && outcome.status === 426) {
        wsRefusedUntil = Date.now() + WS_REFUSED_MS;
        toHttp("the backend refused the WebSocket (426); using HTTP");
        attempt--;
        continue;
      }
      if (outcome.status === 401 && !refreshedAfter401) {
        refreshedAfter401 = true;
        logger.info({ status: 401 }, "backend rejected the access token (401)");
        creds = await deps.credentials.handleUnauthorized(creds);
        attempt--; // the auth retry does not use up the 5xx retry budget
        continue;
      }
      if (RETRYABLE_STATUS.has(outcome.status)) {
        if (attempt < config.upstreamRetries) {
          logger.warn({ attempt, status: outcome.status }, "backend error before the first byte, retrying");
          await backoff(attempt, retryBase, options.signal, outcome.headers.get("retry-after"));
          continue;
        }
        if (onWebSocket) {
          markHttpOnly(options.sessionId);
          toHttp("the backend's WebSocket failed after the retries; this conversation falls back to HTTP", {
            status: outcome.status,
          });
          attempt = -1;
          continue;
        }
      }
      // What the backend says goes to the client and the log: without any secret it may echo.
      const text = deps.scrubber ? deps.scrubber.scrub(outcome.text) : outcome.text;
      const error = toRelayError(
        outcome.status,
        text,
        outcome.headers.get("content-type"),
        forwarded,
        outcome.headers.get("cf-mitigated"),
      );
      logger.warn({ status: outcome.status, code: error.code }, "backend refused the request");
      throw error;
    }
  }

  return { stream, preconnect, credentialsAhead: () => deps.credentials.getCredentials() };
}

/**
 * One AbortController per attempt, which the client's signal aborts too. Not AbortSignal.any, which is slow on
 * Node 20: with the abort reason made once (STOPPED_READING), this saved ~12 % of the relay's CPU per non-stream
 * request in `npm run bench`. Made here, not inside `stream()`: the listener lives as long as the backend's
 * stream, and a closure made inside `stream()` would keep all of its variables alive with it (the turn's body and
 * its serialised payload: the whole history, for every open stream).
 * The idle timeout also covers the wait for the response headers (and for an error body): a backend that accepts
 * the connection and then says nothing must not hold the request forever.
 */
function attemptAbort(clientSignal: AbortSignal | undefined, idleMs: number) {
  const controller = new AbortController();
  const follow = () => controller.abort(clientSignal?.reason);
  clientSignal?.addEventListener("abort", follow, { once: true });
  const headersTimer = setTimeout(() => controller.abort(new IdleTimeout()), idleMs);
  return { controller, headersTimer, unfollow: () => clientSignal?.removeEventListener("abort", follow) };
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
