// The Node opener of WebSockets to the backend, with the `ws` package (Node 20 has no WebSocket client, and a
// browser-style one cannot send the auth headers): the handshake's answer (101, or a refusal with status, headers
// and body, as the HTTP transport reports it), then text frames read one at a time with an abort signal.

import WebSocket from "ws";
import type { IncomingMessage } from "node:http";
import { deflateInline, inflateInline } from "./inline-permessage-deflate.ts";
import {
  FrameInbox,
  SocketClosed,
  type BackendSocket,
  type OpenBackendSocket,
  type OpenResult,
} from "./backend-socket.ts";

/** The largest frame the backend may send (a turn's final event carries its whole output, images included). */
const MAX_PAYLOAD = 256 * 1024 * 1024;

export const openWsBackendSocket: OpenBackendSocket = (url, headers, signal) => {
  return new Promise<OpenResult>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // permessage-deflate, like the official client: the frames are JSON and compress well.
    const ws = new WebSocket(url, { headers, perMessageDeflate: true, maxPayload: MAX_PAYLOAD });
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      ws.terminate();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      settled = true;
      signal.removeEventListener("abort", onAbort);
    };
    ws.once("upgrade", (res: IncomingMessage) => {
      if (settled) return;
      const upgradeHeaders = toHeaders(res.headers);
      ws.once("open", () => {
        if (settled) return;
        done();
        inflateInline(ws, MAX_PAYLOAD);
        deflateInline(ws, "client");
        resolve({ ok: true, socket: new WsBackendSocket(ws), headers: upgradeHeaders });
      });
    });
    ws.once("unexpected-response", (_req, res: IncomingMessage) => {
      if (settled) return;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () => {
        if (settled) return;
        done();
        ws.terminate();
        resolve({
          ok: false,
          status: res.statusCode ?? 502,
          text: Buffer.concat(chunks).toString("utf8"),
          headers: toHeaders(res.headers),
        });
      });
      res.once("error", (err) => {
        if (settled) return;
        done();
        reject(err);
      });
    });
    ws.once("error", (err) => {
      if (settled) return;
      done();
      reject(err);
    });
  });
};

function toHeaders(raw: IncomingMessage["headers"]): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) h.append(k, value);
  }
  return h;
}

class WsBackendSocket implements BackendSocket {
  private readonly inbox = new FrameInbox();

  constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) =>
      this.inbox.push(isBinary ? "" : data.toString()),
    );
    ws.on("close", (code: number) => this.inbox.end(new SocketClosed(code)));
    ws.on("error", () => this.inbox.end(new SocketClosed(null)));
  }

  get closed(): boolean {
    return this.inbox.ended || this.ws.readyState !== WebSocket.OPEN;
  }

  send(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.send(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** The next text frame; rejects with SocketClosed when the link ends, or with the signal's reason. */
  next(signal: AbortSignal): Promise<string> {
    return this.inbox.next(signal);
  }

  /** Ends the connection at once (a turn in flight is abandoned: the backend stops it). */
  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else this.ws.terminate();
    // A peer that does not answer the close handshake must not keep the socket.
    setTimeout(() => this.ws.terminate(), 1000).unref?.();
  }
}
