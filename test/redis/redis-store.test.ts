// The Redis token store against a real redis-server: compare-and-set, the refresh lock, encryption at rest,
// seeding, and what happens while Redis is down.

import { createHash, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { connectRedis, type RedisConnection } from "../../src/auth/redis-connection.ts";
import { createRedisStore, REDIS_KEY_PREFIX } from "../../src/auth/redis-store.ts";
import { seedStore } from "../../src/auth/seed-store.ts";
import { TokenStoreUnavailableError } from "../../src/auth/store-errors.ts";
import { loadEncryptionKey, TokenEncryptionError } from "../../src/auth/token-encryption.ts";
import type { AuthDocument } from "../../src/auth/types.ts";
import { FakeIssuer } from "../fakes/fake-oauth.ts";
import { redisServerAvailable, startRedisServer, type RedisServer } from "../helpers/redis-server.ts";

const HAVE_REDIS = redisServerAvailable("Redis token store");
const issuer = new FakeIssuer();
const login = () => issuer.login() as unknown as AuthDocument;
const newKey = () => loadEncryptionKey(randomBytes(32).toString("base64"));

describe.skipIf(!HAVE_REDIS)("Redis token store", () => {
  let redis: RedisServer;
  let raw: Redis;
  const connections: RedisConnection[] = [];
  const connect = async () => {
    const c = connectRedis(redis.url, silentLogger);
    connections.push(c);
    await c.waitUntilReady(5000);
    return c;
  };
  let account = 0;
  let name = "";

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    raw?.disconnect();
    await redis?.close();
  });
  beforeEach(() => {
    name = `acct${++account}`;
  });

  it("loads nothing, then compare-and-sets: a stale expected refresh token writes nothing", async () => {
    const store = createRedisStore(name, { connection: await connect(), encryptionKey: null });
    expect(store.kind).toBe("redis");
    expect(store.location).toContain(`${REDIS_KEY_PREFIX}${name}`);
    expect(await store.load()).toBeNull();
    const first = login();
    const second = login();
    expect(await store.save(first, "not-the-stored-one")).toBe(false);
    expect(await store.save(first, null)).toBe(true);
    expect(await store.save(second, null)).toBe(false);
    expect(await store.save(second, "rt_wrong")).toBe(false);
    expect((await store.load())?.tokens.refresh_token).toBe(first.tokens.refresh_token);
    expect(await store.save(second, first.tokens.refresh_token)).toBe(true);
    // Another instance (its own connection) sees the write.
    const other = createRedisStore(name, { connection: await connect(), encryptionKey: null });
    expect(await other.load()).toEqual(second);
    // The refresh token itself is not what Redis compares: only its hash is kept beside the document.
    expect(await raw.hget(`${REDIS_KEY_PREFIX}${name}`, "rt")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the refresh lock lets one holder in at a time, across connections, and re-reads after taking it", async () => {
    const a = createRedisStore(name, { connection: await connect(), encryptionKey: null });
    const b = createRedisStore(name, { connection: await connect(), encryptionKey: null });
    const doc = login();
    await a.save(doc, null);
    const order: string[] = [];
    let releaseA!: () => void;
    const aHolds = new Promise<void>((r) => (releaseA = r));
    const runA = a.withRefreshLock(async () => {
      order.push("a in");
      await aHolds;
      const next = login();
      await a.save(next, doc.tokens.refresh_token);
      order.push("a out");
      return next;
    });
    await new Promise((r) => setTimeout(r, 100));
    const runB = b.withRefreshLock(async (current) => {
      order.push("b in");
      return current;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual(["a in"]);
    releaseA();
    const [written, seenByB] = await Promise.all([runA, runB]);
    expect(order).toEqual(["a in", "a out", "b in"]);
    expect(seenByB).toEqual(written);
    expect(await raw.exists(`${REDIS_KEY_PREFIX}${name}:lock`)).toBe(0);
  });

  it("renews the lock while the holder runs, and a holder whose lock expired never removes the next one's", async () => {
    const conn = await connect();
    const lockKey = `${REDIS_KEY_PREFIX}${name}:lock`;
    const slow = createRedisStore(name, { connection: conn, encryptionKey: null, lockTtlMs: 600 });
    // Renewed: after three TTLs the lock is still held.
    await slow.withRefreshLock(async () => {
      await new Promise((r) => setTimeout(r, 2000));
      expect(await raw.exists(lockKey)).toBe(1);
    });
    expect(await raw.exists(lockKey)).toBe(0);
    // Not ours any more (it expired and someone else took it): release leaves it alone.
    await slow.withRefreshLock(async () => {
      await raw.set(lockKey, "someone-else");
    });
    expect(await raw.get(lockKey)).toBe("someone-else");
    await raw.del(lockKey);
  });

  it("stores the document sealed with TOKEN_ENCRYPTION_KEY; a wrong key or none cannot read or overwrite it", async () => {
    const key = await newKey();
    const store = createRedisStore(name, { connection: await connect(), encryptionKey: key });
    const doc = login();
    expect(await store.save(doc, null)).toBe(true);
    const stored = await raw.hget(`${REDIS_KEY_PREFIX}${name}`, "doc");
    expect(stored?.startsWith("crs1.")).toBe(true);
    for (const t of [doc.tokens.access_token, doc.tokens.refresh_token, doc.tokens.id_token])
      expect(stored).not.toContain(t);
    expect(await store.load()).toEqual(doc);

    const wrong = createRedisStore(name, { connection: await connect(), encryptionKey: await newKey() });
    await expect(wrong.load()).rejects.toThrow(/TOKEN_ENCRYPTION_KEY/);
    await expect(wrong.load()).rejects.toBeInstanceOf(TokenEncryptionError);
    // Even knowing the refresh token (so the compare would pass), another key does not overwrite the value.
    await expect(wrong.save(login(), doc.tokens.refresh_token)).rejects.toBeInstanceOf(TokenEncryptionError);
    const none = createRedisStore(name, { connection: await connect(), encryptionKey: null });
    await expect(none.load()).rejects.toThrow(/TOKEN_ENCRYPTION_KEY is not set/);
    await expect(none.save(login(), doc.tokens.refresh_token)).rejects.toThrow(/TOKEN_ENCRYPTION_KEY/);
    expect(await raw.hget(`${REDIS_KEY_PREFIX}${name}`, "doc")).toBe(stored);
  });

  it("reads plain tokens stored before a key was set and seals them on the next write", async () => {
    const plain = createRedisStore(name, { connection: await connect(), encryptionKey: null });
    const doc = login();
    await plain.save(doc, null);
    expect(JSON.parse((await raw.hget(`${REDIS_KEY_PREFIX}${name}`, "doc"))!)).toEqual(doc);
    const sealed = createRedisStore(name, { connection: await connect(), encryptionKey: await newKey() });
    expect(await sealed.load()).toEqual(doc);
    const next = login();
    expect(await sealed.save(next, doc.tokens.refresh_token)).toBe(true);
    expect((await raw.hget(`${REDIS_KEY_PREFIX}${name}`, "doc"))?.startsWith("crs1.")).toBe(true);
    expect(await sealed.load()).toEqual(next);
  });

  it("seeds an empty store, keeps a refreshed one, and lets a newer sign-in replace it", async () => {
    const store = createRedisStore(name, { connection: await connect(), encryptionKey: await newKey() });
    const original = login();
    expect(await seedStore(store, original)).toBe("seeded");
    expect(await seedStore(store, original)).toBe("kept");
    await new Promise((r) => setTimeout(r, 1100)); // iat has a resolution of one second
    const refreshed = login();
    await store.save(refreshed, original.tokens.refresh_token);
    // An instance started later with the original (older) auth.json keeps the refreshed tokens.
    expect(await seedStore(store, original)).toBe("kept");
    expect((await store.load())?.tokens.refresh_token).toBe(refreshed.tokens.refresh_token);
    await new Promise((r) => setTimeout(r, 1100));
    const newSignIn = login();
    expect(await seedStore(store, newSignIn)).toBe("replaced");
    expect((await store.load())?.tokens.refresh_token).toBe(newSignIn.tokens.refresh_token);
  });

  it("accepts a password in REDIS_URL", async () => {
    const secured = await startRedisServer({ password: "s3cr3t/pw" });
    try {
      const c = connectRedis(secured.url, silentLogger);
      connections.push(c);
      expect(await c.waitUntilReady(5000)).toBe(true);
      expect(c.location).not.toContain("s3cr3t");
      const store = createRedisStore("pw", { connection: c, encryptionKey: null });
      expect(await store.save(login(), null)).toBe(true);
      const bad = connectRedis(secured.url.replace("s3cr3t", "wrong"), silentLogger);
      connections.push(bad);
      await expect(
        createRedisStore("pw", { connection: bad, encryptionKey: null }).load(),
      ).rejects.toBeInstanceOf(TokenStoreUnavailableError);
    } finally {
      await secured.close();
    }
  });

  it("while Redis is down: fails fast with TokenStoreUnavailableError, keeps a refreshed document and writes it on reconnect", async () => {
    const conn = await connect();
    const store = createRedisStore(name, { connection: conn, encryptionKey: await newKey() });
    const doc = login();
    await store.save(doc, null);
    await redis.stop();
    const started = Date.now();
    await expect(store.load()).rejects.toBeInstanceOf(TokenStoreUnavailableError);
    await expect(store.withRefreshLock(async () => 1)).rejects.toThrow(/unreachable/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(conn.state().reachable).toBe(false);
    // The issuer already rotated the refresh token: the new document must not be lost.
    const refreshed = login();
    await expect(store.save(refreshed, doc.tokens.refresh_token)).rejects.toBeInstanceOf(
      TokenStoreUnavailableError,
    );
    await redis.start();
    expect(await conn.waitUntilReady(10_000)).toBe(true);
    const other = createRedisStore(name, { connection: await connect(), encryptionKey: null });
    const refreshedHash = createHash("sha256").update(refreshed.tokens.refresh_token).digest("hex");
    // Written on reconnect by the store itself, before anyone loads.
    await expect
      .poll(() => raw.hget(`${REDIS_KEY_PREFIX}${name}`, "rt"), { timeout: 10_000 })
      .toBe(refreshedHash);
    expect(await store.load()).toEqual(refreshed);
    await expect(other.load()).rejects.toBeInstanceOf(TokenEncryptionError); // sealed, this one has no key
    expect(conn.state().reachable).toBe(true);
  });

  it("Redis that stops answering (slow, hung) fails a read within the command timeout, then recovers", async () => {
    const conn = await connect();
    const store = createRedisStore(name, { connection: conn, encryptionKey: null });
    await store.save(login(), null);
    redis.pause();
    try {
      const started = Date.now();
      await expect(store.load()).rejects.toBeInstanceOf(TokenStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      redis.resume();
    }
    await expect
      .poll(
        () =>
          store.load().then(
            (d) => d !== null,
            () => false,
          ),
        { timeout: 15_000 },
      )
      .toBe(true);
  });
});
