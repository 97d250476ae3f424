// Node only. What the relay instances sharing one Redis share about their account pool, besides each account's
// tokens (redis-store.ts, `codex-relay:tokens:<key>`):
//   codex-relay:accounts                 set of account keys: every instance serves every account in it
//   codex-relay:installation-ids         hash account key → x-codex-installation-id (made once, kept)
//   codex-relay:pool:parked:<key>        a parking (JSON), expiring shortly after its reset
//   codex-relay:pool:conversation:<h>    the account of a conversation (h = SHA-256 of its session id), expiring
//                                        CONVERSATION_TTL_MS after its last claim
//   channel codex-relay:pool             parkings, their ends and new accounts, as they happen
// The hot path pays nothing for parkings: they arrive by pub/sub and are applied in memory (and read once at start
// and after a reconnect, for what was missed). A conversation costs one round trip on its first request in an
// instance (a claim: the recorded account, or ours recorded); its later requests are answered from memory.

import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../core/logger.ts";
import { silentLogger } from "../core/logger.ts";
import { parseSharedParking, type PoolSharing, type SharedParking } from "./account-pool.ts";
import { parseInstallationId } from "./installation-id.ts";
import { REDIS_KEY_PREFIX } from "./redis-store.ts";
import type { RedisConnection } from "./redis-connection.ts";

export const ACCOUNTS_KEY = "codex-relay:accounts";
export const INSTALLATION_IDS_KEY = "codex-relay:installation-ids";
export const PARKED_PREFIX = "codex-relay:pool:parked:";
export const CONVERSATION_PREFIX = "codex-relay:pool:conversation:";
export const POOL_CHANNEL = "codex-relay:pool";
/** How long a conversation keeps its account after its last claim (the backend's prompt cache is shorter). */
export const CONVERSATION_TTL_MS = 24 * 3600_000;
/** A parking until a new sign-in is kept this long at most (a new sign-in usually ends it sooner). */
const SIGN_IN_PARKING_TTL_MS = 7 * 24 * 3600_000;

// KEYS[1] conversation. ARGV: proposed, replacing ("" none), ttl ms. → the conversation's account.
const CLAIM_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return cur
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return ARGV[1]
`;

// KEYS[1] hash. ARGV: field, new id. → the id kept.
const INSTALLATION_ID_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then return cur end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
`;

export type PoolEvent =
  | { kind: "parked"; key: string; parking: SharedParking }
  | { kind: "unparked"; key: string }
  | { kind: "account"; key: string };

export interface RedisPoolState extends PoolSharing {
  /** Every account key recorded in Redis. */
  accountKeys(): Promise<string[]>;
  /** Records an account (and tells the other instances). */
  addAccount(key: string): Promise<void>;
  /**
   * Forgets an account (`codex-relay logout`): its entry in the set, its tokens and its parking. The instances then
   * find no sign-in for it at their next look at the store and serve the other accounts. True when it was there.
   */
  removeAccount(key: string): Promise<boolean>;
  /** The account's installation id, the same for every instance; made on first use. */
  installationId(key: string): Promise<string>;
  /** The parkings in force for these accounts. */
  parkings(keys: readonly string[]): Promise<Map<string, SharedParking>>;
  /**
   * Receives the other instances' events (a second connection, in subscriber mode); `onResync` runs each time
   * that connection is ready (events may have been missed before).
   */
  listen(onEvent: (event: PoolEvent) => void, onResync: () => void): Promise<void>;
  close(): Promise<void>;
}

export interface RedisPoolStateOptions {
  connection: RedisConnection;
  logger?: Logger;
  now?: () => number;
}

export function createRedisPoolState(options: RedisPoolStateOptions): RedisPoolState {
  const { connection } = options;
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const run = <T>(what: string, command: (client: Redis) => Promise<T>) => connection.run(what, command);
  let subscriber: Redis | null = null;

  const publish = (event: PoolEvent) => run("publish", (c) => c.publish(POOL_CHANNEL, JSON.stringify(event)));

  function announceParking(key: string, parking: SharedParking | null): void {
    const parkedKey = `${PARKED_PREFIX}${key}`;
    const write =
      parking === null
        ? run("unpark", (c) => c.del(parkedKey)).then(() => publish({ kind: "unparked", key }))
        : run("park", (c) =>
            c.set(
              parkedKey,
              JSON.stringify(parking),
              "PX",
              parking.until === null
                ? SIGN_IN_PARKING_TTL_MS
                : Math.max(1_000, parking.until - now() + 60_000),
            ),
          ).then(() => publish({ kind: "parked", key, parking }));
    write.catch((err: unknown) =>
      log.warn(
        { account: key, err: err instanceof Error ? err.message : String(err) },
        "could not share the account's parking with the other instances",
      ),
    );
  }

  async function claimConversation(
    sessionId: string,
    proposed: string,
    replacing: string | null,
  ): Promise<string> {
    const key = `${CONVERSATION_PREFIX}${createHash("sha256").update(sessionId).digest("base64url")}`;
    const holder = await run("claim conversation", (c) =>
      c.eval(CLAIM_SCRIPT, 1, key, proposed, replacing ?? "", CONVERSATION_TTL_MS),
    );
    return typeof holder === "string" ? holder : proposed;
  }

  async function accountKeys(): Promise<string[]> {
    return (await run("list accounts", (c) => c.smembers(ACCOUNTS_KEY))).sort();
  }

  async function addAccount(key: string): Promise<void> {
    const added = await run("add account", (c) => c.sadd(ACCOUNTS_KEY, key));
    if (added === 1) await publish({ kind: "account", key });
  }

  async function removeAccount(key: string): Promise<boolean> {
    const removed = await run("remove account", (c) =>
      c.multi().srem(ACCOUNTS_KEY, key).del(`${REDIS_KEY_PREFIX}${key}`).del(`${PARKED_PREFIX}${key}`).exec(),
    );
    return (removed ?? []).some(([err, n], i) => err === null && i < 2 && Number(n) > 0);
  }

  async function installationId(key: string): Promise<string> {
    const id = await run("installation id", (c) =>
      c.eval(INSTALLATION_ID_SCRIPT, 1, INSTALLATION_IDS_KEY, key, crypto.randomUUID()),
    );
    return parseInstallationId(typeof id === "string" ? id : null) ?? crypto.randomUUID();
  }

  async function parkings(keys: readonly string[]): Promise<Map<string, SharedParking>> {
    const found = new Map<string, SharedParking>();
    if (keys.length === 0) return found;
    const values = await run("read parkings", (c) => c.mget(...keys.map((k) => `${PARKED_PREFIX}${k}`)));
    values.forEach((v, i) => {
      const parking = v === null ? null : parseSharedParking(v);
      if (parking) found.set(keys[i]!, parking);
    });
    return found;
  }

  async function listen(onEvent: (event: PoolEvent) => void, onResync: () => void): Promise<void> {
    // Queued while disconnected, unlike the main connection: the subscription is made whenever Redis answers,
    // and ioredis makes it again after each reconnection.
    const sub = connection.client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
    subscriber = sub;
    sub.on("error", () => undefined); // the main connection reports Redis's state
    // Each (re)connection: what was missed meanwhile is read again.
    sub.on("ready", onResync);
    sub.on("message", (_channel: string, text: string) => {
      const event = parseEvent(text);
      if (event) onEvent(event);
    });
    const subscribed = sub.subscribe(POOL_CHANNEL);
    // Redis down at start: not waited for long (the relay serves meanwhile); a resync follows the connection.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise((resolve) => (timer = setTimeout(resolve, 2_000)));
    await Promise.race([subscribed, waited]).catch((err: unknown) => {
      log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not subscribe to the pool's events",
      );
    });
    clearTimeout(timer);
    subscribed.catch(() => undefined);
  }

  return {
    announceParking,
    claimConversation,
    accountKeys,
    addAccount,
    removeAccount,
    installationId,
    parkings,
    listen,
    async close() {
      if (!subscriber) return;
      try {
        await subscriber.quit();
      } catch {
        subscriber.disconnect();
      }
    },
  };
}

function parseEvent(text: string): PoolEvent | null {
  try {
    const e = JSON.parse(text) as { kind?: unknown; key?: unknown; parking?: unknown };
    if (typeof e.key !== "string") return null;
    if (e.kind === "unparked" || e.kind === "account") return { kind: e.kind, key: e.key };
    if (e.kind === "parked") {
      const parking = parseSharedParking(JSON.stringify(e.parking));
      return parking ? { kind: "parked", key: e.key, parking } : null;
    }
    return null;
  } catch {
    return null;
  }
}
