// Function calling on /v1/chat/completions through the official openai SDK, against a real relay and the fake
// backend: parallel calls streamed and not, the full round trip with role:"tool" results, tool_choice, reasoning
// before and between calls in every REASONING_COMPAT mode, and the recorded tool-call streams replayed through
// the SDK's stream helper.

import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadRecorded, RECORDED } from "../helpers/recorded.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestRelay();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

type Item = Record<string, unknown> & { type?: string; role?: string; call_id?: string };

function lastBody(): Record<string, unknown> & { input: Item[] } {
  const r = t.fake.requests.at(-1);
  if (!r) throw new Error("the fake saw no request");
  return r.body as Record<string, unknown> & { input: Item[] };
}

const tools: ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather for a city",
      parameters: {
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
        additionalProperties: false,
      },
      strict: true,
    },
  },
  {
    type: "function",
    function: {
      name: "get_time",
      description: "Local time in a time zone",
      parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
    },
  },
];

const twoCalls = {
  kind: "tool_calls" as const,
  calls: [
    { name: "get_weather", arguments: { city: "Paris" }, callId: "call_weather_1" },
    { name: "get_time", arguments: { zone: "Europe/Paris" }, callId: "call_time_2" },
  ],
  usage: { input_tokens: 40, output_tokens: 12 },
};

const question: ChatCompletionMessageParam[] = [
  { role: "system", content: "Use the tools." },
  { role: "user", content: "Weather and time in Paris?" },
];

/** The tool results a client sends back for the two calls. */
const results: ChatCompletionMessageParam[] = [
  { role: "tool", tool_call_id: "call_weather_1", content: "sunny, 21°C" },
  { role: "tool", tool_call_id: "call_time_2", content: [{ type: "text", text: "10:00" }] },
];

/** Checks the history the backend received after the tool results were sent back. */
function expectRoundTripHistory(input: Item[]) {
  const tail = input.slice(input.findIndex((i) => i.role === "user"));
  expect(tail.map((i) => i.type)).toEqual([
    "message",
    "function_call",
    "function_call",
    "function_call_output",
    "function_call_output",
  ]);
  expect(tail[1]).toMatchObject({ call_id: "call_weather_1", name: "get_weather" });
  expect(JSON.parse(String(tail[1]!.arguments))).toEqual({ city: "Paris" });
  expect(tail[2]).toMatchObject({ call_id: "call_time_2", name: "get_time" });
  expect(JSON.parse(String(tail[2]!.arguments))).toEqual({ zone: "Europe/Paris" });
  expect(tail[3]).toEqual({ type: "function_call_output", call_id: "call_weather_1", output: "sunny, 21°C" });
  expect(tail[4]).toEqual({ type: "function_call_output", call_id: "call_time_2", output: "10:00" });
  // No item ids: the backend stores nothing with store:false and rejects ids it does not know.
  for (const item of tail) expect(item).not.toHaveProperty("id");
}

describe("non-streamed tool round trip with two parallel calls", () => {
  it("returns both calls, then answers from the tool results", async () => {
    t.fake.enqueue(twoCalls);
    const first = await client.chat.completions.create({ model: "gpt-5.5", messages: question, tools });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls ?? [];
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.id)).toEqual(["call_weather_1", "call_time_2"]);
    expect(calls.map((c) => c.type)).toEqual(["function", "function"]);
    const fns = calls.map((c) => (c.type === "function" ? c.function : null));
    expect(fns.map((f) => f?.name)).toEqual(["get_weather", "get_time"]);
    expect(JSON.parse(fns[0]!.arguments)).toEqual({ city: "Paris" });
    expect(JSON.parse(fns[1]!.arguments)).toEqual({ zone: "Europe/Paris" });
    expect(first.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 12 });

    // The backend got the flat Responses tool shape, parallel calls allowed.
    const sent = lastBody();
    expect(sent.tools).toEqual([
      {
        type: "function",
        name: "get_weather",
        description: "Current weather for a city",
        parameters: tools[0]!.type === "function" ? tools[0]!.function.parameters : undefined,
        strict: true,
      },
      {
        type: "function",
        name: "get_time",
        description: "Local time in a time zone",
        parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
        strict: false,
      },
    ]);
    expect(sent.parallel_tool_calls).toBe(true);

    t.fake.enqueue({ kind: "text", text: "It is sunny (21°C) in Paris, and 10:00." });
    const second = await client.chat.completions.create({
      model: "gpt-5.5",
      tools,
      messages: [...question, choice.message, ...results],
    });
    expect(second.choices[0]!.finish_reason).toBe("stop");
    expect(second.choices[0]!.message.content).toBe("It is sunny (21°C) in Paris, and 10:00.");
    expect(second.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expectRoundTripHistory(lastBody().input);
  });
});

describe("streamed tool round trip with two parallel calls", () => {
  it("streams a start delta per call (index, id, type, name), argument deltas, one finish_reason", async () => {
    t.fake.enqueue(twoCalls);
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: question,
      tools,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);

    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    // The first delta of each call names it; the later ones only carry arguments.
    const starts = deltas.filter((d) => d.id !== undefined);
    expect(starts).toEqual([
      { index: 0, id: "call_weather_1", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 1, id: "call_time_2", type: "function", function: { name: "get_time", arguments: "" } },
    ]);
    for (const d of deltas.filter((x) => x.id === undefined)) {
      expect(d.function?.name).toBeUndefined();
      expect(typeof d.function?.arguments).toBe("string");
    }
    // The arguments stream in several pieces, each call under its own index, in order.
    const argsOf = (index: number) =>
      deltas
        .filter((d) => d.index === index)
        .map((d) => d.function?.arguments ?? "")
        .join("");
    expect(deltas.filter((d) => d.index === 0 && d.id === undefined).length).toBeGreaterThan(1);
    expect(JSON.parse(argsOf(0))).toEqual({ city: "Paris" });
    expect(JSON.parse(argsOf(1))).toEqual({ zone: "Europe/Paris" });
    const lastOfFirst = deltas.findLastIndex((d) => d.index === 0);
    const firstOfSecond = deltas.findIndex((d) => d.index === 1);
    expect(lastOfFirst).toBeLessThan(firstOfSecond);
    expect([...new Set(deltas.map((d) => d.index))]).toEqual([0, 1]);

    const finishes = chunks.flatMap((c) => c.choices.filter((ch) => ch.finish_reason !== null));
    expect(finishes.map((f) => f.finish_reason)).toEqual(["tool_calls"]);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("");
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 12 });
  });

  it("sends the results back and streams the text answer", async () => {
    t.fake.enqueue(twoCalls);
    const runner = client.chat.completions.stream({ model: "gpt-5.5", messages: question, tools });
    const first = await runner.finalChatCompletion();
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(message.tool_calls?.map((c) => c.id)).toEqual(["call_weather_1", "call_time_2"]);

    t.fake.enqueue({ kind: "text", text: "Sunny and ten o'clock.", deltas: 4 });
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      tools,
      stream: true,
      messages: [
        ...question,
        // What the stream helper rebuilt, sent back as the assistant turn.
        { role: "assistant", content: message.content, tool_calls: message.tool_calls },
        ...results,
      ],
    });
    let text = "";
    const finishes: string[] = [];
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? "";
      if (c.choices[0]?.finish_reason) finishes.push(c.choices[0].finish_reason);
      expect(c.choices[0]?.delta.tool_calls).toBeUndefined();
    }
    expect(text).toBe("Sunny and ten o'clock.");
    expect(finishes).toEqual(["stop"]);
    expectRoundTripHistory(lastBody().input);
  });
});

describe("a tool result without its call", () => {
  it("is a 400 BadRequestError naming messages[i].tool_call_id, and never reaches the backend", async () => {
    const err: unknown = await client.chat.completions
      .create({
        model: "gpt-5.5",
        tools,
        messages: [...question, { role: "tool", tool_call_id: "call_nowhere", content: "sunny" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.param).toBe("messages[2].tool_call_id");
    expect(e.type).toBe("invalid_request_error");
    expect(e.message).toContain("call_nowhere");
    expect(t.fake.requests).toHaveLength(0);
  });
});

describe("tool_choice and parallel_tool_calls reach the backend", () => {
  const ask = async (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) => {
    t.fake.enqueue({ kind: "text", text: "ok" });
    await client.chat.completions.create({ model: "gpt-5.5", messages: question, tools, ...extra });
    return lastBody();
  };

  it("required, none and auto pass unchanged", async () => {
    expect((await ask({ tool_choice: "required" })).tool_choice).toBe("required");
    expect((await ask({ tool_choice: "none" })).tool_choice).toBe("none");
    expect((await ask({ tool_choice: "auto" })).tool_choice).toBe("auto");
  });

  it("a named function becomes the flat {type, name} form", async () => {
    const body = await ask({ tool_choice: { type: "function", function: { name: "get_time" } } });
    expect(body.tool_choice).toEqual({ type: "function", name: "get_time" });
  });

  it("parallel_tool_calls false is passed on", async () => {
    expect((await ask({ parallel_tool_calls: false })).parallel_tool_calls).toBe(false);
  });

  it("a forced call comes back as the only call", async () => {
    t.fake.enqueue({ kind: "tool_calls", calls: [{ name: "get_time", arguments: { zone: "UTC" } }] });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: question,
      tools,
      tool_choice: { type: "function", function: { name: "get_time" } },
    });
    expect(r.choices[0]!.finish_reason).toBe("tool_calls");
    const call = r.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && call.function.name).toBe("get_time");
    expect(call.id).toMatch(/^call_/);
  });
});

// ── reasoning before and between calls ─────────────────────────────────────

const reasoningThenCall = {
  kind: "tool_calls" as const,
  reasoning: ["Need the weather."],
  calls: [{ name: "get_weather", arguments: { city: "Oslo" }, callId: "call_oslo" }],
};

/** Backend events: reasoning A, call 0, reasoning B, call 1 (reasoning between two calls). */
function interleavedEvents(): Record<string, unknown>[] {
  let seq = 0;
  const ev = (type: string, fields: Record<string, unknown>) => ({ type, ...fields, sequence_number: seq++ });
  const response = { id: "resp_interleaved", object: "response", status: "in_progress", model: "gpt-5.5" };
  const out: Record<string, unknown>[] = [ev("response.created", { response })];
  const reasoning = (id: string, index: number, text: string) => {
    out.push(
      ev("response.output_item.added", { item: { id, type: "reasoning", summary: [] }, output_index: index }),
    );
    out.push(
      ev("response.reasoning_summary_part.added", {
        item_id: id,
        output_index: index,
        part: { type: "summary_text", text: "" },
        summary_index: 0,
      }),
    );
    out.push(
      ev("response.reasoning_summary_text.delta", {
        delta: text,
        item_id: id,
        output_index: index,
        summary_index: 0,
      }),
    );
    out.push(
      ev("response.output_item.done", {
        item: { id, type: "reasoning", summary: [{ type: "summary_text", text }] },
        output_index: index,
      }),
    );
  };
  const call = (id: string, index: number, callId: string, name: string, args: string) => {
    const head = { id, type: "function_call", call_id: callId, name };
    out.push(
      ev("response.output_item.added", {
        item: { ...head, status: "in_progress", arguments: "" },
        output_index: index,
      }),
    );
    out.push(ev("response.function_call_arguments.delta", { delta: args, item_id: id, output_index: index }));
    out.push(
      ev("response.output_item.done", {
        item: { ...head, status: "completed", arguments: args },
        output_index: index,
      }),
    );
  };
  reasoning("rs_a", 0, "First I check the weather.");
  call("fc_a", 1, "call_a", "get_weather", '{"city":"Oslo"}');
  reasoning("rs_b", 2, "Now the time.");
  call("fc_b", 3, "call_b", "get_time", '{"zone":"Europe/Oslo"}');
  out.push(
    ev("response.completed", {
      response: {
        ...response,
        status: "completed",
        output: [],
        usage: { input_tokens: 10, output_tokens: 20, total_tokens: 30 },
      },
    }),
  );
  return out;
}

async function streamWith(compat: string, scenario: Parameters<TestRelay["fake"]["enqueue"]>[0]) {
  t.fake.enqueue(scenario);
  const params = { model: "gpt-5.5", stream: true, messages: question, tools, reasoning_compat: compat };
  const stream = await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsStreaming);
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

async function wholeWith(compat: string, scenario: Parameters<TestRelay["fake"]["enqueue"]>[0]) {
  t.fake.enqueue(scenario);
  const params = { model: "gpt-5.5", messages: question, tools, reasoning_compat: compat };
  const r = await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming);
  return r.choices[0]!;
}

type Delta = ChatCompletionChunk.Choice.Delta & Record<string, unknown>;

/** The stream as a list of events: "content:…" / "call:<index>" (first delta of a call) / "finish:…". */
function timeline(chunks: ChatCompletionChunk[]): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    const choice = c.choices[0];
    if (!choice) continue;
    if (choice.delta.content) out.push(`content:${choice.delta.content}`);
    for (const d of choice.delta.tool_calls ?? []) if (d.id) out.push(`call:${d.index}`);
    if (choice.finish_reason) out.push(`finish:${choice.finish_reason}`);
  }
  return out;
}

describe("reasoning before a tool call", () => {
  it("think-tags: the <think> block is closed before the tool call starts", async () => {
    const chunks = await streamWith("think-tags", reasoningThenCall);
    const events = timeline(chunks);
    const callAt = events.indexOf("call:0");
    const content = events
      .slice(0, callAt)
      .filter((e) => e.startsWith("content:"))
      .map((e) => e.slice(8))
      .join("");
    expect(content).toBe("<think>Need the weather.</think>");
    expect(events.slice(callAt)).toEqual(["call:0", "finish:tool_calls"]);

    const whole = await wholeWith("think-tags", reasoningThenCall);
    expect(whole.message.content).toBe("<think>Need the weather.</think>");
    expect(whole.finish_reason).toBe("tool_calls");
    expect(whole.message.tool_calls?.[0]).toMatchObject({
      id: "call_oslo",
      function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
    });
  });

  it("reasoning_content: reasoning in its own field, content stays empty", async () => {
    const chunks = await streamWith("reasoning_content", reasoningThenCall);
    const deltas = chunks.map((c) => (c.choices[0]?.delta ?? {}) as Delta);
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("Need the weather.");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("");
    const lastReasoning = deltas.findLastIndex((d) => d.reasoning_content);
    const firstCall = deltas.findIndex((d) => d.tool_calls);
    expect(lastReasoning).toBeLessThan(firstCall);

    const whole = await wholeWith("reasoning_content", reasoningThenCall);
    const message = whole.message as unknown as Record<string, unknown>;
    expect(message.reasoning_content).toBe("Need the weather.");
    expect(message.content).toBeNull();
    expect(whole.message.tool_calls).toHaveLength(1);
  });

  it("a commentary message and reasoning before the call: think block, blank line, text, then the call", async () => {
    const scenario = { ...reasoningThenCall, text: "Let me look that up." };
    const chunks = await streamWith("think-tags", scenario);
    const events = timeline(chunks);
    const callAt = events.indexOf("call:0");
    const content = events
      .slice(0, callAt)
      .map((e) => e.slice(8))
      .join("");
    expect(content).toBe("<think>Need the weather.</think>\n\nLet me look that up.");
    const whole = await wholeWith("think-tags", scenario);
    expect(whole.message.content).toBe("<think>Need the weather.</think>\n\nLet me look that up.");
    expect(whole.message.tool_calls).toHaveLength(1);
  });
});

describe("reasoning between two calls, in every compatibility mode", () => {
  it("think-tags: each block closed before the next call", async () => {
    const events = timeline(await streamWith("think-tags", { kind: "events", events: interleavedEvents() }));
    const joined = (from: number, to: number) =>
      events
        .slice(from, to)
        .filter((e) => e.startsWith("content:"))
        .map((e) => e.slice(8))
        .join("");
    const c0 = events.indexOf("call:0");
    const c1 = events.indexOf("call:1");
    expect(joined(0, c0)).toBe("<think>First I check the weather.</think>");
    expect(joined(c0, c1)).toBe("\n\n<think>Now the time.</think>");
    expect(events.slice(c1)).toEqual(["call:1", "finish:tool_calls"]);
  });

  it("reasoning_content, o3, legacy, hidden: calls intact, reasoning only where the mode puts it", async () => {
    const reasoningOf: Record<string, (d: Delta) => string> = {
      reasoning_content: (d) => String(d.reasoning_content ?? ""),
      o3: (d) =>
        (d.reasoning as { content?: { text: string }[] } | undefined)?.content?.map((p) => p.text).join("") ??
        "",
      legacy: (d) => String(d.reasoning_summary ?? ""),
      hidden: () => "",
    };
    for (const [compat, read] of Object.entries(reasoningOf)) {
      const chunks = await streamWith(compat, { kind: "events", events: interleavedEvents() });
      const deltas = chunks.map((c) => (c.choices[0]?.delta ?? {}) as Delta);
      const reasoning = deltas.map(read).join("");
      if (compat === "hidden") expect(JSON.stringify(deltas)).not.toContain("weather.");
      else expect(reasoning, compat).toBe("First I check the weather.\n\nNow the time.");
      expect(deltas.map((d) => d.content ?? "").join(""), compat).toBe("");
      const calls = deltas.flatMap((d) => d.tool_calls ?? []);
      expect(
        calls.filter((c) => c.id).map((c) => [c.index, c.id, c.function?.name]),
        compat,
      ).toEqual([
        [0, "call_a", "get_weather"],
        [1, "call_b", "get_time"],
      ]);
      const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason).filter(Boolean));
      expect(finishes, compat).toEqual(["tool_calls"]);
    }
  });

  it("non-stream: both calls, reasoning joined in the mode's field", async () => {
    const whole = await wholeWith("reasoning_content", { kind: "events", events: interleavedEvents() });
    expect(whole.finish_reason).toBe("tool_calls");
    expect(whole.message.tool_calls?.map((c) => c.id)).toEqual(["call_a", "call_b"]);
    expect((whole.message as unknown as Record<string, unknown>).reasoning_content).toBe(
      "First I check the weather.\n\nNow the time.",
    );
    const tags = await wholeWith("think-tags", { kind: "events", events: interleavedEvents() });
    expect(tags.message.content).toBe("<think>First I check the weather.\n\nNow the time.</think>");
  });
});

// ── recorded streams ────────────────────────────────────────────────────────

describe("recorded tool-call streams replayed through the relay", () => {
  const weatherTool: ChatCompletionTool = {
    type: "function",
    function: {
      name: "get_weather",
      description: "Get weather",
      parameters: {
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
        additionalProperties: false,
      },
      strict: true,
    },
  };

  it("issue-19493 (gpt-5.1, one call in six deltas): stream helper and non-stream agree", async () => {
    const events = loadRecorded(RECORDED.toolCall);
    t.fake.enqueue({ kind: "events", events });
    const runner = client.chat.completions.stream({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Weather in Beijing?" }],
      tools: [weatherTool],
      tool_choice: "required",
    });
    const argDeltas: string[] = [];
    runner.on("tool_calls.function.arguments.delta", (e) => argDeltas.push(e.arguments_delta));
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.tool_calls).toEqual([
      {
        id: "call_2FQdm3Br7Qb35YUBSkDR7kue",
        type: "function",
        function: {
          name: "get_weather",
          arguments: '{"city":"Beijing"}',
          parsed_arguments: { city: "Beijing" },
        },
      },
    ]);
    // The six recorded deltas come through as six argument deltas (after the empty one that starts the call).
    expect(argDeltas.filter((d) => d !== "")).toHaveLength(6);
    expect(argDeltas.join("")).toBe('{"city":"Beijing"}');
    expect(lastBody().tool_choice).toBe("required");

    t.fake.enqueue({ kind: "events", events });
    const whole = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Weather in Beijing?" }],
      tools: [weatherTool],
    });
    expect(whole.choices[0]!.message.tool_calls).toEqual([
      {
        id: "call_2FQdm3Br7Qb35YUBSkDR7kue",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Beijing"}' },
      },
    ]);
    expect(whole.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("issue-19493 through runTools: the SDK runs the tool and the relay answers the second step", async () => {
    t.fake.enqueue({ kind: "events", events: loadRecorded(RECORDED.toolCall) });
    t.fake.enqueue({ kind: "text", text: "Beijing: clear, 18°C." });
    const seen: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Weather in Beijing?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Get weather",
            parameters: weatherTool.type === "function" ? weatherTool.function.parameters! : {},
            parse: (text: string) => JSON.parse(text) as { city: string },
            function: (args: { city: string }) => {
              seen.push(args);
              return "clear, 18°C";
            },
          },
        },
      ],
    });
    expect(await runner.finalContent()).toBe("Beijing: clear, 18°C.");
    expect(seen).toEqual([{ city: "Beijing" }]);
    const input = lastBody().input;
    expect(input.at(-2)).toMatchObject({ type: "function_call", call_id: "call_2FQdm3Br7Qb35YUBSkDR7kue" });
    expect(input.at(-1)).toEqual({
      type: "function_call_output",
      call_id: "call_2FQdm3Br7Qb35YUBSkDR7kue",
      output: "clear, 18°C",
    });
  });

  it("issue-19067 (parallel calls wrapped in one 'parallel' call): replayed through the stream helper", async () => {
    const events = loadRecorded(RECORDED.parallelWrapper);
    const cityTools: ChatCompletionTool[] = [
      {
        type: "function",
        function: {
          name: "weather",
          parameters: { type: "object", properties: { location: { type: "string" } } },
        },
      },
      {
        type: "function",
        function: {
          name: "cityAttractions",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      },
    ];
    t.fake.enqueue({ kind: "events", events });
    const final = await client.chat.completions
      .stream({
        model: "gpt-5.5",
        messages: [{ role: "user", content: "Weather in San Francisco and sights in Rome?" }],
        tools: cityTools,
      })
      .finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const calls = (choice.message.tool_calls ?? []).map((c) =>
      c.type === "function" ? { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) } : c,
    );
    expect(calls).toEqual([
      { id: "call_parallel_0", name: "weather", args: { location: "San Francisco" } },
      { id: "call_parallel_1", name: "cityAttractions", args: { city: "Rome" } },
    ]);

    // The results go back as two ordinary calls; the backend sees a consistent history.
    t.fake.enqueue({ kind: "text", text: "Foggy in San Francisco; see the Colosseum." });
    const answer = await client.chat.completions.create({
      model: "gpt-5.5",
      tools: cityTools,
      messages: [
        { role: "user", content: "Weather in San Francisco and sights in Rome?" },
        choice.message,
        { role: "tool", tool_call_id: "call_parallel_0", content: "foggy" },
        { role: "tool", tool_call_id: "call_parallel_1", content: "Colosseum" },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe("Foggy in San Francisco; see the Colosseum.");
    expect(
      lastBody()
        .input.slice(-4)
        .map((i) => [i.type, i.call_id, i.name ?? i.output]),
    ).toEqual([
      ["function_call", "call_parallel_0", "weather"],
      ["function_call", "call_parallel_1", "cityAttractions"],
      ["function_call_output", "call_parallel_0", "foggy"],
      ["function_call_output", "call_parallel_1", "Colosseum"],
    ]);
  });

  it("issue-19067 with a 'parallel' tool of the client's own: passed through as that tool's call", async () => {
    t.fake.enqueue({
      kind: "events",
      events: loadRecorded(RECORDED.parallelWrapper),
    });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Run them in parallel." }],
      tools: [{ type: "function", function: { name: "parallel", parameters: { type: "object" } } }],
    });
    const calls = r.choices[0]!.message.tool_calls ?? [];
    expect(calls.map((c) => c.id)).toEqual(["call_parallel"]);
    const call = calls[0]!;
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toMatchObject({
      tool_uses: [{ recipient_name: "functions.weather" }, { recipient_name: "functions.cityAttractions" }],
    });
  });
});
