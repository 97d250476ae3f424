// Builds the runtime-agnostic core from a Config and a token store. Each runtime entry point (Node, Workers)
// supplies what only it has — the store, a seed loader for auth.json, a logger — and gets back everything the HTTP
// app needs.

import type { Config } from "./config.ts";
import type { Logger } from "./core/logger.ts";
import type { TokenStore, AuthDocument } from "./auth/types.ts";
import { createTokenManager, type TokenManager } from "./auth/token-manager.ts";
import { createCodexClient, type CodexClient } from "./upstream/codex-client.ts";
import { RateLimitTracker } from "./upstream/rate-limits.ts";
import { createModelCatalog, type ModelCatalog } from "./models/catalog.ts";
import { UpstreamHealth, observeFetch } from "./observe/upstream-health.ts";
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

export interface Relay {
  config: Config;
  logger: Logger;
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
  /** The WebSocket connections to the backend (null: this runtime or UPSTREAM_TRANSPORT=http has none). */
  websockets: WebSocketPool | null;
  startedAt: number;
}

export interface RelayOptions {
  /** Where the tokens live; the relay's TokenManager keeps them fresh. */
  store: TokenStore;
  /** A TokenManager that lives elsewhere instead (Workers: the account's Durable Object refreshes). */
  tokens?: TokenManager;
  logger: Logger;
  fetch?: typeof fetch;
  /** Reads $CODEX_HOME/auth.json when the store is not the file itself (Node only). */
  seedLoader?: () => Promise<AuthDocument | null>;
  installationId?: string;
  retryBaseMs?: number;
  /** Prometheus metrics (Node); none by default. */
  metrics?: RelayMetrics;
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
  const tokens =
    options.tokens ??
    createTokenManager({
      config: options.storeIsSeeded ? { ...config, codexAuthJson: null } : config,
      store: options.store,
      fetch: countRefreshes(baseFetch, metrics),
      logger,
      seedLoader: options.seedLoader,
      secrets,
      forcedRefreshIntervalMs: config.debugRefreshIntervalMs,
    });
  const rateLimits = new RateLimitTracker();
  const upstreamHealth = new UpstreamHealth(Date.now, (e) => metrics.upstreamError(e));
  const catalog = createModelCatalog({
    modelsUrl: config.modelsUrl,
    credentials: tokens,
    logger,
    fetch: options.fetch,
  });
  const websockets =
    options.openWebSocket && config.upstreamTransport !== "http"
      ? new WebSocketPool({
          maxConnections: config.upstreamWsMaxConnections,
          idleMs: config.upstreamWsIdleMs,
          lifetimeMs: BACKEND_WS_LIFETIME_MS,
        })
      : null;
  const upstream = createCodexClient({
    config,
    credentials: tokens,
    rateLimits,
    logger,
    fetch: observeFetch(baseFetch, upstreamHealth),
    scrubber: secrets,
    websocket:
      websockets && options.openWebSocket
        ? createWebSocketTransport({
            url: config.responsesWebSocketUrl,
            pool: websockets,
            open: options.openWebSocket,
          })
        : undefined,
    compressor: config.upstreamRequestCompression === "zstd" ? options.compressor : undefined,
    prefersWebSockets: async (model) => (await catalog.get(model))?.preferWebsockets ?? false,
    installationId: options.installationId ?? crypto.randomUUID(),
    retryBaseMs: options.retryBaseMs,
  });
  return {
    config,
    logger,
    tokens,
    upstream,
    catalog,
    rateLimits,
    upstreamHealth,
    secrets,
    requests: new RequestLog(50),
    metrics,
    responseStore: options.responseStore ?? createMemoryResponseStore(),
    storeState: options.storeState,
    websockets,
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
