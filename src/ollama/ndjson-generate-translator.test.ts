import { describe, expect, it } from "vitest";
import type { StreamPart } from "../core/stream-parts.ts";
import { OllamaGenerateStreamTranslator } from "./ndjson-generate-translator.ts";
import { TurnClock } from "./turn-clock.ts";

function run(parts: StreamPart[], showThinking = true) {
  const t = new OllamaGenerateStreamTranslator({
    model: "gpt-5.5",
    clock: new TurnClock(0, () => 0),
    showThinking,
  });
  return [...parts.flatMap((p) => t.push(p)), ...t.end()];
}

describe("OllamaGenerateStreamTranslator", () => {
  it("puts text in response and thinking beside it; the final object has context", () => {
    const lines = run([
      { type: "response-start", responseId: "r" },
      { type: "reasoning-delta", delta: "Let me see.", kind: "raw", partIndex: 0 },
      { type: "text-delta", delta: "Blue" },
      {
        type: "finish",
        reason: "stop",
        usage: { inputTokens: 3, cachedInputTokens: 0, outputTokens: 4, reasoningTokens: 0, totalTokens: 7 },
      },
    ]);
    expect(lines[0]).toMatchObject({ response: "", thinking: "Let me see.", done: false });
    expect(lines[1]).toMatchObject({ response: "Blue", done: false });
    expect(lines[1]).not.toHaveProperty("thinking");
    expect(lines[2]).toMatchObject({
      response: "",
      done: true,
      done_reason: "stop",
      context: [],
      prompt_eval_count: 3,
      eval_count: 4,
    });
  });

  it("ends with an error line on failure or a missing terminal part", () => {
    expect(run([{ type: "error", message: "boom" }])).toEqual([{ error: "boom" }]);
    expect(run([{ type: "text-delta", delta: "x" }]).at(-1)).toHaveProperty("error");
  });

  it("hides thinking when asked", () => {
    const lines = run([{ type: "reasoning-delta", delta: "t", kind: "summary", partIndex: 0 }], false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveProperty("error");
  });
});
