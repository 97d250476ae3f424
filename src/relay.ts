// Builds the runtime-agnostic core from a Config and a token store. Each runtime entry point (Node, Workers)
// supplies what only it has — the store, a seed loader for auth.json, a logger — and gets back everything the HTTP
// app needs.

import type { Config } from "./config.ts";
import type { Logger } from "./core/logger.ts";
import { DEFAULT_ACCOUNT_KEY, type TokenStore, type AuthDocument } from "./auth/types.ts";
import type { TokenManager } from "./auth/token-manager.ts";
import {
  createAccountPool,
  type AccountPool,
  type AccountSource,
  type PoolSharing,
} from "./auth/account-pool.ts";
import { createCodexClient, type CodexClient } from "./upstream/codex-client.ts";
import { createPooledClient } from "./upstream/pooled-client.ts";
import { RateLimitTracker } from "./upstream/rate-limits.ts";
import { createModelCatalog, type ModelCatalog } from "./models/catalog.ts";
import { UpstreamHealth } from "./observe/upstream-health.ts";
import { observeTransport } from "./observe/transport-outcomes.ts";
import { SecretScrubber, scrubbingLogger } from "./core/secret-scrubber.ts";
import { RequestLog } from "./observe/request-log.ts";
import { noMetrics, type RelayMetrics } from "./observe/metrics.ts";
import { createMemoryResponseStore, type ResponseStore } from "./responses/response-store.ts";
import type { OpenBackendSocket } from "./upstream/backend-socket.ts";
import type { RequestCompressor } from "./upstream/request-compression.ts";
import { createWebSocketTransport } from "./upstream/websocket-transport.ts";
import { WebSocketPool } from "./upstream/websocket-pool.ts";

/** The backend closes a Responses WebSocket after 60 minutes. */
const BACKEND_WS_LIFETIME_MS = 60 * 60_000;
/** Backend WebSockets one client connection may hold (websocketsPerConnection). */
const CONNECTION_WEBSOCKETS = 4;

export interface Relay {
  config: Config;
  logger: Logger;
  /** The sign-ins (one per account; the default set-up has one). */
  accounts: AccountPool;
  /** The TokenManager face of the accounts: credentials of the best account, /debug/refresh, shutdown. */
  tokens: TokenManager;
  upstream: CodexClient;
  catalog: ModelCatalog;
  rateLimits: RateLimitTracker;
  /** What the backend said lately (/health, the status page). */
  upstreamHealth: UpstreamHealth;
  /** Knows every secret in play; what comes from the backend or the issuer goes through it. */
  secrets: SecretScrubber;
  /** The last 50 requests (the status page). */
  requests: RequestLog;
  metrics: RelayMetrics;
  /** Reachability of a shared token store (Redis), for /health; undefined for stores in this process. */
  storeState?: () => StoreState;
  /** previous_response_id / item_reference lookups (in memory, or Redis shared by every instance). */
  responseStore: ResponseStore;
  /** Every account's WebSocket connections to the backend (null: this runtime or UPSTREAM_TRANSPORT=http has none). */
  websockets: { closeAll(): void } | null;
  /**
   * Where sockets live only as long as the client request that opened them (RelayOptions.websocketsPerConnection,
   * Workers): a new pool of backend WebSockets for one client connection, passed with its turns
   * (UpstreamRequestOptions.connections). Absent elsewhere.
   */
  connectionWebSockets?: () => WebSocketPool;
  startedAt: number;
}

export interface RelayOptions {
  /** The single sign-in's store (DEFAULT_ACCOUNT_KEY); ignored when `accounts` is given. */
  store?: TokenStore;
  /** A TokenManager that lives elsewhere instead (Workers: the account's Durable Object refreshes). */
  tokens?: TokenManager;
  /** Several sign-ins, each with its own store from the runtime's TokenStoreFactory. */
  accounts?: AccountSource[];
  /** Parkings and conversations shared with the other instances on the same store (Redis). */
  poolSharing?: PoolSharing;
  /** How new conversations get an account (account-pool.ts); Workers: "hash". */
  newConversations?: "headroom" | "hash";
  logger: Logger;
  fetch?: typeof fetch;
  /** Reads $CODEX_HOME/auth.json when the store is not the file itself (Node only). */
  seedLoader?: () => Promise<AuthDocument | null>;
  installationId?: string;
  retryBaseMs?: number;
  /** Prometheus metrics (Node); none by default. */
  metrics?: RelayMetrics;
  /** Clock of the account pool (parking, resets), ms since the epoch (tests). */
  now?: () => number;
  /** Default: an in-process cache. */
  responseStore?: ResponseStore;
  /**
   * The store is shared and was seeded from OPENAI_CODEX_AUTH (seed-store.ts): the token manager reads the store
   * only, instead of preferring the variable's tokens over it.
   */
  storeIsSeeded?: boolean;
  storeState?: () => StoreState;
  /** The runtime's opener of WebSockets to the backend; without it every turn goes over HTTP. */
  openWebSocket?: OpenBackendSocket;
  /**
   * The opener's sockets cannot outlive the client request that opened them (Workers: an I/O object belongs to its
   * request). Only turns that bring a client connection's own pool (`connectionWebSockets`) use the WebSocket.
   */
  websocketsPerConnection?: boolean;
  /** The runtime's zstd for request bodies (UPSTREAM_COMPRESSION=zstd); without it bodies go uncompressed. */
  compressor?: Promise<RequestCompressor | null>;
}

export interface StoreState {
  reachable: boolean;
  lastError: string | null;
  since: string;
}

export function createRelay(config: Config, options: RelayOptions): Relay {
  const metrics = options.metrics ?? noMetrics;
  const baseFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const secrets = new SecretScrubber();
  secrets.addPermanent(config.apiKey);
  secrets.addPermanent(config.chatgptAccessToken);
  // Every log line of the core goes through the scrubber: a backend or issuer message quoted in a log is clean.
  const logger = scrubbingLogger(options.logger, secrets);
  const sources: AccountSource[] = options.accounts?.length
    ? options.accounts
    : [
        {
          key: DEFAULT_ACCOUNT_KEY,
          store: options.store,
          tokens: options.tokens,
          seedLoader: options.seedLoader,
          installationId: options.installationId,
        },
      ];
  const rateLimits = new RateLimitTracker();
  const upstreamHealth = new UpstreamHealth(Date.now, (e) => metrics.upstreamError(e));
  const accounts = createAccountPool({
    // A shared store seeded from OPENAI_CODEX_AUTH is the only source from then on (seed-store.ts).
    config: options.storeIsSeeded ? { ...config, codexAuthJson: null } : config,
    sources,
    fetch: countRefreshes(baseFetch, metrics),
    logger,
    sharedRateLimits: rateLimits,
    now: options.now,
    secrets,
    forcedRefreshIntervalMs: config.debugRefreshIntervalMs,
    sharing: options.poolSharing,
    newConversations: options.newConversations,
  });
  const catalog = createModelCatalog({
    modelsUrl: config.modelsUrl,
    credentials: accounts.tokens,
    logger,
    fetch: options.fetch,
  });
  const openWebSocket = config.upstreamTransport !== "http" ? options.openWebSocket : undefined;
  // One WebSocket pool per account: a connection carries the credentials it was opened with.
  const websocketPools: WebSocketPool[] = [];
  const poolOf = (maxConnections: number) =>
    new WebSocketPool({
      maxConnections,
      idleMs: config.upstreamWsIdleMs,
      lifetimeMs: BACKEND_WS_LIFETIME_MS,
    });
  const newWebSocketPool = () => {
    const pool = poolOf(config.upstreamWsMaxConnections);
    websocketPools.push(pool);
    return pool;
  };
  const clientOf = (account: AccountPool["accounts"][number]) =>
    createCodexClient({
      config,
      credentials: account.tokens,
      rateLimits: account.rateLimits,
      logger,
      fetch: baseFetch,
      watchTransport: (transport, name) => observeTransport(transport, name, upstreamHealth),
      scrubber: secrets,
      websocket: openWebSocket
        ? createWebSocketTransport({
            url: config.responsesWebSocketUrl,
            pool: newWebSocketPool(),
            open: openWebSocket,
          })
        : undefined,
      websocketNeedsConnections: options.websocketsPerConnection,
      compressor: config.upstreamRequestCompression === "zstd" ? options.compressor : undefined,
      prefersWebSockets: async (model) => (await catalog.get(model))?.preferWebsockets ?? false,
      installationId: account.installationId,
      retryBaseMs: options.retryBaseMs,
    });
  const upstream = createPooledClient({ pool: accounts, clientOf, logger });
  return {
    config,
    logger,
    accounts,
    tokens: accounts.tokens,
    upstream,
    catalog,
    rateLimits,
    upstreamHealth,
    secrets,
    requests: new RequestLog(50),
    metrics,
    responseStore: options.responseStore ?? createMemoryResponseStore(),
    storeState: options.storeState,
    websockets: openWebSocket ? { closeAll: () => websocketPools.forEach((p) => p.closeAll()) } : null,
    // A client connection carries one conversation at a time, as a rule (the Codex CLI's); a few spare slots.
    connectionWebSockets:
      openWebSocket && options.websocketsPerConnection ? () => poolOf(CONNECTION_WEBSOCKETS) : undefined,
    startedAt: Date.now(),
  };
}

/** The token manager's fetch only talks to the token endpoint: each call is a refresh, a non-2xx a failed one. */
function countRefreshes(inner: typeof fetch, metrics: RelayMetrics): typeof fetch {
  return async (input, init) => {
    try {
      const res = await inner(input, init);
      metrics.tokenRefresh(res.ok);
      return res;
    } catch (err) {
      metrics.tokenRefresh(false);
      throw err;
    }
  };
}
