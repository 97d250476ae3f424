// The relay's WebSocket connections to the backend, one per conversation (keyed like prompt_cache_key, and by
// account: a connection is authenticated once, at its handshake). Bounded: when full, the least recently used idle
// connection goes; when every connection is busy, the caller uses HTTP for that turn. Idle connections close after
// `idleMs`; a connection near the backend's 60-minute lifetime is replaced before its next turn. A connection opened
// ahead of its conversation's next turn (in the background, while a turn goes over HTTP) holds its slot from the
// start of its handshake: a reservation, which `closeAll` aborts like a connection.

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
  /** A turn has taken this connection (one opened ahead of its turn has not, until then). */
  used: boolean;
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

/** A slot held for a connection being opened ahead of its conversation's next turn (WebSocketPool.reserve). */
export interface Reservation {
  readonly key: string;
  /** Aborted when the reservation is given up or the pool closes: the handshake stops. */
  readonly signal: AbortSignal;
  /** Resolves when the reservation ends (filled or given up). */
  readonly settled: Promise<void>;
}

interface OpenReservation extends Reservation {
  readonly controller: AbortController;
  readonly done: () => void;
}

export type Lease =
  | { kind: "reuse"; connection: PooledConnection }
  /** Open a new connection for `key` and `add` it. */
  | { kind: "open" }
  /** The conversation's connection is being opened (a reservation): wait for `settled`, or use HTTP. */
  | { kind: "opening"; settled: Promise<void> }
  /** Every slot is busy (or this conversation's connection is): use HTTP for this turn. */
  | { kind: "full" };

export class WebSocketPool {
  private readonly connections = new Map<string, PooledConnection>();
  private readonly reservations = new Map<string, OpenReservation>();
  private readonly now: () => number;
  private readonly margin: number;

  constructor(private readonly options: WebSocketPoolOptions) {
    this.now = options.now ?? Date.now;
    this.margin = options.lifetimeMarginMs ?? Math.min(5 * 60_000, options.lifetimeMs / 10);
  }

  /** Connections open, and being opened ahead of their turn. */
  get size(): number {
    return this.connections.size + this.reservations.size;
  }

  /** Takes the connection of `key` for one turn, or says to open one (room is made) or to use HTTP. */
  acquire(key: string): Lease {
    const reserved = this.reservations.get(key);
    if (reserved) return { kind: "opening", settled: reserved.settled };
    const existing = this.connections.get(key);
    if (existing) {
      if (existing.busy) return { kind: "full" };
      if (this.usable(existing)) {
        clearTimeout(existing.idleTimer);
        existing.busy = true;
        existing.used = true;
        existing.lastUsed = this.now();
        return { kind: "reuse", connection: existing };
      }
      this.discard(existing);
    }
    return this.makeRoom() ? { kind: "open" } : { kind: "full" };
  }

  /**
   * Holds a slot for a connection of `key` opened ahead of its next turn; null when `key` has a usable connection
   * or one on its way, or every slot is busy. End it with `fill` or `giveUp`.
   */
  reserve(key: string): Reservation | null {
    if (this.reservations.has(key)) return null;
    const existing = this.connections.get(key);
    if (existing) {
      if (existing.busy || this.usable(existing)) return null;
      this.discard(existing);
    }
    if (!this.makeRoom()) return null;
    const controller = new AbortController();
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    const reservation: OpenReservation = { key, signal: controller.signal, settled, controller, done };
    this.reservations.set(key, reservation);
    return reservation;
  }

  /**
   * The reserved connection is open: it waits, idle, for its conversation's next turn. A reservation given up
   * meanwhile (the pool closed), or a key that got a connection otherwise, closes the socket instead; null then.
   */
  fill(reservation: Reservation, socket: BackendSocket, headers: Headers): PooledConnection | null {
    const current = this.reservations.get(reservation.key) === reservation;
    if (current) this.end(reservation as OpenReservation, false);
    // Given up meanwhile, or a turn opened its own connection in the meantime (it keeps it).
    if (!current || this.connections.has(reservation.key)) {
      socket.close();
      return null;
    }
    const connection = this.add(reservation.key, socket, headers);
    connection.used = false;
    this.release(connection);
    return connection;
  }

  /** The reserved connection will not come (the handshake failed, or its turn gave it up): the slot is free. */
  giveUp(reservation: Reservation): void {
    if (this.reservations.get(reservation.key) === reservation)
      this.end(reservation as OpenReservation, true);
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
      used: true,
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
    for (const r of [...this.reservations.values()]) this.end(r, true);
    for (const c of [...this.connections.values()]) this.discard(c);
  }

  private end(reservation: OpenReservation, abort: boolean): void {
    this.reservations.delete(reservation.key);
    if (abort) reservation.controller.abort(new Error("the WebSocket connection is no longer wanted"));
    reservation.done();
  }

  private usable(connection: PooledConnection): boolean {
    const tooOld = this.now() - connection.openedAt >= this.options.lifetimeMs - this.margin;
    return !connection.socket.closed && !tooOld;
  }

  /** Whether a new connection fits (the least recently used idle one goes when the pool is full). */
  private makeRoom(): boolean {
    return this.size < this.options.maxConnections || this.evictOne();
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
