import { describe, expect, it } from "vitest";
import type { StreamPart } from "../core/stream-parts.ts";
import {
  CompletionStreamTranslator,
  serializeCompletionChunk,
  toCompletionFinishReason,
} from "./completions-stream.ts";

const options = { id: "cmpl-1", model: "gpt-5.5", created: 1700000000, includeUsage: false };
const usage = { inputTokens: 5, cachedInputTokens: 1, outputTokens: 3, reasoningTokens: 1, totalTokens: 8 };

function run(parts: StreamPart[], includeUsage = false) {
  const t = new CompletionStreamTranslator({ ...options, includeUsage });
  return parts.flatMap((p) => t.push(p));
}

describe("CompletionStreamTranslator", () => {
  it("streams text, hides reasoning, ends with one finish chunk", () => {
    const out = run([
      { type: "response-start", responseId: "resp_1" },
      { type: "reasoning-delta", delta: "hmm", kind: "summary", partIndex: 0 },
      { type: "text-delta", delta: "Hel" },
      { type: "text-delta", delta: "lo" },
      { type: "finish", reason: "stop", usage },
      { type: "text-delta", delta: "late" },
    ]);
    expect(out).toEqual([
      {
        id: "cmpl-1",
        object: "text_completion",
        created: 1700000000,
        model: "gpt-5.5",
        choices: [{ text: "Hel", index: 0, logprobs: null, finish_reason: null }],
      },
      {
        id: "cmpl-1",
        object: "text_completion",
        created: 1700000000,
        model: "gpt-5.5",
        choices: [{ text: "lo", index: 0, logprobs: null, finish_reason: null }],
      },
      {
        id: "cmpl-1",
        object: "text_completion",
        created: 1700000000,
        model: "gpt-5.5",
        choices: [{ text: "", index: 0, logprobs: null, finish_reason: "stop" }],
      },
    ]);
  });

  it("adds a usage chunk with include_usage, usage:null before it", () => {
    const out = run(
      [
        { type: "text-delta", delta: "a" },
        { type: "finish", reason: "length", usage },
      ],
      true,
    );
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({ usage: null });
    expect(out[1]).toMatchObject({ choices: [{ finish_reason: "length" }], usage: null });
    expect(out[2]).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 5,
        completion_tokens: 3,
        total_tokens: 8,
        prompt_tokens_details: { cached_tokens: 1 },
      },
    });
  });

  it("leaves the usage chunk out when the relay cut the turn (no backend usage)", () => {
    expect(run([{ type: "finish", reason: "stop" }], true)).toHaveLength(1);
  });

  it("renders an error as an OpenAI error body", () => {
    expect(
      run([
        { type: "text-delta", delta: "a" },
        { type: "error", message: "boom", code: "server_is_overloaded" },
      ])[1],
    ).toEqual({
      error: { message: "boom", type: "upstream_error", param: null, code: "server_is_overloaded" },
    });
  });

  it("maps finish reasons and serializes as SSE data", () => {
    expect(toCompletionFinishReason("tool_calls")).toBe("stop");
    expect(toCompletionFinishReason(null)).toBe("stop");
    expect(toCompletionFinishReason("content_filter")).toBe("content_filter");
    expect(serializeCompletionChunk({ error: { message: "x", type: "t", param: null, code: null } })).toBe(
      'data: {"error":{"message":"x","type":"t","param":null,"code":null}}\n\n',
    );
  });
});
