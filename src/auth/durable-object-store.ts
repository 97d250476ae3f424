// The token store of the Workers runtime. A Durable Object per account is the one writer of that account's
// document: it keeps it in its own storage (load, compare-and-set, the refresh lock), and every write goes through
// to KV, the read cache each isolate looks at before it asks the Durable Object. Both copies hold the same sealed
// string (TOKEN_ENCRYPTION_KEY), so neither Cloudflare's storage nor a KV dump shows a token.
//
// One instance of a Durable Object runs at a time, worldwide, and it runs one piece of code at a time: a promise
// chain is the whole lock, and a compare-and-set needs no transaction beyond that (the storage calls of one
// method are not interleaved with another's between two awaits that touch only storage).

import type { Logger } from "../core/logger.ts";
import type { AuthDocument, TokenStore } from "./types.ts";

/** Seals a document into the string a store keeps, and opens it again (throws on a wrong key). */
export interface DocumentSealer {
  seal(doc: AuthDocument): Promise<string>;
  open(text: string): Promise<AuthDocument | null>;
}

/** The part of a Durable Object's storage the store uses. */
export interface ObjectStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** The part of a KV namespace the store uses. */
export interface KvCache {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
}

export interface DurableObjectStoreOptions {
  storage: ObjectStorage;
  kv: KvCache;
  accountKey: string;
  sealer: DocumentSealer;
  logger?: Logger;
}

/** The KV key (and the sealing context) of an account's document. */
export function tokenCacheKey(accountKey: string): string {
  return `tokens:${accountKey}`;
}

const STORAGE_KEY = "auth";

export function createDurableObjectStore(options: DurableObjectStoreOptions): TokenStore {
  const { storage, kv, sealer } = options;
  const cacheKey = tokenCacheKey(options.accountKey);
  let tail: Promise<unknown> = Promise.resolve();

  async function load(): Promise<AuthDocument | null> {
    const text = await storage.get<string>(STORAGE_KEY);
    // Opening throws on a wrong or missing key: nothing below then writes over the stored value.
    return typeof text === "string" ? sealer.open(text) : null;
  }

  async function save(next: AuthDocument, expectedRefreshToken: string | null): Promise<boolean> {
    const current = await load();
    if ((current?.tokens.refresh_token || null) !== expectedRefreshToken) return false;
    const sealed = await sealer.seal(next);
    await storage.put(STORAGE_KEY, sealed);
    try {
      await kv.put(cacheKey, sealed);
    } catch (err) {
      // The Durable Object holds the truth; a stale cache only sends isolates to it until the next write.
      options.logger?.warn(
        { err: err instanceof Error ? err.message : String(err), key: cacheKey },
        "could not update the KV token cache",
      );
    }
    return true;
  }

  return {
    kind: "durable-object",
    location: `Durable Object "${options.accountKey}" (KV cache ${cacheKey})`,
    load,
    save,
    withRefreshLock(fn) {
      const run = tail.then(async () => fn(await load()));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

/** What an isolate reads first: the document the Durable Object last wrote to KV, or null. */
export async function readCachedDocument(
  kv: KvCache,
  accountKey: string,
  sealer: DocumentSealer,
): Promise<AuthDocument | null> {
  const text = await kv.get(tokenCacheKey(accountKey));
  return text === null ? null : sealer.open(text);
}
