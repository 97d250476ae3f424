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
      config,
      store: options.store,
      fetch: countRefreshes(baseFetch, metrics),
      logger,
      seedLoader: options.seedLoader,
      secrets,
      forcedRefreshIntervalMs: config.debugRefreshIntervalMs,
    });
  const rateLimits = new RateLimitTracker();
  const upstreamHealth = new UpstreamHealth(Date.now, (e) => metrics.upstreamError(e));
  const upstream = createCodexClient({
    config,
    credentials: tokens,
    rateLimits,
    logger,
    fetch: observeFetch(baseFetch, upstreamHealth),
    scrubber: secrets,
    installationId: options.installationId ?? crypto.randomUUID(),
    retryBaseMs: options.retryBaseMs,
  });
  const catalog = createModelCatalog({
    modelsUrl: config.modelsUrl,
    credentials: tokens,
    logger,
    fetch: options.fetch,
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
