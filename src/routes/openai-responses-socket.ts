// GET /v1/responses with a WebSocket upgrade: the Responses WebSocket protocol the Codex CLI prefers, served by the
// relay. Each `response.create` frame is one turn, answered with the backend's events as JSON text frames; a frame
// may continue a response of this connection with `previous_response_id` and only its new items, as on the
// backend. Errors before the first event go out as wrapped error frames
// (`{"type":"error","status":429,"error":{…}}`), which the CLI reads like HTTP errors. The turn goes to the backend
// over the upstream transport (WebSocket or HTTP, incremental where it can be). Runtime-agnostic: the runtime hands
// over text frames and a way to send them.

import type { Relay } from "../relay.ts";
import { RelayError, invalidRequest } from "../core/errors.ts";
import { ResponseAggregator } from "../responses/response-aggregator.ts";
import { ResponseCache } from "../responses/response-cache.ts";
import { createMemoryResponseStore } from "../responses/response-store.ts";
import type { JsonObject } from "../responses/types.ts";
import { prepareResponsesTurn, relayEvents } from "./openai-responses.ts";
import { socketTurnRecord } from "../observe/request-hook.ts";
import { errorCode, streamObserved } from "../core/turn-observer.ts";

export interface ClientSocket {
  send(text: string): void;
}

export interface ResponsesSocketSession {
  /** A text frame from the client. */
  message(text: string): void;
  /** The client's socket closed: the turn in flight is aborted at once. */
  closed(): void;
  /** Resolves when no turn is in flight. */
  idle(): Promise<void>;
}

/** The responses of this connection the client may continue (beyond the relay-wide cache). */
const CONNECTION_RESPONSES = 4;

export function openResponsesSocket(
  relay: Relay,
  socket: ClientSocket,
  header: (name: string) => string | undefined,
): ResponsesSocketSession {
  // Where backend sockets cannot outlive the client request that opened them (Workers), this connection keeps its
  // own, closed with it; elsewhere its turns share the relay's pool (keyed by conversation).
  const connections = relay.connectionWebSockets?.();
  const stores = [
    createMemoryResponseStore(new ResponseCache({ maxEntries: CONNECTION_RESPONSES })),
    relay.responseStore,
  ];
  let queue: Promise<void> = Promise.resolve();
  let inFlight: AbortController | null = null;
  let closed = false;

  const send = (event: unknown) => {
    if (!closed) socket.send(JSON.stringify(event));
  };
  const sendError = (err: unknown) => {
    const e =
      err instanceof RelayError
        ? err
        : new RelayError(500, "The relay failed to answer this request.", { code: "relay_error" });
    if (!(err instanceof RelayError))
      relay.logger.error({ err: String(err) }, "Responses WebSocket turn failed");
    send({
      type: "error",
      status: e.status,
      error: { type: e.type, code: e.code, message: e.message, param: e.param },
      headers: e.headers,
    });
  };

  async function turn(text: string): Promise<void> {
    if (closed) return;
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return sendError(invalidRequest("type", "WebSocket messages must be JSON objects."));
    }
    if (frame === null || typeof frame !== "object" || Array.isArray(frame)) {
      return sendError(invalidRequest("type", "WebSocket messages must be JSON objects."));
    }
    const { type, generate, ...request } = frame as JsonObject;
    // The client's acknowledgement of a response it has processed: nothing to do.
    if (type === "response.processed") return;
    if (type !== "response.create") {
      return sendError(
        invalidRequest(
          "type",
          `Unsupported message type '${String(type)}': send {"type":"response.create", …a Responses request…}.`,
        ),
      );
    }
    const controller = new AbortController();
    inFlight = controller;
    // Read while the frame is validated and its history expanded (http/credentials-ahead.ts).
    const credentials = relay.upstream.credentialsAhead?.();
    credentials?.catch(() => {});
    // Each turn is a request in the log and the metrics, like an HTTP request.
    const record = socketTurnRecord(relay);
    try {
      const prepared = await prepareResponsesTurn(relay, { ...request, stream: true }, header, stores);
      if (generate === false) {
        // A prewarm: the backend would only remember the input; the relay does the same, without a call. It is
        // also the client announcing its conversation (the Codex CLI sends it as it connects): the backend
        // connection its turns will use opens now, so that the first turn need not wait for its handshake.
        void relay.upstream
          .preconnect?.(prepared.body, { sessionId: prepared.sessionId, connections })
          .catch((err: unknown) =>
            relay.logger.debug({ err: String(err) }, "could not open the conversation's backend WebSocket"),
          );
        const id = `resp_${crypto.randomUUID().replace(/-/g, "")}`;
        const response = { id, object: "response", model: prepared.model, output: [], usage: null };
        send({ type: "response.created", response: { ...response, status: "in_progress" } });
        send({ type: "response.completed", response: { ...response, status: "completed" } });
        for (const store of stores) await store.remember(id, prepared.body.input, [], prepared.sessionId);
        record.model = prepared.model;
        record.responded(200, true, null);
        return;
      }
      const reply = await streamObserved(
        relay.upstream,
        prepared.body,
        { signal: controller.signal, sessionId: prepared.sessionId, connections, credentials },
        record,
      ).catch((err: unknown) => {
        throw prepared.clientError(err);
      });
      const aggregator = new ResponseAggregator(prepared.model, prepared.previousResponseId);
      for await (const event of relayEvents(reply.events, aggregator, true, () =>
        prepared.remember(aggregator),
      )) {
        send(event);
      }
      record.responded(200, true, null);
    } catch (err) {
      if (!closed) sendError(err);
      record.responded(err instanceof RelayError ? err.status : 500, true, errorCode(err));
    } finally {
      inFlight = null;
    }
  }

  return {
    message(text) {
      queue = queue.then(() => turn(text));
    },
    closed() {
      closed = true;
      inFlight?.abort(new RelayError(499, "The client closed the request.", { code: "client_closed" }));
      connections?.closeAll();
    },
    idle: () => queue,
  };
}
