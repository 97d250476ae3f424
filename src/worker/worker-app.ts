// Builds the relay and the app of a Worker isolate from its env: the same createApp(createRelay(…)) as Node, with
// one account per sign-in secret (accounts.ts), each account's tokens held by its own Durable Object (KV as the
// read cache), and the runtime's own fetch.

import type { Hono } from "hono";
import { loadConfig } from "../config.ts";
import { createApp } from "../app.ts";
import { createRelay, type Relay } from "../relay.ts";
import { createMemoryStore } from "../auth/memory-store.ts";
import type { Logger } from "../core/logger.ts";
import { workerAccounts } from "./accounts.ts";
import { ParkingSharing } from "./shared-parkings.ts";
import { UsageSharing } from "./shared-usage.ts";
import { variablesOf, type WorkerEnv } from "./env.ts";
import { openWorkersBackendSocket } from "./backend-socket.ts";
import { createConsoleLogger } from "./logger.ts";
import { acceptResponsesWebSocket } from "./responses-websocket.ts";
import { createRemoteTokens } from "./remote-tokens.ts";
import { requireEncryptionKey, sealerFor } from "./sealing.ts";
import { createWorkerMetrics, METRICS_OBJECT, type WorkerMetrics } from "./worker-metrics.ts";
import { usageSamples } from "../routes/service.ts";

export interface WorkerApp {
  app: Hono;
  relay: Relay;
  /** The accounts' parkings shared with the other isolates (none with CHATGPT_ACCESS_TOKEN). */
  parkings?: ParkingSharing;
  /** The accounts' usage windows shared with the other isolates (none with CHATGPT_ACCESS_TOKEN). */
  usage?: UsageSharing;
}

export async function createWorkerApp(env: WorkerEnv): Promise<WorkerApp> {
  const vars = variablesOf(env);
  const config = loadConfig(vars);
  const logger = createConsoleLogger(config.logLevel);
  // Unbound: the Workers runtime rejects a fetch called as a method of another object.
  const workerFetch: typeof fetch = (input, init) => fetch(input, init);
  // Counted per isolate, summed by the metrics Durable Object (worker-metrics.ts).
  const metrics = createWorkerMetrics(
    () => env.TOKEN_REFRESHER.get(env.TOKEN_REFRESHER.idFromName(METRICS_OBJECT)),
    {
      onError: (err) =>
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, "could not send the metrics"),
    },
  );
  if (config.chatgptAccessToken !== null) {
    // Used as it is and never stored: the core's TokenManager handles it in memory.
    const relay = createRelay(config, {
      store: createMemoryStore(),
      logger,
      fetch: workerFetch,
      metrics,
      ...backendWebSockets,
    });
    return workerAppOf(relay, metrics);
  }
  const key = await requireEncryptionKey(vars.TOKEN_ENCRYPTION_KEY);
  // One account per sign-in secret (accounts.ts), each held by its own Durable Object.
  const accounts = await Promise.all(
    workerAccounts(vars).map(async (a) => ({
      key: a.key,
      tokens: createRemoteTokens({
        config: { codexAuthJson: a.authJson },
        env,
        accountKey: a.key,
        sealer: sealerFor(key, a.key),
        logger,
      }),
      installationId: await installationIdOf(env, a.key, logger),
    })),
  );
  const parkings = new ParkingSharing();
  const usage = new UsageSharing();
  const relay = createRelay(config, {
    accounts,
    // Isolates share no memory: a conversation's account is one every isolate computes alike from the accounts'
    // headroom (weighted rendezvous hashing), with the usage and parkings shared through KV.
    newConversations: "hash",
    poolSharing: parkings,
    logger,
    fetch: workerFetch,
    metrics,
    ...backendWebSockets,
  });
  // What other isolates parked and the usage they saw, before this isolate's first request is routed.
  const warn = (what: string) => (err: unknown) =>
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, `could not read ${what} from KV`);
  await Promise.all([
    parkings.read(env.KV, relay.accounts).catch(warn("the accounts' parkings")),
    usage.read(env.KV, relay.accounts).catch(warn("the accounts' usage")),
  ]);
  return { ...workerAppOf(relay, metrics), parkings, usage };
}

// Backend WebSockets only for the turns of a client's own WebSocket (GET /v1/responses): on Workers a socket cannot
// outlive the request that opened it. Bodies and frames go uncompressed (README, "Transport to the backend").
const backendWebSockets = { openWebSocket: openWorkersBackendSocket, websocketsPerConnection: true };

function workerAppOf(relay: Relay, metrics: WorkerMetrics): WorkerApp {
  metrics.attach({ usage: () => usageSamples(relay) });
  return {
    app: createApp(relay, { responsesWebSocket: (c) => acceptResponsesWebSocket(relay, c.req.raw) }),
    relay,
  };
}

/** The account's installation id, kept by its Durable Object; asked once per isolate. */
async function installationIdOf(env: WorkerEnv, accountKey: string, logger: Logger): Promise<string> {
  try {
    return await env.TOKEN_REFRESHER.get(env.TOKEN_REFRESHER.idFromName(accountKey)).installationId();
  } catch (err) {
    logger.warn(
      { account: accountKey, err: err instanceof Error ? err.message : String(err) },
      "could not read the installation id from the Durable Object; this isolate uses a new one",
    );
    return crypto.randomUUID();
  }
}
