import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import { parseChatRequest } from "./chat-request-schema.ts";

function fail(body: unknown): RelayError {
  try {
    parseChatRequest(body);
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error("expected parseChatRequest to throw");
}

const base = { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] };

describe("parseChatRequest", () => {
  it("accepts a minimal request and keeps unknown keys", () => {
    const req = parseChatRequest({ ...base, some_vendor_flag: true });
    expect(req.model).toBe("gpt-5.5");
    expect(req.messages).toHaveLength(1);
    expect(req.some_vendor_flag).toBe(true);
  });

  it("accepts what real clients send", () => {
    const req = parseChatRequest({
      model: "gpt-5.5-high",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use tools." }] },
        {
          role: "user",
          name: "alice",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "high" } },
            { type: "image_url", image_url: "data:image/png;base64,iVBORw0KGgo=" },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "a cat" }] },
        { role: "assistant", content: "A cat.", refusal: null },
      ],
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: "function", function: { name: "look", parameters: { type: "object" }, strict: true } }],
      tool_choice: { type: "function", function: { name: "look" } },
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "x", schema: { type: "object" }, strict: true },
      },
      reasoning_effort: "high",
      reasoning: { effort: "low", summary: "on" },
      verbosity: "low",
      stop: ["\n\n", "END"],
      max_tokens: 100,
      max_completion_tokens: 50,
      n: 1,
      temperature: 0.2,
      top_p: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      seed: 7,
      user: "u1",
      metadata: { a: "b" },
      logprobs: false,
      top_logprobs: 0,
      logit_bias: { "42": 1 },
      store: false,
      service_tier: "auto",
      prompt_cache_key: "conv-1",
      safety_identifier: "s",
      reasoning_compat: "Reasoning-Content",
    });
    expect(req.reasoning?.summary).toBe("auto");
    expect(req.reasoning_compat).toBe("reasoning_content");
  });

  it("accepts nulls where SDKs send them", () => {
    expect(() =>
      parseChatRequest({
        ...base,
        tools: null,
        tool_choice: null,
        stop: null,
        max_tokens: null,
        stream_options: null,
      }),
    ).not.toThrow();
  });

  it("names a missing model", () => {
    expect(fail({ messages: base.messages })).toMatchObject({
      status: 400,
      param: "model",
      message: "Missing required parameter: 'model'.",
    });
    expect(fail({ ...base, model: " " }).param).toBe("model");
  });

  it("wants a non-empty messages array", () => {
    expect(fail({ model: "m", messages: [] })).toMatchObject({
      param: "messages",
      message: "'messages' must be a non-empty array.",
    });
    expect(fail({ model: "m", messages: "hi" }).param).toBe("messages");
    expect(fail({ model: "m" }).param).toBe("messages");
  });

  it("names an unknown role", () => {
    const err = fail({
      model: "m",
      messages: [
        { role: "user", content: "a" },
        { role: "user", content: "b" },
        { role: "robot", content: "c" },
      ],
    });
    expect(err.param).toBe("messages[2].role");
    expect(err.message).toBe(
      "Invalid value for 'messages[2].role': 'robot' is not one of system, developer, user, assistant, tool, function.",
    );
  });

  it("rejects unsupported content parts by name", () => {
    const err = fail({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "x" },
            { type: "input_audio", input_audio: {} },
          ],
        },
      ],
    });
    expect(err.param).toBe("messages[0].content[1].type");
    expect(err.message).toContain("'input_audio'");
    expect(err.message).toContain("not supported");
    expect(
      fail({ model: "m", messages: [{ role: "user", content: [{ type: "file", file: {} }] }] }).message,
    ).toContain("'file'");
    expect(fail({ model: "m", messages: [{ role: "user", content: [{ type: "bogus" }] }] }).param).toBe(
      "messages[0].content[0].type",
    );
  });

  it("names a malformed part field", () => {
    expect(
      fail({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: 5 }] }] }),
    ).toMatchObject({
      param: "messages[0].content[0].text",
      message: "Invalid type for 'messages[0].content[0].text': expected a string, but got an integer.",
    });
    expect(
      fail({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] })
        .param,
    ).toBe("messages[0].content[0].image_url.url");
    expect(fail({ model: "m", messages: [{ role: "user", content: 42 }] }).message).toBe(
      "Invalid type for 'messages[0].content': expected a string or an array, but got an integer.",
    );
  });

  it("wants content for user messages and tool_call_id for tool messages", () => {
    expect(fail({ model: "m", messages: [{ role: "user" }] })).toMatchObject({
      param: "messages[0].content",
    });
    expect(fail({ model: "m", messages: [{ role: "tool", content: "x" }] })).toMatchObject({
      param: "messages[0].tool_call_id",
      message: expect.stringContaining("Missing required parameter: 'messages[0].tool_call_id'"),
    });
    expect(() =>
      parseChatRequest({ model: "m", messages: [{ role: "assistant", content: null }] }),
    ).not.toThrow();
  });

  it("allows only n=1", () => {
    expect(fail({ ...base, n: 2 })).toMatchObject({
      param: "n",
      message: expect.stringContaining("only n=1"),
    });
  });

  it("limits stop to 4 sequences", () => {
    expect(fail({ ...base, stop: ["a", "b", "c", "d", "e"] })).toMatchObject({
      param: "stop",
      message: "'stop' may hold at most 4 items.",
    });
    expect(parseChatRequest({ ...base, stop: "x" }).stop).toBe("x");
  });

  it("names bad tools, tool_choice and response_format", () => {
    expect(fail({ ...base, tools: [{ type: "function", function: { name: "" } }] }).param).toBe(
      "tools[0].function.name",
    );
    expect(fail({ ...base, tools: [{ type: "function", function: {} }] }).param).toBe(
      "tools[0].function.name",
    );
    expect(fail({ ...base, tool_choice: "sometimes" })).toMatchObject({
      param: "tool_choice",
      message: "Invalid value for 'tool_choice': 'sometimes' is not one of auto, none, required.",
    });
    expect(fail({ ...base, tool_choice: { type: "function", function: {} } }).param).toBe(
      "tool_choice.function.name",
    );
    expect(fail({ ...base, response_format: { type: "xml" } })).toMatchObject({
      param: "response_format.type",
    });
    expect(
      fail({ ...base, response_format: { type: "json_schema", json_schema: { name: "x" } } }).param,
    ).toBe("response_format.json_schema.schema");
  });

  it("names bad reasoning values", () => {
    expect(fail({ ...base, reasoning_effort: "max" }).param).toBe("reasoning_effort");
    expect(fail({ ...base, reasoning: { summary: "long" } }).param).toBe("reasoning.summary");
    expect(fail({ ...base, reasoning_compat: "xml" }).param).toBe("reasoning_compat");
    expect(fail({ ...base, max_tokens: 0 }).param).toBe("max_tokens");
    expect(fail({ ...base, temperature: "hot" }).param).toBe("temperature");
  });

  it("rejects a body that is not an object", () => {
    expect(fail([1, 2]).message).toBe("The request body must be a JSON object.");
    expect(fail(null).status).toBe(400);
  });
});
