// /v1/responses with the clients that speak the Responses API natively: the official openai SDK (create, stream,
// previous_response_id), a Codex-CLI-shaped request (passed through untouched), and @ai-sdk/openai's default
// Responses model. Real HTTP, real relay, fake backend.

import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { parseSse, textEvents } from "../../src/routes/route-test-relay.ts";
import { loadRecorded, RECORDED } from "../helpers/recorded.ts";

let t: TestRelay;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestRelay();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => t.close());

type Item = Record<string, unknown> & {
  type?: string;
  role?: string;
  content?: { type: string; text?: string }[];
};

function lastBody(): Record<string, unknown> & { input: Item[] } {
  const r = t.fake.requests.at(-1);
  if (!r) throw new Error("the fake saw no request");
  return r.body as Record<string, unknown> & { input: Item[] };
}

const textOf = (item: Item | undefined) => item?.content?.map((p) => p.text ?? "").join("") ?? "";

describe("openai SDK: responses.create", () => {
  it("returns the text when the backend's response.completed carries output: []", async () => {
    t.fake.enqueue({ kind: "events", events: textEvents("resp_empty_output", "Hello from Codex.") });
    const r = await client.responses.create({ model: "gpt-5.5", input: "Say hello" });
    expect(r.id).toBe("resp_empty_output");
    expect(r.object).toBe("response");
    expect(r.status).toBe("completed");
    expect(r.output_text).toBe("Hello from Codex.");
    expect(r.output[0]).toMatchObject({ type: "message", role: "assistant" });
    expect(r.usage).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
  });

  it("works with the fake's own text scenario and sends the backend a valid request", async () => {
    t.fake.enqueue({ kind: "text", text: "Plain answer.", usage: { input_tokens: 7, output_tokens: 3 } });
    const r = await client.responses.create({
      model: "gpt-5.5-high",
      instructions: "Be terse.",
      input: [{ role: "user", content: "Question?" }],
      temperature: 0.3,
      max_output_tokens: 100,
      metadata: { a: "b" },
      store: true,
      truncation: "auto",
    });
    expect(r.output_text).toContain("Plain answer.");
    const body = lastBody();
    expect(body).toMatchObject({
      model: "gpt-5.5",
      store: false,
      stream: true,
      instructions: "Be terse.",
      reasoning: { effort: "high" },
    });
    expect(body.include).toContain("reasoning.encrypted_content");
    for (const f of ["temperature", "max_output_tokens", "metadata", "truncation"])
      expect(body).not.toHaveProperty(f);
    expect(body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "Question?" }] },
    ]);
    expect(t.fake.requests.at(-1)!.headers["session-id"]).toBe(body.prompt_cache_key);
  });

  it("adds the base instructions as the first developer message when the client sends none", async () => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    await client.responses.create({ model: "gpt-5.5", input: "hi" });
    const body = lastBody();
    expect(body.input[0]).toMatchObject({ type: "message", role: "developer" });
    expect(textOf(body.input[0]).length).toBeGreaterThan(0);
    expect(body.input[1]).toEqual({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "hi" }],
    });
  });

  it("returns function calls as output items", async () => {
    t.fake.enqueue({
      kind: "tool_calls",
      calls: [
        { name: "get_weather", arguments: '{"city":"Paris"}' },
        { name: "get_time", arguments: "{}" },
      ],
    });
    const r = await client.responses.create({
      model: "gpt-5.5",
      input: "Weather and time in Paris?",
      tools: [
        {
          type: "function",
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } } },
          strict: false,
        },
        { type: "function", name: "get_time", parameters: { type: "object", properties: {} }, strict: false },
      ],
    });
    const calls = r.output.filter((i) => i.type === "function_call");
    expect(calls.map((c) => c.name)).toEqual(["get_weather", "get_time"]);
    expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: "Paris" });
    expect(lastBody().tools).toHaveLength(2);
  });

  it("turns a failed response into an API error with the backend's message", async () => {
    t.fake.enqueue({
      kind: "failed",
      code: "context_length_exceeded",
      message: "Your input exceeds the context window of this model.",
    });
    await expect(client.responses.create({ model: "gpt-5.5", input: "x" })).rejects.toMatchObject({
      status: 400,
      code: "context_length_exceeded",
    });
  });
});

describe("openai SDK: responses.stream", () => {
  it("streams the events and finalResponse() has the text even with output: [] in response.completed", async () => {
    t.fake.enqueue({ kind: "events", events: textEvents("resp_stream_1", "Streaming works fine.") });
    const stream = client.responses.stream({ model: "gpt-5.5", input: "stream please" });
    const types: string[] = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(deltas).toBe("Streaming works fine.");
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(final.id).toBe("resp_stream_1");
    expect(final.output_text).toBe("Streaming works fine.");
  });

  it("streams the fake's text scenario with reasoning", async () => {
    t.fake.enqueue({ kind: "text", text: "The answer is 4.", reasoning: ["Adding two and two."] });
    const stream = client.responses.stream({ model: "gpt-5.5", input: "2+2?" });
    let summary = "";
    stream.on("response.reasoning_summary_text.delta", (e) => (summary += e.delta));
    const final = await stream.finalResponse();
    expect(final.output_text).toContain("The answer is 4.");
    expect(summary).toContain("Adding two and two.");
    expect(final.output.some((i) => i.type === "reasoning")).toBe(true);
  });

  it("a recorded stream whose output_index skips a number (openai-phase.1) streams to finalResponse()", async () => {
    // The real backend numbers output items with gaps (the recording goes 0, 2: an item it does not show); the
    // SDK's stream accumulator indexes its snapshot by output_index and threw "missing output at index 2".
    const events = loadRecorded(RECORDED.phase);
    t.fake.enqueue({ kind: "events", events });
    const stream = client.responses.stream({ model: "gpt-5.5", input: "AI news" });
    const indexes = new Set<number>();
    for await (const e of stream) if ("output_index" in e) indexes.add(e.output_index);
    const final = await stream.finalResponse();
    expect([...indexes]).toEqual([0, 1]);
    expect(final.output.map((i) => i.type)).toEqual(["message", "message"]);
    expect(final.output_text).toContain("Here are a few");
  });

  it("raw stream:true iteration via responses.create", async () => {
    t.fake.enqueue({ kind: "text", text: "raw events" });
    const stream = await client.responses.create({ model: "gpt-5.5", input: "x", stream: true });
    let text = "";
    let completed = 0;
    for await (const e of stream) {
      if (e.type === "response.output_text.delta") text += e.delta;
      if (e.type === "response.completed") completed++;
    }
    expect(text).toBe("raw events");
    expect(completed).toBe(1);
  });
});

describe("stream failures and disconnects", () => {
  it("a backend stream cut after the first byte ends with response.failed, never a hang", async () => {
    t.fake.enqueue({ kind: "cut", afterEvents: 5, text: "This answer will be cut short" });
    const stream = await client.responses.create({ model: "gpt-5.5", input: "x", stream: true });
    const types: string[] = [];
    let error: unknown;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === "response.failed") error = e.response.error;
    }
    expect(types.at(-1)).toBe("response.failed");
    expect(error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it("a backend response.failed mid-stream is passed on as the terminal event", async () => {
    t.fake.enqueue({
      kind: "failed",
      code: "server_is_overloaded",
      message: "The server is overloaded.",
      text: "partial",
    });
    const stream = client.responses.stream({ model: "gpt-5.5", input: "x" });
    const final = await stream.finalResponse();
    expect(final.status).toBe("failed");
    expect(final.error).toMatchObject({ code: "server_is_overloaded" });
  });

  it("an error event followed by response.failed (insufficient_quota): both streamed, 429 when not streamed", async () => {
    const failed = {
      kind: "failed" as const,
      code: "insufficient_quota",
      message: "You exceeded your current quota.",
      withErrorEvent: true,
    };
    t.fake.enqueue(failed);
    const res = await fetch(`${t.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", input: "x", stream: true }),
    });
    const types = parseSse(await res.text()).map((f) => f.event);
    expect(types.slice(-2)).toEqual(["error", "response.failed"]);
    // The openai SDK raises the nested error of an `error` event, as it does against OpenAI itself.
    t.fake.enqueue(failed);
    const sdkStream = await client.responses.create({ model: "gpt-5.5", input: "x", stream: true });
    await expect(
      (async () => {
        for await (const _ of sdkStream);
      })(),
    ).rejects.toThrow("You exceeded your current quota.");
    t.fake.enqueue(failed);
    await expect(client.responses.create({ model: "gpt-5.5", input: "x" })).rejects.toMatchObject({
      status: 429,
      code: "insufficient_quota",
    });
  });

  it("a client that goes away aborts the backend request", async () => {
    const closedBefore = t.fake.counters.closedEarly;
    t.fake.enqueue({ kind: "text", deltas: 200, delayMs: 20 });
    const controller = new AbortController();
    const res = await fetch(`${t.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", input: "long", stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await t.fake.waitForClosedEarly(closedBefore + 1);
  });
});

describe("a stalled backend", () => {
  it("ends the stream with response.failed after UPSTREAM_IDLE_TIMEOUT_MS, and answers 504 when not streamed", async () => {
    const s = await startTestRelay({ env: { UPSTREAM_IDLE_TIMEOUT_MS: "200" } });
    try {
      const sdk = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "unused", maxRetries: 0 });
      s.fake.enqueue({ kind: "stall", afterEvents: 3, text: "never finished" });
      const stream = sdk.responses.stream({ model: "gpt-5.5", input: "x" });
      const final = await stream.finalResponse();
      expect(final.status).toBe("failed");
      expect(final.error).toMatchObject({ code: "upstream_idle_timeout" });
      s.fake.enqueue({ kind: "stall", afterEvents: 3, text: "never finished" });
      await expect(sdk.responses.create({ model: "gpt-5.5", input: "x" })).rejects.toMatchObject({
        status: 504,
      });
    } finally {
      await s.close();
    }
  });
});

describe("previous_response_id", () => {
  it("continues a conversation: the backend sees the earlier input and output, without item ids", async () => {
    t.fake.enqueue({ kind: "events", events: textEvents("resp_turn_1", "Nice to meet you, Ada.") });
    const first = await client.responses.create({ model: "gpt-5.5", input: "My name is Ada." });
    t.fake.enqueue({ kind: "text", text: "Your name is Ada." });
    const second = await client.responses.create({
      model: "gpt-5.5",
      input: "What is my name?",
      previous_response_id: first.id,
    });
    expect(second.output_text).toContain("Your name is Ada.");
    const body = lastBody();
    expect(body).not.toHaveProperty("previous_response_id");
    const messages = body.input.filter((i) => i.type === "message");
    expect(messages.map((m) => [m.role, textOf(m)])).toEqual([
      ["developer", expect.any(String)],
      ["user", "My name is Ada."],
      ["assistant", "Nice to meet you, Ada."],
      ["user", "What is my name?"],
    ]);
    for (const item of body.input) expect(item).not.toHaveProperty("id");
    // The same conversation stays on the same session / prompt cache key.
    const firstRequest = t.fake.requests.at(-2)!;
    expect(body.prompt_cache_key).toBe((firstRequest.body as { prompt_cache_key: string }).prompt_cache_key);
  });

  it("continues after a streamed turn and a tool call", async () => {
    t.fake.enqueue({ kind: "tool_calls", calls: [{ name: "lookup", arguments: '{"q":"x"}' }] });
    const stream = client.responses.stream({
      model: "gpt-5.5",
      input: "look it up",
      tools: [
        {
          type: "function",
          name: "lookup",
          parameters: { type: "object", properties: { q: { type: "string" } } },
          strict: false,
        },
      ],
    });
    const first = await stream.finalResponse();
    const call = first.output.find((i) => i.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no function call");
    t.fake.enqueue({ kind: "text", text: "Found it." });
    const second = await client.responses.create({
      model: "gpt-5.5",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "42" }],
    });
    expect(second.output_text).toContain("Found it.");
    const input = lastBody().input;
    const replayedCall = input.find((i) => i.type === "function_call");
    expect(replayedCall).toMatchObject({ call_id: call.call_id, name: "lookup" });
    expect(replayedCall).not.toHaveProperty("id");
    expect(input.at(-1)).toEqual({ type: "function_call_output", call_id: call.call_id, output: "42" });
  });

  it("answers with the previous_response_id the client sent, stream and non-stream", async () => {
    t.fake.enqueue({ kind: "text", text: "One." });
    const first = await client.responses.create({ model: "gpt-5.5", input: "Count." });
    expect(first.previous_response_id).toBeNull();
    t.fake.enqueue({ kind: "text", text: "Two." });
    const second = await client.responses.create({
      model: "gpt-5.5",
      input: "More.",
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);

    t.fake.enqueue({ kind: "text", text: "Three." });
    const stream = await client.responses.create({
      model: "gpt-5.5",
      input: "More.",
      previous_response_id: second.id,
      stream: true,
    });
    const seen: [string, unknown][] = [];
    for await (const event of stream) {
      if ("response" in event) seen.push([event.type, event.response.previous_response_id]);
    }
    expect(seen.map(([type]) => type)).toEqual(
      expect.arrayContaining(["response.created", "response.completed"]),
    );
    for (const [, id] of seen) expect(id).toBe(second.id);
  });

  it("answers 400 naming previous_response_id when the id is unknown", async () => {
    const before = t.fake.requests.length;
    const err = await client.responses
      .create({ model: "gpt-5.5", input: "x", previous_response_id: "resp_never_seen" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.param).toBe("previous_response_id");
    expect(e.code).toBe("previous_response_not_found");
    expect(e.message).toContain("resp_never_seen");
    expect(t.fake.requests.length).toBe(before);
  });
});

describe("a Codex CLI request (custom model provider, wire_api = responses)", () => {
  const codexBody = {
    model: "gpt-5.5",
    stream: true,
    input: [
      {
        type: "message",
        id: "msg_dev_base",
        role: "developer",
        content: [{ type: "input_text", text: "You are Codex, a coding agent based on GPT-5." }],
      },
      {
        type: "message",
        id: "msg_dev_skills",
        role: "developer",
        content: [{ type: "input_text", text: "<permissions>…</permissions>" }],
      },
      {
        type: "message",
        id: "msg_env",
        role: "user",
        content: [
          { type: "input_text", text: "<environment_context><cwd>/repo</cwd></environment_context>" },
        ],
      },
      {
        type: "message",
        id: "msg_user",
        role: "user",
        content: [{ type: "input_text", text: "List the files." }],
      },
    ],
    tools: [
      {
        type: "function",
        name: "exec_command",
        description: "Runs a command.",
        strict: false,
        parameters: {
          type: "object",
          properties: { cmd: { type: "string" } },
          required: ["cmd"],
          additionalProperties: false,
        },
      },
      {
        type: "custom",
        name: "apply_patch",
        description: "Apply a patch.",
        format: { type: "grammar", syntax: "lark", definition: "start: begin_patch" },
      },
      { type: "web_search", external_web_access: false },
    ],
    tool_choice: "auto",
    parallel_tool_calls: true,
    reasoning: { effort: "medium" },
    store: false,
    include: ["reasoning.encrypted_content"],
    prompt_cache_key: "019a8c4e-7d2f-7b31-9a55-2f3c1d0e8b77",
    text: { verbosity: "low" },
    client_metadata: { "x-codex-installation-id": "5f0c1f9e-0000-4000-8000-000000000001", turn_id: "turn-1" },
  };

  it("passes the body through untouched and answers with events the CLI parses", async () => {
    t.fake.enqueue({ kind: "text", text: "README.md src/" });
    const res = await fetch(`${t.url}/v1/responses`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: "Bearer unused",
        originator: "codex_exec",
        "session-id": codexBody.prompt_cache_key,
      },
      body: JSON.stringify(codexBody),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const frames = parseSse(await res.text());
    const received = t.fake.requests.at(-1)!;
    expect(received.body).toEqual(codexBody);
    expect(received.headers["session-id"]).toBe(codexBody.prompt_cache_key);

    // What Codex reads: a `type` in every data line, deltas, items, and a completed response with an id.
    const events = frames.map(
      (f) =>
        JSON.parse(f.data) as { type: string; delta?: string; response?: { id?: unknown; usage?: unknown } },
    );
    for (const [i, e] of events.entries()) expect(e.type).toBe(frames[i]!.event);
    expect(
      events
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join(""),
    ).toBe("README.md src/");
    expect(events.some((e) => e.type === "response.output_item.done")).toBe(true);
    const completed = events.at(-1)!;
    expect(completed.type).toBe("response.completed");
    expect(typeof completed.response?.id).toBe("string");
  });
});

describe("Vercel AI SDK: @ai-sdk/openai default (Responses) model", () => {
  const provider = () => createOpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused" });

  it("generateText", async () => {
    t.fake.enqueue({ kind: "events", events: textEvents("resp_ai_1", "Hi from the AI SDK.") });
    const r = await generateText({ model: provider().responses("gpt-5.5"), prompt: "Say hi" });
    expect(r.text).toBe("Hi from the AI SDK.");
    expect(r.usage.inputTokens).toBe(12);
    expect(r.usage.outputTokens).toBe(5);
    const body = lastBody();
    expect(body.store).toBe(false);
    expect(body.input.at(-1)).toMatchObject({ type: "message", role: "user" });
  });

  it("streamText", async () => {
    t.fake.enqueue({ kind: "text", text: "Streamed through the AI SDK." });
    const r = streamText({ model: provider().responses("gpt-5.5"), prompt: "Stream" });
    let text = "";
    for await (const delta of r.textStream) text += delta;
    expect(text).toBe("Streamed through the AI SDK.");
    expect(await r.finishReason).toBe("stop");
  });

  it("a multi-turn conversation with item references (store defaults to true in the AI SDK)", async () => {
    t.fake.enqueue({ kind: "text", text: "First reply.", reasoning: ["Thinking about it."] });
    const first = await generateText({ model: provider().responses("gpt-5.5"), prompt: "first" });
    expect(first.reasoningText).toContain("Thinking about it.");
    t.fake.enqueue({ kind: "text", text: "Second reply." });
    const second = await generateText({
      model: provider().responses("gpt-5.5"),
      messages: [
        { role: "user", content: "first" },
        ...first.response.messages,
        { role: "user", content: "second" },
      ],
    });
    expect(second.text).toBe("Second reply.");
    const input = lastBody().input;
    // The AI SDK referred to its earlier items by id; the relay put the remembered items in their place.
    expect(input.some((i) => i.type === "item_reference")).toBe(false);
    const reasoning = input.find((i) => i.type === "reasoning");
    expect(typeof reasoning?.encrypted_content).toBe("string");
    expect(reasoning).not.toHaveProperty("id");
    expect(textOf(input.find((i) => i.role === "assistant"))).toBe("First reply.");
  });
});
