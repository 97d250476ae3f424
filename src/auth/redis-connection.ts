// Node only. One ioredis connection shared by the token stores (one per account) and the response cache, with
// options that keep a request from hanging when Redis is down or slow: commands fail at once while disconnected
// (no offline queue) and time out after COMMAND_TIMEOUT_MS, while the client reconnects on its own with a bounded
// backoff. The state is kept for /health.

import { Redis } from "ioredis";
import type { Logger } from "../core/logger.ts";
import { TokenStoreUnavailableError } from "./store-errors.ts";

export const REDIS_COMMAND_TIMEOUT_MS = 3_000;
export const REDIS_CONNECT_TIMEOUT_MS = 3_000;
/** Longest wait between reconnection attempts. */
export const REDIS_MAX_BACKOFF_MS = 1_000;

export interface RedisState {
  /** Connected and ready for commands. */
  reachable: boolean;
  /** The last connection error, safe to show (no password). */
  lastError: string | null;
  /** When `reachable` last changed (ISO). */
  since: string;
}

export interface RedisConnection {
  readonly client: Redis;
  /** `redis://host:port/db`: where it is, safe to show (no password). */
  readonly location: string;
  state(): RedisState;
  /** Resolves once connected, or after `timeoutMs` (false then); never rejects. */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  /** Runs a command; any failure of Redis itself becomes TokenStoreUnavailableError naming the location. */
  run<T>(what: string, command: (client: Redis) => Promise<T>): Promise<T>;
  /** Called each time the connection becomes ready again (after the first time). */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

/** The URL without its user name and password. */
export function redisLocation(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname && u.pathname !== "/" ? u.pathname : ""}`;
  } catch {
    return "redis (unparsable REDIS_URL)";
  }
}

export function connectRedis(url: string, logger: Logger): RedisConnection {
  const location = redisLocation(url);
  // redis://, rediss:// (TLS) and redis://:password@host or redis://user:password@host are read by ioredis.
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), REDIS_MAX_BACKOFF_MS),
    // A replica answering READONLY after a fail-over: reconnect to find the primary.
    reconnectOnError: (err: Error) => err.message.startsWith("READONLY"),
  });
  let state: RedisState = { reachable: false, lastError: null, since: new Date().toISOString() };
  let everReady = false;
  const reconnectListeners: (() => void)[] = [];
  const set = (reachable: boolean, lastError: string | null) => {
    if (reachable !== state.reachable) state = { reachable, lastError, since: new Date().toISOString() };
    else state = { ...state, lastError };
  };
  client.on("ready", () => {
    set(true, null);
    if (everReady) {
      logger.info({ redis: location }, "Redis reachable again");
      for (const l of reconnectListeners) l();
    }
    everReady = true;
  });
  // Without an "error" listener ioredis prints every failed reconnection attempt to stderr.
  client.on("error", (err: Error) => {
    const message = describe(err);
    if (state.reachable || state.lastError !== message) {
      logger.warn({ redis: location, err: message }, "Redis connection error");
    }
    set(client.status === "ready", message);
  });
  client.on("close", () => set(false, state.lastError ?? "connection closed"));

  return {
    client,
    location,
    state: () => state,
    waitUntilReady(timeoutMs) {
      if (client.status === "ready") return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          client.off("ready", onReady);
          resolve(ok);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.on("ready", onReady);
      });
    },
    async run(what, command) {
      try {
        return await command(client);
      } catch (err) {
        if (err instanceof TokenStoreUnavailableError) throw err;
        throw new TokenStoreUnavailableError(
          `The Redis store at ${location} is unreachable (${what}: ${describe(err)}); the relay reconnects on its own, try again shortly.`,
        );
      }
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

// ioredis messages name hosts and errno codes, never a password; keep them short.
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(err);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
