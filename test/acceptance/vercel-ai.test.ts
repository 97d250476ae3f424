// The Vercel AI SDK (ai v6) against a real relay and the fake backend: @ai-sdk/openai-compatible's chat model with
// tools and a multi-step tool loop, streamText with usage, and @ai-sdk/openai's chat and Responses models.

import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, Output, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Scenario } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;

/** Paths the SDKs requested from the relay. */
const paths: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  paths.push(new URL(url).pathname);
  return fetch(input, init);
};
const onlyPath = () => [...new Set(paths)];

let compatible: ReturnType<typeof createOpenAICompatible>;

beforeAll(async () => {
  t = await startTestRelay();
  compatible = createOpenAICompatible({
    name: "codex-relay",
    baseURL: `${t.url}/v1`,
    apiKey: "unused",
    fetch: recordingFetch,
    includeUsage: true,
  });
});
afterAll(() => t.close());
beforeEach(() => {
  t.fake.reset();
  paths.length = 0;
});

type Item = Record<string, unknown> & { type?: string; role?: string; call_id?: string; output?: unknown };

const inputOf = (i: number): Item[] => (t.fake.requests[i]!.body as { input: Item[] }).input;

/** The output of the last function_call_output in a request body, or undefined. */
function toolOutputIn(body: Record<string, unknown>): string | undefined {
  const input = body.input as Item[];
  const out = input.filter((i) => i.type === "function_call_output").at(-1);
  return out === undefined ? undefined : String(out.output);
}

/**
 * A two-step tool loop: the backend calls `getWeather` first, and once the request carries the tool's result it
 * answers with text quoting that result.
 */
function weatherLoop(body: Record<string, unknown>): Scenario {
  const output = toolOutputIn(body);
  if (output === undefined) {
    return {
      kind: "tool_calls",
      reasoning: ["I should look up the weather."],
      calls: [{ name: "getWeather", arguments: { city: "Paris" }, callId: "call_paris" }],
      usage: { input_tokens: 50, output_tokens: 10 },
    };
  }
  return {
    kind: "text",
    text: `The tool said: ${output}`,
    usage: { input_tokens: 80, output_tokens: 6 },
  };
}

const weatherTool = () => {
  const calls: { city: string }[] = [];
  const getWeather = tool({
    description: "The current weather in a city",
    inputSchema: z.object({ city: z.string().describe("city name") }),
    execute: async ({ city }) => {
      calls.push({ city });
      return { city, temperatureC: 21, sky: "clear" };
    },
  });
  return { calls, getWeather };
};

describe("@ai-sdk/openai-compatible chat model", () => {
  afterEach(() => expect(onlyPath()).toEqual(["/v1/chat/completions"]));

  it("generateText with a tool and stopWhen: the tool runs and the second step answers from its result", async () => {
    t.fake.setDefaultScenario(weatherLoop);
    const { calls, getWeather } = weatherTool();
    const result = await generateText({
      model: compatible.chatModel("gpt-5.5"),
      tools: { getWeather },
      stopWhen: stepCountIs(3),
      prompt: "What is the weather in Paris?",
    });

    expect(calls).toEqual([{ city: "Paris" }]);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.finishReason).toBe("tool-calls");
    expect(result.steps[0]!.toolCalls).toMatchObject([
      { toolCallId: "call_paris", toolName: "getWeather", input: { city: "Paris" } },
    ]);
    expect(result.steps[0]!.toolResults).toMatchObject([
      { toolCallId: "call_paris", output: { city: "Paris", temperatureC: 21, sky: "clear" } },
    ]);
    expect(result.finishReason).toBe("stop");
    expect(result.text).toContain('"temperatureC":21');
    expect(result.totalUsage).toMatchObject({ inputTokens: 130, outputTokens: 16 });

    // The backend: step one had the tool in the flat shape; step two the call and its result, in order.
    expect(t.fake.requests).toHaveLength(2);
    const firstTools = (t.fake.requests[0]!.body as { tools: Record<string, unknown>[] }).tools;
    expect(firstTools).toEqual([
      expect.objectContaining({
        type: "function",
        name: "getWeather",
        description: "The current weather in a city",
        parameters: expect.objectContaining({ type: "object", required: ["city"] }),
      }),
    ]);
    const second = inputOf(1).filter((i) => i.role === "user" || i.type?.startsWith("function_call"));
    expect(second.map((i) => i.type)).toEqual(["message", "function_call", "function_call_output"]);
    expect(second[1]).toMatchObject({ call_id: "call_paris", name: "getWeather" });
    expect(JSON.parse(String(second[1]!.arguments))).toEqual({ city: "Paris" });
    expect(second[2]).toMatchObject({ call_id: "call_paris" });
    expect(JSON.parse(String(second[2]!.output))).toEqual({ city: "Paris", temperatureC: 21, sky: "clear" });
  });

  it("generateText with two parallel calls in one step", async () => {
    t.fake.setDefaultScenario((body) =>
      toolOutputIn(body) === undefined
        ? {
            kind: "tool_calls",
            calls: [
              { name: "getWeather", arguments: { city: "Paris" } },
              { name: "getWeather", arguments: { city: "Rome" } },
            ],
          }
        : { kind: "text", text: "Both looked up." },
    );
    const { calls, getWeather } = weatherTool();
    const result = await generateText({
      model: compatible.chatModel("gpt-5.5"),
      tools: { getWeather },
      stopWhen: stepCountIs(3),
      prompt: "Weather in Paris and Rome?",
    });
    expect(calls).toEqual([{ city: "Paris" }, { city: "Rome" }]);
    expect(result.text).toBe("Both looked up.");
    const outputs = inputOf(1).filter((i) => i.type === "function_call_output");
    expect(outputs).toHaveLength(2);
    const callIds = inputOf(1)
      .filter((i) => i.type === "function_call")
      .map((i) => i.call_id);
    expect(outputs.map((o) => o.call_id)).toEqual(callIds);
  });

  it("streamText with tools: reasoning, streamed tool input, the tool result, then the streamed answer", async () => {
    t.fake.setDefaultScenario(weatherLoop);
    const { calls, getWeather } = weatherTool();
    // The AI SDK reads DeepSeek-style reasoning_content as reasoning (think-tags would show up as text).
    const model = createOpenAICompatible({
      name: "codex-relay",
      baseURL: `${t.url}/v1`,
      apiKey: "unused",
      fetch: recordingFetch,
      headers: { "x-reasoning-compat": "reasoning_content" },
    }).chatModel("gpt-5.5");
    const result = streamText({
      model,
      tools: { getWeather },
      stopWhen: stepCountIs(3),
      prompt: "What is the weather in Paris?",
    });
    const kinds: string[] = [];
    let inputDeltas = "";
    let reasoning = "";
    for await (const part of result.fullStream) {
      kinds.push(part.type);
      if (part.type === "tool-input-delta") inputDeltas += part.delta;
      if (part.type === "reasoning-delta") reasoning += part.text;
    }
    expect(calls).toEqual([{ city: "Paris" }]);
    expect(reasoning).toBe("I should look up the weather.");
    expect(JSON.parse(inputDeltas)).toEqual({ city: "Paris" });
    expect(kinds.indexOf("reasoning-delta")).toBeLessThan(kinds.indexOf("tool-input-start"));
    expect(kinds.indexOf("tool-call")).toBeLessThan(kinds.indexOf("tool-result"));
    expect(kinds.indexOf("tool-result")).toBeLessThan(kinds.indexOf("text-delta"));
    expect(await result.text).toContain('"sky":"clear"');
    expect((await result.steps).map((s) => s.finishReason)).toEqual(["tool-calls", "stop"]);
  });

  it("streamText: text deltas and usage", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "Streaming through the relay works.",
      deltas: 5,
      usage: { input_tokens: 21, output_tokens: 7, input_tokens_details: { cached_tokens: 8 } },
    });
    const result = streamText({ model: compatible.chatModel("gpt-5.5"), prompt: "Say something." });
    const pieces: string[] = [];
    for await (const delta of result.textStream) pieces.push(delta);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("Streaming through the relay works.");
    expect(await result.finishReason).toBe("stop");
    const usage = await result.usage;
    expect(usage).toMatchObject({ inputTokens: 21, outputTokens: 7, totalTokens: 28 });
    // The model asked for usage in the stream.
    expect(t.fake.requests).toHaveLength(1);
  });

  it("generateText with structured output: the schema reaches the backend as text.format", async () => {
    t.fake.enqueue({ kind: "text", text: '{"city":"Oslo","temperatureC":-3}' });
    const model = createOpenAICompatible({
      name: "codex-relay",
      baseURL: `${t.url}/v1`,
      apiKey: "unused",
      fetch: recordingFetch,
      supportsStructuredOutputs: true,
    }).chatModel("gpt-5.5");
    const result = await generateText({
      model,
      output: Output.object({ schema: z.object({ city: z.string(), temperatureC: z.number() }) }),
      prompt: "Weather in Oslo as JSON.",
    });
    expect(result.output).toEqual({ city: "Oslo", temperatureC: -3 });
    const format = (t.fake.requests[0]!.body as { text?: { format?: Record<string, unknown> } }).text?.format;
    expect(format).toMatchObject({ type: "json_schema", schema: { type: "object" } });
  });
});

describe("@ai-sdk/openai", () => {
  it("chat model: generateText with a tool loop", async () => {
    t.fake.setDefaultScenario(weatherLoop);
    const openai = createOpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", fetch: recordingFetch });
    const { calls, getWeather } = weatherTool();
    const result = await generateText({
      model: openai.chat("gpt-5.5"),
      tools: { getWeather },
      stopWhen: stepCountIs(3),
      prompt: "What is the weather in Paris?",
    });
    expect(calls).toEqual([{ city: "Paris" }]);
    expect(result.text).toContain('"temperatureC":21');
    expect(result.steps.map((s) => s.finishReason)).toEqual(["tool-calls", "stop"]);
    expect(paths).toEqual(["/v1/chat/completions", "/v1/chat/completions"]);
  });

  it("chat model: generateText with plain text and usage", async () => {
    t.fake.enqueue({ kind: "text", text: "Hello there.", usage: { input_tokens: 9, output_tokens: 3 } });
    const openai = createOpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", fetch: recordingFetch });
    const result = await generateText({ model: openai.chat("gpt-5.5"), prompt: "Hi" });
    expect(result.text).toBe("Hello there.");
    expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 3 });
    expect(onlyPath()).toEqual(["/v1/chat/completions"]);
  });

  it("Responses model: generateText with a tool loop over /v1/responses", async () => {
    t.fake.setDefaultScenario(weatherLoop);
    const openai = createOpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", fetch: recordingFetch });
    const { calls, getWeather } = weatherTool();
    const result = await generateText({
      model: openai.responses("gpt-5.5"),
      tools: { getWeather },
      stopWhen: stepCountIs(3),
      prompt: "What is the weather in Paris?",
      // store:false makes the SDK send the whole history (no item references the relay must resolve).
      providerOptions: { openai: { store: false } },
    });
    expect(calls).toEqual([{ city: "Paris" }]);
    expect(result.text).toContain('"temperatureC":21');
    expect(result.steps.map((s) => s.finishReason)).toEqual(["tool-calls", "stop"]);
    expect(paths).toEqual(["/v1/responses", "/v1/responses"]);
    const second = inputOf(1);
    expect(second.filter((i) => i.type === "function_call_output").map((i) => i.call_id)).toEqual([
      "call_paris",
    ]);
  });
});
