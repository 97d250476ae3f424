// The contract between the backend client (codex-client.ts: headers, credentials, retries, error mapping) and a
// transport that carries one attempt of a turn to the backend (HTTP/SSE today; WebSocket beside it). A transport
// either hands back the backend's event stream, or the backend's refusal (status, body, headers) for the client to
// map; it throws when the backend could not be reached at all.

import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import type { WebSocketPool } from "./websocket-pool.ts";

export interface TransportAttempt {
  /** Identity and auth headers the client built (authorization, account, originator, session-id, …). */
  headers: Record<string, string>;
  /** The Responses body, and the same serialised (once per turn, on first read). */
  body: ResponsesRequestBody;
  readonly payload: string;
  /** The conversation (prompt_cache_key): the WebSocket transport keeps one connection per conversation. */
  sessionId: string;
  /** Aborts this attempt: the client's signal and the idle timeout both abort it. */
  controller: AbortController;
  /** UPSTREAM_IDLE_TIMEOUT_MS: longest silence while streaming. */
  idleMs: number;
  /** The client's own signal, to tell "the client went away" from other aborts. */
  clientSignal?: AbortSignal;
  /** The WebSocket connections of the client connection this turn belongs to (see UpstreamRequestOptions). */
  connections?: WebSocketPool;
  /**
   * WebSocket only: use the conversation's connection if it is open, never wait for a handshake (the transport
   * throws WebSocketUnavailable instead, and the turn goes over HTTP). UPSTREAM_TRANSPORT=auto.
   */
  openConnectionOnly?: boolean;
}

export type TransportOutcome =
  | {
      ok: true;
      headers: Headers;
      /** The backend's events. Breaking out of the loop ends the backend request. */
      events: AsyncIterable<UpstreamEvent>;
    }
  | {
      ok: false;
      status: number;
      /** The error body as the backend sent it. */
      text: string;
      headers: Headers;
    };

export interface UpstreamTransport {
  /** Sends one attempt. Throws when the backend cannot be reached (the client may retry). */
  send(attempt: TransportAttempt): Promise<TransportOutcome>;
}
