// Node only. The Codex CLI's auth.json as a TokenStore, kept valid for the CLI: same layout (unknown keys kept),
// written atomically (temp file + rename) with mode 0600. Refreshes across processes are serialised by a lock file
// created exclusively beside it.

import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parseAuthJson } from "./document.ts";
import type { AuthDocument, TokenStore } from "./types.ts";

/** `$CODEX_HOME/auth.json`, default `~/.codex/auth.json`. */
export function defaultAuthPath(codexHome: string | null | undefined): string {
  return join(codexHome || join(homedir(), ".codex"), "auth.json");
}

/** Read an auth.json once, without caching or locking (e.g. to seed another store). Null when missing. */
export async function readAuthFile(path: string): Promise<AuthDocument | null> {
  try {
    return parseAuthJson(await readFile(path, "utf8"), path);
  } catch (err) {
    if (isCode(err, "ENOENT")) return null;
    throw err;
  }
}

export interface FileStoreOptions {
  /** A lock older than this is taken to be left by a crashed holder and broken. Default 30 s. */
  lockStaleMs?: number;
  /** How often a waiter looks at the lock again. Default 50 ms. */
  lockPollMs?: number;
}

export interface FileStore extends TokenStore {
  readonly kind: "file";
  readonly path: string;
}

interface Cached {
  key: string;
  doc: AuthDocument | null;
}

export function createFileStore(path: string, options: FileStoreOptions = {}): FileStore {
  const staleMs = options.lockStaleMs ?? 30_000;
  const pollMs = options.lockPollMs ?? 50;
  const lockPath = `${path}.lock`;
  let cache: Cached | null = null;

  // Hot path: concurrent callers share one stat (a thread-pool round trip each, 4.5 % of the relay's CPU under
  // load otherwise); the file is parsed again only when it changed (inode, size or mtime differ).
  let inflight: Promise<AuthDocument | null> | null = null;
  function load(): Promise<AuthDocument | null> {
    inflight ??= loadNow().finally(() => (inflight = null));
    return inflight;
  }

  async function loadNow(): Promise<AuthDocument | null> {
    let key: string;
    try {
      const s = await stat(path, { bigint: true });
      key = `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch (err) {
      if (!isCode(err, "ENOENT")) throw err;
      cache = null;
      return null;
    }
    if (cache?.key === key) return cache.doc;
    let doc: AuthDocument | null;
    try {
      doc = await readAuthFile(path);
    } catch (err) {
      // Another program may be half-way through a non-atomic write: keep the last good copy, look again next time.
      if (cache) return cache.doc;
      throw err;
    }
    cache = { key, doc };
    return doc;
  }

  async function save(next: AuthDocument, expectedRefreshToken: string | null): Promise<boolean> {
    const raw = await readRaw();
    const current = raw === null ? null : toRecord(raw);
    const currentTokens = current && toRecord(current.tokens);
    const currentRefresh =
      typeof currentTokens?.refresh_token === "string" && currentTokens.refresh_token
        ? currentTokens.refresh_token
        : null;
    if (currentRefresh !== expectedRefreshToken) return false;
    // Keys someone else (the CLI) keeps in the file survive, even if `next` never saw them.
    const merged = { ...current, ...next, tokens: { ...currentTokens, ...next.tokens } };
    await writeAtomic(path, JSON.stringify(merged, null, 2) + "\n");
    cache = null;
    inflight = null; // a load that began before the write must not be shared with later callers
    return true;
  }

  // The file as it is on disk now (no cache), or null when missing; throws on bad JSON so that a damaged file
  // is never overwritten by a compare-and-set that could not compare.
  async function readRaw(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if (isCode(err, "ENOENT")) return null;
      throw err;
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${path} is not valid JSON`);
    }
  }

  async function withRefreshLock<T>(fn: (current: AuthDocument | null) => Promise<T>): Promise<T> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const nonce = await acquire(lockPath, staleMs, pollMs);
    try {
      return await fn(await load());
    } finally {
      await release(lockPath, nonce);
    }
  }

  return { kind: "file", location: path, path, load, save, withRefreshLock };
}

export async function writeAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.auth.json.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600); // the umask cannot widen it, but a strange one could narrow it to 0
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

interface LockInfo {
  pid: number;
  at: number;
  nonce: string;
}

/** Take the lock file; returns our nonce, which release() checks so that we never remove someone else's lock. */
async function acquire(lockPath: string, staleMs: number, pollMs: number): Promise<string> {
  const nonce = randomBytes(8).toString("hex");
  const info: LockInfo = { pid: process.pid, at: Date.now(), nonce };
  for (;;) {
    try {
      const fh = await open(lockPath, "wx", 0o600);
      try {
        await fh.writeFile(JSON.stringify(info));
      } catch (err) {
        await fh.close();
        await unlink(lockPath).catch(() => undefined);
        throw err;
      }
      await fh.close();
      return nonce;
    } catch (err) {
      if (!isCode(err, "EEXIST")) throw err;
    }
    if (await breakIfStale(lockPath, staleMs)) continue;
    await sleep(pollMs + Math.floor(Math.random() * pollMs));
  }
}

/**
 * Remove a lock whose holder has not released it for `staleMs` (it crashed). Breakers take turns through a second
 * lock file and look again once they hold it, so a lock that a waiter took right after the stale one was removed
 * is never removed by another waiter that saw the stale one.
 */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  const age = await ageMs(lockPath);
  if (age === null) return true; // released meanwhile
  if (age < staleMs) return false;
  const breakPath = `${lockPath}.break`;
  try {
    await (await open(breakPath, "wx", 0o600)).close();
  } catch (err) {
    if (!isCode(err, "EEXIST")) throw err;
    // Another waiter is breaking it. Breaking takes milliseconds: an old break file was left by a crash.
    const breakAge = await ageMs(breakPath);
    if (breakAge !== null && breakAge > BREAK_STALE_MS) await unlink(breakPath).catch(() => undefined);
    return false;
  }
  try {
    const again = await ageMs(lockPath);
    if (again !== null && again >= staleMs) await unlink(lockPath).catch(() => undefined);
  } finally {
    await unlink(breakPath).catch(() => undefined);
  }
  return true;
}

const BREAK_STALE_MS = 5_000;

/** How long ago the file was last written, or null when it does not exist. */
async function ageMs(p: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(p)).mtimeMs;
  } catch (err) {
    if (isCode(err, "ENOENT")) return null;
    throw err;
  }
}

async function release(lockPath: string, nonce: string): Promise<void> {
  try {
    const info = JSON.parse(await readFile(lockPath, "utf8")) as Partial<LockInfo>;
    if (info.nonce !== nonce) return; // ours was broken as stale; this one belongs to another holder
    await unlink(lockPath);
  } catch {
    // already gone
  }
}

function toRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
