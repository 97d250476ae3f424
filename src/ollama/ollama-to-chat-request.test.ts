import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../openai/chat-request-schema.ts";
import { toResponsesRequest } from "../openai/to-responses-request.ts";
import { parseOllamaChatRequest, parseOllamaGenerateRequest } from "./request-schemas.ts";
import {
  imageUrl,
  ollamaChatToChatRequest,
  ollamaGenerateToChatRequest,
  showsThinking,
  sniffImageType,
  type OllamaConversionOptions,
} from "./ollama-to-chat-request.ts";

const OPTS: OllamaConversionOptions = { defaultSummary: "auto", lowestEffort: "low" };
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

function chat(body: Record<string, unknown>, opts = OPTS) {
  return ollamaChatToChatRequest(parseOllamaChatRequest({ model: "gpt-5.5", ...body }), opts);
}

function backendBody(req: ReturnType<typeof chat>) {
  // The converted request must also be a valid OpenAI chat request…
  parseChatRequest(JSON.parse(JSON.stringify(req)));
  // …and become the backend body through the shared conversion.
  return toResponsesRequest(req, {
    model: "gpt-5.5",
    defaults: { effort: "medium", summary: "auto" },
    instructions: "",
    instructionsMode: "instructions",
    promptCacheKey: "k",
  });
}

describe("ollamaChatToChatRequest", () => {
  it("turns base64 images into data URLs the backend receives as input_image", () => {
    const req = chat({ messages: [{ role: "user", content: "What is this?", images: [PNG] }] });
    expect(req.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
      ],
    });
    const body = backendBody(req);
    expect(body.input[0]).toMatchObject({
      type: "message",
      role: "user",
      content: [{ type: "input_text" }, { type: "input_image", image_url: `data:image/png;base64,${PNG}` }],
    });
  });

  it("pairs id-less tool messages with the calls before them, in order or by tool_name", () => {
    const req = chat({
      messages: [
        { role: "user", content: "weather in Paris and time in Tokyo" },
        {
          role: "assistant",
          content: "",
          tool_calls: [
            { function: { name: "weather", arguments: { city: "Paris" } } },
            { function: { name: "time", arguments: { city: "Tokyo" } } },
          ],
        },
        { role: "tool", content: "10:00", tool_name: "time" },
        { role: "tool", content: "sunny" },
      ],
      tools: [
        { type: "function", function: { name: "weather", parameters: { type: "object" } } },
        { type: "function", function: { name: "time" } },
      ],
    });
    const body = backendBody(req);
    const calls = body.input.filter((i) => i.type === "function_call");
    const outputs = body.input.filter((i) => i.type === "function_call_output");
    expect(calls.map((c) => [c.name, c.arguments])).toEqual([
      ["weather", '{"city":"Paris"}'],
      ["time", '{"city":"Tokyo"}'],
    ]);
    const idOf = (name: string) => calls.find((c) => c.name === name)?.call_id;
    expect(outputs).toEqual([
      { type: "function_call_output", call_id: idOf("time"), output: "10:00" },
      { type: "function_call_output", call_id: idOf("weather"), output: "sunny" },
    ]);
    expect(body.tools?.map((t) => t.name)).toEqual(["weather", "time"]);
    expect(body.tools?.[1]).toMatchObject({ parameters: { type: "object", properties: {} } });
  });

  it("keeps call ids a client echoes back, and matches tool_call_id", () => {
    const req = chat({
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "call_abc", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", content: "r", tool_call_id: "call_abc" },
      ],
    });
    const body = backendBody(req);
    expect(body.input.filter((i) => i.type.startsWith("function_call")).map((i) => i.call_id)).toEqual([
      "call_abc",
      "call_abc",
    ]);
  });

  it("keeps an orphan tool result as context instead of an unmatched output", () => {
    const req = chat({ messages: [{ role: "tool", content: "42", tool_name: "calc" }] });
    expect(req.messages[0]).toEqual({ role: "user", content: "Result of tool calc:\n42" });
  });

  it("keeps a result naming a call id the history does not show as context; pairs one of an earlier turn", () => {
    const req = chat({
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "call_a", function: { name: "f", arguments: {} } }],
        },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "call_b", function: { name: "g", arguments: {} } }],
        },
        { role: "tool", content: "r2", tool_call_id: "call_b" },
        { role: "tool", content: "late", tool_call_id: "call_a" },
        { role: "tool", content: "42", tool_call_id: "ghost", tool_name: "calc" },
      ],
    });
    expect(req.messages[4]).toEqual({ role: "tool", tool_call_id: "call_a", content: "late" });
    expect(req.messages[5]).toEqual({ role: "user", content: "Result of tool calc:\n42" });
    // and the backend body pairs every output with a call before it
    expect(() => backendBody(req)).not.toThrow();
  });

  it("maps format to response_format", () => {
    expect(chat({ messages: [], format: "json" }).response_format).toEqual({ type: "json_object" });
    const schema = { type: "object", properties: { a: { type: "string" } } };
    const req = chat({ messages: [{ role: "user", content: "x" }], format: schema });
    expect(backendBody(req).text?.format).toEqual({
      type: "json_schema",
      name: "response",
      schema,
      strict: false,
    });
    expect(chat({ messages: [], format: "" }).response_format).toBeUndefined();
  });

  it("maps think to the effort and the summary", () => {
    expect(chat({ messages: [], think: "high" }).reasoning_effort).toBe("high");
    expect(chat({ messages: [], think: true }).reasoning).toBeUndefined();
    expect(chat({ messages: [], think: true }, { ...OPTS, defaultSummary: "none" }).reasoning).toEqual({
      summary: "auto",
    });
    const off = backendBody(chat({ messages: [{ role: "user", content: "x" }], think: false }));
    expect(off.reasoning).toEqual({ effort: "low" });
    expect(showsThinking(false)).toBe(false);
    expect(showsThinking(undefined)).toBe(true);
  });

  it("honours num_predict and stop, ignores the other options", () => {
    const req = chat({ messages: [], options: { num_predict: 50, stop: "END", temperature: 0 } });
    expect(req.max_tokens).toBe(50);
    expect(req.stop).toEqual(["END"]);
    expect(req).not.toHaveProperty("temperature");
    expect(chat({ messages: [], options: { num_predict: -1 } }).max_tokens).toBeUndefined();
  });

  it("drops assistant thinking from the history", () => {
    const req = chat({
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: "b", thinking: "hmm" },
      ],
    });
    expect(req.messages[1]).toEqual({ role: "assistant", content: "b" });
  });
});

describe("ollamaGenerateToChatRequest", () => {
  it("builds system + user from prompt, system and images", () => {
    const req = ollamaGenerateToChatRequest(
      parseOllamaGenerateRequest({
        model: "m",
        prompt: "Describe",
        system: "Short.",
        images: [PNG],
        think: "low",
      }),
      OPTS,
    );
    expect(req.messages).toEqual([
      { role: "system", content: "Short." },
      {
        role: "user",
        content: [
          { type: "text", text: "Describe" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
        ],
      },
    ]);
    expect(req.reasoning_effort).toBe("low");
  });
});

describe("images", () => {
  it("sniffs the type from the magic bytes", () => {
    expect(sniffImageType("/9j/4AAQ")).toBe("image/jpeg");
    expect(sniffImageType("R0lGODlh")).toBe("image/gif");
    expect(sniffImageType("UklGRh4A")).toBe("image/webp");
    expect(sniffImageType(PNG)).toBe("image/png");
  });

  it("passes URLs a client formed itself", () => {
    expect(imageUrl("data:image/png;base64,AAAA", "images[0]")).toBe("data:image/png;base64,AAAA");
    expect(imageUrl("https://example.com/a.png", "images[0]")).toBe("https://example.com/a.png");
  });

  it("refuses an image that is not base64, naming the Ollama field", () => {
    expect(() =>
      chat({
        messages: [
          { role: "user", content: "x" },
          { role: "user", content: "y", images: ["not base64!"] },
        ],
      }),
    ).toThrow("'messages[1].images[0]'");
  });
});
