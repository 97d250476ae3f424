// The sign-in survives the store and the clock (issue 15, items 2, 6, 8, 9): a rotated pair the store cannot take
// is kept in memory, served and saved later (never "sign in again"); a valid token keeps serving while the store
// cannot be read or locked, and the trouble shows on the status (/health); taking the lock has a deadline and a
// dead holder is noticed at once; a clock ahead of the issuer or short-lived tokens do not cause a refresh per
// request.

import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileStore } from "../../src/auth/file-store.ts";
import { createMemoryStore } from "../../src/auth/memory-store.ts";
import { SAVE_RETRY_MS, createTokenManager } from "../../src/auth/token-manager.ts";
import type { TokenManagerOptions } from "../../src/auth/token-manager.ts";
import type { AuthDocument, TokenStore } from "../../src/auth/types.ts";
import { RelayError } from "../../src/core/errors.ts";
import { captureLogger, within } from "../hardening/helpers/http.ts";
import { faultyStore } from "../fakes/faulty-store.ts";
import { startFakeIssuer, type FakeIssuer } from "./helpers/fake-issuer.ts";

let issuer: FakeIssuer;
let dir: string;
beforeEach(async () => {
  issuer = await startFakeIssuer();
  dir = await mkdtemp(join(tmpdir(), "codex-relay-store-faults-"));
});
afterEach(async () => {
  await issuer.close();
  await rm(dir, { recursive: true, force: true });
});

/** A clock the test moves. */
function clock(offsetMs = 0) {
  let offset = offsetMs;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

const manager = (store: TokenStore, over: Partial<TokenManagerOptions> = {}) =>
  createTokenManager({
    config: {
      chatgptAccessToken: null,
      chatgptAccountId: null,
      codexAuthJson: null,
      clientId: "app_test",
      oauthTokenUrl: issuer.tokenUrl,
    },
    store,
    ...over,
  });

async function rejection(p: Promise<unknown>): Promise<RelayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
}

describe("a failed save after the issuer rotated (item 2)", () => {
  it("keeps the rotated pair in memory, serves with it, saves it once the store works again", async () => {
    const doc = issuer.login({ expiresInSec: 60 }); // inside the refresh window
    const store = faultyStore(createMemoryStore(doc));
    const t = clock();
    const tm = manager(store, { now: t.now });
    store.failSaves = true; // disk full
    const first = await tm.getCredentials();
    expect(issuer.refreshCalls).toBe(1);
    expect(first.accessToken).toBe(issuer.accessIssued.at(-1));
    const status = tm.status();
    expect(status.storeError).toMatchObject({ code: "token_store_error", unsavedTokens: true });
    expect(status.storeError!.message).toMatch(/ENOSPC/);
    // Later requests keep the rotated pair: no second refresh (the old refresh token is spent), no "sign in again".
    for (let i = 0; i < 5; i++) expect((await tm.getCredentials()).accessToken).toBe(first.accessToken);
    expect(issuer.refreshCalls).toBe(1);
    // The disk is freed: the next request after the retry interval saves the pair.
    store.failSaves = false;
    t.advance(SAVE_RETRY_MS + 1);
    expect((await tm.getCredentials()).accessToken).toBe(first.accessToken);
    const saved = await store.load();
    expect(saved?.tokens.refresh_token).toBe(issuer.issued.at(-1));
    expect(tm.status().storeError).toBeNull();
  });

  it("a damaged auth.json at refresh time: served from memory, written once the file is sound, no temp file left", async () => {
    const path = join(dir, "auth.json");
    const doc = issuer.login({ expiresInSec: 60 });
    await writeFile(path, JSON.stringify(doc), { mode: 0o600 });
    // A temp file left by a writer that died (its pid is not alive) is cleaned up too.
    await writeFile(join(dir, ".auth.json.999999.deadbeef0000.tmp"), "");
    const store = createFileStore(path);
    const t = clock();
    const tm = manager(store, { now: t.now });
    await tm.loadStatus(); // the store has read the good file once
    await writeFile(path, "{ damaged");
    const creds = await tm.getCredentials();
    expect(creds.accessToken).toBe(issuer.accessIssued.at(-1));
    expect(tm.status().storeError?.unsavedTokens).toBe(true);
    expect((await tm.getCredentials()).accessToken).toBe(creds.accessToken);
    expect(issuer.refreshCalls).toBe(1);
    // The user restores the file: the rotated pair is written into it.
    await writeFile(path, JSON.stringify(doc), { mode: 0o600 });
    t.advance(SAVE_RETRY_MS + 1);
    expect((await tm.getCredentials()).accessToken).toBe(creds.accessToken);
    const onDisk = JSON.parse(await readFile(path, "utf8")) as AuthDocument;
    expect(onDisk.tokens.refresh_token).toBe(issuer.issued.at(-1));
    expect(tm.status().storeError).toBeNull();
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("store errors while the token is valid (item 9)", () => {
  it("keeps serving when the store cannot be read, and shows the problem", async () => {
    const doc = issuer.login({ expiresInSec: 3600 });
    const store = faultyStore(createMemoryStore(doc));
    const tm = manager(store);
    expect((await tm.getCredentials()).accessToken).toBe(doc.tokens.access_token);
    store.failLoads = true; // permission lost
    for (let i = 0; i < 20; i++)
      expect((await tm.getCredentials()).accessToken).toBe(doc.tokens.access_token);
    expect(tm.status().storeError?.message).toMatch(/EACCES/);
    store.failLoads = false;
    await tm.getCredentials();
    expect(tm.status().storeError).toBeNull();
  });

  it("keeps serving a still-valid token when the refresh lock cannot be taken (read-only CODEX_HOME)", async () => {
    const doc = issuer.login({ expiresInSec: 120 }); // due for a refresh, still valid
    const store = faultyStore(createMemoryStore(doc));
    store.failLocks = true;
    const tm = manager(store);
    for (let i = 0; i < 5; i++) expect((await tm.getCredentials()).accessToken).toBe(doc.tokens.access_token);
    expect(tm.status().storeError).toMatchObject({ code: "token_store_locked" });
    expect(tm.status().storeError!.message).toMatch(/EROFS/);
    expect(issuer.refreshCalls).toBe(0);
  });

  it("clears the lock problem once the store holds a token another instance refreshed", async () => {
    const doc = issuer.login({ expiresInSec: 120 }); // due for a refresh, still valid
    const inner = createMemoryStore(doc);
    const store = faultyStore(inner);
    store.failLocks = true; // the shared store is down for the lock
    const tm = manager(store);
    await tm.getCredentials();
    expect(tm.status().storeError).toMatchObject({ code: "token_store_locked" });
    // The store is back and another instance refreshed into it: this one needs no lock any more.
    store.failLocks = false;
    const fresh = issuer.login({ expiresInSec: 3600 });
    expect(await inner.save(fresh, doc.tokens.refresh_token)).toBe(true);
    expect((await tm.getCredentials()).accessToken).toBe(fresh.tokens.access_token);
    expect(tm.status().storeError).toBeNull();
    expect(issuer.refreshCalls).toBe(0);
  });

  it("answers a clear 503 once the token has expired and the store still fails", async () => {
    const doc = issuer.login({ expiresInSec: -10 });
    const store = faultyStore(createMemoryStore(doc));
    store.failLocks = true;
    const err = await rejection(manager(store).getCredentials());
    expect(err.status).toBe(503);
    expect(err.code).toBe("token_store_locked");
    expect(err.headers["retry-after"]).toBeDefined();
  });
});

describe("the refresh lock (item 6)", () => {
  async function lockFile(content: object, mtime?: Date): Promise<string> {
    const lock = join(dir, "auth.json.lock");
    await writeFile(lock, JSON.stringify(content), { mode: 0o600 });
    if (mtime) await utimes(lock, mtime, mtime);
    return lock;
  }

  it("a lock with a future mtime: a 503 naming the lock within the deadline, shown on the status", async () => {
    const path = join(dir, "auth.json");
    await writeFile(path, JSON.stringify(issuer.login({ expiresInSec: -10 })), { mode: 0o600 });
    const future = new Date(Date.now() + 3600_000);
    const lock = await lockFile(
      { pid: process.pid, at: future.getTime(), nonce: "x", host: hostname() },
      future,
    );
    const tm = manager(createFileStore(path, { lockTimeoutMs: 300 }));
    const err = await within(5_000, "the lock wait", rejection(tm.getCredentials()));
    expect(err.status).toBe(503);
    expect(err.code).toBe("token_store_locked");
    expect(err.message).toContain(lock);
    expect(tm.status().storeError).toMatchObject({ code: "token_store_locked" });
  });

  it("a lock left by a dead process is broken at once, not after the stale age", async () => {
    const path = join(dir, "auth.json");
    await writeFile(path, JSON.stringify(issuer.login({ expiresInSec: -10 })), { mode: 0o600 });
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    await lockFile({ pid: dead, at: Date.now(), nonce: "dead", host: hostname() });
    const tm = manager(createFileStore(path, { lockStaleMs: 30_000 }));
    const creds = await within(3_000, "the refresh behind a dead holder's lock", tm.getCredentials());
    expect(creds.accessToken).toBe(issuer.accessIssued.at(-1));
  });
});

describe("no refresh storm (item 8)", () => {
  it("a clock two hours ahead: 20 requests make one refresh, and the skew is logged", async () => {
    const doc = issuer.login({ expiresInSec: 3600 }); // expired by the fast clock
    const log = captureLogger();
    const tm = manager(createMemoryStore(doc), { now: clock(2 * 3600_000).now, logger: log });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await tm.getCredentials()).accessToken);
    expect(issuer.refreshCalls).toBe(1);
    expect(seen.size).toBe(1);
    expect(
      log.records.some((r) => r.level === "warn" && /system clock is \d+ s ahead/.test(r.msg ?? "")),
    ).toBe(true);
  });

  it("20 concurrent requests with a clock ahead: one refresh", async () => {
    const tm = manager(createMemoryStore(issuer.login({ expiresInSec: 3600 })), {
      now: clock(2 * 3600_000).now,
    });
    await Promise.all(Array.from({ length: 20 }, () => tm.getCredentials()));
    await Promise.all(Array.from({ length: 20 }, () => tm.getCredentials()));
    expect(issuer.refreshCalls).toBe(1);
  });

  it("an issuer handing out tokens that look expiring at once: one refresh, not one per request", async () => {
    issuer.accessTtlSec = 60; // inside the 5-minute refresh window as soon as they are minted
    const tm = manager(createMemoryStore(issuer.login({ expiresInSec: 60 })));
    for (let i = 0; i < 20; i++) await tm.getCredentials();
    expect(issuer.refreshCalls).toBe(1);
  });
});
