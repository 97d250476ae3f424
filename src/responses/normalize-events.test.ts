import { describe, expect, it } from "vitest";
import type { StreamPart } from "../core/stream-parts.ts";
import { ResponsesEventNormalizer, STREAM_INCOMPLETE_MESSAGE } from "./normalize-events.ts";
import { loadRecorded, normalizeAll, RECORDED, splitResponses } from "../../test/helpers/recorded.ts";
import type { UpstreamEvent } from "./types.ts";

const ev = (type: string, fields: Record<string, unknown> = {}): UpstreamEvent => ({ type, ...fields });

const created = (id = "resp_1", model = "gpt-5.5") =>
  ev("response.created", { response: { id, model, output: [] } });
const usage = {
  input_tokens: 100,
  input_tokens_details: { cached_tokens: 40 },
  output_tokens: 30,
  output_tokens_details: { reasoning_tokens: 20 },
  total_tokens: 130,
};
const completed = (extra: Record<string, unknown> = {}) =>
  ev("response.completed", { response: { id: "resp_1", output: [], usage, ...extra } });

function textOf(parts: StreamPart[]): string {
  return parts.map((p) => (p.type === "text-delta" ? p.delta : "")).join("");
}

function ofType<T extends StreamPart["type"]>(
  parts: StreamPart[],
  type: T,
): Extract<StreamPart, { type: T }>[] {
  return parts.filter((p): p is Extract<StreamPart, { type: T }> => p.type === type);
}

describe("ResponsesEventNormalizer", () => {
  it("maps created, text deltas and completed with usage", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.added", { item: { id: "msg_1", type: "message", content: [] } }),
      ev("response.output_text.delta", { item_id: "msg_1", delta: "Hel" }),
      ev("response.output_text.delta", { item_id: "msg_1", delta: "lo" }),
      ev("response.output_item.done", {
        item: { id: "msg_1", type: "message", content: [{ type: "output_text", text: "Hello" }] },
      }),
      completed(),
    ]);
    expect(parts).toEqual([
      { type: "response-start", responseId: "resp_1", model: "gpt-5.5" },
      { type: "text-delta", delta: "Hel" },
      { type: "text-delta", delta: "lo" },
      {
        type: "finish",
        reason: "stop",
        responseId: "resp_1",
        usage: {
          inputTokens: 100,
          cachedInputTokens: 40,
          outputTokens: 30,
          reasoningTokens: 20,
          totalTokens: 130,
        },
      },
    ]);
  });

  it("rebuilds the text from output_item.done when no delta came", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.done", {
        item: { id: "msg_1", type: "message", content: [{ type: "output_text", text: "Whole answer" }] },
      }),
      completed(),
    ]);
    expect(textOf(parts)).toBe("Whole answer");
  });

  it("separates the text of successive message items with a blank line", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_text.delta", { item_id: "m1", delta: "First." }),
      ev("response.output_item.done", { item: { id: "m1", type: "message", content: [] } }),
      ev("response.output_item.done", {
        item: { id: "m2", type: "message", content: [{ type: "output_text", text: "Second." }] },
      }),
      ev("response.output_text.delta", { item_id: "m3", delta: "Third." }),
      completed(),
    ]);
    expect(textOf(parts)).toBe("First.\n\nSecond.\n\nThird.");
  });

  it("does not put a separator before the first message when an empty message came first", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.done", { item: { id: "m1", type: "message", content: [] } }),
      ev("response.output_text.delta", { item_id: "m2", delta: "Only." }),
      completed(),
    ]);
    expect(textOf(parts)).toBe("Only.");
  });

  it("numbers summary parts across reasoning items and marks raw reasoning", () => {
    const parts = normalizeAll([
      created(),
      ev("response.reasoning_summary_part.added", { item_id: "rs_1", summary_index: 0, part: { text: "" } }),
      ev("response.reasoning_summary_text.delta", { item_id: "rs_1", summary_index: 0, delta: "a" }),
      ev("response.reasoning_summary_text.delta", { item_id: "rs_1", summary_index: 0, delta: "b" }),
      ev("response.reasoning_summary_part.added", { item_id: "rs_1", summary_index: 1, part: { text: "" } }),
      ev("response.reasoning_summary_text.delta", { item_id: "rs_1", summary_index: 1, delta: "c" }),
      ev("response.reasoning_summary_text.delta", { item_id: "rs_1", summary_index: 1 }), // no delta: dropped
      ev("response.reasoning_summary_part.added", { item_id: "rs_2", summary_index: 0, part: { text: "" } }),
      ev("response.reasoning_summary_text.delta", { item_id: "rs_2", summary_index: 0, delta: "d" }),
      ev("response.reasoning_text.delta", { item_id: "rs_2", content_index: 0, delta: "raw" }),
      ev("response.reasoning_text.delta", { item_id: "rs_2", content_index: 0 }), // dropped
      completed(),
    ]);
    expect(ofType(parts, "reasoning-delta")).toEqual([
      { type: "reasoning-delta", delta: "a", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "b", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "c", kind: "summary", partIndex: 1 },
      { type: "reasoning-delta", delta: "d", kind: "summary", partIndex: 2 },
      { type: "reasoning-delta", delta: "raw", kind: "raw", partIndex: 0 },
    ]);
  });

  it("emits the summary of a reasoning item that only arrived whole", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.done", {
        item: {
          id: "rs_1",
          type: "reasoning",
          summary: [
            { type: "summary_text", text: "one" },
            { type: "summary_text", text: "two" },
          ],
        },
      }),
      completed(),
    ]);
    expect(ofType(parts, "reasoning-delta").map((p) => [p.delta, p.partIndex])).toEqual([
      ["one", 0],
      ["two", 1],
    ]);
  });

  it("ends every reasoning item with reasoning-end, carrying its encrypted content", () => {
    const parts = normalizeAll([
      created(),
      ev("response.reasoning_summary_text.delta", { item_id: "rs_1", summary_index: 0, delta: "a" }),
      ev("response.output_item.done", {
        item: { id: "rs_1", type: "reasoning", encrypted_content: "gAAAA1", summary: [{ text: "a" }] },
      }),
      ev("response.output_item.done", { item: { id: "rs_2", type: "reasoning", summary: [] } }),
      completed(),
    ]);
    expect(parts.filter((p) => p.type === "reasoning-delta" || p.type === "reasoning-end")).toEqual([
      { type: "reasoning-delta", delta: "a", kind: "summary", partIndex: 0 },
      { type: "reasoning-end", encryptedContent: "gAAAA1" },
      { type: "reasoning-end" },
    ]);
  });

  it("streams function calls: start, deltas, end, finish tool_calls", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.added", {
        item: { id: "fc_1", type: "function_call", call_id: "call_a", name: "get_weather", arguments: "" },
      }),
      ev("response.function_call_arguments.delta", { item_id: "fc_1", delta: '{"city":' }),
      ev("response.function_call_arguments.delta", { item_id: "fc_1", delta: '"Paris"}' }),
      ev("response.output_item.done", {
        item: {
          id: "fc_1",
          type: "function_call",
          call_id: "call_a",
          name: "get_weather",
          arguments: '{"city":"Paris"}',
        },
      }),
      ev("response.output_item.added", {
        item: { id: "fc_2", type: "function_call", call_id: "call_b", name: "get_time", arguments: "" },
      }),
      ev("response.output_item.done", {
        item: { id: "fc_2", type: "function_call", call_id: "call_b", name: "get_time", arguments: "{}" },
      }),
      completed(),
    ]);
    expect(parts.slice(1, -1)).toEqual([
      { type: "tool-call-start", index: 0, callId: "call_a", name: "get_weather" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: '"Paris"}' },
      {
        type: "tool-call-end",
        index: 0,
        callId: "call_a",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      },
      { type: "tool-call-start", index: 1, callId: "call_b", name: "get_time" },
      { type: "tool-call-end", index: 1, callId: "call_b", name: "get_time", arguments: "{}" },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });

  it("emits start and end for a call seen only at output_item.done", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.done", {
        item: { id: "fc_9", type: "function_call", call_id: "call_z", name: "f", arguments: '{"x":1}' },
      }),
      completed(),
    ]);
    expect(parts.slice(1)).toEqual([
      { type: "tool-call-start", index: 0, callId: "call_z", name: "f" },
      { type: "tool-call-end", index: 0, callId: "call_z", name: "f", arguments: '{"x":1}' },
      expect.objectContaining({ type: "finish", reason: "tool_calls" }),
    ]);
  });

  it("sends the arguments the deltas missed before the end", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.added", {
        item: { id: "fc_1", type: "function_call", call_id: "c", name: "f" },
      }),
      ev("response.function_call_arguments.delta", { item_id: "fc_1", delta: '{"a"' }),
      ev("response.output_item.done", {
        item: { id: "fc_1", type: "function_call", call_id: "c", name: "f", arguments: '{"a":2}' },
      }),
      completed(),
    ]);
    const deltas = ofType(parts, "tool-call-delta").map((p) => p.argumentsDelta);
    expect(deltas.join("")).toBe('{"a":2}');
  });

  it("treats custom tool calls like function calls whose arguments are the input", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.added", {
        item: { id: "ct_1", type: "custom_tool_call", call_id: "c1", name: "apply_patch" },
      }),
      ev("response.custom_tool_call_input.delta", { item_id: "ct_1", delta: "*** Begin" }),
      ev("response.output_item.done", {
        item: {
          id: "ct_1",
          type: "custom_tool_call",
          call_id: "c1",
          name: "apply_patch",
          input: "*** Begin Patch",
        },
      }),
      completed(),
    ]);
    expect(ofType(parts, "tool-call-end")).toEqual([
      { type: "tool-call-end", index: 0, callId: "c1", name: "apply_patch", arguments: "*** Begin Patch" },
    ]);
    expect(
      ofType(parts, "tool-call-delta")
        .map((p) => p.argumentsDelta)
        .join(""),
    ).toBe("*** Begin Patch");
  });

  it("maps response.incomplete to length or content_filter", () => {
    const incomplete = (reason: string) =>
      ev("response.incomplete", { response: { id: "r", usage, incomplete_details: { reason } } });
    expect(normalizeAll([created(), incomplete("max_output_tokens")]).at(-1)).toMatchObject({
      type: "finish",
      reason: "length",
      usage: { outputTokens: 30 },
    });
    expect(normalizeAll([created(), incomplete("content_filter")]).at(-1)).toMatchObject({
      type: "finish",
      reason: "content_filter",
    });
    expect(normalizeAll([created(), incomplete("interrupted")]).at(-1)).toMatchObject({ reason: "length" });
  });

  it("maps response.failed to one error and ignores everything after a terminal", () => {
    const n = new ResponsesEventNormalizer();
    n.push(created());
    const parts = n.push(
      ev("response.failed", {
        response: { id: "r", error: { code: "context_length_exceeded", message: "Too long." } },
      }),
    );
    expect(parts).toEqual([{ type: "error", message: "Too long.", code: "context_length_exceeded" }]);
    expect(n.finished).toBe(true);
    expect(n.push(ev("response.output_text.delta", { delta: "late" }))).toEqual([]);
    expect(n.push(completed())).toEqual([]);
    expect(n.end()).toEqual([]);
  });

  it("reports a stream closed before a terminal event", () => {
    const parts = normalizeAll([created(), ev("response.output_text.delta", { item_id: "m", delta: "par" })]);
    expect(parts.at(-1)).toEqual({
      type: "error",
      message: STREAM_INCOMPLETE_MESSAGE,
      code: "stream_incomplete",
    });
  });

  it("accepts a top-level error event with flat fields", () => {
    const parts = normalizeAll([ev("error", { code: "server_is_overloaded", message: "Busy." })]);
    expect(parts).toEqual([{ type: "error", message: "Busy.", code: "server_is_overloaded" }]);
  });

  it("ignores unknown event types", () => {
    const parts = normalizeAll([
      created(),
      ev("response.something_new", { delta: "x" }),
      ev("codex.rate_limits"),
      completed(),
    ]);
    expect(parts.map((p) => p.type)).toEqual(["response-start", "finish"]);
  });

  it("falls back to response.completed.output when no item event came", () => {
    const parts = normalizeAll([
      created(),
      completed({
        output: [
          { id: "m1", type: "message", content: [{ type: "output_text", text: "From output" }] },
          { id: "fc", type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        ],
      }),
    ]);
    expect(textOf(parts)).toBe("From output");
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });
});

describe("ResponsesEventNormalizer: web search", () => {
  const search = (id: string, action?: Record<string, unknown>) =>
    ev("response.output_item.done", { item: { id, type: "web_search_call", status: "completed", action } });

  it("a finished search is one web-search part; page actions are not searches; a repeat is dropped", () => {
    const parts = normalizeAll([
      created(),
      ev("response.output_item.added", {
        item: { id: "ws_1", type: "web_search_call", status: "in_progress" },
      }),
      search("ws_1", {
        type: "search",
        query: "weather Paris",
        sources: [
          { type: "url", url: "https://a.example/x" },
          { type: "url" },
          { url: "https://b.example/", title: "B" },
        ],
      }),
      search("ws_2", { type: "open_page", url: "https://a.example/x" }),
      search("ws_3", { type: "find_in_page", pattern: "rain", url: "https://a.example/x" }),
      search("ws_4"),
      ev("response.output_item.done", {
        item: {
          id: "msg_1",
          type: "message",
          content: [
            {
              type: "output_text",
              text: "Rain ([a.example](https://a.example/x)).",
              annotations: [
                {
                  type: "url_citation",
                  url: "https://a.example/x",
                  title: "A",
                  start_index: 5,
                  end_index: 38,
                },
                { type: "file_citation", file_id: "f" },
              ],
            },
          ],
        },
      }),
      completed({
        output: [
          {
            id: "ws_1",
            type: "web_search_call",
            status: "completed",
            action: { type: "search", query: "again" },
          },
        ],
      }),
    ]);
    expect(parts.filter((p) => p.type !== "response-start" && p.type !== "finish")).toEqual([
      {
        type: "web-search",
        id: "ws_1",
        query: "weather Paris",
        sources: [{ url: "https://a.example/x" }, { url: "https://b.example/", title: "B" }],
      },
      // A search item without an action (the backend may omit it) is still a search.
      { type: "web-search", id: "ws_4", query: "", sources: [] },
      { type: "text-delta", delta: "Rain ([a.example](https://a.example/x))." },
      { type: "web-citation", url: "https://a.example/x", title: "A", start: 5, end: 38 },
    ]);
  });

  it("recorded stream: two searches with their sources, a citation per url_citation annotation", () => {
    const parts = normalizeAll(loadRecorded(RECORDED.webSearch));
    const searches = ofType(parts, "web-search");
    expect(searches.map((p) => [p.query, p.sources.length])).toEqual([
      ["tech news today December 5 2025", 10],
      ['site:theverge.com "December 5, 2025" "technology"', 11],
    ]);
    const citations = ofType(parts, "web-citation");
    expect(citations).toHaveLength(12);
    expect(citations[0]!.title).toBe(
      "Petco confirms security lapse exposed customers’ personal data | TechCrunch",
    );
    // Searches come before the answer, each citation after the text it annotates began.
    expect(parts.indexOf(searches[1]!)).toBeLessThan(parts.findIndex((p) => p.type === "text-delta"));
  });
});

describe("ResponsesEventNormalizer on recorded streams", () => {
  it("azure multi-summary: six summary parts, then the text", () => {
    const parts = normalizeAll(loadRecorded(RECORDED.azureMultiSummary));
    const reasoning = ofType(parts, "reasoning-delta");
    expect(new Set(reasoning.map((p) => p.partIndex))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(reasoning.every((p) => p.kind === "summary")).toBe(true);
    // The recording's single text delta ("X") stands for the answer; the done item is not repeated.
    expect(textOf(parts)).toBe("X");
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      reason: "stop",
      responseId: "resp_anonymized_synth_001",
    });
  });

  it('tool call 19493: get_weather with {"city":"Beijing"}', () => {
    const parts = normalizeAll(loadRecorded(RECORDED.toolCall));
    expect(ofType(parts, "tool-call-start")).toEqual([
      { type: "tool-call-start", index: 0, callId: "call_2FQdm3Br7Qb35YUBSkDR7kue", name: "get_weather" },
    ]);
    expect(
      ofType(parts, "tool-call-delta")
        .map((p) => p.argumentsDelta)
        .join(""),
    ).toBe('{"city":"Beijing"}');
    expect(ofType(parts, "tool-call-end")[0]?.arguments).toBe('{"city":"Beijing"}');
    expect(ofType(parts, "finish")).toHaveLength(1);
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });

  it("parallel wrapper 19067: one call named parallel", () => {
    const parts = normalizeAll(loadRecorded(RECORDED.parallelWrapper));
    const ends = ofType(parts, "tool-call-end");
    expect(ends).toHaveLength(1);
    expect(ends[0]?.name).toBe("parallel");
    expect(JSON.parse(ends[0]?.arguments ?? "")).toMatchObject({ tool_uses: [{}, {}] });
  });

  it("parallel wrapper 19067: unwrapped into separate calls when the request declared the bundled tools", () => {
    const n = new ResponsesEventNormalizer({ declaredTools: ["weather", "cityAttractions"] });
    const parts = loadRecorded(RECORDED.parallelWrapper).flatMap((e) => n.push(e));
    expect(parts.filter((p) => p.type.startsWith("tool-call"))).toEqual([
      { type: "tool-call-start", index: 0, callId: "call_parallel_0", name: "weather" },
      {
        type: "tool-call-end",
        index: 0,
        callId: "call_parallel_0",
        name: "weather",
        arguments: '{"location":"San Francisco"}',
      },
      { type: "tool-call-start", index: 1, callId: "call_parallel_1", name: "cityAttractions" },
      {
        type: "tool-call-end",
        index: 1,
        callId: "call_parallel_1",
        name: "cityAttractions",
        arguments: '{"city":"Rome"}',
      },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
  });

  it("parallel wrapper 19067: kept whole when 'parallel' is declared or a bundled tool is not", () => {
    for (const declaredTools of [["parallel", "weather", "cityAttractions"], ["weather"]]) {
      const n = new ResponsesEventNormalizer({ declaredTools });
      const parts = loadRecorded(RECORDED.parallelWrapper).flatMap((e) => n.push(e));
      const ends = ofType(parts, "tool-call-end");
      expect(ends.map((e) => [e.callId, e.name])).toEqual([["call_parallel", "parallel"]]);
      // Deltas (if any) and the end add up to the whole wrapper arguments.
      const deltas = ofType(parts, "tool-call-delta")
        .map((d) => d.argumentsDelta)
        .join("");
      expect(JSON.parse(ends[0]!.arguments)).toMatchObject({ tool_uses: [{}, {}] });
      expect(ends[0]!.arguments.startsWith(deltas)).toBe(true);
      expect(ofType(parts, "tool-call-start")).toHaveLength(1);
    }
  });

  it("error stream: one error part (the error event), response.failed ignored", () => {
    const parts = normalizeAll(loadRecorded(RECORDED.error));
    expect(ofType(parts, "error")).toEqual([
      {
        type: "error",
        message: expect.stringContaining("You exceeded your current quota"),
        code: "insufficient_quota",
        errorType: "insufficient_quota",
      },
    ]);
    expect(ofType(parts, "finish")).toHaveLength(0);
  });

  it("failed-only stream: error with code rate_limit_exceeded", () => {
    const parts = normalizeAll(loadRecorded(RECORDED.failedOnly));
    expect(parts.at(-1)).toMatchObject({ type: "error", code: "rate_limit_exceeded" });
    expect(ofType(parts, "error")).toHaveLength(1);
  });

  it("phase stream: commentary and final answer, separated", () => {
    const parts = normalizeAll(loadRecorded(RECORDED.phase));
    expect(textOf(parts)).toBe("Got it\n\nHere are a few **AI");
  });

  it("web search: text with non-ASCII intact, unknown events ignored", () => {
    const events = loadRecorded(RECORDED.webSearch);
    const parts = normalizeAll(events);
    const expected = events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta as string)
      .join("");
    expect(textOf(parts)).toBe(expected);
    expect([...textOf(parts)].some((c) => c.charCodeAt(0) > 127)).toBe(true);
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      reason: "stop",
      usage: { cachedInputTokens: 3712 },
    });
  });

  it("reasoning-encrypted-content: four responses, three calculator calls, then the answer", () => {
    const responses = splitResponses(loadRecorded(RECORDED.reasoningEncrypted));
    expect(responses).toHaveLength(4);
    const runs = responses.map((r) => normalizeAll(r));
    expect(runs.slice(0, 3).map((p) => ofType(p, "tool-call-end")[0]?.arguments)).toEqual([
      '{"a":12,"b":7,"op":"add"}',
      '{"a":19,"b":3,"op":"multiply"}',
      '{"a":57,"b":10,"op":"multiply"}',
    ]);
    expect(ofType(runs[0]!, "reasoning-delta").length).toBeGreaterThan(0);
    for (const run of runs.slice(0, 3)) {
      expect(
        ofType(run, "tool-call-delta")
          .map((p) => p.argumentsDelta)
          .join(""),
      ).toBe(ofType(run, "tool-call-end")[0]?.arguments);
      expect(run.at(-1)).toMatchObject({ type: "finish", reason: "tool_calls" });
    }
    expect(textOf(runs[3]!)).toBe("The final result is **570**.");
    expect(runs[3]!.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
  });
});
