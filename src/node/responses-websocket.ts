// The Node side of GET /v1/responses with a WebSocket upgrade: node:http's 'upgrade' event, the same Host/Origin
// guard and relay key as every /v1 route (a web page may open a WebSocket to localhost: it must not use the plan),
// then `ws` (noServer) completes the handshake and the runtime-agnostic session (routes/openai-responses-socket.ts)
// serves the frames.

import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Relay } from "../relay.ts";
import { keyVerifier, presentedKey } from "../http/api-key.ts";
import { hostAllowed, isLoopbackHostname, originAllowed } from "../http/origin-guard.ts";
import { deflateInline, inflateInline } from "../upstream/inline-permessage-deflate.ts";
import { batchedSend } from "./batched-socket-send.ts";
import { openResponsesSocket, type ResponsesSocketSession } from "../routes/openai-responses-socket.ts";

const PATHS = new Set(["/v1/responses", "/responses"]);

export interface ResponsesWebSockets {
  /** Connections open now. */
  readonly open: number;
  /** Refuses new connections; closes each open one once its turn in flight (if any) has ended. */
  drain(): Promise<void>;
  /** Closes every connection now. */
  closeAll(): void;
}

export function serveResponsesWebSockets(server: HttpServer, relay: Relay): ResponsesWebSockets {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: true,
    maxPayload: relay.config.bodyLimit,
  });
  const verify = relay.config.apiKey ? keyVerifier(relay.config.apiKey) : null;
  const checkHost = isLoopbackHostname(relay.config.host);
  const policy = { corsOrigins: relay.config.corsOrigins };
  const sessions = new Map<WebSocket, ResponsesSocketSession>();
  let draining = false;

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = new URL(req.url ?? "/", "http://relay").pathname;
    if (!PATHS.has(path))
      return refuse(socket, 404, `No WebSocket endpoint at ${path}; use /v1/responses.`, "not_found");
    if (draining) return refuse(socket, 503, "codex-relay is shutting down.", "shutting_down");
    const host = headerOf(req, "host");
    if (checkHost && !hostAllowed(host, relay.config.allowedHosts)) {
      return refuse(
        socket,
        403,
        `The relay does not answer requests for the host '${host}'.`,
        "host_not_allowed",
      );
    }
    const origin = headerOf(req, "origin");
    if (origin !== undefined && !originAllowed(origin, host, policy)) {
      return refuse(
        socket,
        403,
        `Requests from the web origin '${origin}' are not allowed: list it in CORS_ORIGINS.`,
        "origin_not_allowed",
      );
    }
    if (verify) {
      const key = presentedKey({ get: (name) => headerOf(req, name) });
      if (key === null || !verify(key)) {
        return refuse(
          socket,
          401,
          "Missing or wrong API key: send Authorization: Bearer <OPENAI_API_KEY of the relay>.",
          "invalid_api_key",
        );
      }
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A turn's events are dozens of small frames: the large ones deflated as they go, not in thread-pool round
      // trips each; each burst in one write (batched-socket-send.ts).
      deflateInline(ws, "server");
      inflateInline(ws, relay.config.bodyLimit, "server");
      const session = openResponsesSocket(relay, { send: batchedSend(ws) }, (name) => headerOf(req, name));
      sessions.set(ws, session);
      ws.on("message", (data, isBinary) => session.message(isBinary ? "" : data.toString()));
      ws.on("close", () => {
        sessions.delete(ws);
        session.closed();
      });
      ws.on("error", () => ws.terminate());
    });
  });

  return {
    get open() {
      return sessions.size;
    },
    async drain() {
      draining = true;
      await Promise.all(
        [...sessions].map(async ([ws, session]) => {
          await session.idle();
          ws.close(1001, "server shutting down");
        }),
      );
    },
    closeAll() {
      draining = true;
      for (const ws of sessions.keys()) ws.terminate();
      sessions.clear();
    },
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** An OpenAI-style error answered on the upgrade request itself (the handshake is refused). */
function refuse(socket: Duplex, status: number, message: string, code: string): void {
  const body = JSON.stringify({
    error: { message, type: status === 401 ? "invalid_request_error" : "api_error", code, param: null },
  });
  const reason =
    { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable" }[status] ??
    "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}
