import { describe, expect, it } from "vitest";
import { systemTexts } from "./system-prompt.ts";

describe("systemTexts", () => {
  it("drops Claude Code's billing block and keeps the rest in order", () => {
    const texts = systemTexts([
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.197.a3f; cc_entrypoint=sdk-cli;" },
      { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
      { type: "text", text: "Big prompt" },
    ]);
    expect(texts).toEqual(["You are a Claude agent.", "Big prompt"]);
  });

  it("gives the same texts whatever the rotating fingerprint", () => {
    const a = systemTexts("x-anthropic-billing-header: cc_version=2.1.197.a3f;\nBe brief.");
    const b = systemTexts("x-anthropic-billing-header: cc_version=2.1.197.09c;\nBe brief.");
    expect(a).toEqual(["Be brief."]);
    expect(b).toEqual(a);
  });

  it("keeps plain strings and drops empty blocks", () => {
    expect(systemTexts("Be brief.")).toEqual(["Be brief."]);
    expect(systemTexts([{ type: "text", text: " " }])).toEqual([]);
    expect(systemTexts(undefined)).toEqual([]);
  });
});
