import { describe, expect, it } from "vitest";
import { createMemoryStore } from "./memory-store.ts";
import type { AuthDocument } from "./types.ts";

const doc = (rt: string): AuthDocument => ({
  tokens: { id_token: "i", access_token: `a-${rt}`, refresh_token: rt },
});

describe("memory store", () => {
  it("compares and sets on the refresh token", async () => {
    const store = createMemoryStore();
    expect(await store.load()).toBeNull();
    expect(await store.save(doc("r1"), "other")).toBe(false);
    expect(await store.save(doc("r1"), null)).toBe(true);
    expect(await store.save(doc("r2"), null)).toBe(false);
    expect(await store.save(doc("r2"), "r0")).toBe(false);
    expect((await store.load())?.tokens.refresh_token).toBe("r1");
    expect(await store.save(doc("r2"), "r1")).toBe(true);
    expect((await store.load())?.tokens.refresh_token).toBe("r2");
  });

  it("keeps its own copy", async () => {
    const d = doc("r1");
    const store = createMemoryStore(d);
    d.tokens.refresh_token = "changed";
    expect((await store.load())?.tokens.refresh_token).toBe("r1");
  });

  it("runs locked sections one after another, also after a failure", async () => {
    const store = createMemoryStore(doc("r1"));
    const order: string[] = [];
    const slow = (name: string, ms: number, fail = false) =>
      store.withRefreshLock(async (current) => {
        order.push(`${name}:start:${current?.tokens.refresh_token}`);
        await new Promise((r) => setTimeout(r, ms));
        if (fail) throw new Error("boom");
        await store.save(doc(`${name}`), current?.tokens.refresh_token ?? null);
        order.push(`${name}:end`);
        return name;
      });
    const results = await Promise.allSettled([slow("a", 30), slow("b", 5, true), slow("c", 1)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    // Each section sees what the one before it saved.
    expect(order).toEqual(["a:start:r1", "a:end", "b:start:a", "c:start:a", "c:end"]);
  });
});
