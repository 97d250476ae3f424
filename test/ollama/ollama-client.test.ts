// The official `ollama` npm client against a real relay and the fake backend, over real HTTP: list, show, chat
// streamed and not, generate, a tool round trip, thinking, images, structured output, and errors.

import { Ollama, type Message } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let ollama: Ollama;

beforeAll(async () => {
  t = await startTestRelay();
  ollama = new Ollama({ host: t.url });
});
afterAll(() => t.close());

interface BackendBody {
  model: string;
  input: {
    type: string;
    role?: string;
    call_id?: string;
    name?: string;
    arguments?: string;
    output?: unknown;
    content?: unknown;
  }[];
  reasoning?: { effort?: string; summary?: string };
  text?: { format?: Record<string, unknown> };
  tools?: { name: string }[];
}

function lastBody(): BackendBody {
  const r = t.fake.requests.at(-1);
  if (!r) throw new Error("the fake saw no request");
  return r.body as BackendBody;
}

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("models", () => {
  it("lists the Codex models with Ollama's fields", async () => {
    const { models } = await ollama.list();
    const m = models.find((x) => x.name === "gpt-5.5:latest");
    expect(m).toBeDefined();
    expect(m).toMatchObject({ model: "gpt-5.5:latest", size: 0 });
    expect(m!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof m!.modified_at).toBe("string");
    expect(m!.details).toMatchObject({
      family: "gpt",
      format: "",
      parameter_size: "",
      quantization_level: "",
    });
    expect(models.some((x) => x.name === "gpt-5.5-high:latest")).toBe(true);
  });

  it("shows a model with capabilities, also under its tag", async () => {
    const show = await ollama.show({ model: "gpt-5.5:latest" });
    expect(show.capabilities).toEqual(expect.arrayContaining(["completion", "tools", "thinking", "vision"]));
    expect(typeof show.template).toBe("string");
    expect(typeof show.parameters).toBe("string");
    expect(show.details.family).toBe("gpt");
    expect(show.model_info).toHaveProperty("general.architecture", "gpt");
  });

  it("pulls a Codex model at once (nothing to download), streamed or not; an unknown one is a 404", async () => {
    expect(await ollama.pull({ model: "gpt-5.5" })).toEqual({ status: "success" });
    const statuses: string[] = [];
    for await (const p of await ollama.pull({ model: "gpt-5.5:latest", stream: true }))
      statuses.push(p.status);
    expect(statuses.at(-1)).toBe("success");
    const err = await ollama.pull({ model: "llama3" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status_code: 404, error: 'model "llama3" not found' });
    expect(t.fake.requests).toHaveLength(0);
  });

  it("refuses create, copy, delete and push with a reason instead of an unknown route", async () => {
    const calls = [
      () => ollama.create({ model: "mine", from: "gpt-5.5" }),
      () => ollama.copy({ source: "gpt-5.5", destination: "mine" }),
      () => ollama.delete({ model: "gpt-5.5" }),
      () => ollama.push({ model: "gpt-5.5" }),
    ];
    for (const call of calls) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toMatchObject({ status_code: 501 });
      expect(String((err as Error).message)).toContain("models are those of your ChatGPT plan");
    }
    expect(t.fake.requests).toHaveLength(0);
  });

  it("answers version and ps", async () => {
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await ollama.ps()).toEqual({ models: [] });
    const head = await fetch(`${t.url}/api/version`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });
});

describe("chat", () => {
  it("answers a non-streamed chat with counts and durations", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "Hello from Codex.",
      usage: { input_tokens: 12, output_tokens: 5 },
    });
    const r = await ollama.chat({ model: "gpt-5.5", messages: [{ role: "user", content: "Say hello" }] });
    expect(r.model).toBe("gpt-5.5");
    expect(r.message).toMatchObject({ role: "assistant", content: "Hello from Codex." });
    expect(r.done).toBe(true);
    expect(r.done_reason).toBe("stop");
    expect(r.prompt_eval_count).toBe(12);
    expect(r.eval_count).toBe(5);
    for (const k of ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"] as const) {
      expect(Number.isInteger(r[k])).toBe(true);
      expect(r[k]).toBeGreaterThanOrEqual(0);
    }
    expect(r.total_duration).toBeGreaterThan(0);
    expect(lastBody().model).toBe("gpt-5.5");
  });

  it("streams a chat as NDJSON, one object per delta, done last", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "One two three four.",
      usage: { input_tokens: 4, output_tokens: 6 },
    });
    const stream = await ollama.chat({
      model: "gpt-5.5:latest",
      messages: [{ role: "user", content: "Count" }],
      stream: true,
    });
    const parts = [];
    for await (const part of stream) parts.push(part);
    const last = parts.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.done_reason).toBe("stop");
    expect(last.eval_count).toBe(6);
    expect(parts.slice(0, -1).every((p) => p.done === false && p.model === "gpt-5.5:latest")).toBe(true);
    expect(parts.map((p) => p.message.content).join("")).toBe("One two three four.");
  });

  it("takes tagged effort variants as /api/tags lists them", async () => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    const r = await ollama.chat({
      model: "gpt-5.5-high:latest",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(r.model).toBe("gpt-5.5-high:latest");
    expect(lastBody()).toMatchObject({ model: "gpt-5.5", reasoning: { effort: "high" } });
  });

  it("sends the stream with Ollama's content type", async () => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    const res = await fetch(`${t.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { done: boolean });
    expect(lines.at(-1)!.done).toBe(true);
  });

  it("honours num_predict at the relay", async () => {
    t.fake.enqueue({ kind: "text", text: "x".repeat(400) });
    const r = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "long" }],
      options: { num_predict: 5, temperature: 0.3 },
    });
    expect(r.done_reason).toBe("length");
    // o200k splits a run of x into tokens of 8.
    expect(r.message.content).toBe("x".repeat(40));
  });

  it("answers a preload (no messages) without calling the backend", async () => {
    const before = t.fake.requests.length;
    const r = await ollama.chat({ model: "gpt-5.5", messages: [] });
    expect(r.done_reason).toBe("load");
    expect(t.fake.requests.length).toBe(before);
  });
});

describe("generate", () => {
  it("answers a prompt, not streamed, with context and counts", async () => {
    t.fake.enqueue({ kind: "text", text: "A haiku.", usage: { input_tokens: 7, output_tokens: 3 } });
    const r = await ollama.generate({ model: "gpt-5.5", prompt: "Write a haiku", system: "Be poetic." });
    expect(r.response).toBe("A haiku.");
    expect(r.done).toBe(true);
    expect(r.done_reason).toBe("stop");
    expect(r.context).toEqual([]);
    expect(r.prompt_eval_count).toBe(7);
    expect(r.eval_count).toBe(3);
    const input = lastBody().input;
    expect(
      input.some((i) => i.role === "developer" && JSON.stringify(i.content).includes("Be poetic.")),
    ).toBe(true);
    expect(input.some((i) => i.role === "user" && JSON.stringify(i.content).includes("Write a haiku"))).toBe(
      true,
    );
  });

  it("streams a prompt, raw/template/context accepted", async () => {
    t.fake.enqueue({ kind: "text", text: "Streamed answer." });
    const stream = await ollama.generate({
      model: "gpt-5.5",
      prompt: "Go",
      stream: true,
      raw: true,
      template: "{{ .Prompt }}",
      context: [1, 2, 3],
    });
    const parts = [];
    for await (const part of stream) parts.push(part);
    expect(parts.map((p) => p.response).join("")).toBe("Streamed answer.");
    expect(parts.at(-1)).toMatchObject({ done: true, done_reason: "stop" });
  });
});

describe("tools", () => {
  it("round-trips a tool call: arguments as an object, the result paired with the call upstream", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const messages: Message[] = [{ role: "user", content: "Weather in Paris?" }];
    t.fake.enqueue({ kind: "tool_calls", calls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }] });
    const first = await ollama.chat({ model: "gpt-5.5", messages, tools });
    expect(first.done_reason).toBe("stop");
    const call = first.message.tool_calls?.[0];
    expect(call?.function.name).toBe("get_weather");
    expect(call?.function.arguments).toEqual({ city: "Paris" });
    expect(lastBody().tools?.map((x) => x.name)).toEqual(["get_weather"]);

    // What Ollama clients do: append the assistant message as received, then the result without any id.
    messages.push(first.message, { role: "tool", content: '{"temp":21}', tool_name: "get_weather" });
    t.fake.enqueue({ kind: "text", text: "It is 21 degrees in Paris." });
    const second = await ollama.chat({ model: "gpt-5.5", messages, tools });
    expect(second.message.content).toBe("It is 21 degrees in Paris.");

    const input = lastBody().input;
    const fc = input.find((i) => i.type === "function_call");
    const out = input.find((i) => i.type === "function_call_output");
    expect(fc).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(out).toMatchObject({ output: '{"temp":21}' });
    expect(out!.call_id).toBe(fc!.call_id);
  });

  it("streams a tool call as one whole object", async () => {
    t.fake.enqueue({ kind: "tool_calls", calls: [{ name: "lookup", arguments: '{"q":"x","n":2}' }] });
    const stream = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "look it up" }],
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
      stream: true,
    });
    const calls = [];
    for await (const part of stream) calls.push(...(part.message.tool_calls ?? []));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.function).toMatchObject({ name: "lookup", arguments: { q: "x", n: 2 } });
  });
});

describe("think", () => {
  it("puts the reasoning summary in message.thinking and sets the effort", async () => {
    t.fake.enqueue({ kind: "text", text: "42.", reasoning: ["Adding the numbers."] });
    const r = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "6*7?" }],
      think: "high",
    });
    expect(r.message.thinking).toContain("Adding the numbers.");
    expect(r.message.content).toBe("42.");
    expect(lastBody().reasoning?.effort).toBe("high");
  });

  it("streams thinking before the answer", async () => {
    t.fake.enqueue({ kind: "text", text: "Done.", reasoning: ["Step one.", "Step two."] });
    const stream = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "think" }],
      think: true,
      stream: true,
    });
    let thinking = "";
    let content = "";
    for await (const part of stream) {
      thinking += part.message.thinking ?? "";
      content += part.message.content;
    }
    expect(thinking).toContain("Step one.");
    expect(thinking).toContain("Step two.");
    expect(content).toBe("Done.");
  });

  it("hides thinking with think:false and asks for the lowest effort", async () => {
    t.fake.enqueue({ kind: "text", text: "Quick.", reasoning: ["secret"] });
    const r = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "q" }],
      think: false,
    });
    expect(r.message.thinking).toBeUndefined();
    expect(r.message.content).toBe("Quick.");
    expect(lastBody().reasoning).toEqual({ effort: "low" });
  });

  it("returns thinking on generate", async () => {
    t.fake.enqueue({ kind: "text", text: "Yes.", reasoning: ["Considering."] });
    const r = await ollama.generate({ model: "gpt-5.5", prompt: "ok?", think: true });
    expect(r.thinking).toContain("Considering.");
  });
});

describe("images and structured output", () => {
  it("sends base64 images to the backend as input_image data URLs", async () => {
    t.fake.enqueue({ kind: "text", text: "A red pixel." });
    const r = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "What is this?", images: [PNG] }],
    });
    expect(r.message.content).toBe("A red pixel.");
    const user = lastBody().input.find((i) => i.role === "user");
    expect(user?.content).toEqual([
      { type: "input_text", text: "What is this?" },
      { type: "input_image", image_url: `data:image/png;base64,${PNG}` },
    ]);
  });

  it("sends images of generate too, as Uint8Array from the client", async () => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    await ollama.generate({ model: "gpt-5.5", prompt: "see", images: [Buffer.from(PNG, "base64")] });
    expect(JSON.stringify(lastBody().input)).toContain(`data:image/png;base64,${PNG}`);
  });

  it("sends a format schema as text.format json_schema", async () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, capital: { type: "string" } },
      required: ["name", "capital"],
    };
    t.fake.enqueue({ kind: "text", text: '{"name":"Canada","capital":"Ottawa"}' });
    const r = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Canada" }],
      format: schema,
    });
    expect(JSON.parse(r.message.content)).toEqual({ name: "Canada", capital: "Ottawa" });
    expect(lastBody().text?.format).toMatchObject({ type: "json_schema", schema });
  });

  it("sends format json as json_object", async () => {
    t.fake.enqueue({ kind: "text", text: "{}" });
    await ollama.generate({ model: "gpt-5.5", prompt: "json please", format: "json" });
    expect(lastBody().text?.format).toEqual({ type: "json_object" });
  });
});

describe("errors", () => {
  it("answers 404 model not found for an unknown model", async () => {
    const err = await ollama
      .chat({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status_code: 404, error: 'model "no-such-model" not found' });
    const show = await ollama.show({ model: "nope:7b" }).catch((e: unknown) => e);
    expect(show).toMatchObject({ status_code: 404 });
  });

  it("answers 400 naming the field for a bad body", async () => {
    const res = await fetch(`${t.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "wizard", content: "hi" }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toContain("messages[0].role");
    const bad = await fetch(`${t.url}/api/generate`, { method: "POST", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(Object.keys((await bad.json()) as object)).toEqual(["error"]);
  });

  it("answers 400 naming the image for one that is not base64", async () => {
    const res = await fetch(`${t.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "gpt-5.5", prompt: "see", images: ["%%%"] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("'images[0]'");
  });

  it("answers unknown /api routes with Ollama's error shape", async () => {
    const res = await fetch(`${t.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(typeof ((await res.json()) as { error: unknown }).error).toBe("string");
    const embed = await fetch(`${t.url}/api/embed`, {
      method: "POST",
      body: JSON.stringify({ model: "gpt-5.5", input: "x" }),
    });
    expect(embed.status).toBe(404);
  });

  it("ends a stream that fails midway with an error line, never a hang", async () => {
    t.fake.enqueue({ kind: "cut", text: "This answer will be cut off before it ends.", afterEvents: 6 });
    const stream = await ollama.chat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const err = await (async () => {
      for await (const _part of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toBe("Did not receive done or success response in stream.");
  });

  it("reports a failed turn as an error line in a stream and a status without one", async () => {
    t.fake.enqueue({ kind: "failed", code: "server_error", message: "The model broke." });
    const res = await fetch(`${t.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
    });
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ error: expect.stringContaining("The model broke.") });

    t.fake.enqueue({ kind: "failed", code: "server_error", message: "The model broke." });
    const err = await ollama
      .chat({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status_code: 502, error: expect.stringContaining("The model broke.") });
  });
});
