// Usage on answers the relay cut itself (max_tokens / max_completion_tokens, stop, Ollama num_predict / stop,
// /v1/completions), through the real openai SDK and ollama client: the backend's usage never arrives for those,
// so the relay counts input and output with o200k. Also: max_tokens is a token budget, not characters.

import OpenAI from "openai";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { countTextTokens } from "../../src/core/token-count.ts";
import { countRequestTokens } from "../../src/core/request-tokens.ts";
import type { ResponsesRequestBody } from "../../src/responses/types.ts";

let t: TestRelay;
let openai: OpenAI;
let ollama: Ollama;

beforeAll(async () => {
  t = await startTestRelay();
  openai = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
  ollama = new Ollama({ host: t.url });
});
afterAll(() => t.close());

/** The input tokens the relay counts for the request the fake received last. */
function countedInput(): number {
  const body = t.fake.requests.at(-1)?.body as ResponsesRequestBody | undefined;
  if (!body) throw new Error("the fake saw no request");
  return countRequestTokens(body);
}

const ANSWER =
  "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. " +
  "How vexingly quick daft zebras jump! Sphinx of black quartz, judge my vow.";

describe("a chat cut by max_tokens", () => {
  it("keeps exactly max_tokens o200k tokens and reports usage (non-stream)", async () => {
    t.fake.enqueue({
      kind: "text",
      text: ANSWER,
      deltas: 9,
      usage: { input_tokens: 999, output_tokens: 999 },
    });
    const r = await openai.chat.completions.create({
      model: "gpt-5.5",
      max_tokens: 12,
      messages: [{ role: "user", content: "Tell me a pangram." }],
    });
    const content = r.choices[0]!.message.content!;
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(ANSWER.startsWith(content)).toBe(true);
    expect(countTextTokens(content)).toBe(12);
    expect(r.usage).toMatchObject({
      prompt_tokens: countedInput(),
      completion_tokens: 12,
      total_tokens: countedInput() + 12,
    });
    expect(r.usage!.prompt_tokens).toBeGreaterThan(countTextTokens("Tell me a pangram."));
  });

  it("sends the usage chunk under include_usage (stream, max_completion_tokens)", async () => {
    t.fake.enqueue({ kind: "text", text: ANSWER, deltas: 30, reasoning: ["Thinking about pangrams."] });
    const stream = await openai.chat.completions.create(
      {
        model: "gpt-5.5",
        max_completion_tokens: 7,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "Tell me a pangram." }],
      },
      { headers: { "x-reasoning-compat": "reasoning_content" } },
    );
    let text = "";
    const usages = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(countTextTokens(text)).toBe(7);
    expect(usages).toHaveLength(1);
    const reasoning = countTextTokens("Thinking about pangrams.");
    expect(usages[0]).toMatchObject({
      prompt_tokens: countedInput(),
      completion_tokens: 7 + reasoning,
      completion_tokens_details: { reasoning_tokens: reasoning },
    });
  });
});

describe("a chat cut by a stop sequence", () => {
  it("reports usage, stream and non-stream", async () => {
    t.fake.enqueue({ kind: "text", text: "alpha beta END gamma", deltas: 6 });
    const r = await openai.chat.completions.create({
      model: "gpt-5.5",
      stop: ["END"],
      messages: [{ role: "user", content: "x" }],
    });
    expect(r.choices[0]!.message.content).toBe("alpha beta ");
    expect(r.usage).toMatchObject({
      prompt_tokens: countedInput(),
      completion_tokens: countTextTokens("alpha beta "),
    });

    t.fake.enqueue({ kind: "text", text: "alpha beta END gamma", deltas: 6 });
    const stream = await openai.chat.completions.create({
      model: "gpt-5.5",
      stop: "END",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "x" }],
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    expect(usage).toMatchObject({
      prompt_tokens: countedInput(),
      completion_tokens: countTextTokens("alpha beta "),
    });
  });
});

describe("/v1/completions cut at the relay", () => {
  it("reports usage, stream and non-stream", async () => {
    t.fake.enqueue({ kind: "text", text: ANSWER, deltas: 12 });
    const r = await openai.completions.create({ model: "gpt-5.5", prompt: "pangram", max_tokens: 5 });
    expect(countTextTokens(r.choices[0]!.text)).toBe(5);
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.usage).toMatchObject({ prompt_tokens: countedInput(), completion_tokens: 5 });

    t.fake.enqueue({ kind: "text", text: ANSWER, deltas: 12 });
    const stream = await openai.completions.create({
      model: "gpt-5.5",
      prompt: "pangram",
      stop: [" over"],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.text ?? "";
      usage = c.usage ?? usage;
    }
    expect(text).toBe("The quick brown fox jumps");
    expect(usage).toMatchObject({ prompt_tokens: countedInput(), completion_tokens: countTextTokens(text) });
  });
});

describe("Ollama answers cut at the relay", () => {
  it("/api/chat with num_predict: prompt_eval_count and eval_count counted", async () => {
    t.fake.enqueue({ kind: "text", text: ANSWER, deltas: 10 });
    const r = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "pangram" }],
      options: { num_predict: 6 },
    });
    expect(r.done_reason).toBe("length");
    expect(countTextTokens(r.message.content)).toBe(6);
    expect(r.eval_count).toBe(6);
    expect(r.prompt_eval_count).toBe(countedInput());
    expect(r.prompt_eval_count).toBeGreaterThan(0);
  });

  it("/api/generate streamed with a stop: the final line carries the counts", async () => {
    t.fake.enqueue({ kind: "text", text: ANSWER, deltas: 10 });
    const stream = await ollama.generate({
      model: "gpt-5.5",
      prompt: "pangram",
      stream: true,
      options: { stop: ["."] },
    });
    let text = "";
    let last;
    for await (const part of stream) {
      text += part.response;
      last = part;
    }
    expect(text).toBe("The quick brown fox jumps over the lazy dog");
    expect(last).toMatchObject({
      done: true,
      prompt_eval_count: countedInput(),
      eval_count: countTextTokens(text),
    });
  });
});
