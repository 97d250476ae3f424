// Property-based fuzzing of the Ollama endpoints' request bodies, in-process: at least 10,000 generated and
// mutated bodies each. Never a 5xx, never an unhandled rejection, every error `{"error": "<string>"}`, every 200
// stream finished with `done`, and the backend never sees a body it would refuse.

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
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const tool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const CHAT_TEMPLATES = [
  { model: MODEL, messages: [{ role: "user", content: "hello" }] },
  {
    model: `${MODEL}:latest`,
    stream: false,
    messages: [
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
    ],
  },
  {
    model: MODEL,
    stream: true,
    think: true,
    messages: [{ role: "user", content: "what is this", images: [PNG] }],
  },
  {
    model: MODEL,
    tools: [tool],
    messages: [
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }],
      },
      { role: "tool", tool_name: "get_weather", content: "sunny" },
    ],
  },
  {
    model: MODEL,
    format: "json",
    options: { num_predict: 5, stop: ["\n"], temperature: 0.1 },
    keep_alive: "5m",
    messages: [{ role: "user", content: "json" }],
  },
  {
    model: MODEL,
    stream: false,
    think: "high",
    format: { type: "object", properties: { a: { type: "string" } } },
    messages: [{ role: "user", content: "x" }],
  },
  { model: MODEL, messages: [] },
];
const CHAT_KEYS = [
  "model",
  "messages",
  "stream",
  "format",
  "tools",
  "think",
  "options",
  "keep_alive",
  "role",
  "content",
  "images",
  "thinking",
  "tool_calls",
  "tool_name",
  "tool_call_id",
  "function",
  "name",
  "arguments",
  "index",
  "num_predict",
  "stop",
  "temperature",
  "num_ctx",
  "seed",
  "top_k",
];

const GENERATE_TEMPLATES = [
  { model: MODEL, prompt: "Why is the sky blue?" },
  {
    model: MODEL,
    prompt: "x",
    stream: false,
    system: "be brief",
    suffix: "end",
    raw: false,
    template: "{{ .Prompt }}",
    context: [1, 2, 3],
  },
  { model: MODEL, prompt: "describe", images: [PNG], think: false, options: { num_predict: 3 } },
  { model: MODEL, prompt: "json please", format: "json", keep_alive: 0, stream: true },
  { model: MODEL },
];
const GENERATE_KEYS = [
  "model",
  "prompt",
  "suffix",
  "system",
  "images",
  "stream",
  "format",
  "think",
  "options",
  "keep_alive",
  "raw",
  "template",
  "context",
  "num_predict",
  "stop",
];

const SHOW_TEMPLATES = [
  { model: MODEL },
  { name: `${MODEL}-high` },
  { model: `${MODEL}:latest`, verbose: true },
];
const SHOW_KEYS = ["model", "name", "verbose"];

const EMBED_TEMPLATES = [
  { model: MODEL, input: "text" },
  { model: "nomic-embed-text", prompt: "x", input: ["a", "b"] },
];
const EMBED_KEYS = ["model", "input", "prompt", "truncate", "options", "keep_alive"];

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
      `[hardening] fuzz ${path}: ${s.runs} bodies, statuses ${JSON.stringify(s.byStatus)}, backend calls ${s.backendCalls}`,
    );
  }
});

describe.each([
  { path: "/api/chat", templates: CHAT_TEMPLATES, keys: CHAT_KEYS, minOk: RUNS / 20 },
  { path: "/api/generate", templates: GENERATE_TEMPLATES, keys: GENERATE_KEYS, minOk: RUNS / 20 },
  { path: "/api/show", templates: SHOW_TEMPLATES, keys: SHOW_KEYS, minOk: RUNS / 20 },
  // Embeddings are never served without OLLAMA_API_URL: every body ends in a 4xx.
  { path: "/api/embed", templates: EMBED_TEMPLATES, keys: EMBED_KEYS, minOk: 0 },
])("fuzz $path", ({ path, templates, keys, minOk }) => {
  it(`survives ${RUNS} generated and mutated bodies`, async () => {
    const stats = newStats();
    report[path] = stats;
    await fc.assert(
      fc.asyncProperty(bodyArb(templates as never, keys), (c) =>
        checkCase(relay, c, { path, dialect: "ollama" }, stats),
      ),
      { numRuns: RUNS, seed: SEED },
    );
    expect(stats.runs).toBeGreaterThanOrEqual(RUNS);
    expect(stats.byStatus["200"] ?? 0).toBeGreaterThanOrEqual(minOk);
    expect(stats.byStatus["400"] ?? 0).toBeGreaterThan(RUNS / 20);
    expect(unhandled.errors).toEqual([]);
    assertNoPrototypePollution();
  }, 120_000);
});
