// The relay's WebSocket connections to the backend, one per conversation (keyed like prompt_cache_key, and by
// account: a connection is authenticated once, at its handshake). Bounded: when full, the least recently used idle
// connection goes; when every connection is busy, the caller uses HTTP for that turn. Idle connections close after
// `idleMs`; a connection near the backend's 60-minute lifetime is replaced before its next turn.

import type { BackendSocket } from "./backend-socket.ts";
import type { ConnectionTurn } from "./incremental-input.ts";

export interface PooledConnection {
  readonly key: string;
  readonly socket: BackendSocket;
  /** The handshake's reply headers (rate limits, openai-model). */
  readonly headers: Headers;
  readonly openedAt: number;
  /** The last completed turn on this connection, for incremental input; null: send the whole input. */
  lastTurn: ConnectionTurn | null;
  busy: boolean;
  lastUsed: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export interface WebSocketPoolOptions {
  maxConnections: number;
  idleMs: number;
  /** The backend closes connections after this long (60 min); reuse stops `lifetimeMarginMs` before. */
  lifetimeMs: number;
  lifetimeMarginMs?: number;
  now?: () => number;
}

export type Lease =
  | { kind: "reuse"; connection: PooledConnection }
  /** Open a new connection for `key` and `add` it. */
  | { kind: "open" }
  /** Every slot is busy (or this conversation's connection is): use HTTP for this turn. */
  | { kind: "full" };

export class WebSocketPool {
  private readonly connections = new Map<string, PooledConnection>();
  private readonly now: () => number;
  private readonly margin: number;

  constructor(private readonly options: WebSocketPoolOptions) {
    this.now = options.now ?? Date.now;
    this.margin = options.lifetimeMarginMs ?? Math.min(5 * 60_000, options.lifetimeMs / 10);
  }

  get size(): number {
    return this.connections.size;
  }

  /** Takes the connection of `key` for one turn, or says to open one (room is made) or to use HTTP. */
  acquire(key: string): Lease {
    const existing = this.connections.get(key);
    if (existing) {
      if (existing.busy) return { kind: "full" };
      const tooOld = this.now() - existing.openedAt >= this.options.lifetimeMs - this.margin;
      if (!existing.socket.closed && !tooOld) {
        clearTimeout(existing.idleTimer);
        existing.busy = true;
        existing.lastUsed = this.now();
        return { kind: "reuse", connection: existing };
      }
      this.discard(existing);
    }
    if (this.connections.size >= this.options.maxConnections && !this.evictOne()) return { kind: "full" };
    return { kind: "open" };
  }

  /** Adds a connection just opened, busy with its first turn. A lost race for the key closes the older one. */
  add(key: string, socket: BackendSocket, headers: Headers): PooledConnection {
    const old = this.connections.get(key);
    if (old) this.discard(old);
    const connection: PooledConnection = {
      key,
      socket,
      headers,
      openedAt: this.now(),
      lastTurn: null,
      busy: true,
      lastUsed: this.now(),
    };
    this.connections.set(key, connection);
    return connection;
  }

  /** The turn ended cleanly: the connection waits for the conversation's next turn. */
  release(connection: PooledConnection): void {
    connection.busy = false;
    connection.lastUsed = this.now();
    if (this.connections.get(connection.key) !== connection) {
      connection.socket.close();
      return;
    }
    connection.idleTimer = setTimeout(() => this.discard(connection), this.options.idleMs);
    connection.idleTimer.unref?.();
  }

  /** Closes a connection and forgets it (errors, abandoned turns, idle timeout, lifetime). */
  discard(connection: PooledConnection): void {
    clearTimeout(connection.idleTimer);
    if (this.connections.get(connection.key) === connection) this.connections.delete(connection.key);
    connection.socket.close();
  }

  closeAll(): void {
    for (const c of [...this.connections.values()]) this.discard(c);
  }

  private evictOne(): boolean {
    let oldest: PooledConnection | undefined;
    for (const c of this.connections.values()) {
      if (!c.busy && (!oldest || c.lastUsed < oldest.lastUsed)) oldest = c;
    }
    if (!oldest) return false;
    this.discard(oldest);
    return true;
  }
}
