// Node only. The Codex CLI's auth.json as a TokenStore, kept valid for the CLI: same layout (unknown keys kept),
// written atomically (temp file + rename) with mode 0600. Refreshes across processes are serialised by a lock file
// created exclusively beside it.

import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, readdir, rename, stat, unlink } from "node:fs/promises";
import { homedir, hostname } from "node:os";
import { dirname, join } from "node:path";
import { parseAuthFile } from "./document.ts";
import type { AuthDocument, TokenStore } from "./types.ts";

/** `$CODEX_HOME/auth.json`, default `~/.codex/auth.json`. */
export function defaultAuthPath(codexHome: string | null | undefined): string {
  return join(codexHome || join(homedir(), ".codex"), "auth.json");
}

/** Read an auth.json once, without caching or locking (e.g. to seed another store). Null when missing. */
export async function readAuthFile(path: string): Promise<AuthDocument | null> {
  try {
    return parseAuthFile(await readFile(path, "utf8"), path);
  } catch (err) {
    if (isCode(err, "ENOENT")) return null;
    throw err;
  }
}

export interface FileStoreOptions {
  /**
   * A lock older than this (or seen unchanged for this long, whatever its mtime says) is taken to be left by a
   * crashed holder and broken. A lock whose holder is a dead process on this host is broken at once. Default 30 s.
   */
  lockStaleMs?: number;
  /** How often a waiter looks at the lock again. Default 50 ms. */
  lockPollMs?: number;
  /** Taking the lock gives up after this long with a LockTimeoutError. Default 25 s (a refresh times out at 20 s). */
  lockTimeoutMs?: number;
}

/** The refresh lock could not be taken in time: another holder keeps it (or a lock file is wedged). */
export class LockTimeoutError extends Error {
  readonly code = "ELOCKTIMEOUT";
  constructor(message: string) {
    super(message);
    this.name = "LockTimeoutError";
  }
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
  const timeoutMs = options.lockTimeoutMs ?? 25_000;
  const lockPath = `${path}.lock`;
  let cache: Cached | null = null;
  let swept = false;

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
    if (!swept) {
      swept = true;
      await sweepTempFiles(dirname(path));
    }
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
    const nonce = await acquire(lockPath, staleMs, pollMs, timeoutMs);
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
  } catch (err) {
    // Disk full, quota: no empty or partial temp file may stay behind.
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await chmod(tmp, 0o600); // the umask cannot widen it, but a strange one could narrow it to 0
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Temp files of writers that died half-way (their pid is not alive on this host). */
async function sweepTempFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.auth\.json\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}

interface LockInfo {
  pid: number;
  at: number;
  nonce: string;
  /** The holder's host name: a pid means something only there. Absent in locks of older versions. */
  host?: string;
}

/** Take the lock file; returns our nonce, which release() checks so that we never remove someone else's lock. */
async function acquire(
  lockPath: string,
  staleMs: number,
  pollMs: number,
  timeoutMs: number,
): Promise<string> {
  const nonce = randomBytes(8).toString("hex");
  const info: LockInfo = { pid: process.pid, at: Date.now(), nonce, host: hostname() };
  const deadline = Date.now() + timeoutMs;
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
    if (Date.now() >= deadline) throw new LockTimeoutError(await describeLock(lockPath, timeoutMs));
    await sleep(pollMs + Math.floor(Math.random() * pollMs));
  }
}

async function describeLock(lockPath: string, timeoutMs: number): Promise<string> {
  const holder = (await readLock(lockPath))?.info;
  const who = holder?.pid
    ? `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ""}`
    : "another process";
  return (
    `${lockPath} is held by ${who} and was not released within ${Math.round(timeoutMs / 1000)} s; ` +
    "if no relay or other program is refreshing the tokens, delete that file"
  );
}

async function readLock(lockPath: string): Promise<{ info: Partial<LockInfo> | null; raw: string } | null> {
  let raw: string;
  try {
    raw = await readFile(lockPath, "utf8");
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(raw) as unknown;
    return { info: typeof v === "object" && v !== null ? (v as Partial<LockInfo>) : null, raw };
  } catch {
    return { info: null, raw };
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isCode(err, "EPERM"); // alive, another user's
  }
}

/** Lock contents as first seen by this process, and when: an mtime in the future must not make a lock eternal. */
const firstSeen = new Map<string, { raw: string; at: number }>();

/** Whether the lock at `lockPath` is left over: dead holder, too old, or unchanged for `staleMs` of our watching. */
async function isStale(lockPath: string, staleMs: number): Promise<boolean | null> {
  const age = await ageMs(lockPath);
  if (age === null) return null; // gone
  if (age >= staleMs) return true;
  const lock = await readLock(lockPath);
  if (lock === null) return null;
  const holder = lock.info;
  const local = holder?.host === undefined || holder.host === hostname();
  if (local && typeof holder?.pid === "number" && holder.pid > 0 && !processAlive(holder.pid)) return true;
  const seen = firstSeen.get(lockPath);
  if (seen?.raw !== lock.raw) {
    firstSeen.set(lockPath, { raw: lock.raw, at: Date.now() });
    if (firstSeen.size > 32) firstSeen.delete(firstSeen.keys().next().value as string);
    return false;
  }
  return Date.now() - seen.at >= staleMs;
}

/**
 * Remove a lock whose holder has not released it for `staleMs` (it crashed). Breakers take turns through a second
 * lock file and look again once they hold it, so a lock that a waiter took right after the stale one was removed
 * is never removed by another waiter that saw the stale one.
 */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  const stale = await isStale(lockPath, staleMs);
  if (stale === null) return true; // released meanwhile
  if (!stale) return false;
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
    if ((await isStale(lockPath, staleMs)) === true) {
      await unlink(lockPath).catch(() => undefined);
      firstSeen.delete(lockPath);
    }
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
