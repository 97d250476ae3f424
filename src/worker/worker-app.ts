// Builds the relay and the app of a Worker isolate from its env: the same createApp(createRelay(…)) as Node, with
// the tokens held by the account's Durable Object (KV as the read cache) and the runtime's own fetch.

import type { Hono } from "hono";
import { loadConfig } from "../config.ts";
import { createApp } from "../app.ts";
import { createRelay, type Relay } from "../relay.ts";
import { createMemoryStore } from "../auth/memory-store.ts";
import { DEFAULT_ACCOUNT_KEY } from "../auth/types.ts";
import { variablesOf, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { createRemoteTokens } from "./remote-tokens.ts";
import { requireEncryptionKey, sealerFor } from "./sealing.ts";

export interface WorkerApp {
  app: Hono;
  relay: Relay;
}

export async function createWorkerApp(env: WorkerEnv): Promise<WorkerApp> {
  const vars = variablesOf(env);
  const config = loadConfig(vars);
  const logger = createConsoleLogger(config.logLevel);
  // CHATGPT_ACCESS_TOKEN is used as it is and never stored: the core's TokenManager handles it in memory.
  const tokens =
    config.chatgptAccessToken === null
      ? createRemoteTokens({
          config,
          env,
          accountKey: DEFAULT_ACCOUNT_KEY,
          sealer: sealerFor(await requireEncryptionKey(vars.TOKEN_ENCRYPTION_KEY), DEFAULT_ACCOUNT_KEY),
          logger,
        })
      : undefined;
  const relay = createRelay(config, {
    store: createMemoryStore(),
    tokens,
    logger,
    // Unbound: the Workers runtime rejects a fetch called as a method of another object.
    fetch: (input, init) => fetch(input, init),
  });
  return { app: createApp(relay), relay };
}
