import { describe, expect, it } from "vitest";
import { countTextTokens, encodeText } from "./token-count.ts";

describe("countTextTokens", () => {
  it("counts with o200k_base, not by characters", () => {
    expect(countTextTokens("")).toBe(0);
    expect(countTextTokens("hello world")).toBe(2);
    expect(countTextTokens("hello world, this is a test")).toBe(7);
    expect(encodeText("hello world")).toHaveLength(2);
  });
  it("treats special-token text as plain text", () => {
    expect(countTextTokens("<|endoftext|>")).toBeGreaterThan(1);
  });
});
