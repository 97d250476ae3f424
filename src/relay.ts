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

export interface Relay {
  config: Config;
  logger: Logger;
  tokens: TokenManager;
  upstream: CodexClient;
  catalog: ModelCatalog;
  rateLimits: RateLimitTracker;
  /** What the backend said lately (/health, the status page). */
  upstreamHealth: UpstreamHealth;
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
}

export function createRelay(config: Config, options: RelayOptions): Relay {
  const tokens =
    options.tokens ??
    createTokenManager({
      config,
      store: options.store,
      fetch: options.fetch,
      logger: options.logger,
      seedLoader: options.seedLoader,
    });
  const rateLimits = new RateLimitTracker();
  const upstreamHealth = new UpstreamHealth();
  const baseFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const upstream = createCodexClient({
    config,
    credentials: tokens,
    rateLimits,
    logger: options.logger,
    fetch: observeFetch(baseFetch, upstreamHealth),
    installationId: options.installationId ?? crypto.randomUUID(),
    retryBaseMs: options.retryBaseMs,
  });
  const catalog = createModelCatalog({
    modelsUrl: config.modelsUrl,
    credentials: tokens,
    logger: options.logger,
    fetch: options.fetch,
  });
  return {
    config,
    logger: options.logger,
    tokens,
    upstream,
    catalog,
    rateLimits,
    upstreamHealth,
    startedAt: Date.now(),
  };
}
