// The fake backend's Responses WebSocket (wss://…/codex/responses): the handshake checks auth like POST does, then
// each `response.create` frame is validated and answered with the same events as the SSE stream, one JSON text
// frame each. Like the real service it keeps the connection's last response, so a frame may send only new items
// with `previous_response_id`; an unknown id is refused, and a connection past its lifetime gets
// `websocket_connection_limit_reached`. Errors go out as wrapped error frames ({"type":"error","status",…}).

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { deflateInline } from "../../src/upstream/inline-permessage-deflate.ts";
import type { Account } from "./fake-oauth.ts";
import type { FakeChatGpt, RecordedRequest } from "./fake-chatgpt.ts";
import { streamEvents, type Scenario, type SseEvent, type StreamScenario } from "./scenarios.ts";
import { sleep } from "./http-util.ts";

export const CONNECTION_LIMIT_CODE = "websocket_connection_limit_reached";
export const CONNECTION_LIMIT_MESSAGE =
  "Responses websocket connection limit reached (60 minutes). Create a new websocket connection to continue.";

interface LastResponse {
  id: string;
  input: unknown[];
  output: unknown[];
}

interface Connection {
  n: number;
  ws: WebSocket;
  headers: Record<string, string>;
  url: string;
  account: Account | undefined;
  openedAt: number;
  last: LastResponse | null;
  /** Frames are answered one at a time, in order. */
  queue: Promise<void>;
  /** The socket's bytesRead when the last frame was taken (wire bytes per frame, permessage-deflate included). */
  bytesRead: () => number;
  lastRead: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

export class FakeResponsesWebSocket {
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  private readonly connections = new Set<Connection>();
  private opened = 0;
  private pendingHeaders: Record<string, string> = {};

  constructor(private readonly backend: FakeChatGpt) {
    this.server.on("headers", (headers: string[]) => {
      for (const [k, v] of Object.entries(this.pendingHeaders)) headers.push(`${k}: ${v}`);
    });
  }

  /** Connections open now. */
  get open(): number {
    return this.connections.size;
  }

  /** Connections opened so far. */
  get openedTotal(): number {
    return this.opened;
  }

  accept(req: IncomingMessage, socket: Duplex, head: Buffer, account: Account | undefined): void {
    const link = this.backend.link;
    const go = () => {
      this.pendingHeaders = this.backend.replyHeaders(account, "");
      delete this.pendingHeaders["openai-model"];
      this.pendingHeaders["x-reasoning-included"] = "true";
      this.server.handleUpgrade(req, socket, head, (ws) => this.serve(ws, req, account));
    };
    if (link) void link.connect().then(go);
    else go();
  }

  closeAll(): void {
    for (const c of this.connections) c.ws.terminate();
    this.connections.clear();
  }

  /** Closes every open connection from the server side (as the real service does at its limit). */
  dropAll(code = 1001): void {
    for (const c of this.connections) c.ws.close(code);
  }

  private serve(ws: WebSocket, req: IncomingMessage, account: Account | undefined): void {
    // The backend's frames are deflated as it goes, not through this process's zlib thread pool: the real backend's
    // pace does not depend on the load of the machine the relay runs on (the relay's CPU shares it with the fake).
    deflateInline(ws, "server");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    const connection: Connection = {
      n: ++this.opened,
      ws,
      headers,
      url: req.url ?? "",
      account,
      openedAt: Date.now(),
      last: null,
      queue: Promise.resolve(),
      bytesRead: () => req.socket.bytesRead,
      lastRead: req.socket.bytesRead,
    };
    this.connections.add(connection);
    ws.on("close", () => this.connections.delete(connection));
    ws.on("error", () => ws.terminate());
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? "" : data.toString();
      const read = connection.bytesRead();
      const wire = read - connection.lastRead;
      connection.lastRead = read;
      connection.queue = connection.queue
        .then(() => this.frame(connection, text, wire))
        .catch(() => ws.terminate());
    });
  }

  private send(c: Connection, event: unknown): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(event));
  }

  private sendError(c: Connection, status: number, error: Record<string, unknown>, headers = {}): void {
    this.send(c, { type: "error", status, error, headers });
  }

  private async frame(c: Connection, text: string, wireBytes: number): Promise<void> {
    const bytes = Buffer.byteLength(text);
    const link = this.backend.link;
    if (link) await link.upload(wireBytes);
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = text;
    }
    const record: RecordedRequest = {
      method: "WS",
      url: c.url,
      headers: c.headers,
      body: frame,
      bytes,
      wireBytes,
      at: Date.now(),
      connection: c.n,
    };
    this.backend.record(record);
    const invalid = (message: string, code: string | null = null, param: string | null = null) => {
      record.status = 400;
      this.sendError(c, 400, { type: "invalid_request_error", code, message, param });
    };
    if (!isObject(frame)) return invalid("WebSocket messages must be JSON objects.");
    if (frame.type !== "response.create") {
      return invalid(
        `Unsupported message type: '${String(frame.type)}'.`,
        "unsupported_message_type",
        "type",
      );
    }
    if (Date.now() - c.openedAt >= this.backend.websocketConnectionLimitMs) {
      record.status = 400;
      this.sendError(c, 400, {
        type: "invalid_request_error",
        code: CONNECTION_LIMIT_CODE,
        message: CONNECTION_LIMIT_MESSAGE,
      });
      c.ws.close(1000);
      return;
    }
    const { type: _type, previous_response_id: previousId, generate, ...body } = frame;
    const invalidBody = this.backend.validate(body);
    if (invalidBody) return invalid(invalidBody);
    let input = body.input as unknown[];
    if (previousId !== undefined && previousId !== null) {
      if (typeof previousId !== "string" || c.last === null || c.last.id !== previousId) {
        c.last = null;
        return invalid(
          `Previous response with id '${String(previousId)}' not found.`,
          "previous_response_not_found",
          "previous_response_id",
        );
      }
      input = [...c.last.input, ...c.last.output, ...input];
    }
    c.last = null;
    record.resolvedInput = input;
    const request: Record<string, unknown> = { ...body, input };
    if (generate === false) return this.prewarm(c, request);

    let scenario: Scenario;
    try {
      scenario = this.backend.pickScenario(request, this.backend.onRequest?.(record) ?? undefined);
    } catch (err) {
      return invalid(`Invalid [[fake …]] directive: ${(err as Error).message}`);
    }
    record.scenario = scenario.kind;
    const model = String(request.model);
    switch (scenario.kind) {
      case "http": {
        record.status = scenario.status;
        const b = scenario.body;
        const error = isObject(b)
          ? isObject(b.error)
            ? b.error
            : { message: typeof b.detail === "string" ? b.detail : JSON.stringify(b) }
          : { message: typeof b === "string" ? b : "" };
        this.sendError(c, scenario.status, error, scenario.headers ?? {});
        return;
      }
      case "reset":
        c.ws.terminate();
        return;
      case "cut":
      case "stall": {
        const inner = this.backend.innerScenario(scenario, request);
        await this.stream(c, request, bytes, inner, model, scenario.afterEvents);
        if (scenario.kind === "cut") c.ws.terminate();
        else await new Promise<void>((resolve) => c.ws.once("close", () => resolve()));
        return;
      }
      default:
        record.status = 200;
        await this.stream(c, request, bytes, scenario, model, undefined);
    }
  }

  /** `generate: false`: the connection remembers the input; the reply is an empty response. */
  private prewarm(c: Connection, request: Record<string, unknown>): void {
    const id = `resp_${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
    const response = {
      id,
      object: "response",
      status: "completed",
      model: request.model,
      output: [],
      usage: null,
    };
    this.send(c, { type: "response.created", response: { ...response, status: "in_progress" } });
    this.send(c, { type: "response.completed", response });
    c.last = { id, input: request.input as unknown[], output: [] };
  }

  private async stream(
    c: Connection,
    request: Record<string, unknown>,
    bytes: number,
    s: StreamScenario,
    model: string,
    afterEvents: number | undefined,
  ): Promise<void> {
    if (s.headersDelayMs) await sleep(s.headersDelayMs);
    const ctx = this.backend.streamContext(s.model ?? model, request, bytes);
    const delay = s.delayMs ?? 0;
    let sent = 0;
    let id = "";
    let completed = false;
    const output: unknown[] = [];
    for (const e of streamEvents(s, ctx) as Iterable<SseEvent>) {
      if (afterEvents !== undefined && sent >= afterEvents) break;
      if (c.ws.readyState !== c.ws.OPEN) return;
      const response = e.response;
      if (e.type === "response.created" && isObject(response) && typeof response.id === "string")
        id = response.id;
      if (e.type === "response.output_item.done" && isObject(e.item)) output.push(e.item);
      if (e.type === "response.completed") completed = true;
      this.send(c, e);
      sent++;
      if (delay > 0) await sleep(delay);
    }
    if (completed && id !== "") c.last = { id, input: request.input as unknown[], output };
  }
}
