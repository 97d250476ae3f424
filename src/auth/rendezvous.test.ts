import { describe, expect, it } from "vitest";
import { pickWeighted, rendezvousHash, weightedRendezvousScore } from "./rendezvous.ts";

const conversations = Array.from({ length: 20_000 }, (_, i) => `conversation-${i}`);
const route = (weights: Record<string, number>) =>
  conversations.map((c) =>
    pickWeighted(
      c,
      Object.entries(weights).map(([key, weight]) => ({ key, weight, value: key })),
    ),
  );
const shares = (picks: (string | null)[]) => {
  const n = new Map<string, number>();
  for (const p of picks) n.set(p!, (n.get(p!) ?? 0) + 1);
  return n;
};

describe("weighted rendezvous hashing", () => {
  it("gives each account new conversations in proportion to its weight", () => {
    const weights = { alice: 1, bob: 0.5, carol: 0.25, dave: 0.05 };
    const total = 1.8;
    const n = shares(route(weights));
    for (const [key, w] of Object.entries(weights)) {
      const expected = (w / total) * conversations.length;
      // Within 10% of its share (measured: within 6%, e.g. 10,920 of 11,111 for alice, 597 of 556 for dave).
      expect(n.get(key)! / expected).toBeGreaterThan(0.9);
      expect(n.get(key)! / expected).toBeLessThan(1.1);
    }
  });

  it("sends almost nothing to an account at the floor weight", () => {
    const n = shares(route({ alice: 0.65, bob: 0.001 }));
    expect(n.get("bob") ?? 0).toBeLessThan(conversations.length * 0.005);
  });

  it("equal weights spread evenly, as plain rendezvous hashing does", () => {
    const n = shares(route({ a: 0.4, b: 0.4, c: 0.4 }));
    for (const key of ["a", "b", "c"]) expect(n.get(key)!).toBeGreaterThan(6_300);
    const unweighted = conversations.map((c) =>
      ["a", "b", "c"].reduce((best, k) => (rendezvousHash(c, k) > rendezvousHash(c, best) ? k : best)),
    );
    expect(route({ a: 0.4, b: 0.4, c: 0.4 })).toEqual(unweighted);
  });

  it("is deterministic and does not depend on the order of the accounts", () => {
    const weights = { alice: 1, bob: 0.3, carol: 0.6 };
    const reversed = Object.fromEntries(Object.entries(weights).reverse());
    expect(route(reversed)).toEqual(route(weights));
    expect(route(weights)).toEqual(route(weights));
  });

  it("a change of one account's weight moves conversations only to or from that account", () => {
    const before = route({ alice: 1, bob: 0.6, carol: 0.6 });
    const lower = route({ alice: 1, bob: 0.6, carol: 0.1 });
    const higher = route({ alice: 1, bob: 0.6, carol: 1 });
    let moved = 0;
    before.forEach((was, i) => {
      if (was !== "carol")
        expect(lower[i]).toBe(was); // carol lost weight: nobody else's conversations move
      else if (lower[i] !== "carol") moved++;
      if (higher[i] !== was) expect(higher[i]).toBe("carol"); // carol gained: only towards her
    });
    expect(moved).toBeGreaterThan(0);
  });

  it("hashes are 32-bit, differ per account, and scores are finite and positive", () => {
    const h = ["alice", "bob", "carol"].map((k) => rendezvousHash("c", k));
    expect(new Set(h).size).toBe(3);
    for (const x of h) {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(2 ** 32);
    }
    for (const c of conversations.slice(0, 200)) {
      const s = weightedRendezvousScore(c, "alice", 0.001);
      expect(Number.isFinite(s) && s > 0).toBe(true);
    }
    expect(pickWeighted("c", [])).toBeNull();
  });
});
