import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import {
  parseOllamaChatRequest,
  parseOllamaGenerateRequest,
  parseOllamaShowRequest,
} from "./request-schemas.ts";

function failure(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error("expected a RelayError");
}

describe("parseOllamaChatRequest", () => {
  it("accepts what Ollama clients send, unknown keys included", () => {
    const req = parseOllamaChatRequest({
      model: "gpt-5.5:latest",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Look", images: ["iVBORw0KGgo="] },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "f", arguments: { a: 1 } } }] },
        { role: "tool", content: "42", tool_name: "f" },
      ],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      think: "high",
      format: { type: "object" },
      options: { temperature: 0.2, num_predict: 100, stop: ["\n\n"], num_ctx: 8192 },
      keep_alive: "5m",
      logprobs: false,
    });
    expect(req.model).toBe("gpt-5.5:latest");
    expect(req.messages).toHaveLength(4);
    expect(req.options?.num_predict).toBe(100);
  });

  it('accepts no messages (a preload) and format "json"', () => {
    expect(parseOllamaChatRequest({ model: "m", format: "json" }).messages).toBeUndefined();
  });

  it("names the missing model", () => {
    const err = failure(() => parseOllamaChatRequest({ messages: [] }));
    expect(err.status).toBe(400);
    expect(err.message).toContain("'model'");
  });

  it("names a wrong role", () => {
    const err = failure(() =>
      parseOllamaChatRequest({ model: "m", messages: [{ role: "robot", content: "hi" }] }),
    );
    expect(err.message).toContain("'messages[0].role'");
    expect(err.message).toContain("robot");
  });

  it("names an image that is not a base64 string", () => {
    const err = failure(() =>
      parseOllamaChatRequest({ model: "m", messages: [{ role: "user", content: "x", images: [42] }] }),
    );
    expect(err.message).toContain("'messages[0].images[0]'");
  });

  it("names a bad think value", () => {
    const err = failure(() => parseOllamaChatRequest({ model: "m", messages: [], think: "very" }));
    expect(err.message).toContain("'think'");
  });

  it("refuses a body that is not an object", () => {
    expect(failure(() => parseOllamaChatRequest([1, 2])).status).toBe(400);
  });
});

describe("parseOllamaGenerateRequest", () => {
  it("accepts raw, template and context without effect", () => {
    const req = parseOllamaGenerateRequest({
      model: "m",
      prompt: "hi",
      raw: true,
      template: "{{ .Prompt }}",
      context: [1, 2, 3],
      stream: false,
    });
    expect(req.prompt).toBe("hi");
    expect(req.stream).toBe(false);
  });

  it("names a prompt of the wrong type", () => {
    expect(failure(() => parseOllamaGenerateRequest({ model: "m", prompt: 5 })).message).toContain(
      "'prompt'",
    );
  });
});

describe("parseOllamaShowRequest", () => {
  it("takes model or the older name", () => {
    expect(parseOllamaShowRequest({ model: "a" })).toBe("a");
    expect(parseOllamaShowRequest({ name: "b" })).toBe("b");
  });

  it("needs one of them", () => {
    expect(failure(() => parseOllamaShowRequest({})).message).toContain("'model'");
  });
});
