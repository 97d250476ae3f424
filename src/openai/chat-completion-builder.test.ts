import { describe, expect, it } from "vitest";
import { collectTurn, type CollectedTurn } from "../core/collect-turn.ts";
import { loadRecorded, normalizeAll, RECORDED } from "../../test/helpers/recorded.ts";
import { buildChatCompletion } from "./chat-completion-builder.ts";

const options = { id: "chatcmpl-1", model: "gpt-5.5", created: 1700000000 };

const turn = (extra: Partial<CollectedTurn> = {}): CollectedTurn => ({
  responseId: "resp_1",
  model: null,
  text: "Answer",
  reasoningSummary: ["One.", "Two."],
  reasoningRaw: "",
  toolCalls: [],
  finishReason: "stop",
  usage: { inputTokens: 10, cachedInputTokens: 4, outputTokens: 6, reasoningTokens: 2, totalTokens: 16 },
  ...extra,
});

describe("buildChatCompletion", () => {
  it("builds a chat.completion with usage", () => {
    expect(buildChatCompletion(turn(), { ...options, compat: "reasoning_content" })).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1700000000,
      model: "gpt-5.5",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Answer", refusal: null, reasoning_content: "One.\n\nTwo." },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 6,
        total_tokens: 16,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });

  it("renders reasoning per compat mode", () => {
    const msg = (compat: Parameters<typeof buildChatCompletion>[1]["compat"]) =>
      buildChatCompletion(turn(), { ...options, compat }).choices[0].message;
    expect(msg("think-tags").content).toBe("<think>One.\n\nTwo.</think>\n\nAnswer");
    expect(msg("o3").reasoning).toEqual({ content: [{ type: "text", text: "One.\n\nTwo." }] });
    expect(msg("legacy")).toMatchObject({ content: "Answer", reasoning_summary: "One.\n\nTwo." });
    expect(msg("hidden")).toEqual({ role: "assistant", content: "Answer", refusal: null });
  });

  it("content is null when there are only tool calls; finish_reason tool_calls", () => {
    const c = buildChatCompletion(
      turn({ text: "", reasoningSummary: [], toolCalls: [{ callId: "c1", name: "f", arguments: "{}" }] }),
      { ...options, compat: "think-tags" },
    );
    expect(c.choices[0].message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
    });
    expect(c.choices[0].finish_reason).toBe("tool_calls");
  });

  it("omits usage for a turn cut by the relay", () => {
    const c = buildChatCompletion(turn({ usage: undefined, finishReason: "length" }), {
      ...options,
      compat: "hidden",
    });
    expect(c).not.toHaveProperty("usage");
    expect(c.choices[0].finish_reason).toBe("length");
  });

  it("rebuilds recorded streams: phase (both messages) and the tool call", async () => {
    const phase = await collectTurn(normalizeAll(loadRecorded(RECORDED.phase)));
    expect(buildChatCompletion(phase, { ...options, compat: "think-tags" }).choices[0].message.content).toBe(
      "Got it\n\nHere are a few **AI",
    );
    const tool = await collectTurn(normalizeAll(loadRecorded(RECORDED.toolCall)));
    const c = buildChatCompletion(tool, { ...options, compat: "think-tags" });
    expect(c.choices[0].message.tool_calls).toEqual([
      {
        id: "call_2FQdm3Br7Qb35YUBSkDR7kue",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Beijing"}' },
      },
    ]);
    expect(c.choices[0].finish_reason).toBe("tool_calls");
    const azure = await collectTurn(normalizeAll(loadRecorded(RECORDED.azureMultiSummary)));
    expect(azure.reasoningSummary).toHaveLength(6);
  });
});
