// The account pool's choice for new conversations by rendezvous hashing weighted by headroom (Workers): the same on
// every instance that knows the same usage, in proportion to the accounts' headroom, a parked account moves only its
// own conversations, and a conversation already placed stays where it is.

import { describe, expect, it } from "vitest";
import { createAccountPool } from "./account-pool.ts";
import type { RateLimitSnapshot } from "../upstream/rate-limits.ts";
import { createMemoryStore } from "./memory-store.ts";
import { loadConfig } from "../config.ts";

const keys = ["alice", "bob", "carol"];
const newPool = () =>
  createAccountPool({
    config: loadConfig({}),
    sources: keys.map((key) => ({ key, store: createMemoryStore(), installationId: `id-${key}` })),
    newConversations: "hash",
  });
const conversations = Array.from({ length: 300 }, (_, i) => `conversation-${i}`);

describe("new conversations by rendezvous hashing", () => {
  it("two instances that share nothing pick the same account for every conversation, spread evenly", async () => {
    const [one, two] = [newPool(), newPool()];
    const a = await Promise.all(conversations.map(async (c) => (await one.pick(c)).key));
    const b = await Promise.all([...conversations].reverse().map(async (c) => (await two.pick(c)).key));
    expect(b.reverse()).toEqual(a);
    for (const key of keys) expect(a.filter((k) => k === key).length).toBeGreaterThan(70);
  });

  it("a parked account moves only its own conversations, to the same accounts on every instance", async () => {
    const [one, two] = [newPool(), newPool()];
    const before = await Promise.all(conversations.map(async (c) => (await one.pick(c)).key));
    for (const pool of [one, two]) {
      pool.park(
        pool.accounts.find((a) => a.key === "bob")!,
        "usage_limit",
        3600,
        "limit",
      );
    }
    const after = await Promise.all(conversations.map(async (c) => (await one.pick(c)).key));
    const elsewhere = await Promise.all(conversations.map(async (c) => (await two.pick(c)).key));
    expect(elsewhere).toEqual(after);
    conversations.forEach((_, i) => {
      if (before[i] !== "bob") expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe("bob");
    });
  });

  it("accounts get new conversations by their headroom, as every instance that shares the usage agrees", async () => {
    const [one, two] = [newPool(), newPool()];
    const placed = await Promise.all(conversations.slice(0, 30).map(async (c) => (await one.pick(c)).key));
    // alice is almost at her limit, bob has half of his plan left, carol's usage is unknown (all of it).
    for (const pool of [one, two]) {
      pool.applyUsage("alice", usage(98));
      pool.applyUsage("bob", usage(50));
    }
    const fresh = conversations.slice(30);
    const a = await Promise.all(fresh.map(async (c) => (await one.pick(c)).key));
    const b = await Promise.all(fresh.map(async (c) => (await two.pick(c)).key));
    expect(b).toEqual(a);
    const count = (key: string) => a.filter((k) => k === key).length;
    expect(count("alice")).toBeLessThanOrEqual(1);
    expect(count("carol") / count("bob")).toBeGreaterThan(1.5); // 1 : 0.5 by weight
    expect(count("carol") / count("bob")).toBeLessThan(2.6);
    // Conversations this instance placed before stay on their account, alice's too.
    const again = await Promise.all(conversations.slice(0, 30).map(async (c) => (await one.pick(c)).key));
    expect(again).toEqual(placed);
    expect(placed).toContain("alice");
  });

  it("usage from another instance is kept only when it is newer than this instance's", () => {
    const pool = newPool();
    const alice = pool.accounts.find((a) => a.key === "alice")!;
    pool.applyUsage("alice", usage(40, "2026-12-01T12:00:00.000Z"));
    pool.applyUsage("alice", usage(90, "2026-12-01T11:00:00.000Z"));
    expect(alice.rateLimits.latest?.primary.usedPercent).toBe(40);
    pool.applyUsage("alice", usage(45, "2026-12-01T12:00:01.000Z"));
    expect(alice.rateLimits.latest?.primary.usedPercent).toBe(45);
    pool.applyUsage("nobody", usage(45));
    expect(pool.states().find((s) => s.key === "alice")?.usage?.primary.usedPercent).toBe(45);
  });
});

function usage(primaryUsed: number, observedAt = new Date().toISOString()): RateLimitSnapshot {
  const later = (s: number) => new Date(Date.now() + s * 1000).toISOString();
  return {
    planType: "plus",
    primary: { usedPercent: primaryUsed, windowMinutes: 300, resetAt: later(9000) },
    secondary: { usedPercent: 10, windowMinutes: 10080, resetAt: later(302400) },
    observedAt,
  };
}
