// The client-key comparison (src/http/api-key.ts): correct for every pair of strings, and constant-time in the
// sense that matters — the work depends only on the length of what the client presented, never on the real key's
// length or on how much of a guess is right. Timing is measured with generous margins (ratios of medians over many
// batches), so the test is stable on a loaded machine yet fails by orders of magnitude on an early-exit compare.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { constantTimeEqual, keyVerifier, presentedKey } from "../../src/http/api-key.ts";

describe("keyVerifier / constantTimeEqual: correctness", () => {
  it("is true exactly for equal non-empty strings (any Unicode)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b && b !== "");
        expect(constantTimeEqual(a, a)).toBe(a !== "");
        expect(constantTimeEqual(a + b, a)).toBe(b === "" && a !== "");
      }),
      { numRuns: 5000 },
    );
  });

  it("rejects prefixes, extensions, repetitions and near misses of the key", () => {
    const key = "sk-relay-0123456789abcdef";
    const ok = keyVerifier(key);
    expect(ok(key)).toBe(true);
    for (const guess of [
      "",
      key.slice(0, -1),
      key + "x",
      key + key, // equal bytes cyclically: the length check must still refuse it
      key.slice(0, 5),
      key.toUpperCase(),
      key.replace(/.$/, "0"),
      " " + key,
    ]) {
      expect(ok(guess)).toBe(false);
    }
  });

  it("never matches when the expected key is empty", () => {
    const ok = keyVerifier("");
    expect(ok("")).toBe(false);
    expect(ok("\u0000")).toBe(false);
  });

  it("reads Bearer and x-api-key", () => {
    const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] });
    expect(presentedKey(h({ authorization: "Bearer abc" }))).toBe("abc");
    expect(presentedKey(h({ authorization: "bearer   abc  " }))).toBe("abc");
    expect(presentedKey(h({ "x-api-key": " k " }))).toBe("k");
    expect(presentedKey(h({ authorization: "Basic abc" }))).toBeNull();
    expect(presentedKey(h({}))).toBeNull();
  });
});

/**
 * ns per call of `a()` and `b()`, measured in interleaved batches after a warm-up (so JIT tiers and machine load
 * hit both alike); medians of the batches.
 */
function timeBoth(a: () => boolean, b: () => boolean, batches = 61, reps = 300): [number, number] {
  let sink = 0;
  for (let i = 0; i < 5_000; i++) if (a() || b()) sink++;
  const sa: number[] = [];
  const sb: number[] = [];
  for (let k = 0; k < batches; k++) {
    for (const [f, out] of [
      [a, sa],
      [b, sb],
    ] as const) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) if (f()) sink++;
      out.push(Number(process.hrtime.bigint() - t0) / reps);
    }
  }
  if (sink < 0) throw new Error("unreachable");
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return [median(sa), median(sb)];
}

const ratio = ([x, y]: [number, number]) => Math.max(x, y) / Math.min(x, y);

describe("keyVerifier: timing", () => {
  it("does not depend on where a same-length guess goes wrong", () => {
    const key = "k".repeat(4096);
    const ok = keyVerifier(key);
    const wrongFirst = "x" + key.slice(1);
    const wrongLast = key.slice(0, -1) + "x";
    // An early-exit compare would be thousands of times faster on wrongFirst.
    expect(
      ratio(
        timeBoth(
          () => ok(wrongFirst),
          () => ok(wrongLast),
        ),
      ),
    ).toBeLessThan(2);
  });

  it("does not depend on the length of the real key (nor reveal it)", () => {
    const guess = "g".repeat(32);
    const short = keyVerifier("s".repeat(8));
    const long = keyVerifier("l".repeat(64 * 1024));
    // Looping over the longer of the two (the implementation before this suite) made the long key ~2000 times
    // slower to refuse, which lets a client measure the key's length.
    expect(
      ratio(
        timeBoth(
          () => short(guess),
          () => long(guess),
        ),
      ),
    ).toBeLessThan(2);
  });

  it("grows with the guess's own length only", () => {
    const ok = keyVerifier("k".repeat(32));
    const small = "g".repeat(16);
    const big = "g".repeat(16 * 1024);
    const [a, b] = timeBoth(
      () => ok(small),
      () => ok(big),
      21,
      50,
    );
    expect(b).toBeGreaterThan(a * 5);
  });
});
