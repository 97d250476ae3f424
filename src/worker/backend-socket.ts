// The Workers opener of WebSockets to the backend: Workers have no WebSocket client that sends headers, so the
// handshake is a fetch with `Upgrade: websocket` to the http(s) form of the URL; a 101 carries the socket
// (`response.webSocket`, accepted here), anything else is the backend's refusal, reported as an HTTP one.
//
// Uncompressed: permessage-deflate needs a compatibility flag Cloudflare still calls experimental, and a
// Worker's uplink is its datacenter's; the incremental turns keep the frames small anyway.
// A socket opened here belongs to the client request it was opened in (Workers' rule for I/O objects): the relay
// uses it only for the turns of that request's client WebSocket (RelayOptions.websocketsPerConnection).

import {
  FrameInbox,
  SocketClosed,
  type BackendSocket,
  type OpenBackendSocket,
} from "../upstream/backend-socket.ts";

export const openWorkersBackendSocket: OpenBackendSocket = async (url, headers, signal) => {
  // The signal covers the handshake only: the socket that comes out of it is ended by close(), not by an abort
  // of the fetch (which workerd reports as an error on the socket).
  const handshake = new AbortController();
  const follow = () => handshake.abort(signal.reason);
  if (signal.aborted) follow();
  signal.addEventListener("abort", follow, { once: true });
  let res: Response;
  try {
    res = await fetch(url.replace(/^ws(s?):/i, "http$1:"), {
      headers: { ...headers, upgrade: "websocket" },
      signal: handshake.signal,
    });
  } finally {
    signal.removeEventListener("abort", follow);
  }
  const ws = (res as Response & { webSocket?: WorkersWebSocket | null }).webSocket;
  if (res.status !== 101 || !ws) {
    const text = await res.text().catch(() => "");
    // A 101 without a socket, or a 2xx that did not upgrade: the backend did not speak WebSocket.
    const status = res.status >= 400 ? res.status : 502;
    return { ok: false, status, text, headers: res.headers };
  }
  ws.accept();
  return { ok: true, socket: new WorkersBackendSocket(ws), headers: res.headers };
};

/** WebSocket.OPEN (named here: not every runtime puts the constants on the class). */
const OPEN = 1;

class WorkersBackendSocket implements BackendSocket {
  private readonly inbox = new FrameInbox();

  constructor(private readonly ws: WorkersWebSocket) {
    ws.addEventListener("message", (e: MessageEvent) => {
      this.inbox.push(typeof e.data === "string" ? e.data : "");
    });
    ws.addEventListener("close", (e: CloseEvent) => this.inbox.end(new SocketClosed(e.code)));
    ws.addEventListener("error", () => this.inbox.end(new SocketClosed(null)));
  }

  get closed(): boolean {
    return this.inbox.ended || this.ws.readyState !== OPEN;
  }

  send(text: string): Promise<void> {
    try {
      this.ws.send(text);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  next(signal: AbortSignal): Promise<string> {
    return this.inbox.next(signal);
  }

  close(): void {
    try {
      this.ws.close(1000);
    } catch {
      // already closing or closed
    }
    this.inbox.end(new SocketClosed(1000));
  }
}
