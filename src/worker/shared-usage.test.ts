import { describe, expect, it } from "vitest";
import { createAccountPool, type AccountPool } from "../auth/account-pool.ts";
import { createMemoryStore } from "../auth/memory-store.ts";
import { loadConfig } from "../config.ts";
import type { RateLimitSnapshot } from "../upstream/rate-limits.ts";
import { MemoryKv } from "../../test/fakes/memory-kv.ts";
import {
  parseUsageSnapshot,
  usageKey,
  usageMoved,
  usageTtlSeconds,
  UsageSharing,
  USAGE_REFRESH_MS,
  USAGE_WRITE_INTERVAL_MS,
} from "./shared-usage.ts";

const t0 = Date.parse("2026-12-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
function snapshot(primary: number, o: { resetIn?: number; secondaryResetIn?: number; at?: number } = {}) {
  return {
    planType: "plus",
    primary: { usedPercent: primary, windowMinutes: 300, resetAt: iso(t0 + (o.resetIn ?? 9000) * 1000) },
    secondary: {
      usedPercent: 20,
      windowMinutes: 10080,
      resetAt: iso(t0 + (o.secondaryResetIn ?? 302_400) * 1000),
    },
    observedAt: iso(o.at ?? t0),
  } satisfies RateLimitSnapshot;
}

describe("when an isolate writes an account's usage to KV", () => {
  it("only when a window moved by a point or its reset moved by a minute", () => {
    expect(usageMoved(snapshot(40), snapshot(40.9))).toBe(false);
    expect(usageMoved(snapshot(40), snapshot(41))).toBe(true);
    expect(usageMoved(snapshot(40), snapshot(39))).toBe(true);
    expect(usageMoved(snapshot(40), snapshot(40, { resetIn: 9030 }))).toBe(false);
    expect(usageMoved(snapshot(40), snapshot(40, { resetIn: 9100 }))).toBe(true);
    expect(usageMoved(snapshot(40), snapshot(40, { secondaryResetIn: 100 }))).toBe(true);
    const unknown = { ...snapshot(40), primary: { usedPercent: null, windowMinutes: null, resetAt: null } };
    expect(usageMoved(snapshot(40), unknown)).toBe(true);
    expect(usageMoved(unknown, unknown)).toBe(false);
  });

  it("kept until a minute after the later reset, within KV's minimum and eight days", () => {
    expect(usageTtlSeconds(snapshot(40, { resetIn: 100, secondaryResetIn: 3600 }), t0)).toBe(3660);
    expect(usageTtlSeconds(snapshot(40, { resetIn: -500, secondaryResetIn: -10 }), t0)).toBe(60);
    expect(usageTtlSeconds(snapshot(40, { secondaryResetIn: 30 * 86400 }), t0)).toBe(8 * 86400);
    const none = { planType: null, primary: { usedPercent: 1, windowMinutes: null, resetAt: null } };
    expect(usageTtlSeconds({ ...snapshot(1), ...none, secondary: none.primary }, t0)).toBe(6 * 3600);
  });

  it("what KV holds is read back as it was written; anything else is ignored", () => {
    const s = snapshot(40);
    expect(parseUsageSnapshot(JSON.stringify(s))).toEqual(s);
    for (const bad of [
      "",
      "{",
      "null",
      "[]",
      '{"primary":{},"secondary":{}}',
      JSON.stringify({ ...s, observedAt: "x" }),
    ])
      expect(parseUsageSnapshot(bad)).toBeNull();
    const odd = JSON.parse(JSON.stringify(s)) as Record<string, Record<string, unknown>>;
    odd.primary!.usedPercent = "lots";
    expect(parseUsageSnapshot(JSON.stringify(odd))?.primary.usedPercent).toBeNull();
  });
});

describe("usage windows shared by the isolates through KV", () => {
  const newPool = () =>
    createAccountPool({
      config: loadConfig({}),
      sources: ["alice", "bob"].map((key) => ({ key, store: createMemoryStore() })),
      newConversations: "hash",
    });
  const alice = (pool: AccountPool) => pool.accounts.find((a) => a.key === "alice")!;
  const sees = (pool: AccountPool, s: RateLimitSnapshot) => (alice(pool).rateLimits.latest = s);

  it("an isolate writes what it learned after its response, bounded; another isolate reads it when it starts", async () => {
    const kv = new MemoryKv();
    let now = t0;
    const [pool, sharing] = [newPool(), new UsageSharing(() => now)];
    await sharing.read(kv, pool);
    expect(sharing.afterResponse(kv, pool)).toBeNull(); // nothing learned, view fresh

    sees(pool, snapshot(97));
    await sharing.afterResponse(kv, pool);
    expect(kv.puts.map((p) => [p.key, p.expirationTtl])).toEqual([[usageKey("alice"), 302_460]]);

    // Same usage again, then a point more but too soon: no write.
    sees(pool, snapshot(97.4, { at: t0 + 1000 }));
    now += 1000;
    expect(sharing.afterResponse(kv, pool)).toBeNull();
    sees(pool, snapshot(98.5, { at: t0 + 2000 }));
    now += 1000;
    expect(sharing.afterResponse(kv, pool)).toBeNull();
    // Later, the moved usage is written.
    now = t0 + USAGE_WRITE_INTERVAL_MS;
    await sharing.afterResponse(kv, pool);
    expect(kv.puts).toHaveLength(2);
    expect(parseUsageSnapshot(kv.values.get(usageKey("alice"))!)?.primary.usedPercent).toBe(98.5);

    // A second isolate's view: alice's usage as the first one saw it, and it does not write it back.
    const [other, otherSharing] = [newPool(), new UsageSharing(() => now)];
    await otherSharing.read(kv, other);
    expect(alice(other).rateLimits.latest?.primary.usedPercent).toBe(98.5);
    expect(other.accounts.find((a) => a.key === "bob")!.rateLimits.latest).toBeNull();
    now += USAGE_REFRESH_MS;
    const gets = kv.gets;
    await otherSharing.afterResponse(kv, other);
    expect(kv.puts).toHaveLength(2);
    expect(kv.gets).toBe(gets + 2); // its view was due: every account read again, off the request's path
  });

  it("a fresh read applies what other isolates wrote since, and never overrides newer usage seen here", async () => {
    const kv = new MemoryKv();
    let now = t0;
    const [one, two] = [newPool(), newPool()];
    const [s1, s2] = [new UsageSharing(() => now), new UsageSharing(() => now)];
    await Promise.all([s1.read(kv, one), s2.read(kv, two)]);
    sees(one, snapshot(60));
    await s1.afterResponse(kv, one);
    expect(s2.afterResponse(kv, two)).toBeNull(); // its view is not due yet
    now += USAGE_REFRESH_MS;
    await s2.afterResponse(kv, two);
    expect(alice(two).rateLimits.latest?.primary.usedPercent).toBe(60);

    sees(two, snapshot(70, { at: t0 + 60_000 }));
    await kv.put(usageKey("alice"), JSON.stringify(snapshot(65, { at: t0 + 30_000 })));
    now += USAGE_REFRESH_MS;
    await s2.read(kv, two);
    expect(alice(two).rateLimits.latest?.primary.usedPercent).toBe(70);
  });
});
