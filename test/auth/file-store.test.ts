// The auth.json file store on a real file system: layout, permissions, atomic writes, the cross-process lock.

import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultAuthPath, createFileStore, readAuthFile } from "../../src/auth/file-store.ts";
import type { AuthDocument } from "../../src/auth/types.ts";
import { AuthFileProblem } from "../../src/auth/document.ts";

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "codex-relay-fs-"));
  path = join(dir, "auth.json");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const codexFile = {
  auth_mode: "chatgpt",
  OPENAI_API_KEY: null,
  tokens: { id_token: "id1", access_token: "at1", refresh_token: "rt1", account_id: "acct" },
  last_refresh: "2026-01-01T00:00:00.000Z",
  agent_identity: { some: "thing" },
};

const next = (rt: string, extra: Partial<AuthDocument> = {}): AuthDocument => ({
  tokens: { id_token: `id-${rt}`, access_token: `at-${rt}`, refresh_token: rt, account_id: "acct" },
  last_refresh: "2026-02-02T00:00:00.000Z",
  ...extra,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("defaultAuthPath", () => {
  it("uses CODEX_HOME, else ~/.codex", () => {
    expect(defaultAuthPath("/x/y")).toBe("/x/y/auth.json");
    expect(defaultAuthPath(null)).toMatch(/\.codex[/\\]auth\.json$/);
  });
});

describe("file store load", () => {
  it("returns null without a file or without ChatGPT tokens", async () => {
    const store = createFileStore(path);
    expect(await store.load()).toBeNull();
    await writeFile(path, JSON.stringify({ tokens: null }));
    expect(await store.load()).toBeNull();
    expect(await readAuthFile(join(dir, "missing.json"))).toBeNull();
  });

  it("an auth.json with only an API key is a problem naming the file, not an empty store", async () => {
    await writeFile(path, JSON.stringify({ OPENAI_API_KEY: "sk-x", tokens: null }));
    const err = await createFileStore(path)
      .load()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthFileProblem);
    expect((err as AuthFileProblem).kind).toBe("api_key_only");
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).not.toContain("sk-x");
  });

  it("caches by file identity and re-reads after a change", async () => {
    await writeFile(path, JSON.stringify(codexFile));
    const store = createFileStore(path);
    const a = await store.load();
    expect(a?.tokens.refresh_token).toBe("rt1");
    expect(await store.load()).toBe(a); // same object: not parsed again
    await writeFile(
      path,
      JSON.stringify({ ...codexFile, tokens: { ...codexFile.tokens, refresh_token: "rt-cli" } }),
    );
    expect((await store.load())?.tokens.refresh_token).toBe("rt-cli");
  });

  it("never quotes the file in a parse error, and keeps the last good copy", async () => {
    await writeFile(path, '{"tokens": {"access_token": "secret-at-123"');
    const store = createFileStore(path);
    const err = (await store.load().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain("is not valid JSON");
    expect(err.message).not.toContain("secret-at-123");

    await writeFile(path, JSON.stringify(codexFile));
    expect((await store.load())?.tokens.access_token).toBe("at1");
    await writeFile(path, '{"tokens": {"access_tok');
    expect((await store.load())?.tokens.access_token).toBe("at1");
  });
});

describe("file store save", () => {
  it("keeps the Codex layout and unknown keys, mode 0600", async () => {
    await writeFile(path, JSON.stringify(codexFile), { mode: 0o644 });
    const store = createFileStore(path);
    const loaded = (await store.load())!;
    // The document the manager saves is built from the loaded one; a key only on disk survives too.
    await writeFile(path, JSON.stringify({ ...codexFile, added_by_cli: 1 }), { mode: 0o644 });
    expect(await store.save({ ...loaded, ...next("rt2") }, "rt1")).toBe(true);

    const text = await readFile(path, "utf8");
    expect(text).toMatch(/^\{\n {2}"auth_mode"/);
    expect(JSON.parse(text)).toEqual({
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: { id_token: "id-rt2", access_token: "at-rt2", refresh_token: "rt2", account_id: "acct" },
      last_refresh: "2026-02-02T00:00:00.000Z",
      agent_identity: { some: "thing" },
      added_by_cli: 1,
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await store.load())?.tokens.refresh_token).toBe("rt2");
  });

  it("compares and sets on the refresh token on disk", async () => {
    await writeFile(path, JSON.stringify(codexFile));
    const store = createFileStore(path);
    expect(await store.save(next("rt2"), "rt0")).toBe(false);
    expect(await store.save(next("rt2"), null)).toBe(false);
    expect(JSON.parse(await readFile(path, "utf8")).tokens.refresh_token).toBe("rt1");
    expect(await store.save(next("rt2"), "rt1")).toBe(true);
  });

  it("refuses to overwrite a damaged file", async () => {
    await writeFile(path, "{oops");
    const store = createFileStore(path);
    await expect(store.save(next("rt2"), null)).rejects.toThrow(/not valid JSON/);
    expect(await readFile(path, "utf8")).toBe("{oops");
  });

  it("creates the directory with mode 0700", async () => {
    const nested = join(dir, "home", ".codex", "auth.json");
    const store = createFileStore(nested);
    expect(await store.save(next("rt1"), null)).toBe(true);
    expect((await stat(join(dir, "home", ".codex"))).mode & 0o777).toBe(0o700);
    expect((await stat(nested)).mode & 0o777).toBe(0o600);
  });

  it("writes atomically: a reader never sees a partial file, no temp files remain", async () => {
    const big = "x".repeat(256 * 1024);
    const store = createFileStore(path);
    await store.save(next("rt0", { padding: big }), null);
    let writing = true;
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const text = await readFile(path, "utf8");
        expect(() => JSON.parse(text)).not.toThrow();
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 1; i <= 30; i++)
      expect(await store.save(next(`rt${i}`, { padding: big }), `rt${i - 1}`)).toBe(true);
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual(["auth.json"]);
  });
});

describe("file store refresh lock", () => {
  it("serialises two holders (two store instances, as in two processes) and re-reads inside", async () => {
    await writeFile(path, JSON.stringify(codexFile));
    const a = createFileStore(path, { lockPollMs: 10 });
    const b = createFileStore(path, { lockPollMs: 10 });
    await a.load();
    await b.load();
    const events: string[] = [];
    const holder = (store: typeof a, name: string) =>
      store.withRefreshLock(async (current) => {
        events.push(`${name} in ${current?.tokens.refresh_token}`);
        await sleep(80);
        const rt = current!.tokens.refresh_token;
        await store.save(next(`${rt}-${name}`), rt);
        events.push(`${name} out`);
      });
    await Promise.all([holder(a, "A"), sleep(5).then(() => holder(b, "B"))]);
    expect(events).toEqual(["A in rt1", "A out", "B in rt1-A", "B out"]);
    expect(JSON.parse(await readFile(path, "utf8")).tokens.refresh_token).toBe("rt1-A-B");
    expect(await readdir(dir)).toEqual(["auth.json"]); // lock released
  });

  it("releases the lock when the holder throws", async () => {
    const store = createFileStore(path);
    await expect(store.withRefreshLock(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await readdir(dir)).toEqual([]);
    await expect(store.withRefreshLock(async () => 42)).resolves.toBe(42);
  });

  it("waits for a live holder", async () => {
    const lock = `${path}.lock`;
    await writeFile(lock, JSON.stringify({ pid: 1, at: Date.now(), nonce: "other" }));
    const store = createFileStore(path, { lockPollMs: 10 });
    let entered = false;
    const p = store.withRefreshLock(async () => {
      entered = true;
    });
    await sleep(150);
    expect(entered).toBe(false);
    await rm(lock);
    await p;
    expect(entered).toBe(true);
  });

  it("breaks a stale lock left by a crashed holder", async () => {
    const lock = `${path}.lock`;
    await writeFile(lock, JSON.stringify({ pid: 999999, at: Date.now() - 60_000, nonce: "dead" }));
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const store = createFileStore(path, { lockPollMs: 10 });
    const started = Date.now();
    await expect(store.withRefreshLock(async () => "ok")).resolves.toBe("ok");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await readdir(dir)).toEqual([]);
  });

  it("several waiters break one stale lock and still take turns", async () => {
    const lock = `${path}.lock`;
    await writeFile(lock, "");
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    let inside = 0;
    let maxInside = 0;
    const run = () =>
      createFileStore(path, { lockPollMs: 5 }).withRefreshLock(async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await sleep(20);
        inside--;
      });
    await Promise.all(Array.from({ length: 8 }, run));
    expect(maxInside).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
