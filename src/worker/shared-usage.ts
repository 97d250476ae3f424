// Usage windows shared by the isolates of a Worker through KV, `pool:usage:<account>` (the account's last
// RateLimitSnapshot as JSON, expiring a minute after its later reset), so that every isolate weighs the accounts
// alike for new conversations (weighted rendezvous hashing, src/auth/rendezvous.ts) with no I/O on a request's
// path. As with parkings (shared-parkings.ts): an isolate that learns an account's usage from a backend reply
// writes it after the response (ctx.waitUntil); it reads every account's entry while it builds its app, and again
// after a response once its view is older than USAGE_REFRESH_MS.
// Writes are bounded: only when a window moved by at least a point or its reset moved (what changes a weight), and
// at most once per USAGE_WRITE_INTERVAL_MS per account per isolate. KV takes one write per second per key, and the
// free plan a thousand a day; a window moves by a point a few times an hour at most, and an isolate that read the
// new value from KV does not write it again.

import type { AccountPool } from "../auth/account-pool.ts";
import type { RateLimitSnapshot, RateLimitWindow } from "../upstream/rate-limits.ts";

export const USAGE_REFRESH_MS = 10_000;
export const USAGE_WRITE_INTERVAL_MS = 10_000;
/** A reset that moved less than this is the same reset (reset-after-seconds drifts by a second per reply). */
const RESET_MOVE_MS = 60_000;
/** KV's shortest expiration. */
const KV_MIN_TTL_S = 60;
/** Longer than the weekly window. */
const MAX_TTL_S = 8 * 24 * 3600;
/** Windows without a reset time are kept this long. */
const NO_RESET_TTL_S = 6 * 3600;

export function usageKey(accountKey: string): string {
  return `pool:usage:${accountKey}`;
}

/** Whether `next` would change what the other isolates know from `previous`: a point of usage or a new reset. */
export function usageMoved(previous: RateLimitSnapshot, next: RateLimitSnapshot): boolean {
  const moved = (a: RateLimitWindow, b: RateLimitWindow) => {
    if ((a.usedPercent === null) !== (b.usedPercent === null)) return true;
    if (a.usedPercent !== null && Math.abs(a.usedPercent - b.usedPercent!) >= 1) return true;
    if ((a.resetAt === null) !== (b.resetAt === null)) return true;
    return a.resetAt !== null && Math.abs(Date.parse(a.resetAt) - Date.parse(b.resetAt!)) >= RESET_MOVE_MS;
  };
  return moved(previous.primary, next.primary) || moved(previous.secondary, next.secondary);
}

/** Seconds KV keeps the entry: until a minute after the later reset, within KV's minimum and a week and a day. */
export function usageTtlSeconds(snapshot: RateLimitSnapshot, now: number): number {
  const resets = [snapshot.primary.resetAt, snapshot.secondary.resetAt]
    .filter((r): r is string => r !== null)
    .map((r) => Date.parse(r));
  if (resets.length === 0) return NO_RESET_TTL_S;
  const seconds = Math.ceil((Math.max(...resets) - now) / 1000) + 60;
  return Math.min(MAX_TTL_S, Math.max(KV_MIN_TTL_S, seconds));
}

/** A snapshot as KV keeps it, or null when the text is not one. */
export function parseUsageSnapshot(text: string): RateLimitSnapshot | null {
  try {
    const s = JSON.parse(text) as Partial<Record<keyof RateLimitSnapshot, unknown>>;
    const primary = windowOf(s.primary);
    const secondary = windowOf(s.secondary);
    if (!primary || !secondary || typeof s.observedAt !== "string" || Number.isNaN(Date.parse(s.observedAt)))
      return null;
    return {
      planType: typeof s.planType === "string" ? s.planType : null,
      primary,
      secondary,
      observedAt: s.observedAt,
    };
  } catch {
    return null;
  }
}

function windowOf(value: unknown): RateLimitWindow | null {
  if (typeof value !== "object" || value === null) return null;
  const w = value as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const resetAt = typeof w.resetAt === "string" && !Number.isNaN(Date.parse(w.resetAt)) ? w.resetAt : null;
  return { usedPercent: num(w.usedPercent), windowMinutes: num(w.windowMinutes), resetAt };
}

export class UsageSharing {
  /** Per account: the snapshot KV holds as far as this isolate knows (it wrote or read it). */
  private readonly known = new Map<string, RateLimitSnapshot>();
  private readonly wroteAt = new Map<string, number>();
  private readAt = -Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /** Every account's entry, applied to the pool (kept where this isolate saw newer usage itself). */
  async read(kv: KVNamespace, pool: AccountPool): Promise<void> {
    this.readAt = this.now();
    const keys = pool.accounts.map((a) => a.key);
    const values = await Promise.all(keys.map((k) => kv.get(usageKey(k))));
    values.forEach((v, i) => {
      const snapshot = v === null ? null : parseUsageSnapshot(v);
      if (!snapshot) return;
      const key = keys[i]!;
      // A location of KV may still hold an older entry than the one this isolate wrote: not a reason to write again.
      const known = this.known.get(key);
      if (!known || Date.parse(snapshot.observedAt) > Date.parse(known.observedAt))
        this.known.set(key, snapshot);
      pool.applyUsage(key, snapshot);
    });
  }

  /** After a response: the usage this isolate learned and KV lacks, and when due a fresh read; null: nothing. */
  afterResponse(kv: KVNamespace, pool: AccountPool): Promise<void> | null {
    const t = this.now();
    const work: Promise<unknown>[] = [];
    for (const a of pool.accounts) {
      const latest = a.rateLimits.latest;
      if (!latest) continue;
      const known = this.known.get(a.key);
      if (known === latest || (known && !usageMoved(known, latest))) continue;
      if (t - (this.wroteAt.get(a.key) ?? -Infinity) < USAGE_WRITE_INTERVAL_MS) continue;
      this.known.set(a.key, latest);
      this.wroteAt.set(a.key, t);
      work.push(
        kv
          .put(usageKey(a.key), JSON.stringify(latest), { expirationTtl: usageTtlSeconds(latest, t) })
          .catch((err: unknown) => {
            // Written again after a later reply (KV refuses more than one write per second per key).
            if (this.known.get(a.key) === latest) this.known.delete(a.key);
            throw err;
          }),
      );
    }
    if (t - this.readAt >= USAGE_REFRESH_MS) work.push(this.read(kv, pool));
    return work.length ? Promise.all(work).then(() => undefined) : null;
  }
}
