// Web search citations on /v1/chat/completions: the recorded web-search stream (url_citation annotations on the
// answer) replayed through the relay reaches chat clients as OpenAI's `annotations` (message.annotations, and
// delta.annotations when streamed), with indices into the content — also when think-tags reasoning precedes the
// answer. Read by the openai SDK and by @ai-sdk/openai's chat model (as sources).

import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { loadRecorded, RECORDED } from "../helpers/recorded.ts";

let t: TestRelay;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestRelay();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => t.close());

function webSearchEvents(): Record<string, unknown>[] {
  return loadRecorded(RECORDED.webSearch);
}

/** The recording with a reasoning summary before the answer, so that think-tags put text before it. */
function withReasoning(): Record<string, unknown>[] {
  const events = webSearchEvents();
  const at = events.findIndex((e) => e.type === "response.output_text.delta");
  const item_id = "rs_test_summary";
  events.splice(at, 0, {
    type: "response.reasoning_summary_text.delta",
    item_id,
    output_index: 12,
    summary_index: 0,
    delta: "Looking at the sources.",
  });
  return events;
}

type Citation = { type: string; url_citation: { start_index: number; end_index: number; url: string } };

function expectSpans(content: string, annotations: Citation[] | undefined): void {
  expect(annotations).toHaveLength(12);
  for (const a of annotations!) {
    expect(a.type).toBe("url_citation");
    // The recording's spans are markdown links "([site](url))".
    expect(content.slice(a.url_citation.start_index, a.url_citation.end_index)).toContain(a.url_citation.url);
  }
}

describe("web search citations on chat completions", () => {
  it("non-stream: message.annotations index the content, after the <think> block", async () => {
    t.fake.enqueue({ kind: "events", events: withReasoning() });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "tech news" }],
    });
    const message = r.choices[0]!.message;
    expect(message.content).toMatch(/^<think>/);
    expectSpans(message.content!, message.annotations as Citation[] | undefined);
  });

  it("stream: delta.annotations index the streamed content", async () => {
    t.fake.enqueue({ kind: "events", events: withReasoning() });
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      stream: true,
      messages: [{ role: "user", content: "tech news" }],
    });
    let content = "";
    const annotations: Citation[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; annotations?: Citation[] } | undefined;
      content += delta?.content ?? "";
      annotations.push(...(delta?.annotations ?? []));
    }
    expectSpans(content, annotations);
  });

  it("@ai-sdk/openai's chat model reads them as sources", async () => {
    t.fake.enqueue({ kind: "events", events: webSearchEvents() });
    const openai = createOpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused" });
    const result = streamText({ model: openai.chat("gpt-5.5"), prompt: "tech news", maxRetries: 0 });
    const sources = await result.sources;
    expect(sources).toHaveLength(12);
    expect(sources[0]).toMatchObject({ sourceType: "url", url: expect.stringContaining("techcrunch.com") });
  });
});
