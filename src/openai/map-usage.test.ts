import { describe, expect, it } from "vitest";
import { toOpenAIUsage } from "./map-usage.ts";

describe("toOpenAIUsage", () => {
  it("maps every field", () => {
    expect(
      toOpenAIUsage({
        inputTokens: 5,
        cachedInputTokens: 1,
        outputTokens: 3,
        reasoningTokens: 2,
        totalTokens: 8,
      }),
    ).toEqual({
      prompt_tokens: 5,
      completion_tokens: 3,
      total_tokens: 8,
      prompt_tokens_details: { cached_tokens: 1 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
  });
});
