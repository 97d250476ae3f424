// The official openai SDK against a real relay and the fake backend: chat, streaming, reasoning in every
// compatibility mode, usage, and the request the backend actually receives.

import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestRelay();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => t.close());

function lastBody(): Record<string, unknown> {
  const r = t.fake.requests.at(-1);
  if (!r) throw new Error("the fake saw no request");
  return r.body as Record<string, unknown>;
}

describe("chat completions through the openai SDK", () => {
  it("answers a non-streamed chat with the backend's text and usage", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "Hello from Codex.",
      usage: { input_tokens: 12, output_tokens: 5 },
    });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Say hello" }],
    });
    expect(r.object).toBe("chat.completion");
    expect(r.model).toBe("gpt-5.5");
    expect(r.choices[0]!.message.role).toBe("assistant");
    expect(r.choices[0]!.message.content).toContain("Hello from Codex.");
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(r.usage?.prompt_tokens).toBe(12);
    expect(r.usage?.completion_tokens).toBe(5);
    expect(r.usage?.total_tokens).toBe(17);
  });

  it("sends the backend a valid Responses request: store false, stream true, developer messages in order", async () => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    await client.chat.completions.create({
      model: "gpt-5.5-high",
      temperature: 0.2,
      max_tokens: 500,
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Q1" },
        { role: "assistant", content: "A1" },
        { role: "developer", content: "Use French." },
        { role: "user", content: "Q2" },
      ],
    });
    const body = lastBody();
    expect(body.store).toBe(false);
    expect(body.stream).toBe(true);
    expect(body.model).toBe("gpt-5.5");
    expect(body.reasoning).toMatchObject({ effort: "high" });
    expect(body.include).toEqual(["reasoning.encrypted_content"]);
    expect(body).not.toHaveProperty("temperature");
    expect(body).not.toHaveProperty("max_output_tokens");
    expect(body).not.toHaveProperty("max_tokens");
    const input = body.input as { role?: string; content?: { text?: string }[] }[];
    const developerTexts = input.filter((i) => i.role === "developer").map((i) => i.content?.[0]?.text);
    // The base instructions come first, then the client's system and developer messages in their order.
    expect(developerTexts.slice(1)).toEqual(["Be terse.", "Use French."]);
    expect(input.map((i) => i.role)).toEqual([
      "developer",
      "developer",
      "user",
      "assistant",
      "developer",
      "user",
    ]);
    const headers = t.fake.requests.at(-1)!.headers;
    expect(headers["session-id"]).toBe(body.prompt_cache_key);
    expect(headers["originator"]).toBeTruthy();
    expect(headers["user-agent"]).toMatch(/codex-relay/);
  });

  it("keeps the same prompt_cache_key across the turns of one conversation", async () => {
    t.fake.enqueue({ kind: "text", text: "a" });
    t.fake.enqueue({ kind: "text", text: "b" });
    const first = [
      { role: "system" as const, content: "S" },
      { role: "user" as const, content: "first question" },
    ];
    await client.chat.completions.create({ model: "gpt-5.5", messages: first });
    const key1 = lastBody().prompt_cache_key;
    await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [...first, { role: "assistant", content: "a" }, { role: "user", content: "follow-up" }],
    });
    expect(lastBody().prompt_cache_key).toBe(key1);
  });

  it("streams: role first, content deltas, one finish_reason, usage chunk, [DONE]", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "one two three four",
      deltas: 4,
      usage: { input_tokens: 3, output_tokens: 4 },
    });
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "count" }],
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("one two three four");
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]!.finish_reason)).toEqual(
      ["stop"],
    );
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it("reports cached and reasoning tokens", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "x",
      reasoning: ["thinking"],
      usage: {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 64 },
        output_tokens: 50,
        output_tokens_details: { reasoning_tokens: 40 },
      },
    });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "u" }],
    });
    expect(r.usage?.prompt_tokens_details?.cached_tokens).toBe(64);
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(40);
  });
});

describe("reasoning compatibility modes", () => {
  const scenario = {
    kind: "text" as const,
    text: "The answer.",
    reasoning: ["First thought.", "Second thought."],
  };

  async function streamed(compat: string) {
    t.fake.enqueue(scenario);
    // reasoning_compat is a codex-relay extension the SDK's types do not know.
    const params = {
      model: "gpt-5.5",
      stream: true,
      messages: [{ role: "user", content: "think" }],
      reasoning_compat: compat,
    };
    const stream = await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsStreaming);
    const deltas: Record<string, unknown>[] = [];
    for await (const c of stream)
      if (c.choices[0]) deltas.push(c.choices[0].delta as Record<string, unknown>);
    return deltas;
  }

  async function whole(compat: string) {
    t.fake.enqueue(scenario);
    const params = {
      model: "gpt-5.5",
      messages: [{ role: "user", content: "think" }],
      reasoning_compat: compat,
    };
    const r = await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming);
    return r.choices[0]!.message as unknown as Record<string, unknown>;
  }

  it("think-tags: reasoning inside <think> in the content, then the answer", async () => {
    const content = (await streamed("think-tags")).map((d) => d.content ?? "").join("");
    expect(content).toMatch(/^<think>First thought\.\n\nSecond thought\.<\/think>\s*The answer\.$/);
    expect((await whole("think-tags")).content).toMatch(
      /^<think>First thought\.\n\nSecond thought\.<\/think>\s*The answer\.$/,
    );
  });

  it("reasoning_content: DeepSeek-style field, clean content", async () => {
    const deltas = await streamed("reasoning_content");
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("First thought.\n\nSecond thought.");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("The answer.");
    const m = await whole("reasoning_content");
    expect(m.reasoning_content).toBe("First thought.\n\nSecond thought.");
    expect(m.content).toBe("The answer.");
  });

  it("o3: reasoning.content[].text", async () => {
    const deltas = await streamed("o3");
    const text = deltas
      .map(
        (d) =>
          (d.reasoning as { content?: { text: string }[] } | undefined)?.content
            ?.map((p) => p.text)
            .join("") ?? "",
      )
      .join("");
    expect(text).toBe("First thought.\n\nSecond thought.");
    const m = await whole("o3");
    expect(JSON.stringify(m.reasoning)).toContain("Second thought.");
  });

  it("legacy: reasoning_summary strings", async () => {
    const deltas = await streamed("legacy");
    expect(deltas.map((d) => d.reasoning_summary ?? "").join("")).toContain("First thought.");
    const m = await whole("legacy");
    expect(String(m.reasoning_summary)).toContain("Second thought.");
  });

  it("hidden: no reasoning anywhere", async () => {
    const deltas = await streamed("hidden");
    expect(JSON.stringify(deltas)).not.toContain("thought");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("The answer.");
  });
});

describe("relay-side limits and failures", () => {
  it("cuts at a stop sequence with finish_reason stop", async () => {
    t.fake.enqueue({ kind: "text", text: "alpha beta END gamma", deltas: 6 });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      stop: ["END"],
      messages: [{ role: "user", content: "x" }],
    });
    expect(r.choices[0]!.message.content).toBe("alpha beta ");
    expect(r.choices[0]!.finish_reason).toBe("stop");
  });

  it("cuts at max_tokens with finish_reason length", async () => {
    t.fake.enqueue({ kind: "text", text: "a".repeat(400), deltas: 40 });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      max_tokens: 10,
      messages: [{ role: "user", content: "x" }],
    });
    // o200k splits a run of a into tokens of 8.
    expect(r.choices[0]!.message.content).toBe("a".repeat(80));
    expect(r.choices[0]!.finish_reason).toBe("length");
  });

  it("maps response.incomplete to finish_reason length", async () => {
    t.fake.enqueue({ kind: "incomplete", reason: "max_output_tokens", text: "partial" });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "x" }],
    });
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.choices[0]!.message.content).toContain("partial");
  });

  it("passes the backend's 'model not supported' message through", async () => {
    const err = await client.chat.completions
      .create({ model: "gpt-4-turbo", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as Error).message).toContain("not supported when using Codex with a ChatGPT account");
  });

  it("turns response.failed into an error the SDK raises, in stream and non-stream", async () => {
    t.fake.enqueue({
      kind: "failed",
      code: "context_length_exceeded",
      message: "Your input exceeds the context window of this model.",
    });
    const err = await client.chat.completions
      .create({ model: "gpt-5.5", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as Error).message).toContain("context window");

    // Streamed, a failure before any output is still the HTTP error (what makes agents compact their history)…
    t.fake.enqueue({
      kind: "failed",
      code: "context_length_exceeded",
      message: "Your input exceeds the context window of this model.",
    });
    const early = await client.chat.completions
      .create({ model: "gpt-5.5", stream: true, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(early).toBeInstanceOf(OpenAI.APIError);
    expect((early as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((early as InstanceType<typeof OpenAI.APIError>).code).toBe("context_length_exceeded");

    // …and one after output began ends the stream with an error the SDK raises.
    t.fake.enqueue({
      kind: "failed",
      code: "server_error",
      message: "Something broke upstream.",
      text: "Partial answer",
    });
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    const failure = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect((failure as Error).message).toContain("Something broke upstream.");
  });

  it("a failure mid-stream has the type and code the same failure gets before the stream", async () => {
    type Raised = InstanceType<typeof OpenAI.APIError>;
    const failures = [
      { code: "context_length_exceeded", message: "Your input exceeds the context window of this model." },
      { code: "insufficient_quota", message: "You exceeded your current quota.", withErrorEvent: true },
    ];
    for (const f of failures) {
      t.fake.enqueue({ kind: "failed", ...f });
      const before = (await client.chat.completions
        .create({ model: "gpt-5.5", messages: [{ role: "user", content: "x" }] })
        .catch((e: unknown) => e)) as Raised;
      t.fake.enqueue({ kind: "failed", ...f, text: "Partial answer" });
      const stream = await client.chat.completions.create({
        model: "gpt-5.5",
        stream: true,
        messages: [{ role: "user", content: "x" }],
      });
      let text = "";
      const during = (await (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
      })().catch((e: unknown) => e)) as Raised;
      expect(text).toBe("Partial answer");
      expect(during).toBeInstanceOf(OpenAI.APIError);
      expect(before).toBeInstanceOf(OpenAI.APIError);
      expect([during.type, during.code]).toEqual([before.type, before.code]);
      expect(during.message).toContain(f.message);
      expect(before.message).toContain(f.message);
    }
    t.fake.enqueue({ kind: "failed", ...failures[0]!, text: "Partial" });
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    const errorLine = (await res.text()).split("\n").find((l) => l.includes('"error"'));
    expect(JSON.parse(errorLine!.slice("data: ".length))).toEqual({
      error: {
        message: "Your input exceeds the context window of this model.",
        type: "invalid_request_error",
        param: null,
        code: "context_length_exceeded",
      },
    });
  });

  it("answers 429 with Retry-After and the reset time on usage_limit_reached, without retrying", async () => {
    const { usageLimitReached } = await import("../fakes/fake-chatgpt.ts");
    const before = t.fake.counters.responses;
    t.fake.enqueue(usageLimitReached({ resetsInSeconds: 1800, planType: "plus" }));
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1800");
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe("usage_limit_reached");
    expect(body.error.message).toMatch(/usage limit.*resets at \d{4}-\d\d-\d\dT/i);
    expect(t.fake.counters.responses - before).toBe(1);
    expect(res.headers.get("x-codex-primary-used-percent")).toBe("100");
  });
});
