import { describe, expect, it } from "vitest";
import { parseChatRequest } from "./chat-request-schema.ts";
import {
  deriveConversationKey,
  outputLimitsOf,
  toResponsesRequest,
  type ToResponsesRequestContext,
} from "./to-responses-request.ts";

const ctx: ToResponsesRequestContext = {
  model: "gpt-5.5",
  defaults: { effort: "medium", summary: "auto" },
  instructions: "BASE",
  instructionsMode: "developer",
  promptCacheKey: "key-1",
};

const req = (extra: Record<string, unknown> = {}) =>
  parseChatRequest({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], ...extra });

describe("toResponsesRequest", () => {
  it("builds the minimal body with instructions as a leading developer message", () => {
    expect(toResponsesRequest(req(), ctx)).toEqual({
      model: "gpt-5.5",
      store: false,
      stream: true,
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "BASE" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
      ],
      reasoning: { effort: "medium", summary: "auto" },
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "key-1",
    });
  });

  it("can send the instructions field instead", () => {
    const body = toResponsesRequest(req(), { ...ctx, instructionsMode: "instructions" });
    expect(body.instructions).toBe("BASE");
    expect(body.input).toHaveLength(1);
  });

  it("never forwards parameters the backend rejects", () => {
    const body = toResponsesRequest(
      req({
        max_tokens: 5,
        max_completion_tokens: 5,
        temperature: 0.1,
        top_p: 0.5,
        metadata: { a: "b" },
        user: "u",
        stop: "x",
        n: 1,
        seed: 1,
        stream: false,
        service_tier: "priority",
        unknown_thing: 1,
      }),
      ctx,
    );
    for (const key of [
      "max_tokens",
      "max_completion_tokens",
      "max_output_tokens",
      "temperature",
      "top_p",
      "metadata",
      "user",
      "stop",
      "n",
      "seed",
      "service_tier",
      "unknown_thing",
      "messages",
    ]) {
      expect(body, key).not.toHaveProperty(key);
    }
    expect(body.stream).toBe(true);
    expect(body.store).toBe(false);
  });

  it("adds tools, tool_choice and parallel_tool_calls (default true) only with tools", () => {
    const withTools = toResponsesRequest(
      req({ tools: [{ type: "function", function: { name: "f" } }], tool_choice: "required" }),
      ctx,
    );
    expect(withTools.tools).toEqual([
      { type: "function", name: "f", parameters: { type: "object", properties: {} }, strict: false },
    ]);
    expect(withTools.tool_choice).toBe("required");
    expect(withTools.parallel_tool_calls).toBe(true);
    const noParallel = toResponsesRequest(
      req({ tools: [{ type: "function", function: { name: "f" } }], parallel_tool_calls: false }),
      ctx,
    );
    expect(noParallel.parallel_tool_calls).toBe(false);
    expect(noParallel).not.toHaveProperty("tool_choice");
    const none = toResponsesRequest(req({ tool_choice: "auto", parallel_tool_calls: true, tools: [] }), ctx);
    expect(none).not.toHaveProperty("tools");
    expect(none).not.toHaveProperty("tool_choice");
    expect(none).not.toHaveProperty("parallel_tool_calls");
  });

  it("resolves effort: reasoning_effort > reasoning.effort > model suffix > default", () => {
    const effort = (extra: Record<string, unknown>, suffix?: "low") =>
      toResponsesRequest(req(extra), { ...ctx, effort: suffix }).reasoning?.effort;
    expect(effort({ reasoning_effort: "high", reasoning: { effort: "low" } }, "low")).toBe("high");
    expect(effort({ reasoning: { effort: "minimal" } }, "low")).toBe("minimal");
    expect(effort({}, "low")).toBe("low");
    expect(effort({})).toBe("medium");
  });

  it("resolves summary and handles none", () => {
    expect(toResponsesRequest(req({ reasoning: { summary: "detailed" } }), ctx).reasoning).toEqual({
      effort: "medium",
      summary: "detailed",
    });
    const noSummary = toResponsesRequest(req({ reasoning: { summary: "off" } }), ctx);
    expect(noSummary.reasoning).toEqual({ effort: "medium" });
    expect(noSummary.include).toEqual(["reasoning.encrypted_content"]);
    const noneEffort = toResponsesRequest(req({ reasoning_effort: "none" }), ctx);
    expect(noneEffort.reasoning).toEqual({ effort: "none" });
    expect(noneEffort).not.toHaveProperty("include");
  });

  it("maps verbosity and response_format to text", () => {
    expect(
      toResponsesRequest(req({ verbosity: "low", response_format: { type: "json_object" } }), ctx).text,
    ).toEqual({
      verbosity: "low",
      format: { type: "json_object" },
    });
    expect(toResponsesRequest(req({ response_format: { type: "text" } }), ctx)).not.toHaveProperty("text");
  });
});

describe("outputLimitsOf", () => {
  it("collects stop and max tokens", () => {
    expect(outputLimitsOf(req())).toEqual({});
    expect(outputLimitsOf(req({ stop: "END", max_tokens: 10 }))).toEqual({ stop: ["END"], maxTokens: 10 });
    expect(outputLimitsOf(req({ stop: ["a", ""], max_tokens: 10, max_completion_tokens: 20 }))).toEqual({
      stop: ["a"],
      maxTokens: 20,
    });
  });
});

describe("deriveConversationKey", () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it("is stable across turns of one conversation", () => {
    const turn1 = req({
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "Q1" },
      ],
    });
    const turn2 = req({
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "Q1" },
        { role: "assistant", content: "A1" },
        { role: "user", content: "Q2" },
      ],
    });
    expect(deriveConversationKey(turn1)).toMatch(UUID);
    expect(deriveConversationKey(turn2)).toBe(deriveConversationKey(turn1));
    const other = req({
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "Other" },
      ],
    });
    expect(deriveConversationKey(other)).not.toBe(deriveConversationKey(turn1));
  });

  it("prefers prompt_cache_key, then user", () => {
    const a = deriveConversationKey(req({ prompt_cache_key: "k", user: "u" }));
    expect(a).toBe(
      deriveConversationKey(req({ prompt_cache_key: "k", messages: [{ role: "user", content: "x" }] })),
    );
    expect(deriveConversationKey(req({ user: "u" }))).not.toBe(a);
    expect(deriveConversationKey(req({ user: "u" }))).toMatch(UUID);
  });
});
