// The Workers side of GET /v1/responses with a WebSocket upgrade (the Codex CLI's preferred transport): a
// WebSocketPair whose client end goes back in the 101, and the runtime-agnostic session
// (routes/openai-responses-socket.ts) on the Worker's end. The app's guards (Host/Origin, the relay key) have run
// before this (AppOptions.responsesWebSocket). The session keeps its own backend WebSockets, opened within this
// request and closed with the client's socket: on Workers a socket belongs to the request that opened it.
//
// Uncompressed frames to the client, like those to the backend (see backend-socket.ts).

import type { Relay } from "../relay.ts";
import { openResponsesSocket } from "../routes/openai-responses-socket.ts";

export function acceptResponsesWebSocket(relay: Relay, request: Request): Response {
  const pair = new WebSocketPair();
  const client = pair[0];
  const server = pair[1];
  server.accept();
  const session = openResponsesSocket(
    relay,
    {
      send: (text) => {
        try {
          server.send(text);
        } catch {
          // the client's socket is closing: the session stops at its close event
        }
      },
    },
    (name) => request.headers.get(name) ?? undefined,
  );
  server.addEventListener("message", (e: MessageEvent) =>
    session.message(typeof e.data === "string" ? e.data : ""),
  );
  const end = () => {
    session.closed();
    try {
      server.close(1000);
    } catch {
      // already closed
    }
  };
  server.addEventListener("close", end);
  server.addEventListener("error", end);
  return new Response(null, { status: 101, webSocket: client } as ResponseInit);
}
