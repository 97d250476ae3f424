// Property-based fuzzing of the OpenAI endpoints' request bodies, in-process (createApp(relay).request): at least
// 10,000 generated and mutated bodies each. Whatever comes in: never a 5xx, never an unhandled rejection, every
// error in OpenAI's shape, every 200 stream complete, and the backend never sees a body it would refuse (the
// backend here validates exactly like the fake ChatGPT backend).

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessRelay, type InProcessRelay } from "./helpers/in-process.ts";
import {
  assertNoPrototypePollution,
  bodyArb,
  checkCase,
  newStats,
  watchUnhandled,
  type FuzzStats,
} from "./helpers/fuzz.ts";
import { MODEL } from "./helpers/http.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_705);

const user = { role: "user", content: "hello" };
const tool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const CHAT_TEMPLATES = [
  { model: MODEL, messages: [user] },
  {
    model: MODEL,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "system", content: "be brief" }, user],
  },
  {
    model: `${MODEL}-high`,
    messages: [
      { role: "developer", content: "dev" },
      {
        role: "user",
        content: [
          { type: "text", text: "what is this" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
        ],
      },
    ],
  },
  {
    model: MODEL,
    stream: true,
    tools: [tool],
    tool_choice: "auto",
    parallel_tool_calls: true,
    messages: [
      user,
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ],
  },
  {
    model: MODEL,
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "answer",
        strict: true,
        schema: { type: "object", properties: { a: { type: "string" } } },
      },
    },
    messages: [user],
  },
  {
    model: MODEL,
    stop: ["\n", "END"],
    max_tokens: 5,
    n: 1,
    temperature: 0.2,
    top_p: 1,
    reasoning_effort: "low",
    reasoning_compat: "o3",
    user: "u1",
    messages: [user],
  },
  {
    model: MODEL,
    stream: true,
    reasoning: { effort: "high", summary: "detailed" },
    verbosity: "low",
    max_completion_tokens: 3,
    messages: [user],
  },
];
const CHAT_KEYS = [
  "model",
  "messages",
  "stream",
  "stream_options",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "reasoning_effort",
  "reasoning",
  "verbosity",
  "stop",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "temperature",
  "top_p",
  "user",
  "reasoning_compat",
  "role",
  "content",
  "tool_calls",
  "tool_call_id",
  "function",
  "name",
  "arguments",
  "type",
  "text",
  "image_url",
  "url",
  "json_schema",
  "schema",
  "include_usage",
  "prompt_cache_key",
  "function_call",
  "functions",
  "logprobs",
  "seed",
  "metadata",
  "store",
  "modalities",
  "audio",
  "prediction",
];

const COMPLETION_TEMPLATES = [
  { model: MODEL, prompt: "Once upon a time" },
  { model: MODEL, prompt: ["one prompt"], stream: true, stream_options: { include_usage: true } },
  {
    model: `${MODEL}-low`,
    prompt: "x",
    max_tokens: 4,
    stop: "\n",
    echo: false,
    n: 1,
    temperature: 0,
    suffix: null,
    user: "u",
  },
  { model: MODEL, prompt: "count", stream: true, stop: ["3"], logprobs: null, best_of: 1 },
];
const COMPLETION_KEYS = [
  "model",
  "prompt",
  "stream",
  "stream_options",
  "max_tokens",
  "stop",
  "echo",
  "n",
  "temperature",
  "suffix",
  "user",
  "logprobs",
  "best_of",
  "top_p",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "seed",
  "include_usage",
  "reasoning_effort",
];

const RESPONSES_TEMPLATES = [
  { model: MODEL, input: "hello" },
  { model: MODEL, stream: true, instructions: "be brief", input: [{ role: "user", content: "hi" }] },
  {
    model: MODEL,
    input: [
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "look" },
          { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" },
        ],
      },
    ],
    reasoning: { effort: "low", summary: "auto" },
    text: { verbosity: "low", format: { type: "text" } },
  },
  {
    model: MODEL,
    stream: true,
    tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: {} } }],
    tool_choice: "auto",
    input: [
      { role: "user", content: "weather?" },
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "sunny" },
    ],
  },
  {
    model: MODEL,
    input: "x",
    max_output_tokens: 10,
    temperature: 0.5,
    store: true,
    metadata: { a: "b" },
    prompt_cache_key: "k",
    include: ["reasoning.encrypted_content"],
  },
];
const RESPONSES_KEYS = [
  "model",
  "input",
  "stream",
  "instructions",
  "tools",
  "tool_choice",
  "reasoning",
  "text",
  "include",
  "max_output_tokens",
  "temperature",
  "top_p",
  "store",
  "metadata",
  "prompt_cache_key",
  "previous_response_id",
  "parallel_tool_calls",
  "user",
  "truncation",
  "service_tier",
  "role",
  "content",
  "type",
  "call_id",
  "output",
  "arguments",
  "name",
  "effort",
  "summary",
  "format",
  "verbosity",
  "image_url",
  "input_text",
  "input_image",
];

let relay: InProcessRelay;
let unhandled: ReturnType<typeof watchUnhandled>;
const report: Record<string, FuzzStats> = {};
beforeAll(() => {
  relay = inProcessRelay();
  unhandled = watchUnhandled();
});
afterAll(() => {
  unhandled.stop();
  for (const [path, s] of Object.entries(report)) {
    console.info(
      `[hardening] fuzz ${path}: ${s.runs} bodies, statuses ${JSON.stringify(s.byStatus)}, kinds ${JSON.stringify(s.byKind)}, backend calls ${s.backendCalls}, passed-through invalid ${s.passedThroughInvalid} ${JSON.stringify(s.passThroughReasons)}`,
    );
  }
});

describe.each([
  { path: "/v1/chat/completions", templates: CHAT_TEMPLATES, keys: CHAT_KEYS, passThrough: false },
  { path: "/v1/completions", templates: COMPLETION_TEMPLATES, keys: COMPLETION_KEYS, passThrough: false },
  { path: "/v1/responses", templates: RESPONSES_TEMPLATES, keys: RESPONSES_KEYS, passThrough: true },
])("fuzz $path", ({ path, templates, keys, passThrough }) => {
  it(`survives ${RUNS} generated and mutated bodies`, async () => {
    const stats = newStats();

    report[path] = stats;
    await fc.assert(
      fc.asyncProperty(bodyArb(templates as never, keys), (c) =>
        checkCase(relay, c, { path, dialect: "openai", passThrough }, stats),
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
    expect(stats.runs).toBeGreaterThanOrEqual(RUNS);
    // The generator is useful only if it reaches both sides of the validation.
    expect(stats.byStatus["200"] ?? 0).toBeGreaterThan(RUNS / 20);
    expect(stats.byStatus["400"] ?? 0).toBeGreaterThan(RUNS / 20);
    expect(unhandled.errors).toEqual([]);
    assertNoPrototypePollution();
  }, 120_000);
});
