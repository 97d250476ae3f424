// The Anthropic Messages API through the official @anthropic-ai/sdk (1.x: Bearer auth, anthropic-version
// 2026-10-21), against a real relay and the fake backend: create, stream with finalMessage, a tool round trip with
// the thinking signature carried back, countTokens, an image, models.list and models.retrieve, and errors in Anthropic's shape.

import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { loadRecorded, RECORDED } from "../helpers/recorded.ts";

const RELAY_KEY = "relay-test-key";
let t: TestRelay;
let client: Anthropic;

beforeAll(async () => {
  t = await startTestRelay({ env: { OPENAI_API_KEY: RELAY_KEY } });
  client = new Anthropic({ baseURL: t.url, apiKey: RELAY_KEY, maxRetries: 0 });
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

type Item = Record<string, unknown> & { type?: string; role?: string; call_id?: string; content?: unknown };

function body(n = -1): Record<string, unknown> & { input: Item[] } {
  const r = t.fake.requests.at(n);
  if (!r) throw new Error("the fake saw no request");
  return r.body as Record<string, unknown> & { input: Item[] };
}

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

const weather: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  },
};

describe("@anthropic-ai/sdk against /v1/messages", { timeout: 30_000 }, () => {
  it("messages.create: a text answer with usage, the requested model echoed, the system prompt sent", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "Paris.",
      usage: { input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 3 },
    });
    const msg = await client.messages.create({
      model: "claude-sonnet-5",
      max_tokens: 1024,
      system: "Answer in one word.",
      messages: [{ role: "user", content: "Capital of France?" }],
    });
    expect(msg).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-5",
      content: [{ type: "text", text: "Paris." }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 20,
        output_tokens: 3,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 0,
      },
    });
    expect(msg.id).toMatch(/^msg_/);
    const sent = body();
    expect(sent.model).toBe("gpt-5.5");
    expect(sent).not.toHaveProperty("max_output_tokens");
    const developer = sent.input.filter((i) => i.role === "developer").map((i) => JSON.stringify(i.content));
    expect(developer.some((c) => c.includes("Answer in one word."))).toBe(true);
    expect(sent.input.at(-1)).toEqual({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "Capital of France?" }],
    });
    // The SDK authenticated with Bearer and the relay's key; the backend got the ChatGPT token instead.
    expect(t.fake.requests[0]!.headers.authorization).not.toContain(RELAY_KEY);
  });

  it("messages.stream: text events and finalMessage, thinking with a signature when asked", async () => {
    t.fake.enqueue({ kind: "text", text: "Hello there, friend.", reasoning: ["Greeting the user."] });
    const stream = client.messages.stream({
      model: "claude-opus-4-8",
      max_tokens: 2048,
      thinking: { type: "adaptive" },
      messages: [{ role: "user", content: "Say hello" }],
    });
    const texts: string[] = [];
    stream.on("text", (delta) => texts.push(delta));
    const final = await stream.finalMessage();
    expect(texts.join("")).toBe("Hello there, friend.");
    expect(final.stop_reason).toBe("end_turn");
    expect(final.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    const thinking = final.content[0] as Anthropic.ThinkingBlock;
    expect(thinking.thinking).toBe("Greeting the user.");
    expect(thinking.signature).toMatch(/^crs1\./);
    // opus → the strongest model at high effort, with the encrypted reasoning requested.
    expect(body()).toMatchObject({
      model: "gpt-5.5",
      reasoning: { effort: "high" },
      include: ["reasoning.encrypted_content"],
    });
  });

  it("a tool round trip: tool_use streamed, the result and the signed thinking sent back", async () => {
    t.fake.enqueue({
      kind: "tool_calls",
      reasoning: ["Need the weather."],
      calls: [{ name: "get_weather", arguments: { city: "Paris" }, callId: "call_weather_1" }],
    });
    const first = await client.messages
      .stream({
        model: "claude-sonnet-5",
        max_tokens: 1024,
        thinking: { type: "enabled", budget_tokens: 2048 },
        tools: [weather],
        messages: [{ role: "user", content: "Weather in Paris?" }],
      })
      .finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    expect(use).toMatchObject({ id: "call_weather_1", name: "get_weather", input: { city: "Paris" } });
    expect(body().tools).toEqual([
      {
        type: "function",
        name: "get_weather",
        description: "Current weather for a city",
        parameters: weather.input_schema,
        strict: false,
      },
    ]);

    t.fake.enqueue({ kind: "text", text: "It is sunny in Paris." });
    const second = await client.messages.create({
      model: "claude-sonnet-5",
      max_tokens: 1024,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [weather],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: use!.id, content: "sunny, 21°C" }],
        },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "It is sunny in Paris." }]);
    const input = body().input;
    const reasoning = input.find((i) => i.type === "reasoning");
    expect(reasoning).toMatchObject({ encrypted_content: expect.stringMatching(/^gAAAA/) });
    const call = input.find((i) => i.type === "function_call");
    expect(call).toMatchObject({ call_id: "call_weather_1", name: "get_weather" });
    expect(JSON.parse(String(call!.arguments))).toEqual({ city: "Paris" });
    expect(input.find((i) => i.type === "function_call_output")).toEqual({
      type: "function_call_output",
      call_id: "call_weather_1",
      output: "sunny, 21°C",
    });
    expect(input.indexOf(reasoning!)).toBeLessThan(input.indexOf(call!));
  });

  it("Anthropic's bash and text editor tools (no input_schema) work as client tools: tool_use, then the result", async () => {
    t.fake.enqueue({
      kind: "tool_calls",
      calls: [
        { name: "bash", arguments: { command: "ls /tmp" } },
        { name: "str_replace_based_edit_tool", arguments: { command: "view", path: "/tmp/a.txt" } },
      ],
    });
    const tools: Anthropic.ToolUnion[] = [
      { type: "bash_20250124", name: "bash" },
      { type: "text_editor_20250728", name: "str_replace_based_edit_tool" },
    ];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Look around." }];
    const first = await client.messages.create({
      model: "claude-sonnet-5",
      max_tokens: 500,
      tools,
      messages,
    });
    expect(first.stop_reason).toBe("tool_use");
    const uses = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    expect(uses.map((u) => [u.name, u.input])).toEqual([
      ["bash", { command: "ls /tmp" }],
      ["str_replace_based_edit_tool", { command: "view", path: "/tmp/a.txt" }],
    ]);
    const sent = body().tools as Record<string, unknown>[];
    expect(sent.map((x) => [x.type, x.name])).toEqual([
      ["function", "bash"],
      ["function", "str_replace_based_edit_tool"],
    ]);
    expect(sent[1]!.parameters).toMatchObject({
      type: "object",
      required: ["command", "path"],
      properties: { command: { enum: ["view", "create", "str_replace", "insert"] } },
    });

    t.fake.enqueue({ kind: "text", text: "Two files." });
    messages.push({ role: "assistant", content: first.content });
    messages.push({
      role: "user",
      content: uses.map((u) => ({ type: "tool_result" as const, tool_use_id: u.id, content: "a.txt b.txt" })),
    });
    const second = await client.messages.create({
      model: "claude-sonnet-5",
      max_tokens: 500,
      tools,
      messages,
    });
    expect(second.content).toEqual([{ type: "text", text: "Two files." }]);
    const outputs = body().input.filter((i) => i.type === "function_call_output");
    expect(outputs.map((o) => o.call_id)).toEqual(uses.map((u) => u.id));

    // Tools the backend cannot run stay a 400 naming the field.
    const err = await client.messages
      .create({
        model: "claude-sonnet-5",
        max_tokens: 500,
        tools: [
          { type: "code_execution_20250825", name: "code_execution" } as unknown as Anthropic.ToolUnion,
        ],
        messages: [{ role: "user", content: "x" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain("tools[0].type");
  });

  it("drops a thinking signature the relay did not make", async () => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    await client.messages.create({
      model: "claude-sonnet-5",
      max_tokens: 100,
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "foreign", signature: "EqQBCkgIARABGAIiQL4-anthropic-signature" },
            { type: "text", text: "hello" },
          ],
        },
        { role: "user", content: "again" },
      ],
    });
    expect(body().input.some((i) => i.type === "reasoning")).toBe(false);
    expect(JSON.stringify(body().input)).not.toContain("anthropic-signature");
  });

  it("an image block reaches the backend as input_image", async () => {
    t.fake.enqueue({ kind: "text", text: "A red dot." });
    const msg = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
            { type: "text", text: "What is this?" },
          ],
        },
      ],
    });
    expect(msg.content).toEqual([{ type: "text", text: "A red dot." }]);
    const user = body().input.at(-1)!;
    expect(user.content).toEqual([
      { type: "input_image", image_url: `data:image/png;base64,${PNG}` },
      { type: "input_text", text: "What is this?" },
    ]);
    // haiku → a fast model at low effort.
    expect(body()).toMatchObject({ model: "gpt-5.4-mini", reasoning: { effort: "low" } });
  });

  it("countTokens answers locally with the o200k count, additive in the content", async () => {
    const small = await client.messages.countTokens({
      model: "claude-sonnet-5",
      messages: [{ role: "user", content: "foo" }],
    });
    const big = await client.messages.countTokens({
      model: "claude-sonnet-5",
      messages: [{ role: "user", content: "foo" }],
      tools: [weather],
      system: "You are a careful assistant who answers briefly.",
    });
    expect(small.input_tokens).toBeGreaterThan(0);
    expect(big.input_tokens).toBeGreaterThan(small.input_tokens + 10);
    const again = await client.messages.countTokens({
      model: "claude-sonnet-5",
      messages: [{ role: "user", content: "foo" }],
    });
    expect(again.input_tokens).toBe(small.input_tokens);
    expect(t.fake.requests).toHaveLength(0);
  });

  it("stop_sequences are applied at the relay", async () => {
    t.fake.enqueue({ kind: "text", text: "one, two, three, four" });
    const msg = await client.messages.create({
      model: "claude-sonnet-5",
      max_tokens: 100,
      stop_sequences: [", three"],
      messages: [{ role: "user", content: "count" }],
    });
    expect(msg).toMatchObject({
      content: [{ type: "text", text: "one, two" }],
      stop_reason: "stop_sequence",
      stop_sequence: ", three",
    });
  });

  it("models.list answers in Anthropic's shape", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("claude-opus-4-8");
    expect(ids).toContain("gpt-5.5");
    expect(page.data[0]).toMatchObject({ type: "model", display_name: expect.stringContaining("gpt-5.5") });
  });

  it("models.retrieve answers in Anthropic's shape; an unknown id is a NotFoundError in Anthropic's shape", async () => {
    const listed = (await client.models.list()).data.find((m) => m.id === "claude-opus-4-8");
    const opus = await client.models.retrieve("claude-opus-4-8");
    expect(opus).toEqual(listed);
    expect(opus).toMatchObject({
      type: "model",
      id: "claude-opus-4-8",
      display_name: "claude-opus-4-8 (gpt-5.5-high)",
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await client.models.retrieve("gpt-5.5-high")).toMatchObject({
      type: "model",
      id: "gpt-5.5-high",
      display_name: "gpt-5.5-high",
    });
    // Any Claude name /v1/messages accepts has a model, named after the one it maps to.
    expect(await client.models.retrieve("claude-haiku-4-5")).toMatchObject({
      type: "model",
      id: "claude-haiku-4-5",
      display_name: expect.stringMatching(/^claude-haiku-4-5 \(gpt-/),
    });

    const missing = await client.models.retrieve("no-such-model").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toEqual({
      type: "error",
      error: { type: "not_found_error", message: expect.stringContaining("no-such-model") },
    });
    // Without anthropic-version the same route still answers in OpenAI's shape.
    const plain = await fetch(`${t.url}/v1/models/gpt-5.5`, {
      headers: { authorization: `Bearer ${RELAY_KEY}` },
    });
    const openai = (await plain.json()) as Record<string, unknown>;
    expect(openai).toMatchObject({ id: "gpt-5.5", object: "model", owned_by: "openai" });
  });

  it("errors come in Anthropic's shape: a bad request names the field, a usage limit is a 429", async () => {
    const bad = await client.messages
      .create({ model: "claude-sonnet-5", messages: [{ role: "user", content: "x" }] } as never)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") },
    });

    t.fake.enqueue(usageLimitReached({ resetsInSeconds: 3600 }));
    const limited = await client.messages
      .create({ model: "claude-sonnet-5", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    const e = limited as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect(e.headers.get("retry-after")).toBe("3600");
    expect(e.headers.get("x-should-retry")).toBe("false");

    const unauthorized = await new Anthropic({ baseURL: t.url, apiKey: "wrong", maxRetries: 0 }).messages
      .create({ model: "claude-sonnet-5", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((err: unknown) => err);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
  });
});

describe(
  "@anthropic-ai/sdk with the web_search server tool (the recorded web-search stream)",
  { timeout: 30_000 },
  () => {
    // What Claude Code's WebSearch tool sends (research/anthropic-messages.md 6.1).
    const request = {
      model: "claude-sonnet-5",
      max_tokens: 4096,
      tools: [{ type: "web_search_20250305" as const, name: "web_search" as const, max_uses: 8 }],
      tool_choice: { type: "tool" as const, name: "web_search" },
      messages: [{ role: "user" as const, content: "Perform a web search for the query: tech news today" }],
    };

    function checkSearchAnswer(msg: Anthropic.Message): void {
      expect(msg.content.map((b) => b.type)).toEqual([
        "server_tool_use",
        "web_search_tool_result",
        "server_tool_use",
        "web_search_tool_result",
        "text",
      ]);
      const [use, result, , , text] = msg.content as [
        Anthropic.ServerToolUseBlock,
        Anthropic.WebSearchToolResultBlock,
        unknown,
        unknown,
        Anthropic.TextBlock,
      ];
      expect(use).toMatchObject({
        type: "server_tool_use",
        id: expect.stringMatching(/^srvtoolu_/),
        name: "web_search",
        input: { query: "tech news today December 5 2025" },
      });
      expect(result.tool_use_id).toBe(use.id);
      const pages = result.content as Anthropic.WebSearchResultBlock[];
      expect(pages).toHaveLength(10);
      expect(pages[0]).toMatchObject({
        type: "web_search_result",
        url: expect.stringMatching(/^https:\/\//),
      });
      expect(pages.every((p) => typeof p.title === "string" && p.title !== "")).toBe(true);
      expect(text.text).toContain("Petco");
      expect(text.citations).toHaveLength(12);
      expect(text.citations![0]).toMatchObject({
        type: "web_search_result_location",
        url: expect.stringContaining("techcrunch.com"),
        title: expect.stringContaining("Petco"),
      });
      expect(msg.stop_reason).toBe("end_turn");
      expect(msg.usage.server_tool_use).toEqual({ web_search_requests: 2 });
    }

    it("stream and non-stream answers carry the searches as server_tool_use + web_search_tool_result blocks", async () => {
      t.fake.enqueue({ kind: "events", events: loadRecorded(RECORDED.webSearch) });
      const streamed = await client.messages.stream(request).finalMessage();
      checkSearchAnswer(streamed);
      expect(body()).toMatchObject({ tools: [{ type: "web_search" }], tool_choice: { type: "web_search" } });

      t.fake.enqueue({ kind: "events", events: loadRecorded(RECORDED.webSearch) });
      const whole = await client.messages.create(request);
      checkSearchAnswer(whole);
      expect(whole.content).toEqual(streamed.content);
    });

    it("a client re-sending the search blocks in its history is served; the answer text goes back", async () => {
      t.fake.enqueue({ kind: "events", events: loadRecorded(RECORDED.webSearch) });
      const first = await client.messages.create(request);
      t.fake.enqueue({ kind: "text", text: "Petco, the New York Times, Meta and Netflix." });
      const second = await client.messages.create({
        ...request,
        tool_choice: { type: "auto" },
        messages: [
          ...request.messages,
          { role: "assistant", content: first.content },
          { role: "user", content: "Which companies were in the news?" },
        ],
      });
      expect(second.content).toEqual([
        { type: "text", text: "Petco, the New York Times, Meta and Netflix." },
      ]);
      const input = body().input;
      const answer = input.find((i) => i.role === "assistant");
      expect(JSON.stringify(answer)).toContain("Petco");
      expect(input.at(-1)).toMatchObject({ role: "user" });
    });
  },
);
