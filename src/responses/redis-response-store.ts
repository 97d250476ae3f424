// Node only. The response cache in Redis, shared by every instance (TOKEN_STORE=redis), so turn 2 of a
// conversation can land on another instance than turn 1. Bounded three ways: each entry expires after its TTL,
// at most `maxEntries` are kept and about `maxBytes` in all (the oldest go first, by an insertion-time index
// kept beside them), and an entry larger than `maxEntryBytes` is not kept. Redis failures never fail a
// response: remembering is skipped (logged), a lookup answers 503 in the caller's dialect.
// An entry holds conversation content, so with TOKEN_ENCRYPTION_KEY set (the key the tokens in Redis are sealed
// with) it is sealed the same way, bound to its Redis key; entries stored in the clear before a key was set are
// still read. One that cannot be opened (another key, or none) is an unknown response, logged.

import type { Logger } from "../core/logger.ts";
import { silentLogger } from "../core/logger.ts";
import type { RedisConnection } from "../auth/redis-connection.ts";
import { RelayError } from "../core/errors.ts";
import { isSealed, openText, sealText, type TokenEncryptionKey } from "../auth/token-encryption.ts";
import { replayableItem, type PreviousResponse } from "./response-cache.ts";
import { resolveItemReferences, type ResponseStore } from "./response-store.ts";
import type { ResponsesInputItem } from "./types.ts";

export const RESPONSE_KEY_PREFIX = "codex-relay:responses:";

export interface RedisResponseStoreOptions {
  connection: RedisConnection;
  /** TOKEN_ENCRYPTION_KEY, as the Redis token store has it: entries are sealed with it; null: kept as JSON. */
  encryptionKey?: TokenEncryptionKey | null;
  logger?: Logger;
  /** Default 1 hour. */
  ttlMs?: number;
  /** Default 1000. */
  maxEntries?: number;
  /** Default 256 MB. */
  maxBytes?: number;
  /** Default 16 MB. */
  maxEntryBytes?: number;
}

interface StoredResponse {
  input: ResponsesInputItem[];
  output: ResponsesInputItem[];
  outputIds: (string | null)[];
  sessionId?: string;
}

// KEYS: none (one prefix, one Redis). ARGV: prefix, id, value, ttl ms, now ms, maxEntries, maxBytes, then the
// output item ids. Index: `idx` (zset id → time), `size` (hash id → bytes), `total` (bytes).
const REMEMBER_SCRIPT = `
local p, id, value, ttl, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local maxEntries, maxBytes = tonumber(ARGV[6]), tonumber(ARGV[7])
local idx, size, total = p .. 'idx', p .. 'size', p .. 'total'
local function drop(rid)
  local n = redis.call('HGET', size, rid)
  if n then redis.call('DECRBY', total, n) end
  redis.call('HDEL', size, rid)
  redis.call('ZREM', idx, rid)
  redis.call('DEL', p .. 'r:' .. rid)
end
drop(id)
-- entries past their TTL are gone already; forget their share of the total
for _, rid in ipairs(redis.call('ZRANGEBYSCORE', idx, '-inf', now - ttl)) do drop(rid) end
redis.call('SET', p .. 'r:' .. id, value, 'PX', ttl)
redis.call('ZADD', idx, now, id)
redis.call('HSET', size, id, #value)
redis.call('INCRBY', total, #value)
for i = 8, #ARGV do redis.call('SET', p .. 'i:' .. ARGV[i], id, 'PX', ttl) end
while redis.call('ZCARD', idx) > maxEntries or tonumber(redis.call('GET', total) or '0') > maxBytes do
  local oldest = redis.call('ZRANGE', idx, 0, 0)[1]
  if not oldest or oldest == id then break end
  drop(oldest)
end
return 1
`;

export function createRedisResponseStore(options: RedisResponseStoreOptions): ResponseStore {
  const { connection } = options;
  const encryptionKey = options.encryptionKey ?? null;
  const log = options.logger ?? silentLogger;
  const ttlMs = options.ttlMs ?? 60 * 60_000;
  const maxEntries = options.maxEntries ?? 1000;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const maxEntryBytes = options.maxEntryBytes ?? 16 * 1024 * 1024;
  const p = RESPONSE_KEY_PREFIX;

  async function get(what: string, key: string): Promise<string | null> {
    try {
      return await connection.run(what, (c) => c.get(key));
    } catch (err) {
      throw new RelayError(503, `Could not read the shared response cache: ${(err as Error).message}`, {
        code: "response_store_unavailable",
        headers: { "retry-after": "5" },
      });
    }
  }

  async function entry(id: string): Promise<StoredResponse | undefined> {
    const key = `${p}r:${id}`;
    const text = await get("read response", key);
    if (text === null) return undefined;
    let json = text;
    if (isSealed(text)) {
      try {
        json = await openText(encryptionKey, text, key);
      } catch {
        log.warn(
          { response: id, key: encryptionKey?.id ?? null },
          "a stored response is sealed with another TOKEN_ENCRYPTION_KEY (or none is set): treated as unknown",
        );
        return undefined;
      }
    }
    try {
      return JSON.parse(json) as StoredResponse;
    } catch {
      return undefined;
    }
  }

  async function findItem(itemId: string): Promise<ResponsesInputItem | undefined> {
    const responseId = await get("read item", `${p}i:${itemId}`);
    if (responseId === null) return undefined;
    const e = await entry(responseId);
    const i = e ? e.outputIds.indexOf(itemId) : -1;
    return i >= 0 ? e!.output[i] : undefined;
  }

  return {
    kind: "redis",
    async previous(id): Promise<PreviousResponse | undefined> {
      const e = await entry(id);
      if (!e) return undefined;
      return { items: e.output.length === 0 ? e.input : [...e.input, ...e.output], sessionId: e.sessionId };
    },
    resolveReferences: (items) => resolveItemReferences(items, findItem),
    async remember(id, input, output, sessionId) {
      const stored: StoredResponse = { input: [], output: [], outputIds: [] };
      for (const item of input) {
        const r = replayableItem(item);
        if (r !== null) stored.input.push(r);
      }
      for (const item of output) {
        const r = replayableItem(item);
        if (r === null) continue;
        stored.output.push(r);
        stored.outputIds.push(typeof item.id === "string" ? item.id : null);
      }
      if (sessionId !== undefined) stored.sessionId = sessionId;
      const json = JSON.stringify(stored);
      if (json.length > maxEntryBytes) return;
      const value = encryptionKey === null ? json : await sealText(encryptionKey, json, `${p}r:${id}`);
      const itemIds = stored.outputIds.filter((x): x is string => x !== null);
      try {
        await connection.run("remember response", (c) =>
          c.eval(REMEMBER_SCRIPT, 0, p, id, value, ttlMs, Date.now(), maxEntries, maxBytes, ...itemIds),
        );
      } catch (err) {
        log.warn({ err: (err as Error).message, response: id }, "could not remember the response in Redis");
      }
    },
  };
}
