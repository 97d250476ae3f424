// Legacy /v1/completions with the official openai SDK (and @ai-sdk/openai's completion model): real HTTP, real
// relay, fake backend.

import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestRelay();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => t.close());

function lastBody(): Record<string, unknown> & { input: { role?: string; content?: { text?: string }[] }[] } {
  const r = t.fake.requests.at(-1);
  if (!r) throw new Error("the fake saw no request");
  return r.body as ReturnType<typeof lastBody>;
}

describe("completions through the openai SDK", () => {
  it("non-stream: a text_completion with usage; the prompt reaches the backend as a user message", async () => {
    t.fake.enqueue({ kind: "text", text: " Paris.", usage: { input_tokens: 9, output_tokens: 2 } });
    const r = await client.completions.create({
      model: "gpt-5.5",
      prompt: "The capital of France is",
      temperature: 0,
      max_tokens: 50,
    });
    expect(r.object).toBe("text_completion");
    expect(r.id).toMatch(/^cmpl-/);
    expect(r.model).toBe("gpt-5.5");
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]).toMatchObject({ text: " Paris.", index: 0, logprobs: null, finish_reason: "stop" });
    expect(r.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
    const body = lastBody();
    expect(body).toMatchObject({ model: "gpt-5.5", store: false, stream: true });
    expect(body).not.toHaveProperty("temperature");
    expect(body).not.toHaveProperty("max_output_tokens");
    expect(body.input.at(-1)).toEqual({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "The capital of France is" }],
    });
  });

  it("accepts an array holding one prompt", async () => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    const r = await client.completions.create({ model: "gpt-5.5", prompt: ["just one"] });
    expect(r.choices[0]!.text).toBe("ok");
  });

  it("stream: text_completion chunks, one finish_reason, the usage chunk", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "one two three four",
      deltas: 4,
      reasoning: ["hidden thoughts"],
      usage: { input_tokens: 3, output_tokens: 4 },
    });
    const stream = await client.completions.create({
      model: "gpt-5.5",
      prompt: "count",
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    for (const c of chunks) expect(c.object).toBe("text_completion");
    const text = chunks.map((c) => c.choices[0]?.text ?? "").join("");
    expect(text).toBe("one two three four");
    expect(text).not.toContain("hidden");
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]!.finish_reason)).toEqual(
      ["stop"],
    );
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
  });

  it("honours stop and max_tokens", async () => {
    t.fake.enqueue({ kind: "text", text: "alpha beta gamma delta" });
    const stopped = await client.completions.create({ model: "gpt-5.5", prompt: "greek", stop: [" gamma"] });
    expect(stopped.choices[0]).toMatchObject({ text: "alpha beta", finish_reason: "stop" });
    t.fake.enqueue({ kind: "text", text: "The quick brown fox jumps over the lazy dog" });
    const cut = await client.completions.create({
      model: "gpt-5.5",
      prompt: "letters",
      max_tokens: 3,
      stream: true,
    });
    let text = "";
    let finish: string | null = null;
    for await (const c of cut) {
      text += c.choices[0]?.text ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe("The quick brown"); // three o200k tokens
    expect(finish).toBe("length");
  });

  it.each([
    ["echo", { echo: true }],
    ["suffix", { suffix: "and then" }],
    ["best_of", { best_of: 3 }],
    ["logprobs", { logprobs: 2 }],
    ["n", { n: 2 }],
    ["prompt", { prompt: ["one", "two"] }],
  ] satisfies [string, Partial<OpenAI.CompletionCreateParamsNonStreaming>][])(
    "rejects %s with a 400 naming it",
    async (param, extra) => {
      const before = t.fake.requests.length;
      const err = await client.completions
        .create({ model: "gpt-5.5", prompt: "p", ...extra })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
      expect(t.fake.requests.length).toBe(before);
    },
  );

  it("reports a failed turn with the backend's message", async () => {
    t.fake.enqueue({ kind: "failed", code: "server_is_overloaded", message: "The server is overloaded." });
    await expect(client.completions.create({ model: "gpt-5.5", prompt: "p" })).rejects.toMatchObject({
      status: 503,
    });
  });
});

describe("@ai-sdk/openai completion model", () => {
  it("generateText", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "Completed by the AI SDK.",
      usage: { input_tokens: 4, output_tokens: 5 },
    });
    const model = createOpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused" }).completion("gpt-5.5");
    const r = await generateText({ model, prompt: "Complete this" });
    expect(r.text).toBe("Completed by the AI SDK.");
    expect(r.usage.outputTokens).toBe(5);
  });
});
