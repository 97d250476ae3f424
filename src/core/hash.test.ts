import { describe, expect, it } from "vitest";
import { fmix32, fnv1a32, hashToUuid } from "./hash.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("hashes", () => {
  it("hashes to well-spread UUIDs", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(hashToUuid(`conversation ${i}`));
    expect(seen.size).toBe(5000);
    expect(hashToUuid("")).toMatch(UUID);
    expect(hashToUuid("a")).not.toBe(hashToUuid("b"));
  });

  it("FNV-1a and the murmur3 finaliser give their reference values", () => {
    // FNV-1a 32-bit test vectors (the offset basis for "", "a" → 0xe40c292c); fmix32(0) is 0.
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).not.toBe(1);
  });
});
