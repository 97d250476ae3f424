// A TokenStore that lives in this process (TOKEN_STORE=memory, tests). The refresh lock is a promise chain, so
// refreshes run one after another; across processes there is nothing to share.

import type { AuthDocument, TokenStore } from "./types.ts";

export interface MemoryStore extends TokenStore {
  readonly kind: "memory";
}

export function createMemoryStore(initial: AuthDocument | null = null): MemoryStore {
  let doc = initial ? copy(initial) : null;
  let tail: Promise<unknown> = Promise.resolve();

  return {
    kind: "memory",
    location: "memory",
    async load() {
      return doc;
    },
    async save(next, expectedRefreshToken) {
      if ((doc?.tokens.refresh_token || null) !== expectedRefreshToken) return false;
      // A copy, so that a caller changing its object later cannot change the store.
      doc = copy(next);
      return true;
    },
    withRefreshLock(fn) {
      const run = tail.then(() => fn(doc));
      // The chain must go on after a failure; the caller still sees the rejection through `run`.
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

function copy(doc: AuthDocument): AuthDocument {
  return JSON.parse(JSON.stringify(doc)) as AuthDocument;
}
