// logprobs on every route, through the real clients: asking for log probabilities is a 400 naming the field (the
// backend cannot give them); false / 0 alternatives / absent is answered normally.

import OpenAI from "openai";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let openai: OpenAI;
let ollama: Ollama;

beforeAll(async () => {
  t = await startTestRelay();
  openai = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
  ollama = new Ollama({ host: t.url });
});
afterAll(() => t.close());

async function rejected(p: Promise<unknown>, param: string): Promise<void> {
  const before = t.fake.counters.responses;
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as InstanceType<typeof OpenAI.APIError> | null;
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err!.status).toBe(400);
  expect(err!.param).toBe(param);
  expect(err!.message).toMatch(/log probabilities/);
  expect(t.fake.counters.responses).toBe(before);
}

const messages = [{ role: "user" as const, content: "hi" }];

describe("/v1/chat/completions", () => {
  it("answers 400 for logprobs:true and top_logprobs, stream or not", async () => {
    await rejected(
      openai.chat.completions.create({ model: "gpt-5.5", messages, logprobs: true }),
      "logprobs",
    );
    await rejected(
      openai.chat.completions.create({ model: "gpt-5.5", messages, logprobs: true, stream: true }),
      "logprobs",
    );
    await rejected(
      openai.chat.completions.create({ model: "gpt-5.5", messages, top_logprobs: 3 }),
      "top_logprobs",
    );
  });

  it("accepts logprobs:false and top_logprobs:0", async () => {
    t.fake.enqueue({ kind: "text", text: "fine" });
    const r = await openai.chat.completions.create({
      model: "gpt-5.5",
      messages,
      logprobs: false,
      top_logprobs: 0,
    });
    expect(r.choices[0]!.message.content).toBe("fine");
  });
});

describe("/v1/completions", () => {
  it("answers 400 for a number (0 included) and true", async () => {
    await rejected(openai.completions.create({ model: "gpt-5.5", prompt: "p", logprobs: 2 }), "logprobs");
    await rejected(openai.completions.create({ model: "gpt-5.5", prompt: "p", logprobs: 0 }), "logprobs");
  });

  it("accepts logprobs null", async () => {
    t.fake.enqueue({ kind: "text", text: "fine" });
    const r = await openai.completions.create({ model: "gpt-5.5", prompt: "p", logprobs: null });
    expect(r.choices[0]!.text).toBe("fine");
  });
});

describe("/v1/responses", () => {
  it("answers 400 for top_logprobs and for include of the output logprobs", async () => {
    await rejected(
      openai.responses.create({ model: "gpt-5.5", input: "hi", top_logprobs: 2 }),
      "top_logprobs",
    );
    await rejected(
      openai.responses.create({ model: "gpt-5.5", input: "hi", include: ["message.output_text.logprobs"] }),
      "include",
    );
    await rejected(
      openai.responses.create({ model: "gpt-5.5", input: "hi", top_logprobs: 2, stream: true }),
      "top_logprobs",
    );
  });

  it("accepts top_logprobs:0", async () => {
    t.fake.enqueue({ kind: "text", text: "fine" });
    const r = await openai.responses.create({ model: "gpt-5.5", input: "hi", top_logprobs: 0 });
    expect(r.output_text).toBe("fine");
  });
});

describe("Ollama /api/chat and /api/generate", () => {
  async function ollamaRejected(p: Promise<unknown>, field: string): Promise<void> {
    const err = (await p.then(
      () => null,
      (e: unknown) => e,
    )) as { status_code?: number; error?: string } | null;
    expect(err?.status_code).toBe(400);
    expect(err?.error).toContain(field);
    expect(err?.error).toMatch(/log probabilities/);
  }

  it("answers 400 for logprobs:true and top_logprobs", async () => {
    await ollamaRejected(ollama.chat({ model: "gpt-5.5", messages, logprobs: true }), "logprobs");
    await ollamaRejected(ollama.generate({ model: "gpt-5.5", prompt: "p", top_logprobs: 2 }), "top_logprobs");
  });

  it("accepts logprobs:false", async () => {
    t.fake.enqueue({ kind: "text", text: "fine" });
    const r = await ollama.chat({ model: "gpt-5.5", messages, logprobs: false });
    expect(r.message.content).toBe("fine");
  });
});
