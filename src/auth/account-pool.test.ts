// The account pool's choice for new conversations by rendezvous hashing (Workers): the same on every instance, spread
// evenly, and a parked account moves only its own conversations.

import { describe, expect, it } from "vitest";
import { createAccountPool, rendezvousWeight } from "./account-pool.ts";
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

  it("weights are 32-bit and differ per account", () => {
    const w = keys.map((k) => rendezvousWeight("c", k));
    expect(new Set(w).size).toBe(3);
    for (const x of w) {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(2 ** 32);
    }
  });
});
