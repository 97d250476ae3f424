// Node: picks the token store TOKEN_STORE names and what goes with it — the seed for a store that is not the
// Codex CLI's auth.json, and, for Redis, the shared connection, the response cache on it and its state for
// /health.

import { ConfigError, type Config } from "../config.ts";
import type { Logger } from "../core/logger.ts";
import { silentLogger } from "../core/logger.ts";
import { listAccountFiles } from "../auth/account-files.ts";
import { parseAuthJson } from "../auth/document.ts";
import { defaultAuthPath, readAuthFile } from "../auth/file-store.ts";
import { connectRedis, type RedisConnection, type RedisState } from "../auth/redis-connection.ts";
import { createRedisStoreFactory } from "../auth/redis-store.ts";
import { seedStore } from "../auth/seed-store.ts";
import { TokenStoreUnavailableError } from "../auth/store-errors.ts";
import { loadEncryptionKey, TokenEncryptionError } from "../auth/token-encryption.ts";
import { DEFAULT_ACCOUNT_KEY, type AuthDocument, type TokenStore } from "../auth/types.ts";
import type { ResponseStore } from "../responses/response-store.ts";
import { createRedisResponseStore } from "../responses/redis-response-store.ts";
import { discoverSignIns } from "./sign-ins.ts";

/** How long the start waits for Redis before serving anyway (requests then get 503 until it is reachable). */
export const REDIS_START_WAIT_MS = 5_000;

export interface NodeStores {
  store: TokenStore;
  seedLoader?: () => Promise<AuthDocument | null>;
  /** Set with Redis: the response cache shared by every instance. */
  responseStore?: ResponseStore;
  /** The store was seeded from OPENAI_CODEX_AUTH/auth.json and is the only source from now on. */
  storeIsSeeded?: boolean;
  /** Reachability of the store, for /health (Redis only). */
  storeState?: () => RedisState;
  close(): Promise<void>;
}

export async function createNodeStore(config: Config, logger: Logger = silentLogger): Promise<NodeStores> {
  if (config.tokenStore !== "redis") {
    // The first sign-in found (see sign-ins.ts for the order).
    const [first] = await discoverSignIns(config);
    return { store: first!.store, seedLoader: first!.seedLoader, close: async () => undefined };
  }
  return createRedisStores(config, defaultAuthPath(config.codexHome), logger);
}

async function createRedisStores(config: Config, authPath: string, logger: Logger): Promise<NodeStores> {
  const url = config.redisUrl;
  if (url === null) {
    throw new ConfigError("REDIS_URL", "is required with TOKEN_STORE=redis, e.g. redis://localhost:6379");
  }
  if (!/^rediss?:\/\//i.test(url)) {
    throw new ConfigError("REDIS_URL", "must be a redis:// or rediss:// URL (redis://:password@host:6379/0)");
  }
  const encryptionKey = await loadEncryptionKey(config.tokenEncryptionKey);
  if (encryptionKey === null) {
    logger.warn(
      {},
      "TOKEN_ENCRYPTION_KEY is not set: the tokens are stored in Redis unencrypted (set one: `openssl rand -base64 32`)",
    );
  }
  const connection = connectRedis(url, logger);
  const store = createRedisStoreFactory({ connection, encryptionKey, logger })(DEFAULT_ACCOUNT_KEY);
  // The sign-in this instance was given: OPENAI_CODEX_AUTH, else the relay's own login ($CODEX_RELAY_HOME/accounts),
  // else $CODEX_HOME/auth.json. Files are only read, never written.
  const seed = async (): Promise<AuthDocument | null> => {
    if (config.codexAuthJson !== null) return parseAuthJson(config.codexAuthJson, "OPENAI_CODEX_AUTH");
    const [own] = await listAccountFiles(config.relayHome).catch(() => []);
    return readAuthFile(own ?? authPath).catch((err: unknown) => {
      logger.warn({ err: (err as Error).message }, "could not read auth.json to seed Redis");
      return null;
    });
  };

  const seeded = await seedWhenReachable(connection, store, seed, logger).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  if (!seeded) {
    // Redis was unreachable at start: seed once it answers (a wrong key is then reported on every request).
    void (async () => {
      for (;;) {
        if (!(await connection.waitUntilReady(60_000))) continue;
        try {
          await seedWhenReachable(connection, store, seed, logger);
          return;
        } catch (err) {
          logger.error({ err: (err as Error).message }, "could not seed the Redis token store");
          if (err instanceof TokenEncryptionError) return;
        }
      }
    })();
  }
  return {
    store,
    seedLoader: seed,
    storeIsSeeded: true,
    responseStore: createRedisResponseStore({ connection, logger }),
    storeState: () => connection.state(),
    close: () => connection.close(),
  };
}

/**
 * Seeds (or replaces with a newer sign-in) the stored tokens and checks TOKEN_ENCRYPTION_KEY against them. False
 * when Redis did not answer in time; a wrong key throws TokenEncryptionError (the start stops, nothing written).
 */
async function seedWhenReachable(
  connection: RedisConnection,
  store: TokenStore,
  seed: () => Promise<AuthDocument | null>,
  logger: Logger,
): Promise<boolean> {
  if (!(await connection.waitUntilReady(REDIS_START_WAIT_MS))) {
    logger.warn(
      { redis: connection.location },
      "Redis is not reachable yet: requests get 503 until it is; the relay keeps trying",
    );
    return false;
  }
  try {
    const outcome = await seedStore(store, await seed());
    if (outcome === "seeded")
      logger.info({ key: store.location }, "Redis token store seeded from this instance's sign-in");
    if (outcome === "replaced")
      logger.info(
        { key: store.location },
        "a newer sign-in given to this instance replaced the tokens in Redis",
      );
    return true;
  } catch (err) {
    if (err instanceof TokenStoreUnavailableError) {
      logger.warn({ err: err.message }, "Redis went away while seeding; the relay keeps trying");
      return false;
    }
    throw err;
  }
}
