// Node only. The token store for several relay instances sharing one sign-in (TOKEN_STORE=redis, REDIS_URL).
// One hash per account, `codex-relay:tokens:<accountKey>`:
//   doc  the AuthDocument, sealed with TOKEN_ENCRYPTION_KEY when one is set (token-encryption.ts), else JSON
//   rt   SHA-256 of its refresh token ("" when none): what compare-and-set compares, so the Lua script can check
//        it without the key and without the token itself being stored in the clear
//   v    a random version, new on every write: a load sends the version it holds and gets the document back
//        only when it changed (one small round trip per request, one decryption per change)
//   kid  the id of the key that sealed `doc` ("plain" when unsealed): a relay with another key, or none, refuses
//        to overwrite a sealed value instead of destroying it
//   at   when it was written (ISO)
// The refresh lock is `…:lock`, taken with SET NX PX and a fencing value unique to the holder, renewed while the
// refresh runs and released by a compare-and-delete script, so a holder whose lock expired never removes the
// lock of the next one. Waiters poll for it and re-read the document once they hold it (the token manager then
// sees that another instance refreshed and adopts its tokens).

import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../core/logger.ts";
import { silentLogger } from "../core/logger.ts";
import type { RedisConnection } from "./redis-connection.ts";
import { TokenStoreUnavailableError } from "./store-errors.ts";
import {
  TokenEncryptionError,
  openDocument,
  sealDocument,
  type TokenEncryptionKey,
} from "./token-encryption.ts";
import type { AuthDocument, TokenStore, TokenStoreFactory } from "./types.ts";

export const REDIS_KEY_PREFIX = "codex-relay:tokens:";

export interface RedisStoreOptions {
  connection: RedisConnection;
  encryptionKey: TokenEncryptionKey | null;
  logger?: Logger;
  /** The lock expires after this unless renewed (a crashed holder's lock frees itself). Default 30 s. */
  lockTtlMs?: number;
  /** How long a waiter waits for another instance's refresh before giving up with a 503. Default 30 s. */
  lockWaitMs?: number;
  /** How often a waiter tries the lock again. Default 25 ms (plus jitter). */
  lockPollMs?: number;
}

export interface RedisStore extends TokenStore {
  readonly kind: "redis";
  /** The Redis key of the document. */
  readonly key: string;
}

// KEYS[1] doc hash. ARGV[1] the version the caller holds ("" none). → false (no document), {v} (unchanged) or
// {v, doc}.
const LOAD_SCRIPT = `
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return false end
if v == ARGV[1] then return {v} end
return {v, redis.call('HGET', KEYS[1], 'doc')}
`;

// KEYS[1] doc hash. ARGV: expected rt hash ("" = empty store or no refresh token), doc, rt hash, version, kid,
// at. → 1 written, 0 compare failed, -1 sealed with another key (nothing written).
const SAVE_SCRIPT = `
local cur = redis.call('HMGET', KEYS[1], 'rt', 'kid', 'v')
local rt = cur[1] or ''
if cur[3] == false then rt = '' end
if rt ~= ARGV[1] then return 0 end
local kid = cur[2]
if kid and kid ~= 'plain' and kid ~= ARGV[5] then return -1 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'rt', ARGV[3], 'v', ARGV[4], 'kid', ARGV[5], 'at', ARGV[6])
return 1
`;

// KEYS[1] lock. ARGV[1] fence, ARGV[2] ttl ms. → 1 renewed, 0 not ours.
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

// KEYS[1] lock. ARGV[1] fence. → 1 released, 0 not ours (expired and taken by another holder).
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type LoadReply = null | [string] | [string, string];

interface Cached {
  version: string;
  doc: AuthDocument | null;
}

/** A pending write: a refreshed document Redis could not take (it went down mid-refresh), written on reconnect. */
interface Pending {
  doc: AuthDocument;
  expectedHash: string;
}

/** One store per account on a shared connection. */
export function createRedisStoreFactory(options: RedisStoreOptions): TokenStoreFactory {
  const stores = new Map<string, RedisStore>();
  return (accountKey) => {
    let store = stores.get(accountKey);
    if (!store) {
      store = createRedisStore(accountKey, options);
      stores.set(accountKey, store);
    }
    return store;
  };
}

export function createRedisStore(accountKey: string, options: RedisStoreOptions): RedisStore {
  const { connection, encryptionKey } = options;
  const log = options.logger ?? silentLogger;
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  const lockWaitMs = options.lockWaitMs ?? 30_000;
  const pollMs = options.lockPollMs ?? 25;
  const key = `${REDIS_KEY_PREFIX}${accountKey}`;
  const lockKey = `${key}:lock`;
  const kid = encryptionKey?.id ?? "plain";
  const location = `${connection.location} ${key}`;
  let cache: Cached | null = null;
  let pending: Pending | null = null;
  let inflight: Promise<AuthDocument | null> | null = null;

  const run = <T>(what: string, command: (client: Redis) => Promise<T>) => connection.run(what, command);
  connection.onReconnect(() => {
    if (pending) void flushPending().catch(() => undefined);
  });

  // Hot path: concurrent loads share one round trip.
  function load(): Promise<AuthDocument | null> {
    inflight ??= loadNow().finally(() => (inflight = null));
    return inflight;
  }

  async function loadNow(): Promise<AuthDocument | null> {
    if (pending) await flushPending();
    const held = cache?.version ?? "";
    const reply = (await run("read", (c) => c.eval(LOAD_SCRIPT, 1, key, held))) as LoadReply;
    if (reply === null) {
      cache = { version: "", doc: null };
      return null;
    }
    if (reply.length === 1 && cache) return cache.doc;
    const text = reply[1] ?? "";
    // A wrong or missing key throws TokenEncryptionError here; the stored value is left as it is.
    const doc = await openDocument(encryptionKey, text, key, `the document in Redis key ${key}`);
    cache = { version: reply[0], doc };
    return doc;
  }

  async function save(next: AuthDocument, expectedRefreshToken: string | null): Promise<boolean> {
    const expectedHash = hashOf(expectedRefreshToken);
    try {
      return await write(next, expectedHash);
    } catch (err) {
      if (!(err instanceof TokenStoreUnavailableError) || expectedRefreshToken === null) throw err;
      // A refreshed document that cannot be written is the only copy of the rotated refresh token: keep it and
      // write it as soon as Redis is back (loads write it first), instead of losing the sign-in.
      pending = { doc: next, expectedHash };
      log.error(
        { redis: connection.location, key },
        "Redis went away before the refreshed tokens were saved; they are kept in memory and written on reconnect",
      );
      throw err;
    }
  }

  async function write(next: AuthDocument, expectedHash: string): Promise<boolean> {
    const text = await sealDocument(encryptionKey, next, key);
    const version = randomBytes(9).toString("base64url");
    const result = await run("compare-and-set", (c) =>
      c.eval(
        SAVE_SCRIPT,
        1,
        key,
        expectedHash,
        text,
        hashOf(next.tokens.refresh_token || null),
        version,
        kid,
        new Date().toISOString(),
      ),
    );
    if (result === -1) {
      throw new TokenEncryptionError(
        `Redis key ${key} holds tokens sealed with another key than this TOKEN_ENCRYPTION_KEY${encryptionKey ? ` (key id ${encryptionKey.id})` : " (none is set)"}; nothing was written`,
        encryptionKey ? "wrong_key" : "missing_key",
      );
    }
    if (result !== 1) return false;
    cache = { version, doc: next };
    return true;
  }

  async function flushPending(): Promise<void> {
    const p = pending;
    if (!p) return;
    const written = await write(p.doc, p.expectedHash);
    if (pending === p) pending = null;
    if (written) log.info({ key }, "refreshed tokens kept during the Redis outage are saved");
    else log.warn({ key }, "tokens kept during the Redis outage were not written: Redis holds newer ones");
  }

  async function withRefreshLock<T>(fn: (current: AuthDocument | null) => Promise<T>): Promise<T> {
    const fence = `${process.pid}.${randomBytes(12).toString("base64url")}`;
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      const got = await run("lock", (c) => c.set(lockKey, fence, "PX", lockTtlMs, "NX"));
      if (got === "OK") break;
      if (Date.now() >= deadline) {
        throw new TokenStoreUnavailableError(
          `Another relay instance has held the token refresh lock in Redis (${lockKey}) for over ${Math.round(lockWaitMs / 1000)} s; try again shortly.`,
        );
      }
      await sleep(pollMs + Math.floor(Math.random() * pollMs));
    }
    // Renew while the refresh runs (a slow token endpoint must not let a second instance in).
    const renew = setInterval(
      () => {
        void run("renew lock", (c) => c.eval(RENEW_SCRIPT, 1, lockKey, fence, lockTtlMs)).then(
          (ok) => {
            if (ok !== 1) log.warn({ key }, "the token refresh lock expired while held");
          },
          () => undefined,
        );
      },
      Math.max(100, Math.floor(lockTtlMs / 3)),
    );
    renew.unref?.();
    try {
      // A fresh read, not one shared with a load that began before the lock was ours.
      return await fn(await loadNow());
    } finally {
      clearInterval(renew);
      // Released only by its holder; should Redis be down, the lock expires by itself.
      await run("unlock", (c) => c.eval(RELEASE_SCRIPT, 1, lockKey, fence)).catch(() => undefined);
    }
  }

  return { kind: "redis", location, key, load, save, withRefreshLock };
}

/** What the `rt` field holds: SHA-256 of the refresh token, "" for none. */
function hashOf(refreshToken: string | null): string {
  return refreshToken ? createHash("sha256").update(refreshToken).digest("hex") : "";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
