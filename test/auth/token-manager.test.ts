// The token manager against a fake OAuth issuer over real HTTP, with the memory and the file store.

import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileStore } from "../../src/auth/file-store.ts";
import { createMemoryStore } from "../../src/auth/memory-store.ts";
import { createTokenManager } from "../../src/auth/token-manager.ts";
import type { TokenManagerOptions } from "../../src/auth/token-manager.ts";
import type { AuthDocument, TokenStore } from "../../src/auth/types.ts";
import { RelayError } from "../../src/core/errors.ts";
import type { Logger } from "../../src/core/logger.ts";
import { ACCOUNT_ID, startFakeIssuer } from "./helpers/fake-issuer.ts";
import type { FakeIssuer } from "./helpers/fake-issuer.ts";
import { mintJwt } from "./helpers/jwt.ts";

let issuer: FakeIssuer;
let dir: string;

beforeEach(async () => {
  issuer = await startFakeIssuer();
  dir = await mkdtemp(join(tmpdir(), "codex-relay-tm-"));
});
afterEach(async () => {
  await issuer.close();
  await rm(dir, { recursive: true, force: true });
});

type ConfigPart = TokenManagerOptions["config"];
const config = (over: Partial<ConfigPart> = {}): ConfigPart => ({
  chatgptAccessToken: null,
  chatgptAccountId: null,
  codexAuthJson: null,
  clientId: "app_test",
  oauthTokenUrl: issuer.tokenUrl,
  ...over,
});

const manager = (store: TokenStore, over: Partial<TokenManagerOptions> = {}) =>
  createTokenManager({ config: config(), store, ...over });

async function rejection(p: Promise<unknown>): Promise<RelayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DAY = 24 * 3600_000;

describe("when to refresh", () => {
  it("uses a fresh token as it is", async () => {
    const doc = issuer.login({ expiresInSec: 3600 });
    const tm = manager(createMemoryStore(doc));
    expect(await tm.getCredentials()).toEqual({
      accessToken: doc.tokens.access_token,
      accountId: ACCOUNT_ID,
    });
    expect(issuer.refreshCalls).toBe(0);
    const s = tm.status();
    expect(s).toMatchObject({
      source: "store",
      store: { kind: "memory", location: "memory" },
      accountId: ACCOUNT_ID,
      planType: "plus",
      email: "user@example.com",
      refreshable: true,
      lastError: null,
      refreshCount: 0,
    });
    expect(s.expiresInSeconds).toBeGreaterThan(3500);
    expect(s.accessTokenFingerprint).toMatch(/^…[0-9a-f]{8}$/);
  });

  it("refreshes when exp is within 5 minutes, and saves the rotated tokens", async () => {
    const doc = issuer.login({ expiresInSec: 240 });
    const store = createMemoryStore(doc);
    const tm = manager(store);
    const creds = await tm.getCredentials();
    expect(issuer.refreshCalls).toBe(1);
    expect(issuer.lastBody).toEqual({
      client_id: "app_test",
      grant_type: "refresh_token",
      refresh_token: doc.tokens.refresh_token,
    });
    expect(creds.accessToken).toBe(issuer.accessIssued.at(-1));
    const saved = (await store.load())!;
    expect(saved.tokens.refresh_token).toBe(issuer.issued.at(-1));
    expect(saved.auth_mode).toBe("chatgpt");
    expect(Date.now() - Date.parse(saved.last_refresh!)).toBeLessThan(5000);
    expect(tm.status().refreshCount).toBe(1);
    // The new token is fresh: no further refresh.
    await tm.getCredentials();
    expect(issuer.refreshCalls).toBe(1);
  });

  it("without a readable exp, refreshes when last_refresh is older than 8 days", async () => {
    const withoutExp = (doc: AuthDocument, lastRefresh: string | null): AuthDocument => ({
      ...doc,
      tokens: { ...doc.tokens, access_token: mintJwt({ accountId: ACCOUNT_ID }) },
      last_refresh: lastRefresh,
    });
    const recent = manager(
      createMemoryStore(withoutExp(issuer.login(), new Date(Date.now() - 7 * DAY).toISOString())),
    );
    await recent.getCredentials();
    expect(issuer.refreshCalls).toBe(0);

    const old = manager(
      createMemoryStore(withoutExp(issuer.login(), new Date(Date.now() - 9 * DAY).toISOString())),
    );
    await old.getCredentials();
    expect(issuer.refreshCalls).toBe(1);

    const unknown = manager(createMemoryStore(withoutExp(issuer.login(), null)));
    await unknown.getCredentials();
    expect(issuer.refreshCalls).toBe(2);
  });

  it("an opaque (non-JWT) access token follows the 8-day rule too", async () => {
    const doc = issuer.login();
    const opaque = { ...doc, tokens: { ...doc.tokens, access_token: "opaque-token" } };
    const tm = manager(createMemoryStore(opaque));
    expect((await tm.getCredentials()).accessToken).toBe("opaque-token");
    expect(issuer.refreshCalls).toBe(0);
  });
});

describe("single flight", () => {
  // Counts how often the manager takes the store's lock: in-process single flight takes it once, not 50 times
  // (the lock alone would also keep the issuer at one call, by adoption).
  const counting = (store: TokenStore) => {
    const counted = { locks: 0, store: { ...store } };
    counted.store.withRefreshLock = (fn) => {
      counted.locks++;
      return store.withRefreshLock(fn);
    };
    return counted;
  };

  it("50 concurrent requests with an expiring token cause one refresh (memory store)", async () => {
    issuer.refreshDelayMs = 200;
    const counted = counting(createMemoryStore(issuer.login({ expiresInSec: 60 })));
    const tm = manager(counted.store);
    const all = await Promise.all(Array.from({ length: 50 }, () => tm.getCredentials()));
    expect(issuer.refreshCalls).toBe(1);
    expect(counted.locks).toBe(1);
    expect(new Set(all.map((c) => c.accessToken))).toEqual(new Set([issuer.accessIssued.at(-1)]));
  });

  it("50 concurrent requests with an expiring token cause one refresh (file store)", async () => {
    issuer.refreshDelayMs = 200;
    const path = join(dir, "auth.json");
    await writeFile(path, JSON.stringify(issuer.login({ expiresInSec: 60 })));
    const counted = counting(createFileStore(path));
    const tm = manager(counted.store);
    const all = await Promise.all(Array.from({ length: 50 }, () => tm.getCredentials()));
    expect(issuer.refreshCalls).toBe(1);
    expect(counted.locks).toBe(1);
    expect(new Set(all.map((c) => c.accessToken)).size).toBe(1);
  });

  it("two managers on one file (two instances) refresh once: the second adopts the stored token", async () => {
    issuer.refreshDelayMs = 150;
    const path = join(dir, "auth.json");
    await writeFile(path, JSON.stringify(issuer.login({ expiresInSec: 60 })));
    const a = manager(createFileStore(path, { lockPollMs: 10 }));
    const b = manager(createFileStore(path, { lockPollMs: 10 }));
    const [ca, cb] = await Promise.all([a.getCredentials(), b.getCredentials()]);
    expect(issuer.refreshCalls).toBe(1);
    expect(ca.accessToken).toBe(cb.accessToken);
  });
});

describe("handleUnauthorized", () => {
  it("refreshes once, and a late caller with the old token gets the new one", async () => {
    const store = createMemoryStore(issuer.login({ expiresInSec: 3600 }));
    const tm = manager(store);
    const rejected = await tm.getCredentials();
    const fresh = await tm.handleUnauthorized(rejected);
    expect(fresh.accessToken).not.toBe(rejected.accessToken);
    expect(fresh.accessToken).toBe(issuer.accessIssued.at(-1));
    expect(issuer.refreshCalls).toBe(1);
    expect(await tm.handleUnauthorized(rejected)).toEqual(fresh);
    expect(issuer.refreshCalls).toBe(1);
  });

  it("concurrent 401s cause one refresh", async () => {
    issuer.refreshDelayMs = 150;
    const tm = manager(createMemoryStore(issuer.login({ expiresInSec: 3600 })));
    const rejected = await tm.getCredentials();
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sleep(i * 5).then(() => tm.handleUnauthorized(rejected))),
    );
    expect(issuer.refreshCalls).toBe(1);
    expect(new Set(all.map((c) => c.accessToken)).size).toBe(1);
  });

  it("picks up a token another process wrote to auth.json without refreshing", async () => {
    const path = join(dir, "auth.json");
    await writeFile(path, JSON.stringify(issuer.login()));
    const tm = manager(createFileStore(path));
    const rejected = await tm.getCredentials();
    const relogin = issuer.login();
    await writeFile(path, JSON.stringify(relogin));
    expect((await tm.handleUnauthorized(rejected)).accessToken).toBe(relogin.tokens.access_token);
    expect(issuer.refreshCalls).toBe(0);
  });
});

describe("persistence", () => {
  it("persists the rotated token in auth.json (Codex layout, 0600) before returning it", async () => {
    const path = join(dir, "auth.json");
    const doc = { ...issuer.login({ expiresInSec: 30 }), agent_identity: { keep: true } };
    await writeFile(path, JSON.stringify(doc), { mode: 0o644 });
    const fileStore = createFileStore(path);
    const saves: string[] = [];
    const store: TokenStore = {
      ...fileStore,
      save: async (next, expected) => {
        const ok = await fileStore.save(next, expected);
        saves.push(JSON.parse(await readFile(path, "utf8")).tokens.access_token);
        return ok;
      },
    };
    const creds = await manager(store).getCredentials();
    expect(saves).toEqual([creds.accessToken]);
    const onDisk = JSON.parse(await readFile(path, "utf8"));
    expect(onDisk).toEqual({
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      agent_identity: { keep: true },
      tokens: {
        id_token: expect.any(String),
        access_token: creds.accessToken,
        refresh_token: issuer.issued.at(-1),
        account_id: ACCOUNT_ID,
      },
      last_refresh: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("keeps the refresh token when the issuer does not rotate it", async () => {
    issuer.rotate = false;
    const doc = issuer.login({ expiresInSec: 30 });
    const store = createMemoryStore(doc);
    const tm = manager(store);
    await tm.getCredentials();
    expect((await store.load())?.tokens.refresh_token).toBe(doc.tokens.refresh_token);
    await tm.forceRefresh();
    expect(issuer.refreshCalls).toBe(2);
    expect(issuer.reuseCount).toBe(0);
  });

  it("adopts the stored document when the compare-and-set fails", async () => {
    issuer.refreshDelayMs = 150;
    const doc = issuer.login({ expiresInSec: 30 });
    const store = createMemoryStore(doc);
    const tm = manager(store);
    const p = tm.getCredentials();
    await sleep(50);
    const cli = issuer.login(); // the Codex CLI signed in meanwhile, without our lock
    expect(await store.save(cli, doc.tokens.refresh_token)).toBe(true);
    expect((await p).accessToken).toBe(cli.tokens.access_token);
  });
});

describe("permanent failures", () => {
  it.each(["refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated", "401"])(
    "%s → 401 sign in again, shown on status, no hammering",
    async (code) => {
      const doc = issuer.login({ expiresInSec: 30 });
      const store = createMemoryStore(doc);
      const tm = manager(store);
      issuer.failNextRefresh(code === "401" ? { status: 401, body: "Unauthorized" } : code);
      const err = await rejection(tm.getCredentials());
      expect(err).toMatchObject({ status: 401, code: "sign_in_again", type: "authentication_error" });
      expect(err.message).toContain(code === "401" ? "unauthorized" : code);
      expect(err.message).toContain("`codex-relay login`");
      expect(tm.status().lastError).toMatchObject({ needsSignIn: true, code: "sign_in_again" });

      // Every request gets the same answer without another call to the issuer.
      for (let i = 0; i < 5; i++) await rejection(tm.getCredentials());
      await rejection(tm.handleUnauthorized({ accessToken: doc.tokens.access_token, accountId: ACCOUNT_ID }));
      expect(issuer.refreshCalls).toBe(1);

      // The user signs in again: the store changes, the next request works and the error is gone.
      const relogin = issuer.login();
      await store.save(relogin, doc.tokens.refresh_token);
      expect((await tm.getCredentials()).accessToken).toBe(relogin.tokens.access_token);
      expect(tm.status().lastError).toBeNull();
    },
  );

  it("a failed forced refresh leaves a fresh access token usable until the backend rejects it", async () => {
    const doc = issuer.login({ expiresInSec: 3600 });
    const tm = manager(createMemoryStore(doc));
    issuer.failNextRefresh("refresh_token_invalidated");
    expect(await rejection(tm.forceRefresh())).toMatchObject({ status: 401, code: "sign_in_again" });
    expect((await tm.getCredentials()).accessToken).toBe(doc.tokens.access_token);
    expect(tm.status().lastError?.needsSignIn).toBe(true);
    const err = await rejection(tm.handleUnauthorized(await tm.getCredentials()));
    expect(err).toMatchObject({ status: 401, code: "sign_in_again" });
    expect(issuer.refreshCalls).toBe(1);
  });

  it("forceRefresh retries after a permanent failure", async () => {
    const tm = manager(createMemoryStore(issuer.login({ expiresInSec: 30 })));
    issuer.failNextRefresh("refresh_token_expired");
    await rejection(tm.getCredentials());
    const s = await tm.forceRefresh();
    expect(issuer.refreshCalls).toBe(2);
    expect(s.lastError).toBeNull();
    expect(s.refreshCount).toBe(1);
  });

  it("after refresh_token_reused, adopts the newer token another writer stored", async () => {
    issuer.refreshDelayMs = 150;
    const path = join(dir, "auth.json");
    const doc = issuer.login({ expiresInSec: 30 });
    await writeFile(path, JSON.stringify(doc));
    const tm = manager(createFileStore(path));
    issuer.failNextRefresh("refresh_token_reused");
    const p = tm.getCredentials();
    await sleep(50);
    // The Codex CLI refreshed meanwhile and wrote its file (it does not take our lock).
    const cli = issuer.login();
    await writeFile(path, JSON.stringify(cli));
    expect((await p).accessToken).toBe(cli.tokens.access_token);
    expect(tm.status().lastError).toBeNull();
    expect(issuer.refreshCalls).toBe(1);
  });

  it("a document without a refresh token needs a sign-in once it expires", async () => {
    const doc = issuer.login({ expiresInSec: -10 });
    const tm = manager(createMemoryStore({ ...doc, tokens: { ...doc.tokens, refresh_token: "" } }));
    const err = await rejection(tm.getCredentials());
    expect(err).toMatchObject({ status: 401, code: "sign_in_again" });
    expect(issuer.refreshCalls).toBe(0);
  });
});

describe("transient failures", () => {
  it("keeps using a still-valid token, backs off, then retries", async () => {
    const now = { t: Date.now() };
    const doc = issuer.login({ expiresInSec: 120 });
    const tm = manager(createMemoryStore(doc), { now: () => now.t });
    issuer.failNextRefresh({ status: 502, body: "bad gateway" });
    expect((await tm.getCredentials()).accessToken).toBe(doc.tokens.access_token);
    expect(tm.status().lastError).toMatchObject({ needsSignIn: false, code: "token_refresh_failed" });
    await tm.getCredentials();
    expect(issuer.refreshCalls).toBe(1); // backing off
    now.t += 16_000;
    const creds = await tm.getCredentials();
    expect(issuer.refreshCalls).toBe(2);
    expect(creds.accessToken).toBe(issuer.accessIssued.at(-1));
    expect(tm.status().lastError).toBeNull();
  });

  it("an expired token and an unreachable issuer give a 503", async () => {
    const tm = manager(createMemoryStore(issuer.login({ expiresInSec: -5 })));
    issuer.failNextRefresh({ status: 503, body: { error: { code: "server_is_overloaded" } } });
    const err = await rejection(tm.getCredentials());
    expect(err).toMatchObject({ status: 503, code: "token_refresh_failed" });
    expect(err.headers["retry-after"]).toBe("15");
    expect(tm.status().lastError?.needsSignIn).toBe(false);
  });

  it("a 401 from the backend plus a failing issuer gives a 503, not the rejected token", async () => {
    const tm = manager(createMemoryStore(issuer.login()));
    const rejected = await tm.getCredentials();
    issuer.failNextRefresh({ status: 500, body: {} });
    expect(await rejection(tm.handleUnauthorized(rejected))).toMatchObject({ status: 503 });
  });
});

describe("CHATGPT_ACCESS_TOKEN", () => {
  const exp = (sec: number) => Math.floor(Date.now() / 1000) + sec;

  it("is used as it is, never refreshed, and wins over every other source", async () => {
    const token = mintJwt({ accountId: "acct-static", exp: exp(60), planType: "pro" });
    const tm = createTokenManager({
      config: config({ chatgptAccessToken: token, codexAuthJson: JSON.stringify(issuer.login()) }),
      store: createMemoryStore(issuer.login()),
    });
    expect(await tm.getCredentials()).toEqual({ accessToken: token, accountId: "acct-static" });
    expect(issuer.refreshCalls).toBe(0);
    expect(tm.status()).toMatchObject({
      source: "env-access-token",
      refreshable: false,
      planType: "pro",
      accountId: "acct-static",
    });
    const err = await rejection(tm.forceRefresh());
    expect(err.status).toBe(400);
  });

  it("CHATGPT_ACCOUNT_ID overrides the claim; an opaque token needs it", async () => {
    const tm = createTokenManager({
      config: config({ chatgptAccessToken: "opaque", chatgptAccountId: "acct-env" }),
      store: createMemoryStore(),
    });
    expect(await tm.getCredentials()).toEqual({ accessToken: "opaque", accountId: "acct-env" });
    const bare = createTokenManager({
      config: config({ chatgptAccessToken: "opaque" }),
      store: createMemoryStore(),
    });
    expect(await rejection(bare.getCredentials())).toMatchObject({ status: 401, code: "no_account_id" });
  });

  it("an expired one gives a 401 that says how to replace it", async () => {
    const token = mintJwt({ accountId: "a", exp: exp(-60) });
    const tm = createTokenManager({
      config: config({ chatgptAccessToken: token }),
      store: createMemoryStore(),
    });
    const err = await rejection(tm.getCredentials());
    expect(err).toMatchObject({ status: 401, code: "access_token_expired" });
    expect(err.message).toMatch(
      /CHATGPT_ACCESS_TOKEN expired at .*set a new CHATGPT_ACCESS_TOKEN, or unset it/,
    );
    expect(err.message).not.toContain(token);
  });

  it("an upstream 401 gives a clear 401", async () => {
    const token = mintJwt({ accountId: "a", exp: exp(3600) });
    const tm = createTokenManager({
      config: config({ chatgptAccessToken: token }),
      store: createMemoryStore(),
    });
    const err = await rejection(tm.handleUnauthorized(await tm.getCredentials()));
    expect(err).toMatchObject({ status: 401, code: "access_token_rejected" });
    expect(err.message).toContain("CHATGPT_ACCESS_TOKEN");
  });
});

describe("OPENAI_CODEX_AUTH", () => {
  it("is used while the store is empty; after a refresh the store's tokens are used and the env's are never sent again", async () => {
    const envDoc = issuer.login({ expiresInSec: 30, lastRefresh: new Date(Date.now() - DAY).toISOString() });
    const store = createMemoryStore();
    const tm = createTokenManager({ config: config({ codexAuthJson: JSON.stringify(envDoc) }), store });
    const first = await tm.getCredentials();
    expect(issuer.refreshTokensSeen).toEqual([envDoc.tokens.refresh_token]);
    expect((await store.load())?.tokens.access_token).toBe(first.accessToken);
    expect(tm.status().source).toBe("store");
    await tm.forceRefresh();
    await tm.handleUnauthorized(await tm.getCredentials());
    expect(issuer.refreshTokensSeen).toHaveLength(3);
    expect(new Set(issuer.refreshTokensSeen).size).toBe(3);
    expect(issuer.reuseCount).toBe(0);
  });

  it("a fresh env document is used as it is", async () => {
    const envDoc = issuer.login();
    const tm = createTokenManager({
      config: config({ codexAuthJson: JSON.stringify(envDoc) }),
      store: createMemoryStore(),
    });
    expect((await tm.getCredentials()).accessToken).toBe(envDoc.tokens.access_token);
    expect(tm.status().source).toBe("env-auth-json");
  });

  it("loses to a newer store document, wins over an older one", async () => {
    const envDoc = issuer.login({ lastRefresh: "2026-03-01T00:00:00.000Z" });
    const newer = issuer.login({ lastRefresh: "2026-03-02T00:00:00.000Z" });
    const older = issuer.login({ lastRefresh: "2026-02-01T00:00:00.000Z" });
    const cfg = config({ codexAuthJson: JSON.stringify(envDoc) });
    const a = createTokenManager({ config: cfg, store: createMemoryStore(newer) });
    expect((await a.getCredentials()).accessToken).toBe(newer.tokens.access_token);
    const b = createTokenManager({ config: cfg, store: createMemoryStore(older) });
    expect((await b.getCredentials()).accessToken).toBe(envDoc.tokens.access_token);
  });

  it("never resends its refresh token, even when its last_refresh is in the future", async () => {
    const envDoc = issuer.login({ expiresInSec: 30, lastRefresh: "2099-01-01T00:00:00.000Z" });
    const tm = createTokenManager({
      config: config({ codexAuthJson: JSON.stringify(envDoc) }),
      store: createMemoryStore(),
    });
    const first = await tm.getCredentials();
    expect(await tm.getCredentials()).toEqual(first);
    expect(issuer.refreshCalls).toBe(1);
  });
});

describe("other sources", () => {
  it("no credentials at all: a 401 that says how to sign in", async () => {
    const tm = manager(createFileStore(join(dir, "none", "auth.json")));
    const err = await rejection(tm.getCredentials());
    expect(err).toMatchObject({ status: 401, code: "no_credentials" });
    expect(err.message).toContain("`codex-relay login`");
    expect(err.message).not.toContain("npx");
    expect(err.message).toContain("CHATGPT_ACCESS_TOKEN");
    expect(err.message).toContain("OPENAI_CODEX_AUTH");
    expect(tm.status().source).toBe("none");
  });

  it("status() describes the stored tokens soon after start, before any request", async () => {
    const tm = manager(createMemoryStore(issuer.login()));
    await sleep(10);
    expect(tm.status()).toMatchObject({ source: "store", accountId: ACCOUNT_ID, refreshable: true });
    expect(issuer.refreshCalls).toBe(0);
  });

  it("a deleted auth.json (codex logout) shows as no credentials", async () => {
    const path = join(dir, "auth.json");
    await writeFile(path, JSON.stringify(issuer.login()));
    const tm = manager(createFileStore(path));
    await tm.getCredentials();
    await rm(path);
    expect(await rejection(tm.getCredentials())).toMatchObject({ code: "no_credentials" });
    expect(tm.status().source).toBe("none");
  });

  it("an empty memory store is seeded once from $CODEX_HOME/auth.json", async () => {
    const doc = issuer.login();
    let reads = 0;
    const store = createMemoryStore();
    const tm = manager(store, {
      seedLoader: async () => {
        reads++;
        return doc;
      },
    });
    const all = await Promise.all(Array.from({ length: 5 }, () => tm.getCredentials()));
    expect(all.every((c) => c.accessToken === doc.tokens.access_token)).toBe(true);
    await tm.getCredentials();
    expect(reads).toBe(1);
    expect((await store.load())?.tokens.refresh_token).toBe(doc.tokens.refresh_token);
  });

  it("loadStatus reads the store without refreshing", async () => {
    const store = createMemoryStore();
    const tm = manager(store);
    expect((await tm.loadStatus()).source).toBe("none");
    await store.save(issuer.login({ expiresInSec: 30 }), null);
    expect(tm.status().source).toBe("none"); // cached until something reads the store
    const s = await tm.loadStatus();
    expect(s).toMatchObject({ source: "store", accountId: ACCOUNT_ID });
    expect(issuer.refreshCalls).toBe(0);
  });
});

it("no log line, error or status ever contains a token", async () => {
  const lines: string[] = [];
  const capture = (level: string) => (obj: object, msg?: string) =>
    lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ""}`);
  const logger: Logger = {
    debug: capture("debug"),
    info: capture("info"),
    warn: capture("warn"),
    error: capture("error"),
  };
  const doc = issuer.login({ expiresInSec: 30 });
  const store = createMemoryStore(doc);
  const tm = manager(store, { logger });
  const errors: string[] = [];
  await tm.getCredentials();
  await tm.forceRefresh();
  issuer.failNextRefresh({ status: 502, body: {} });
  await tm.forceRefresh().catch((e: Error) => errors.push(e.message));
  issuer.failNextRefresh("refresh_token_reused");
  await tm.forceRefresh().catch((e: Error) => errors.push(e.message));
  errors.push(JSON.stringify(tm.status()));
  expect(lines.length).toBeGreaterThan(3);
  const text = [...lines, ...errors].join("\n");
  for (const secret of [...issuer.issued, ...issuer.accessIssued, doc.tokens.id_token]) {
    expect(text).not.toContain(secret);
  }
});
