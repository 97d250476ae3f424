import { describe, expect, it } from "vitest";
import type { StreamPart } from "../core/stream-parts.ts";
import {
  buildChatResponse,
  buildGenerateResponse,
  chatLoadResponse,
  collectTimedTurn,
  generateLoadResponse,
} from "./response-builders.ts";
import { TurnClock } from "./turn-clock.ts";

async function* from(parts: StreamPart[]): AsyncGenerator<StreamPart> {
  yield* parts;
}

const PARTS: StreamPart[] = [
  { type: "response-start", responseId: "r" },
  { type: "reasoning-delta", delta: "One.", kind: "summary", partIndex: 0 },
  { type: "reasoning-delta", delta: "Two.", kind: "summary", partIndex: 1 },
  { type: "text-delta", delta: "Answer" },
  { type: "tool-call-start", index: 0, callId: "call_9", name: "f" },
  { type: "tool-call-end", index: 0, callId: "call_9", name: "f", arguments: '{"x":true}' },
  {
    type: "finish",
    reason: "tool_calls",
    usage: { inputTokens: 5, cachedInputTokens: 0, outputTokens: 6, reasoningTokens: 2, totalTokens: 11 },
  },
];

describe("non-stream builders", () => {
  it("builds one chat object with thinking, tool calls and metrics", async () => {
    const clock = new TurnClock(0, () => 1);
    const turn = await collectTimedTurn(from(PARTS), clock);
    const res = buildChatResponse(turn, { model: "gpt-5.5", clock, showThinking: true });
    expect(res).toMatchObject({
      model: "gpt-5.5",
      done: true,
      done_reason: "stop",
      message: {
        role: "assistant",
        content: "Answer",
        thinking: "One.\n\nTwo.",
        tool_calls: [{ id: "call_9", function: { index: 0, name: "f", arguments: { x: true } } }],
      },
      prompt_eval_count: 5,
      eval_count: 6,
      total_duration: 1_000_000,
    });
    const hidden = buildChatResponse(turn, { model: "gpt-5.5", clock, showThinking: false });
    expect(hidden.message).not.toHaveProperty("thinking");
  });

  it("builds one generate object", async () => {
    const clock = new TurnClock(0, () => 0);
    const turn = await collectTimedTurn(
      from(PARTS.slice(0, 4).concat({ type: "finish", reason: "length" })),
      clock,
    );
    const res = buildGenerateResponse(turn, { model: "m", clock, showThinking: true });
    expect(res).toMatchObject({
      response: "Answer",
      thinking: "One.\n\nTwo.",
      done_reason: "length",
      context: [],
    });
  });

  it("answers a preload like Ollama", () => {
    expect(chatLoadResponse("m")).toMatchObject({
      done: true,
      done_reason: "load",
      message: { content: "" },
    });
    expect(generateLoadResponse("m")).toMatchObject({ done: true, done_reason: "load", response: "" });
  });
});
