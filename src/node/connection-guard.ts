// Node only. Two limits on client connections that Node does not have by default:
// - MAX_CONNECTIONS: a flood of (idle) connections would otherwise exhaust file descriptors, after which new clients
//   get resets and requests to the backend fail with a misleading "could not reach the backend". Connections beyond
//   the limit get a 503 in the caller's dialect for their first request and are closed; the others keep being served.
// - SEND_TIMEOUT_MS: a client that stops reading holds its request (and, through backpressure, the backend stream)
//   forever. A connection with bytes waiting to be sent that takes none of them for this long is closed. A stream
//   that is merely quiet (the model is thinking) has nothing waiting and is left alone.

import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { RelayError } from "../core/errors.ts";
import { renderError } from "../http/render-error.ts";

export interface ConnectionGuardOptions {
  maxConnections: number;
  sendTimeoutMs: number;
  /** Told once per refused connection (rate limiting is the logger's business). */
  onRefused?: (open: number) => void;
  onSendTimeout?: (remoteAddress: string | undefined) => void;
}

export interface ConnectionGuard {
  /** Wraps the app's request listener: requests on a connection over the limit are refused. */
  wrap(listener: RequestListener): RequestListener;
  /** Starts counting the server's connections and watching their sends. */
  attach(server: Server): void;
  /** Open client connections now. */
  open(): number;
  stop(): void;
}

interface Watched {
  over: boolean;
  /** Bytes the kernel has taken so far, and when that last changed. */
  flushed: number;
  since: number;
}

export function createConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const sockets = new Map<Socket, Watched>();
  let timer: ReturnType<typeof setInterval> | undefined;

  function onConnection(socket: Socket): void {
    const over = sockets.size >= options.maxConnections;
    sockets.set(socket, { over, flushed: 0, since: Date.now() });
    socket.once("close", () => sockets.delete(socket));
    if (over) {
      options.onRefused?.(sockets.size);
      // It gets its 503 as soon as it sends a request; one that sends nothing is not kept waiting for Node's
      // 60 s header timeout.
      socket.setTimeout(5_000, () => socket.destroy());
    }
  }

  function watchSends(): void {
    const now = Date.now();
    for (const [socket, w] of sockets) {
      const pending = socket.writableLength;
      const flushed = socket.bytesWritten - pending;
      if (pending === 0 || flushed !== w.flushed) {
        w.flushed = flushed;
        w.since = now;
      } else if (now - w.since >= options.sendTimeoutMs) {
        options.onSendTimeout?.(socket.remoteAddress);
        socket.destroy();
      }
    }
  }

  return {
    wrap(listener) {
      return (req: IncomingMessage, res: ServerResponse) => {
        if (!sockets.get(req.socket)?.over) return listener(req, res);
        refuse(req, res, options.maxConnections);
      };
    },
    attach(server) {
      server.on("connection", onConnection);
      const every = Math.max(25, Math.min(1_000, Math.floor(options.sendTimeoutMs / 4)));
      timer = setInterval(watchSends, every);
      timer.unref();
      server.once("close", () => clearInterval(timer));
    },
    open: () => sockets.size,
    stop: () => clearInterval(timer),
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, max: number): void {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const error = new RelayError(
    503,
    `The relay has its maximum of ${max} client connections open (MAX_CONNECTIONS); this connection is refused. Retry shortly.`,
    { code: "too_many_connections", headers: { "retry-after": "1" } },
  );
  const response = renderError(path, error);
  void response.text().then((body) => {
    res.writeHead(response.status, {
      ...Object.fromEntries(response.headers),
      "content-length": Buffer.byteLength(body),
      connection: "close",
    });
    res.end(body, () => req.socket.destroySoon());
  });
  // Whatever body it sent is not read.
  req.resume();
}
