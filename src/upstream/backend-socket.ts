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
