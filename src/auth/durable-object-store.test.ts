import { describe, expect, it } from "vitest";
import {
  createDurableObjectStore,
  readCachedDocument,
  tokenCacheKey,
  type DocumentSealer,
} from "./durable-object-store.ts";
import type { AuthDocument } from "./types.ts";

const doc = (rt: string): AuthDocument => ({
  tokens: { id_token: "i", access_token: `a-${rt}`, refresh_token: rt },
});

/** Reversible and recognisable, like a real seal; `fails` makes opening throw (a wrong key). */
function testSealer(fails = false): DocumentSealer {
  return {
    seal: async (d) => `sealed:${btoa(JSON.stringify(d))}`,
    open: async (text) => {
      if (fails) throw new Error("TOKEN_ENCRYPTION_KEY: wrong key");
      return JSON.parse(atob(text.slice("sealed:".length))) as AuthDocument;
    },
  };
}

function fakeBackends() {
  const storage = new Map<string, unknown>();
  const kv = new Map<string, string>();
  return {
    storage,
    kv,
    objectStorage: {
      get: async <T>(k: string) => storage.get(k) as T | undefined,
      put: async <T>(k: string, v: T) => void storage.set(k, v),
    },
    kvCache: {
      get: async (k: string) => kv.get(k) ?? null,
      put: async (k: string, v: string) => void kv.set(k, v),
    },
  };
}

describe("Durable Object store", () => {
  it("compares and sets on the refresh token and writes the sealed document through to KV", async () => {
    const b = fakeBackends();
    const store = createDurableObjectStore({
      storage: b.objectStorage,
      kv: b.kvCache,
      accountKey: "acct",
      sealer: testSealer(),
    });
    expect(await store.load()).toBeNull();
    expect(await store.save(doc("r1"), "other")).toBe(false);
    expect(await store.save(doc("r1"), null)).toBe(true);
    expect(await store.save(doc("r2"), null)).toBe(false);
    expect(await store.save(doc("r2"), "r1")).toBe(true);
    expect((await store.load())?.tokens.refresh_token).toBe("r2");
    const cached = b.kv.get(tokenCacheKey("acct"));
    expect(cached).toMatch(/^sealed:/);
    expect(cached).toBe(b.storage.get("auth"));
    expect((await readCachedDocument(b.kvCache, "acct", testSealer()))?.tokens.refresh_token).toBe("r2");
  });

  it("never overwrites what it cannot open (a wrong key)", async () => {
    const b = fakeBackends();
    const good = createDurableObjectStore({
      storage: b.objectStorage,
      kv: b.kvCache,
      accountKey: "a",
      sealer: testSealer(),
    });
    await good.save(doc("r1"), null);
    const before = b.storage.get("auth");
    const wrong = createDurableObjectStore({
      storage: b.objectStorage,
      kv: b.kvCache,
      accountKey: "a",
      sealer: testSealer(true),
    });
    await expect(wrong.load()).rejects.toThrow(/TOKEN_ENCRYPTION_KEY/);
    await expect(wrong.save(doc("r9"), null)).rejects.toThrow(/TOKEN_ENCRYPTION_KEY/);
    await expect(wrong.save(doc("r9"), "r1")).rejects.toThrow(/TOKEN_ENCRYPTION_KEY/);
    expect(b.storage.get("auth")).toBe(before);
  });

  it("keeps the storage write when KV fails (KV is only the cache)", async () => {
    const b = fakeBackends();
    const warnings: string[] = [];
    const store = createDurableObjectStore({
      storage: b.objectStorage,
      kv: { get: b.kvCache.get, put: async () => Promise.reject(new Error("KV put failed: 429")) },
      accountKey: "a",
      sealer: testSealer(),
      logger: { debug() {}, info() {}, error() {}, warn: (_o, m) => void warnings.push(m ?? "") },
    });
    expect(await store.save(doc("r1"), null)).toBe(true);
    expect((await store.load())?.tokens.refresh_token).toBe("r1");
    expect(warnings).toEqual(["could not update the KV token cache"]);
  });

  it("runs locked sections one after another, each seeing what the one before saved", async () => {
    const b = fakeBackends();
    const store = createDurableObjectStore({
      storage: b.objectStorage,
      kv: b.kvCache,
      accountKey: "a",
      sealer: testSealer(),
    });
    await store.save(doc("r0"), null);
    const seen: string[] = [];
    const section = (name: string, fail = false) =>
      store.withRefreshLock(async (current) => {
        seen.push(current!.tokens.refresh_token);
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error("boom");
        await store.save(doc(name), current!.tokens.refresh_token);
      });
    const results = await Promise.allSettled([section("r1"), section("x", true), section("r2")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(seen).toEqual(["r0", "r1", "r1"]);
    expect((await store.load())?.tokens.refresh_token).toBe("r2");
  });
});
