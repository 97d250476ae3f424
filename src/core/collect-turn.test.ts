import { describe, expect, it } from "vitest";
import { collectTurn, TurnCollector } from "./collect-turn.ts";
import type { StreamPart } from "./stream-parts.ts";

const usage = { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningTokens: 2, totalTokens: 15 };

describe("collectTurn", () => {
  it("collects text, reasoning parts, tool calls, finish and usage", async () => {
    const parts: StreamPart[] = [
      { type: "response-start", responseId: "resp_1", model: "gpt-5.5" },
      { type: "reasoning-delta", delta: "Think", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "ing.", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "More.", kind: "summary", partIndex: 1 },
      { type: "reasoning-delta", delta: "raw a", kind: "raw", partIndex: 0 },
      { type: "reasoning-delta", delta: "raw b", kind: "raw", partIndex: 1 },
      { type: "text-delta", delta: "Hello " },
      { type: "text-delta", delta: "world" },
      { type: "tool-call-start", index: 0, callId: "c1", name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"a":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: "1}" },
      { type: "tool-call-end", index: 0, callId: "c1", name: "f", arguments: '{"a":1}' },
      { type: "tool-call-start", index: 1, callId: "c2", name: "g" },
      { type: "tool-call-delta", index: 1, argumentsDelta: "{}" },
      { type: "finish", reason: "tool_calls", usage, responseId: "resp_1" },
      { type: "text-delta", delta: "ignored after finish" },
    ];
    expect(await collectTurn(parts)).toEqual({
      responseId: "resp_1",
      model: "gpt-5.5",
      text: "Hello world",
      reasoningSummary: ["Thinking.", "More."],
      reasoningRaw: "raw a\n\nraw b",
      citations: [],
      toolCalls: [
        { callId: "c1", name: "f", arguments: '{"a":1}' },
        { callId: "c2", name: "g", arguments: "{}" },
      ],
      finishReason: "tool_calls",
      usage,
    });
  });

  it("reads async iterables and reports errors", async () => {
    async function* gen(): AsyncGenerator<StreamPart> {
      yield { type: "text-delta", delta: "partial" };
      yield { type: "error", message: "Rate limited", code: "rate_limit_exceeded" };
    }
    const turn = await collectTurn(gen());
    expect(turn.text).toBe("partial");
    expect(turn.finishReason).toBeNull();
    expect(turn.error).toEqual({ message: "Rate limited", code: "rate_limit_exceeded" });
    expect(turn.usage).toBeUndefined();
  });

  it("works incrementally", () => {
    const c = new TurnCollector();
    c.push({ type: "text-delta", delta: "a" });
    expect(c.result().text).toBe("a");
    c.push({ type: "finish", reason: "length" });
    expect(c.result()).toMatchObject({ text: "a", finishReason: "length", responseId: null, toolCalls: [] });
  });
});
