// The WebSocket transport: each conversation's turns go over one pooled connection to the backend, as
// `response.create` frames; a turn that continues the previous one on that connection sends only its new items with
// `previous_response_id` (incremental-input.ts). A refused handshake or a wrapped error frame comes back as a
// refusal, like an HTTP status, so the client maps and retries both the same way.

import type { ResponsesInputItem, UpstreamEvent } from "../responses/types.ts";
import { idleWatchdog } from "./idle-watchdog.ts";
import { incrementalItems, turnSettings, type ConnectionTurn } from "./incremental-input.ts";
import { parseEvent } from "./sse-event-stream.ts";
import { brokenMidStream, clientGone, IdleTimeout, idleTimeoutError } from "./stream-errors.ts";
import type { TransportAttempt, TransportOutcome, UpstreamTransport } from "./transport.ts";
import { SocketClosed, type OpenBackendSocket, type OpenResult } from "./backend-socket.ts";
import {
  CONNECTION_LIMIT_CODE,
  fullCreateFrame,
  incrementalCreateFrame,
  RESPONSES_WEBSOCKET_BETA,
  wrappedError,
} from "./websocket-frames.ts";
import type { PooledConnection, WebSocketPool } from "./websocket-pool.ts";

/**
 * No connection can take the turn now: every one is busy (or the conversation's), or (TransportAttempt.
 * openConnectionOnly) the conversation has none open yet, or one is being opened. The turn goes over HTTP instead;
 * not a failure of the backend.
 */
export class WebSocketUnavailable extends Error {
  constructor(readonly reason: "busy" | "not_open" | "opening" = "busy") {
    super(
      reason === "busy"
        ? "no WebSocket connection is free for this conversation"
        : `this conversation's WebSocket connection is ${reason === "opening" ? "being opened" : "not open"}`,
    );
  }
}

/** What the backend answered a handshake opened ahead of a turn that was not a 101, or why it could not be reached. */
export type PreopenFailure =
  | { status: number; text: string; headers: Headers; error?: undefined }
  | { error: unknown; status?: undefined };

export interface PreopenRequest {
  /** The turn's identity and auth headers (the same token and account as the turn that asks for it). */
  headers: Record<string, string>;
  sessionId: string;
  connections?: WebSocketPool;
  /** Longest wait for each handshake (UPSTREAM_IDLE_TIMEOUT_MS, as for a turn's). */
  timeoutMs: number;
  /** After a failed handshake (attempt 0, 1, …): whether to try again, once it has waited its backoff. */
  retry(failure: PreopenFailure, attempt: number, signal: AbortSignal): Promise<boolean>;
}

/** A connection being opened ahead of its conversation's next turn (WebSocketTransport.preopen). */
export interface Preopen {
  /** True once the connection waits in the pool; false when it was given up or failed. */
  readonly done: Promise<boolean>;
  /** Gives the connection up: the handshake stops; an opened connection that no turn has used yet closes. */
  cancel(): void;
}

export interface WebSocketTransport extends UpstreamTransport {
  /**
   * Opens the conversation's connection now, in the background, for its next turn; null when it has one open or
   * on its way, or the pool has no room. Nothing waits for it: a turn that comes before it is open goes over HTTP.
   */
  preopen(request: PreopenRequest): Preopen | null;
}

export interface WebSocketTransportDeps {
  /** The backend's Responses URL with ws(s)://. */
  url: string;
  /** The relay's connections (a turn may bring its client connection's own: TransportAttempt.connections). */
  pool: WebSocketPool;
  /** Opens a socket: the runtime's (websocket-connection.ts on Node). */
  open: OpenBackendSocket;
  /** Called per turn with how the input went out (metrics, logs, tests). */
  onTurn?: (sent: { incremental: boolean; items: number; bytes: number }) => void;
}

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);

/** A conversation's connection, per account: a connection is authenticated once, at its handshake. */
const connectionKey = (headers: Record<string, string>, sessionId: string) =>
  `${headers["chatgpt-account-id"] ?? ""}\n${sessionId}`;

export function createWebSocketTransport(deps: WebSocketTransportDeps): WebSocketTransport {
  const open = deps.open;
  const handshakeHeaders = (headers: Record<string, string>) => ({
    ...headers,
    "openai-beta": RESPONSES_WEBSOCKET_BETA,
  });

  async function send(attempt: TransportAttempt): Promise<TransportOutcome> {
    const pool = attempt.connections ?? deps.pool;
    const key = connectionKey(attempt.headers, attempt.sessionId);
    const settings = turnSettings(attempt.body);
    // A reused connection the backend closed while idle, or one at its lifetime limit, gets one fresh retry.
    for (let fresh = false; ; fresh = true) {
      let lease = pool.acquire(key);
      while (lease.kind === "opening") {
        if (attempt.openConnectionOnly) throw new WebSocketUnavailable("opening");
        // Opened ahead of this turn: wait for it rather than open a second one.
        await untilSettled(lease.settled, attempt.controller.signal);
        lease = pool.acquire(key);
      }
      if (lease.kind === "full") throw new WebSocketUnavailable("busy");
      let connection: PooledConnection;
      if (lease.kind === "reuse") connection = lease.connection;
      else {
        if (attempt.openConnectionOnly) throw new WebSocketUnavailable("not_open");
        const opened: OpenResult = await open(
          deps.url,
          handshakeHeaders(attempt.headers),
          attempt.controller.signal,
        );
        if (!opened.ok) return opened;
        connection = pool.add(key, opened.socket, opened.headers);
      }
      const previous = connection.lastTurn;
      connection.lastTurn = null; // until this turn completes
      const delta = previous ? incrementalItems(previous, attempt.body, settings) : null;
      const frame =
        delta && previous
          ? incrementalCreateFrame(attempt.body, delta, previous.responseId)
          : fullCreateFrame(attempt.payload);
      let first: string;
      try {
        await connection.socket.send(frame);
        first = await connection.socket.next(attempt.controller.signal);
      } catch (err) {
        pool.discard(connection);
        if (err instanceof SocketClosed && lease.kind === "reuse" && !fresh) continue;
        throw err;
      }
      const firstEvent = parseEvent(first);
      const wrapped = firstEvent ? wrappedError(firstEvent) : null;
      if (wrapped && wrapped.code === CONNECTION_LIMIT_CODE && !fresh) {
        pool.discard(connection);
        continue;
      }
      if (wrapped && wrapped.status !== null && wrapped.status >= 400) {
        pool.discard(connection);
        return { ok: false, status: wrapped.status, text: first, headers: wrapped.headers };
      }
      deps.onTurn?.({
        incremental: delta !== null,
        items: delta ? delta.length : attempt.body.input.length,
        // TextEncoder, not Buffer: Workers have no Buffer (only evaluated when someone listens).
        bytes: new TextEncoder().encode(frame).byteLength,
      });
      const turn = { settings, input: attempt.body.input };
      return {
        ok: true,
        headers: connection.headers,
        events: readFrames(pool, connection, firstEvent, turn, attempt),
      };
    }
  }

  function preopen(request: PreopenRequest): Preopen | null {
    const pool = request.connections ?? deps.pool;
    const reservation = pool.reserve(connectionKey(request.headers, request.sessionId));
    if (!reservation) return null;
    let connection: PooledConnection | null = null;
    const headers = handshakeHeaders(request.headers);
    const attempts = async (): Promise<boolean> => {
      for (let attempt = 0; ; attempt++) {
        const controller = new AbortController();
        const follow = () => controller.abort(reservation.signal.reason);
        reservation.signal.addEventListener("abort", follow, { once: true });
        const timer = setTimeout(() => controller.abort(new IdleTimeout()), request.timeoutMs);
        let failure: PreopenFailure;
        try {
          const opened = await open(deps.url, headers, controller.signal);
          if (opened.ok) {
            connection = pool.fill(reservation, opened.socket, opened.headers);
            return connection !== null;
          }
          failure = opened;
        } catch (err) {
          failure = { error: err };
        } finally {
          clearTimeout(timer);
          reservation.signal.removeEventListener("abort", follow);
        }
        if (reservation.signal.aborted) return false;
        if (!(await request.retry(failure, attempt, reservation.signal)) || reservation.signal.aborted) {
          pool.giveUp(reservation);
          return false;
        }
      }
    };
    // Nobody awaits this: it must never reject.
    const done = attempts().catch(() => {
      pool.giveUp(reservation);
      return false;
    });
    return {
      done,
      cancel() {
        pool.giveUp(reservation);
        const c = connection as PooledConnection | null;
        // Only a connection still waiting for its first turn: one a turn has used is that turn's business.
        if (c && !c.busy && c.lastTurn === null && !c.used) pool.discard(c);
      },
    };
  }

  return { send, preopen };
}

/** Resolves when `settled` does; rejects with the signal's reason if it aborts first. */
function untilSettled(settled: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    void settled.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

/**
 * The turn's events, from the first frame on. The turn's output is kept for the next incremental turn; a turn that
 * ends cleanly hands the connection back, one abandoned or broken closes it. One lazily re-armed timer per turn
 * watches for silence (idle-watchdog.ts), as on HTTP.
 */
async function* readFrames(
  pool: WebSocketPool,
  connection: PooledConnection,
  firstEvent: UpstreamEvent | null,
  turn: { settings: string; input: ResponsesInputItem[] },
  attempt: TransportAttempt,
): AsyncGenerator<UpstreamEvent> {
  const { controller, idleMs, clientSignal } = attempt;
  const output: ResponsesInputItem[] = [];
  let responseId = "";
  const watchdog = idleWatchdog(() => controller.abort(new IdleTimeout()), idleMs);
  let settled = false;
  try {
    let event = firstEvent;
    for (;;) {
      if (event) {
        const type = event.type;
        if (type === "response.created") responseId = idOf(event.response) ?? responseId;
        else if (type === "response.output_item.done") {
          const item = event.item;
          if (item !== null && typeof item === "object") output.push(item as ResponsesInputItem);
        }
        if (TERMINAL.has(type)) {
          // Before the event goes out: the consumer may stop reading (and the next turn start) right after it.
          if (type === "response.completed") {
            const id = idOf(event.response) ?? responseId;
            const done: ConnectionTurn = { ...turn, output, responseId: id };
            connection.lastTurn = done; // the next turn compares its input with this one (incremental-input.ts)
          }
          settled = true;
          pool.release(connection);
          yield event;
          return;
        }
        if (type === "error") {
          settled = true;
          pool.discard(connection);
          yield event;
          return;
        }
        yield event;
      }
      let text: string;
      try {
        text = await connection.socket.next(controller.signal);
      } catch (err) {
        if (controller.signal.reason instanceof IdleTimeout) throw idleTimeoutError(idleMs);
        if (clientSignal?.aborted) throw clientGone();
        throw brokenMidStream(err);
      }
      watchdog.touch();
      event = parseEvent(text);
    }
  } finally {
    watchdog.stop();
    if (!settled) pool.discard(connection); // the backend is still answering on it: that turn is abandoned
  }
}

function idOf(response: unknown): string | undefined {
  if (response === null || typeof response !== "object") return undefined;
  const id = (response as { id?: unknown }).id;
  return typeof id === "string" && id !== "" ? id : undefined;
}
