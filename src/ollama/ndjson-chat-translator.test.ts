import { describe, expect, it } from "vitest";
import type { StreamPart } from "../core/stream-parts.ts";
import {
  INCOMPLETE_TURN_MESSAGE,
  OllamaChatStreamTranslator,
  parseArguments,
} from "./ndjson-chat-translator.ts";
import { TurnClock } from "./turn-clock.ts";

/** A clock that advances 10 ms per reading, from 0. */
function steppingClock(): TurnClock {
  let t = 0;
  return new TurnClock(0, () => (t += 10));
}

const USAGE = { inputTokens: 12, cachedInputTokens: 0, outputTokens: 7, reasoningTokens: 3, totalTokens: 19 };

function run(parts: StreamPart[], showThinking = true) {
  const t = new OllamaChatStreamTranslator({ model: "gpt-5.5:latest", clock: steppingClock(), showThinking });
  return [...parts.flatMap((p) => t.push(p)), ...t.end()];
}

describe("OllamaChatStreamTranslator", () => {
  it("streams text and thinking, then a final object with counts and durations", () => {
    const lines = run([
      { type: "response-start", responseId: "resp_1" },
      { type: "reasoning-delta", delta: "First.", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "Second.", kind: "summary", partIndex: 1 },
      { type: "text-delta", delta: "Hel" },
      { type: "text-delta", delta: "" },
      { type: "text-delta", delta: "lo" },
      { type: "finish", reason: "stop", usage: USAGE },
    ]);
    expect(lines.map((l) => ("message" in l ? l.message : l))).toEqual([
      { role: "assistant", content: "", thinking: "First." },
      { role: "assistant", content: "", thinking: "\n\nSecond." },
      { role: "assistant", content: "Hel" },
      { role: "assistant", content: "lo" },
      { role: "assistant", content: "" },
    ]);
    expect(
      lines.slice(0, 4).every((l) => "done" in l && l.done === false && l.model === "gpt-5.5:latest"),
    ).toBe(true);
    const final = lines[4]!;
    expect(final).toMatchObject({ done: true, done_reason: "stop", prompt_eval_count: 12, eval_count: 7 });
    // The clock is read at response-start (10 ms), the first output (20 ms) and the end (30 ms).
    expect(final).toMatchObject({
      load_duration: 10_000_000,
      prompt_eval_duration: 10_000_000,
      eval_duration: 10_000_000,
      total_duration: 30_000_000,
    });
    expect(typeof (final as { created_at: string }).created_at).toBe("string");
  });

  it("sends each completed tool call whole, arguments as an object", () => {
    const lines = run([
      { type: "response-start", responseId: "r" },
      { type: "tool-call-start", index: 0, callId: "call_1", name: "weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: '"Paris"}' },
      { type: "tool-call-end", index: 0, callId: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
      { type: "finish", reason: "tool_calls", usage: USAGE },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      done: false,
      message: {
        role: "assistant",
        content: "",
        tool_calls: [{ id: "call_1", function: { index: 0, name: "weather", arguments: { city: "Paris" } } }],
      },
    });
    expect(lines[1]).toMatchObject({ done: true, done_reason: "stop" });
  });

  it("maps length to done_reason length with the usage of the cut turn", () => {
    const usage = {
      inputTokens: 9,
      cachedInputTokens: 0,
      outputTokens: 2,
      reasoningTokens: 0,
      totalTokens: 11,
    };
    const lines = run([
      { type: "text-delta", delta: "12345678" },
      { type: "finish", reason: "length", usage },
    ]);
    expect(lines[1]).toMatchObject({
      done: true,
      done_reason: "length",
      eval_count: 2,
      prompt_eval_count: 9,
    });
  });

  it("leaves thinking out when the client said think:false", () => {
    const lines = run(
      [
        { type: "reasoning-delta", delta: "hidden", kind: "summary", partIndex: 0 },
        { type: "text-delta", delta: "answer" },
        { type: "finish", reason: "stop" },
      ],
      false,
    );
    expect(lines).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toContain("hidden");
  });

  it("ends a failed turn with an error line and nothing after it", () => {
    const lines = run([
      { type: "text-delta", delta: "partial" },
      { type: "error", message: "The backend failed.", code: "server_error" },
      { type: "text-delta", delta: "ignored" },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ error: "The backend failed." });
  });

  it("ends a turn without a terminal part with an error line", () => {
    const lines = run([{ type: "text-delta", delta: "cut" }]);
    expect(lines[1]).toEqual({ error: INCOMPLETE_TURN_MESSAGE });
  });
});

describe("parseArguments", () => {
  it("parses objects and keeps anything else as text", () => {
    expect(parseArguments('{"a":1}')).toEqual({ a: 1 });
    expect(parseArguments("")).toEqual({});
    expect(parseArguments("[1]")).toEqual({ arguments: "[1]" });
    expect(parseArguments("{oops")).toEqual({ arguments: "{oops" });
  });
});
