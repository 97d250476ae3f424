import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import { parseCompletionRequest, toCompletionResponsesBody } from "./completions-request.ts";

function rejected(body: unknown): RelayError {
  try {
    parseCompletionRequest(body);
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error("expected a 400");
}

describe("parseCompletionRequest", () => {
  it("accepts a string prompt and an array of one string", () => {
    expect(parseCompletionRequest({ model: "m", prompt: "Say hi" })).toEqual({
      model: "m",
      prompt: "Say hi",
      stream: false,
      includeUsage: false,
    });
    expect(parseCompletionRequest({ model: "m", prompt: ["Say hi"] }).prompt).toBe("Say hi");
  });

  it("reads stream, usage, stop, max_tokens, reasoning_effort and user", () => {
    const req = parseCompletionRequest({
      model: "m",
      prompt: "p",
      stream: true,
      stream_options: { include_usage: true },
      stop: ["\n", ""],
      max_tokens: 16,
      reasoning_effort: "low",
      user: "u1",
      temperature: 0.2,
      top_p: 1,
      presence_penalty: 0,
      echo: false,
      best_of: 1,
      n: 1,
      logprobs: null,
      suffix: null,
    });
    expect(req).toEqual({
      model: "m",
      prompt: "p",
      stream: true,
      includeUsage: true,
      stop: ["\n"],
      maxTokens: 16,
      reasoningEffort: "low",
      user: "u1",
    });
    expect(parseCompletionRequest({ model: "m", prompt: "p", stop: "END" }).stop).toEqual(["END"]);
  });

  it.each([
    [{ prompt: "p" }, "model"],
    [{ model: "m" }, "prompt"],
    [{ model: "m", prompt: [] }, "prompt"],
    [{ model: "m", prompt: ["a", "b"] }, "prompt"],
    [{ model: "m", prompt: [1, 2, 3] }, "prompt"],
    [{ model: "m", prompt: [[1, 2]] }, "prompt"],
    [{ model: "m", prompt: ["a", {}] }, "prompt[1]"],
    [{ model: "m", prompt: 5 }, "prompt"],
    [{ model: "m", prompt: "p", echo: true }, "echo"],
    [{ model: "m", prompt: "p", suffix: "tail" }, "suffix"],
    [{ model: "m", prompt: "p", best_of: 3 }, "best_of"],
    [{ model: "m", prompt: "p", logprobs: 5 }, "logprobs"],
    [{ model: "m", prompt: "p", logprobs: 0 }, "logprobs"],
    [{ model: "m", prompt: "p", n: 2 }, "n"],
    [{ model: "m", prompt: "p", stream: "yes" }, "stream"],
    [{ model: "m", prompt: "p", stop: 3 }, "stop"],
    [{ model: "m", prompt: "p", stop: ["a", "b", "c", "d", "e"] }, "stop"],
    [{ model: "m", prompt: "p", max_tokens: -1 }, "max_tokens"],
    [{ model: "m", prompt: "p", max_tokens: 1.5 }, "max_tokens"],
    [{ model: "m", prompt: "p", reasoning_effort: "max" }, "reasoning_effort"],
    [{ model: "m", prompt: "p", stream_options: { include_usage: "y" } }, "stream_options.include_usage"],
  ])("rejects %j naming %s", (body, param) => {
    const err = rejected(body);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toContain(param.replace(/\[\d+\]$/, ""));
  });

  it("rejects a body that is not an object", () => {
    expect(rejected("text").status).toBe(400);
  });
});

describe("toCompletionResponsesBody", () => {
  const ctx = {
    model: "gpt-5.5",
    defaultEffort: "medium" as const,
    instructions: "BASE",
    instructionsMode: "developer" as const,
    promptCacheKey: "k",
  };

  it("sends the prompt as a user message after the base instructions", () => {
    const body = toCompletionResponsesBody(parseCompletionRequest({ model: "x", prompt: "Once upon" }), ctx);
    expect(body).toEqual({
      model: "gpt-5.5",
      store: false,
      stream: true,
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "BASE" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Once upon" }] },
      ],
      reasoning: { effort: "medium" },
      prompt_cache_key: "k",
    });
  });

  it("uses the instructions field in that mode and the effort in order request > suffix > default", () => {
    const body = toCompletionResponsesBody(parseCompletionRequest({ model: "x", prompt: "p" }), {
      ...ctx,
      instructionsMode: "instructions",
      effort: "high",
    });
    expect(body.instructions).toBe("BASE");
    expect(body.input).toHaveLength(1);
    expect(body.reasoning).toEqual({ effort: "high" });
    const own = toCompletionResponsesBody(
      parseCompletionRequest({ model: "x", prompt: "p", reasoning_effort: "low" }),
      { ...ctx, effort: "high" },
    );
    expect(own.reasoning).toEqual({ effort: "low" });
  });
});
