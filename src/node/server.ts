// The Node runtime: reads the environment, picks the token store, builds the relay and serves the app with
// @hono/node-server. `startServer` is also what tests use to run a real relay on a loopback port.

import { serve, type ServerType } from "@hono/node-server";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { getHeapStatistics } from "node:v8";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../config.ts";
import type { Logger } from "../core/logger.ts";
import { createApp } from "../app.ts";
import { createRelay, type Relay } from "../relay.ts";
import { createNodeStore } from "./token-stores.ts";
import type { RedisPoolState } from "../auth/redis-pool-state.ts";
import type { SharedParking } from "../auth/account-pool.ts";
import { createNodeLogger } from "./logger.ts";
import { nodeFetch } from "./http-fetch.ts";
import { createConnectionGuard } from "./connection-guard.ts";
import { openWsBackendSocket } from "../upstream/websocket-connection.ts";
import { loadZstdCompressor } from "../upstream/request-compression.ts";
import { serveResponsesWebSockets, type ResponsesWebSockets } from "./responses-websocket.ts";
import { createPromMetrics } from "./prom-metrics.ts";
import { listenError } from "./listen-error.ts";

export interface StartOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Overrides HOST/PORT (tests pass port 0). */
  port?: number;
  host?: string;
  retryBaseMs?: number;
  /** The account pool's clock (tests). */
  now?: () => number;
}

export interface RunningServer {
  url: string;
  relay: Relay;
  server: ServerType;
  /** Stops at once: open connections, streams included, are cut (tests). */
  close(): Promise<void>;
  /**
   * Stops gracefully (SIGTERM/SIGINT): no new connections, open requests may finish for up to `timeoutMs`
   * (default SHUTDOWN_TIMEOUT_MS) before their connections are closed, then waits for a token refresh in flight so
   * the rotated tokens are saved. Resolves when all of that is done; calling it again returns the same promise.
   */
  shutdown(timeoutMs?: number): Promise<ShutdownReport>;
  /** Closes every open connection now (a second signal during a graceful shutdown). */
  closeConnections(): void;
  /** Requests being answered right now (a stream counts until its last byte is sent or its client goes away). */
  openRequests(): number;
  /** Looks for sign-ins added to $CODEX_RELAY_HOME/accounts/ now (it also happens every ACCOUNT_SCAN_MS); returns how many joined. */
  rescanAccounts(): Promise<number>;
}

/** How often the accounts folder is looked at for new sign-ins while the relay runs. */
export const ACCOUNT_SCAN_MS = 15_000;

export interface ShutdownReport {
  /** Requests that were still open when the shutdown began. */
  openAtStart: number;
  /** Requests whose connections were closed at the deadline, unfinished. */
  cutAtDeadline: number;
  ms: number;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig(options.env ?? process.env);
  if (options.port !== undefined) config.port = options.port;
  if (options.host !== undefined) config.host = options.host;
  // Each body is held several times over while it is handled (bytes, string, parsed, serialised again): an eighth
  // of the heap leaves room for that and for the streams in flight.
  config.bodyMemoryLimit ??= Math.floor(getHeapStatistics().heap_size_limit / 8);
  const logger = options.logger ?? createNodeLogger(config);
  const stores = await createNodeStore(config, logger);
  const relay = createRelay(config, {
    accounts: stores.accounts,
    poolSharing: stores.poolState,
    responseStore: stores.responseStore,
    storeIsSeeded: stores.storeIsSeeded,
    storeState: stores.storeState,
    logger,
    retryBaseMs: options.retryBaseMs,
    fetch: nodeFetch,
    openWebSocket: openWsBackendSocket,
    compressor: loadZstdCompressor(),
    metrics: createPromMetrics(),
    now: options.now,
  });
  const app = createApp(relay, { bindHost: config.host });
  const guard = createConnectionGuard({
    maxConnections: config.maxConnections,
    sendTimeoutMs: config.sendTimeoutMs,
    onRefused: (open) =>
      logger.warn({ open, max: config.maxConnections }, "connection refused: MAX_CONNECTIONS reached"),
    onSendTimeout: (client) =>
      logger.warn(
        { client, sendTimeoutMs: config.sendTimeoutMs },
        "closed a connection whose client took no data (SEND_TIMEOUT_MS)",
      ),
  });
  const target = {
    host: config.host,
    port: config.port,
    hostSetting: options.host !== undefined ? "--host" : "HOST",
    portSetting: options.port !== undefined ? "--port" : "PORT",
  };
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: config.host,
        port: config.port,
        createServer: ((opts: object, listener: Parameters<typeof guard.wrap>[0]) =>
          createHttpServer(opts, guard.wrap(listener))) as unknown as typeof createHttpServer,
      },
      () => {
        s.off("error", failed);
        resolve(s);
      },
    );
    // A port in use or a HOST that is not this machine: the listen fails asynchronously with an 'error' event.
    function failed(err: unknown) {
      s.close();
      reject(listenError(err, target));
    }
    s.once("error", failed);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  // serve() without `createServer` options makes a node:http server.
  const http = server as HttpServer;
  guard.attach(http);
  const websockets = serveResponsesWebSockets(http, relay);
  let open = 0;
  http.on("request", (_req, res) => {
    open++;
    res.once("close", () => open--);
  });
  let shuttingDown: Promise<ShutdownReport> | undefined;
  const rescanAccounts = async (): Promise<number> => {
    const known = new Set(relay.accounts.accounts.map((a) => a.key));
    let added = 0;
    const found = await stores.newAccounts(known).catch((err: unknown) => {
      logger.debug({ err: err instanceof Error ? err.message : String(err) }, "account scan failed");
      return [];
    });
    for (const a of found) if (relay.accounts.add(a)) added++;
    // With Redis, a newcomer may be parked by another instance already.
    if (added && stores.poolState) await adoptParkings(relay, stores.poolState);
    return added;
  };
  if (stores.poolState) {
    const poolState = stores.poolState;
    await poolState.listen(
      (event) => {
        if (event.kind === "parked") relay.accounts.applyParking(event.key, event.parking);
        else if (event.kind === "unparked") relay.accounts.applyParking(event.key, null);
        else void rescanAccounts();
      },
      () => void adoptParkings(relay, poolState),
    );
    await adoptParkings(relay, poolState);
  }
  const scan = setInterval(() => void rescanAccounts(), ACCOUNT_SCAN_MS);
  scan.unref();
  server.once("close", () => clearInterval(scan));
  return {
    rescanAccounts,
    url: `http://${host}:${address.port}`,
    relay,
    server,
    openRequests: () => open,
    closeConnections: () => http.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        websockets.closeAll();
        relay.websockets?.closeAll();
        server.close(() => resolve());
        http.closeAllConnections();
      }).then(() => stores.close()),
    shutdown(timeoutMs = config.shutdownTimeoutMs) {
      shuttingDown ??= gracefulShutdown(http, relay, () => open, timeoutMs, websockets).then(
        async (report) => {
          await stores.close();
          return report;
        },
      );
      return shuttingDown;
    },
  };
}

/** The parkings other instances recorded for this instance's accounts (at start, after a reconnection). */
async function adoptParkings(relay: Relay, poolState: RedisPoolState): Promise<void> {
  const keys = relay.accounts.accounts.map((a) => a.key);
  const found = await poolState.parkings(keys).catch(() => new Map<string, SharedParking>());
  for (const [key, parking] of found) relay.accounts.applyParking(key, parking);
}

async function gracefulShutdown(
  server: HttpServer,
  relay: Relay,
  openRequests: () => number,
  timeoutMs: number,
  websockets: ResponsesWebSockets,
): Promise<ShutdownReport> {
  const started = Date.now();
  const openAtStart = openRequests();
  let cutAtDeadline = 0;
  relay.logger.info(
    { openRequests: openAtStart, timeoutMs },
    openAtStart > 0
      ? `shutting down: no new connections; waiting up to ${timeoutMs} ms for ${openAtStart} open request(s)`
      : "shutting down: no new connections",
  );
  await new Promise<void>((resolve) => {
    // close() stops listening at once and closes the idle keep-alive connections; the callback runs once every
    // connection has ended. Connections that finish their last response later go idle and are closed by the poll.
    server.close(() => resolve());
    const poll = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      cutAtDeadline = openRequests();
      if (cutAtDeadline > 0) {
        relay.logger.warn(
          { openRequests: cutAtDeadline, timeoutMs },
          "shutdown deadline reached (SHUTDOWN_TIMEOUT_MS): closing the connections still open",
        );
      }
      server.closeAllConnections();
      websockets.closeAll();
    }, timeoutMs);
    // Responses WebSocket clients finish their turn in flight, then their connection closes.
    void websockets.drain();
    server.once("close", () => {
      clearInterval(poll);
      clearTimeout(deadline);
    });
  });
  relay.websockets?.closeAll();
  // A refresh that is running must end (and save the rotated tokens) before the process goes.
  await relay.tokens.settle();
  const ms = Date.now() - started;
  relay.logger.info({ ms, cutAtDeadline }, "shut down");
  return { openAtStart, cutAtDeadline, ms };
}
