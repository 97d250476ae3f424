// LangChain's ChatOpenAI against a real relay and the fake backend: bindTools → parsed tool_calls, a tool
// round trip with ToolMessages, and .stream() text chunks.

import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import type { AIMessageChunk } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(() => t.close());
beforeEach(() => {
  t.fake.reset();
  paths.length = 0;
});
afterEach(() => {
  expect(paths.length).toBeGreaterThan(0);
  expect(new Set(paths)).toEqual(new Set(["/v1/chat/completions"]));
});

type Item = Record<string, unknown> & { type?: string; role?: string; call_id?: string };

function lastBody(): Record<string, unknown> & { input: Item[] } {
  const r = t.fake.requests.at(-1);
  if (!r) throw new Error("the fake saw no request");
  return r.body as Record<string, unknown> & { input: Item[] };
}

/** Paths LangChain requested from the relay (it must use /v1/chat/completions, not /v1/responses). */
const paths: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  paths.push(new URL(url).pathname);
  return fetch(input, init);
};

function chat(fields: Partial<ConstructorParameters<typeof ChatOpenAI>[0]> = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: "gpt-5.5",
    apiKey: "unused",
    maxRetries: 0,
    configuration: { baseURL: `${t.url}/v1`, fetch: recordingFetch },
    ...fields,
  });
}

const getWeather = tool(async ({ city }: { city: string }) => `${city}: 19°C, light rain`, {
  name: "get_weather",
  description: "The current weather in a city",
  schema: z.object({ city: z.string() }),
});

describe("LangChain ChatOpenAI", () => {
  it("bindTools + invoke: tool_calls parsed, the tool schema reaches the backend", async () => {
    t.fake.enqueue({
      kind: "tool_calls",
      calls: [
        { name: "get_weather", arguments: { city: "Berlin" }, callId: "call_berlin" },
        { name: "get_weather", arguments: { city: "Madrid" }, callId: "call_madrid" },
      ],
    });
    const model = chat().bindTools([getWeather]);
    const ai = await model.invoke([new HumanMessage("Weather in Berlin and Madrid?")]);
    expect(ai.tool_calls).toEqual([
      expect.objectContaining({ id: "call_berlin", name: "get_weather", args: { city: "Berlin" } }),
      expect.objectContaining({ id: "call_madrid", name: "get_weather", args: { city: "Madrid" } }),
    ]);
    expect(ai.response_metadata.finish_reason).toBe("tool_calls");
    expect(lastBody().tools).toEqual([
      expect.objectContaining({
        type: "function",
        name: "get_weather",
        description: "The current weather in a city",
        parameters: expect.objectContaining({ type: "object", properties: { city: { type: "string" } } }),
      }),
    ]);
  });

  it("a round trip: run the tool, send ToolMessages back, get the answer", async () => {
    t.fake.enqueue({
      kind: "tool_calls",
      calls: [{ name: "get_weather", arguments: { city: "Berlin" }, callId: "call_berlin" }],
    });
    t.fake.enqueue({ kind: "text", text: "Rainy in Berlin, 19°C." });
    const model = chat().bindTools([getWeather], { tool_choice: "required" });
    const history = [new SystemMessage("Use tools."), new HumanMessage("Weather in Berlin?")];
    const ai = await model.invoke(history);
    expect(lastBody().tool_choice).toBe("required");
    const results: ToolMessage[] = [];
    for (const call of ai.tool_calls ?? []) results.push(await getWeather.invoke(call));
    expect(results.map((m) => m.tool_call_id)).toEqual(["call_berlin"]);

    const answer = await chat()
      .bindTools([getWeather])
      .invoke([...history, ai, ...results]);
    expect(answer.content).toBe("Rainy in Berlin, 19°C.");
    expect(answer.tool_calls ?? []).toEqual([]);
    const tail = lastBody().input.slice(-2);
    expect(tail).toEqual([
      { type: "function_call", call_id: "call_berlin", name: "get_weather", arguments: '{"city":"Berlin"}' },
      { type: "function_call_output", call_id: "call_berlin", output: "Berlin: 19°C, light rain" },
    ]);
  });

  it("an AIMessage with tool_calls written by hand is accepted as history", async () => {
    t.fake.enqueue({ kind: "text", text: "Done." });
    const ai = new AIMessage({
      content: "",
      tool_calls: [{ id: "call_x", name: "get_weather", args: { city: "Kyiv" }, type: "tool_call" }],
    });
    const r = await chat().invoke([
      new HumanMessage("Weather in Kyiv?"),
      ai,
      new ToolMessage({ tool_call_id: "call_x", content: "sunny" }),
    ]);
    expect(r.content).toBe("Done.");
    expect(
      lastBody()
        .input.slice(-2)
        .map((i) => [i.type, i.call_id]),
    ).toEqual([
      ["function_call", "call_x"],
      ["function_call_output", "call_x"],
    ]);
  });

  it(".stream(): text chunks that concatenate to the answer, with usage", async () => {
    t.fake.enqueue({
      kind: "text",
      text: "LangChain streams through codex-relay.",
      deltas: 6,
      usage: { input_tokens: 14, output_tokens: 6 },
    });
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await chat({ streamUsage: true }).stream("Say something.")) chunks.push(chunk);
    const texts = chunks.map((c) => (typeof c.content === "string" ? c.content : "")).filter((s) => s !== "");
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.join("")).toBe("LangChain streams through codex-relay.");
    const withUsage = chunks.find((c) => c.usage_metadata !== undefined);
    expect(withUsage?.usage_metadata).toMatchObject({ input_tokens: 14, output_tokens: 6, total_tokens: 20 });
  });

  it(".stream() with tools: tool_call_chunks merge into one call per index", async () => {
    t.fake.enqueue({
      kind: "tool_calls",
      calls: [
        { name: "get_weather", arguments: { city: "Lisbon" }, callId: "call_lisbon" },
        { name: "get_weather", arguments: { city: "Porto" }, callId: "call_porto" },
      ],
    });
    let merged: AIMessageChunk | undefined;
    for await (const chunk of await chat().bindTools([getWeather]).stream("Weather in Lisbon and Porto?")) {
      merged = merged === undefined ? chunk : merged.concat(chunk);
    }
    expect(merged?.tool_calls).toEqual([
      expect.objectContaining({ id: "call_lisbon", name: "get_weather", args: { city: "Lisbon" } }),
      expect.objectContaining({ id: "call_porto", name: "get_weather", args: { city: "Porto" } }),
    ]);
  });
});
