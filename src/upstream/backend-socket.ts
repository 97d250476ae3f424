// What the WebSocket transport needs of a socket to the backend, whatever opens it (the `ws` package on Node,
// websocket-connection.ts; a runtime's own WebSocket elsewhere): the handshake's answer, text frames read one at a
// time with an abort signal, and a close.

export interface BackendSocket {
  readonly closed: boolean;
  send(text: string): Promise<void>;
  /** The next text frame; rejects with SocketClosed when the link ends, or with the signal's reason. */
  next(signal: AbortSignal): Promise<string>;
  /** Ends the connection at once (a turn in flight is abandoned). */
  close(): void;
}

export type OpenResult =
  | { ok: true; socket: BackendSocket; headers: Headers }
  /** The handshake was refused (426, 401, 5xx…): status, body and headers, as an HTTP refusal. */
  | { ok: false; status: number; text: string; headers: Headers };

/** Opens a socket; throws (like fetch) when the backend cannot be reached, or with the signal's reason. */
export type OpenBackendSocket = (
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<OpenResult>;

/** The link ended: the socket closed (by either side) or broke. */
export class SocketClosed extends Error {
  constructor(readonly code: number | null) {
    super(code === null ? "the WebSocket broke" : `the WebSocket closed (code ${code})`);
  }
}

/**
 * The frames a socket received and not yet read, for BackendSocket.next: a runtime's socket pushes each text frame
 * and the end of the link here, whatever its event API.
 */
export class FrameInbox {
  private readonly frames: string[] = [];
  private waiter: ((v: string | SocketClosed) => void) | null = null;
  private endedWith: SocketClosed | null = null;

  get ended(): boolean {
    return this.endedWith !== null;
  }

  push(text: string): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(text);
    } else this.frames.push(text);
  }

  /** The link ended (the first end counts): a pending read rejects, later reads after the queued frames. */
  end(reason: SocketClosed): void {
    if (this.endedWith) return;
    this.endedWith = reason;
    const w = this.waiter;
    this.waiter = null;
    w?.(reason);
  }

  next(signal: AbortSignal): Promise<string> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.endedWith) return Promise.reject(this.endedWith);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => {
        this.waiter = null;
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiter = (v) => {
        signal.removeEventListener("abort", onAbort);
        if (v instanceof SocketClosed) reject(v);
        else resolve(v);
      };
    });
  }
}
