// A TokenStore that fails on demand, the way a real one does: EACCES on read (no permission), ENOSPC on write (disk
// full), EROFS when taking the refresh lock (read-only CODEX_HOME). Wraps a working store, so what it does when it
// works is exactly that store's behaviour.

import type { AuthDocument, TokenStore } from "../../src/auth/types.ts";

export interface FaultyStore extends TokenStore {
  failLoads: boolean;
  failSaves: boolean;
  failLocks: boolean;
  /** Saves that threw. */
  failedSaves: number;
}

function fsError(code: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

export function faultyStore(inner: TokenStore): FaultyStore {
  const store: FaultyStore = {
    kind: inner.kind,
    location: inner.location,
    failLoads: false,
    failSaves: false,
    failLocks: false,
    failedSaves: 0,
    load() {
      if (store.failLoads) return Promise.reject(fsError("EACCES", "open", inner.location));
      return inner.load();
    },
    save(next: AuthDocument, expected: string | null) {
      if (store.failSaves) {
        store.failedSaves++;
        return Promise.reject(fsError("ENOSPC", "write", inner.location));
      }
      return inner.save(next, expected);
    },
    withRefreshLock(fn) {
      if (store.failLocks) return Promise.reject(fsError("EROFS", "open", `${inner.location}.lock`));
      return inner.withRefreshLock((current) => fn(store.failLoads ? null : current));
    },
  };
  return store;
}
