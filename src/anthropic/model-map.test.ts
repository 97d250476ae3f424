import { describe, expect, it } from "vitest";
import { anthropicModelTarget } from "./model-map.ts";

const models = [
  { slug: "gpt-5.5", listed: true },
  { slug: "gpt-5.4", listed: true },
  { slug: "gpt-5.4-mini", listed: true },
];

describe("anthropicModelTarget", () => {
  it("maps Claude families by default: opus strongest/high, sonnet default, haiku fast/low", () => {
    expect(anthropicModelTarget("claude-opus-4-8", {}, models)).toBe("gpt-5.5-high");
    expect(anthropicModelTarget("claude-opus-4-8[1m]", {}, models)).toBe("gpt-5.5-high");
    expect(anthropicModelTarget("claude-sonnet-5", {}, models)).toBe("gpt-5.5");
    expect(anthropicModelTarget("claude-haiku-4-5-20251001", {}, models)).toBe("gpt-5.4-mini-low");
    expect(anthropicModelTarget("claude-fable-5", {}, models)).toBe("gpt-5.5");
    expect(anthropicModelTarget("claude-haiku-4-5", {}, [{ slug: "gpt-5.5", listed: true }])).toBe(
      "gpt-5.5-low",
    );
  });

  it("uses ANTHROPIC_MODEL_MAP: exact names first, then families", () => {
    const map = { "Claude-Opus-4-8": "gpt-5.5-xhigh", sonnet: "gpt-5.4", haiku: "gpt-5.4-mini" };
    expect(anthropicModelTarget("claude-opus-4-8", map, models)).toBe("gpt-5.5-xhigh");
    expect(anthropicModelTarget("claude-opus-4-1", map, models)).toBe("gpt-5.5-high");
    expect(anthropicModelTarget("claude-sonnet-4-5", map, models)).toBe("gpt-5.4");
    expect(anthropicModelTarget("claude-3-5-haiku-latest", map, models)).toBe("gpt-5.4-mini");
  });

  it("passes other names through", () => {
    expect(anthropicModelTarget("gpt-5.5-high", {}, models)).toBe("gpt-5.5-high");
    expect(anthropicModelTarget("my-alias", { other: "x" }, models)).toBe("my-alias");
  });
});
