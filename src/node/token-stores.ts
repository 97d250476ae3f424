// Node: picks the token store TOKEN_STORE names and builds every account's entry in it, with what goes with
// them — the seed for a store that is not the sign-in's own file, each account's persisted installation id, and,
// for Redis, the shared connection, the accounts every instance serves, the pool's shared state, the response
// cache on it and its state for /health.

import { stat } from "node:fs/promises";
import { ConfigError, type Config } from "../config.ts";
import type { Logger } from "../core/logger.ts";
import { silentLogger } from "../core/logger.ts";
import { accountKeyOf, listAccountFiles } from "../auth/account-files.ts";
import { parseAuthJson } from "../auth/document.ts";
import { defaultAuthPath, readAuthFile } from "../auth/file-store.ts";
import { connectRedis, type RedisConnection, type RedisState } from "../auth/redis-connection.ts";
import { createRedisStoreFactory } from "../auth/redis-store.ts";
import { createRedisPoolState, type RedisPoolState } from "../auth/redis-pool-state.ts";
import { fileInstallationId } from "../auth/installation-id-file.ts";
import { seedStore, type SeedOutcome } from "../auth/seed-store.ts";
import { TokenStoreUnavailableError } from "../auth/store-errors.ts";
import {
  loadEncryptionKey,
  TokenEncryptionError,
  type TokenEncryptionKey,
} from "../auth/token-encryption.ts";
import {
  DEFAULT_ACCOUNT_KEY,
  type AuthDocument,
  type TokenStore,
  type TokenStoreFactory,
} from "../auth/types.ts";
import type { ResponseStore } from "../responses/response-store.ts";
import { createRedisResponseStore } from "../responses/redis-response-store.ts";
import { discoverSignIns, newRelaySignIns, type SignIn } from "./sign-ins.ts";

/** How long the start waits for Redis before serving anyway (requests then get 503 until it is reachable). */
export const REDIS_START_WAIT_MS = 5_000;

/** One account as the Node runtime gives it to the pool. */
export interface NodeAccount {
  key: string;
  store: TokenStore;
  seedLoader?: () => Promise<AuthDocument | null>;
  /** Persisted per account (installation-ids.ts; Redis: shared by every instance). */
  installationId: string;
}

export interface NodeStores {
  /** Every account this instance serves (one, in the default set-up). */
  accounts: NodeAccount[];
  /** Accounts that appeared since (a file copied into accounts/, a login; with Redis: another instance's). */
  newAccounts(known: ReadonlySet<string>): Promise<NodeAccount[]>;
  /** Set with Redis: the pool's state shared by every instance (parkings, conversations, accounts). */
  poolState?: RedisPoolState;
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
    const withId = async (s: SignIn): Promise<NodeAccount> => ({
      key: s.key,
      store: s.store,
      seedLoader: s.seedLoader,
      installationId: await fileInstallationId(config.relayHome, s.key, logger),
    });
    // Every sign-in found (see sign-ins.ts for the order) is an account of the pool.
    return {
      accounts: await Promise.all((await discoverSignIns(config)).map(withId)),
      newAccounts: async (known) => Promise.all((await newRelaySignIns(config, known)).map(withId)),
      close: async () => undefined,
    };
  }
  return createRedisStores(config, defaultAuthPath(config.codexHome), logger);
}

/** A sign-in this instance was given, to seed its account's entry in Redis with. */
interface OwnSignIn {
  key: string;
  load(): Promise<AuthDocument | null>;
  /** Changes when the sign-in does (a file's mtime): a new `codex-relay login` is seeded again. */
  version(): Promise<number>;
}

/**
 * OPENAI_CODEX_AUTH (the default account), else every relay login in $CODEX_RELAY_HOME/accounts/ (one account
 * each), else $CODEX_HOME/auth.json (the default account). Files are only read, never written.
 */
async function ownSignIns(config: Config, authPath: string, logger: Logger): Promise<OwnSignIn[]> {
  if (config.codexAuthJson !== null) {
    const text = config.codexAuthJson;
    return [
      {
        key: DEFAULT_ACCOUNT_KEY,
        load: async () => parseAuthJson(text, "OPENAI_CODEX_AUTH"),
        version: async () => 0,
      },
    ];
  }
  const files = await listAccountFiles(config.relayHome).catch(() => []);
  const read = (file: string) => () =>
    readAuthFile(file).catch((err: unknown) => {
      logger.warn({ file, err: (err as Error).message }, "could not read a sign-in to seed Redis");
      return null;
    });
  const version = (file: string) => async () => (await stat(file).catch(() => null))?.mtimeMs ?? -1;
  if (files.length)
    return files.map((file) => ({ key: accountKeyOf(file), load: read(file), version: version(file) }));
  return [{ key: DEFAULT_ACCOUNT_KEY, load: read(authPath), version: version(authPath) }];
}

/** Connects to REDIS_URL with TOKEN_ENCRYPTION_KEY checked: what `serve` and `status` both need. */
export async function openRedis(
  config: Config,
  logger: Logger,
): Promise<{
  connection: RedisConnection;
  storeFor: TokenStoreFactory;
  poolState: RedisPoolState;
  encryptionKey: TokenEncryptionKey | null;
}> {
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
  return {
    connection,
    storeFor: createRedisStoreFactory({ connection, encryptionKey, logger }),
    poolState: createRedisPoolState({ connection, logger }),
    encryptionKey,
  };
}

async function createRedisStores(config: Config, authPath: string, logger: Logger): Promise<NodeStores> {
  const { connection, storeFor, poolState, encryptionKey } = await openRedis(config, logger);
  /** The version of each own sign-in last seeded. */
  const seeded = new Map<string, number>();
  const recorded = new Set<string>();
  // Seeds each of this instance's sign-ins into its account's entry and records the account for every instance.
  const seedOwn = async (own: OwnSignIn[]) => {
    for (const s of own) {
      const version = await s.version();
      if (seeded.get(s.key) === version) continue;
      const store = storeFor(s.key);
      const outcome = await seedStore(store, await s.load());
      logSeed(logger, store, outcome);
      // The default entry of an instance given nothing is an account only once some instance seeded it.
      if (outcome !== "no-seed" || (await store.load()) !== null) {
        await poolState.addAccount(s.key);
        recorded.add(s.key);
      }
      seeded.set(s.key, version);
    }
  };
  const own = await ownSignIns(config, authPath, logger);
  const reachable = await seedWhenReachable(connection, () => seedOwn(own), logger).catch(
    async (err: unknown) => {
      await connection.close();
      throw err;
    },
  );
  if (!reachable) {
    // Redis was unreachable at start: seed once it answers (a wrong key is then reported on every request).
    void (async () => {
      for (;;) {
        if (!(await connection.waitUntilReady(60_000))) continue;
        try {
          await seedWhenReachable(connection, () => seedOwn(own), logger);
          return;
        } catch (err) {
          logger.error({ err: (err as Error).message }, "could not seed the Redis token store");
          if (err instanceof TokenEncryptionError) return;
        }
      }
    })();
  }
  const accountOf = async (key: string): Promise<NodeAccount> => ({
    key,
    store: storeFor(key),
    installationId: await poolState.installationId(key).catch(() => {
      logger.warn({ account: key }, "Redis did not give the installation id; this process uses a new one");
      return crypto.randomUUID();
    }),
  });
  // Every account recorded (this instance's sign-ins among them); Redis not answering: this instance's own. With
  // none at all, the default entry (empty: requests say how to sign in).
  const shared = reachable ? await poolState.accountKeys().catch(() => [...recorded]) : own.map((s) => s.key);
  const keys = shared.length ? [...new Set([...recorded, ...shared])].sort() : [DEFAULT_ACCOUNT_KEY];
  return {
    accounts: await Promise.all(keys.map(accountOf)),
    async newAccounts(known) {
      // Logins copied into accounts/ since the start, and new sign-ins of known accounts (a `codex-relay login`
      // after a dead sign-in), are seeded like the first ones; a newer sign-in replaces the stored one.
      await seedOwn(await ownSignIns(config, authPath, logger));
      const fresh = (await poolState.accountKeys()).filter((k) => !known.has(k));
      return Promise.all(fresh.map(accountOf));
    },
    poolState,
    storeIsSeeded: true,
    responseStore: createRedisResponseStore({ connection, encryptionKey, logger }),
    storeState: () => connection.state(),
    close: async () => {
      await poolState.close();
      await connection.close();
    },
  };
}

function logSeed(logger: Logger, store: TokenStore, outcome: SeedOutcome): void {
  if (outcome === "seeded")
    logger.info({ key: store.location }, "Redis token store seeded from this instance's sign-in");
  if (outcome === "replaced")
    logger.info(
      { key: store.location },
      "a newer sign-in given to this instance replaced the tokens in Redis",
    );
}

/**
 * Runs the seeding once Redis answers, which also checks TOKEN_ENCRYPTION_KEY against the stored tokens. False
 * when Redis did not answer in time; a wrong key throws TokenEncryptionError (the start stops, nothing written).
 */
async function seedWhenReachable(
  connection: RedisConnection,
  seed: () => Promise<void>,
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
    await seed();
    return true;
  } catch (err) {
    if (err instanceof TokenStoreUnavailableError) {
      logger.warn({ err: err.message }, "Redis went away while seeding; the relay keeps trying");
      return false;
    }
    throw err;
  }
}
