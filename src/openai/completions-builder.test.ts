import { describe, expect, it } from "vitest";
import type { CollectedTurn } from "../core/collect-turn.ts";
import { buildTextCompletion } from "./completions-builder.ts";

const turn = (extra: Partial<CollectedTurn> = {}): CollectedTurn => ({
  responseId: "resp_1",
  model: null,
  text: "Hello there",
  reasoningSummary: ["thinking"],
  reasoningRaw: "",
  toolCalls: [],
  finishReason: "stop",
  usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 4, reasoningTokens: 2, totalTokens: 14 },
  ...extra,
});

describe("buildTextCompletion", () => {
  it("builds OpenAI's text_completion object without reasoning", () => {
    expect(buildTextCompletion(turn(), { id: "cmpl-1", model: "gpt-5.5", created: 1 })).toEqual({
      id: "cmpl-1",
      object: "text_completion",
      created: 1,
      model: "gpt-5.5",
      choices: [{ text: "Hello there", index: 0, logprobs: null, finish_reason: "stop" }],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 4,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });

  it("reports length and leaves usage out when the relay cut the turn", () => {
    const c = buildTextCompletion(turn({ finishReason: "length", usage: undefined }), {
      id: "cmpl-1",
      model: "m",
      created: 1,
    });
    expect(c.choices[0]?.finish_reason).toBe("length");
    expect(c).not.toHaveProperty("usage");
  });
});
