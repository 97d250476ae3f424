// The Redis response cache (previous_response_id across instances) against a real redis-server: with
// TOKEN_ENCRYPTION_KEY set its entries are sealed like the tokens, so Redis never holds the conversation in the
// clear; entries stored before a key was set are still read, and one sealed with another key is an unknown
// response, not an error.

import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { connectRedis, type RedisConnection } from "../../src/auth/redis-connection.ts";
import { loadEncryptionKey, type TokenEncryptionKey } from "../../src/auth/token-encryption.ts";
import { createRedisResponseStore, RESPONSE_KEY_PREFIX } from "../../src/responses/redis-response-store.ts";
import type { ResponsesInputItem } from "../../src/responses/types.ts";
import { redisServerAvailable, startRedisServer, type RedisServer } from "../helpers/redis-server.ts";

const HAVE_REDIS = redisServerAvailable("Redis response store");
const SECRET = "my locker code is 4711";

const input: ResponsesInputItem[] = [
  { type: "message", role: "user", content: [{ type: "input_text", text: SECRET }] },
];
const output: ResponsesInputItem[] = [
  {
    type: "message",
    id: "msg_out_1",
    role: "assistant",
    content: [{ type: "output_text", text: `Noted: ${SECRET}` }],
  },
];

describe.skipIf(!HAVE_REDIS)("Redis response store", () => {
  let redis: RedisServer;
  let raw: Redis;
  const connections: RedisConnection[] = [];
  let key: TokenEncryptionKey;
  let otherKey: TokenEncryptionKey;
  let n = 0;
  const newId = () => `resp_${++n}_${randomBytes(4).toString("hex")}`;

  const connect = async () => {
    const c = connectRedis(redis.url, silentLogger);
    connections.push(c);
    await c.waitUntilReady(5000);
    return c;
  };
  /** One relay instance's store: its own connection, the key it was given. */
  const store = async (encryptionKey: TokenEncryptionKey | null, logged: string[] = []) =>
    createRedisResponseStore({
      connection: await connect(),
      encryptionKey,
      logger: { ...silentLogger, warn: (_: object, msg?: string) => void logged.push(String(msg)) },
    });

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    key = (await loadEncryptionKey(randomBytes(32).toString("base64")))!;
    otherKey = (await loadEncryptionKey(randomBytes(32).toString("base64")))!;
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    raw?.disconnect();
    await redis?.close();
  });

  it("with a key the stored entry is sealed; another instance with the key resumes it and its items", async () => {
    const id = newId();
    await (await store(key)).remember(id, input, output, "session-1");
    const stored = (await raw.get(`${RESPONSE_KEY_PREFIX}r:${id}`))!;
    expect(stored.startsWith("crs1.")).toBe(true);
    expect(stored).not.toContain("4711");
    expect(stored).not.toContain("locker");

    const other = await store(key);
    const previous = await other.previous(id);
    expect(previous?.sessionId).toBe("session-1");
    expect(JSON.stringify(previous?.items)).toContain(`Noted: ${SECRET}`);
    expect(previous?.items[0]).toEqual(input[0]);
    const resolved = await other.resolveReferences([{ type: "item_reference", id: "msg_out_1" }]);
    expect(JSON.stringify(resolved)).toContain(`Noted: ${SECRET}`);
  });

  it("without a key entries are JSON, as before; a relay given a key later still reads them", async () => {
    const id = newId();
    await (await store(null)).remember(id, input, output);
    const stored = (await raw.get(`${RESPONSE_KEY_PREFIX}r:${id}`))!;
    expect(JSON.parse(stored)).toMatchObject({ input });
    expect(JSON.stringify((await (await store(key)).previous(id))?.items)).toContain(SECRET);
  });

  it("an entry sealed with another key, or read without one, is an unknown response (logged), not an error", async () => {
    const id = newId();
    await (await store(key)).remember(id, input, output);
    const logged: string[] = [];
    expect(await (await store(otherKey, logged)).previous(id)).toBeUndefined();
    expect(await (await store(null, logged)).previous(id)).toBeUndefined();
    expect(logged).toHaveLength(2);
    expect(logged[0]).toContain("TOKEN_ENCRYPTION_KEY");
    // The value is bound to its Redis key: copied under another id it does not open.
    const copy = newId();
    await raw.set(`${RESPONSE_KEY_PREFIX}r:${copy}`, (await raw.get(`${RESPONSE_KEY_PREFIX}r:${id}`))!);
    expect(await (await store(key)).previous(copy)).toBeUndefined();
    expect(await (await store(key)).previous(id)).toBeDefined();
  });
});
