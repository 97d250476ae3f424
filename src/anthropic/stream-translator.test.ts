import { describe, expect, it } from "vitest";
import type { StreamPart } from "../core/stream-parts.ts";
import { loadRecorded, normalizeAll, RECORDED, splitResponses } from "../../test/helpers/recorded.ts";
import { MessageBuilder } from "./message-builder.ts";
import type { AnthropicStreamEvent } from "./message-types.ts";
import { serializeEvent } from "./message-types.ts";
import { AnthropicStreamTranslator, type AnthropicStreamOptions } from "./stream-translator.ts";

function translator(o: Partial<AnthropicStreamOptions> = {}) {
  return new AnthropicStreamTranslator({
    id: "msg_1",
    model: "claude-opus-4-8",
    showThinking: true,
    showThinkingText: true,
    sign: (e) => `sig(${e})`,
    errorEvent: (p) => ({ type: "error", error: { type: "api_error", message: p.message } }),
    ...o,
  });
}

function run(parts: StreamPart[], o: Partial<AnthropicStreamOptions> = {}): AnthropicStreamEvent[] {
  const t = translator(o);
  const out = t.start();
  for (const p of parts) out.push(...t.push(p));
  return out;
}

const usage = {
  inputTokens: 100,
  cachedInputTokens: 60,
  outputTokens: 9,
  reasoningTokens: 2,
  totalTokens: 109,
};

describe("AnthropicStreamTranslator", () => {
  it("renders thinking (with its signature), text and parallel tool calls, one index per block", () => {
    const events = run([
      { type: "response-start", responseId: "resp_1" },
      { type: "reasoning-delta", delta: "Plan", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "More", kind: "summary", partIndex: 1 },
      { type: "reasoning-end", encryptedContent: "gAAAA" },
      { type: "text-delta", delta: "Checking." },
      { type: "tool-call-start", index: 0, callId: "call_a", name: "Bash" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"command":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: '"ls"}' },
      { type: "tool-call-end", index: 0, callId: "call_a", name: "Bash", arguments: '{"command":"ls"}' },
      { type: "tool-call-start", index: 1, callId: "call_b", name: "Bash" },
      { type: "tool-call-end", index: 1, callId: "call_b", name: "Bash", arguments: '{"command":"pwd"}' },
      { type: "finish", reason: "tool_calls", usage },
    ]);
    expect(events).toEqual([
      {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-opus-4-8",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: 0,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
        },
      },
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Plan" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "\n\nMore" } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig(gAAAA)" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Checking." } },
      { type: "content_block_stop", index: 1 },
      {
        type: "content_block_start",
        index: 2,
        content_block: { type: "tool_use", id: "call_a", name: "Bash", input: {} },
      },
      {
        type: "content_block_delta",
        index: 2,
        delta: { type: "input_json_delta", partial_json: '{"command":' },
      },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '"ls"}' } },
      { type: "content_block_stop", index: 2 },
      {
        type: "content_block_start",
        index: 3,
        content_block: { type: "tool_use", id: "call_b", name: "Bash", input: {} },
      },
      {
        type: "content_block_delta",
        index: 3,
        delta: { type: "input_json_delta", partial_json: '{"command":"pwd"}' },
      },
      { type: "content_block_stop", index: 3 },
      {
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: {
          input_tokens: 40,
          output_tokens: 9,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 60,
        },
      },
      { type: "message_stop" },
    ]);
    expect(serializeEvent(events.at(-1)!)).toBe('event: message_stop\ndata: {"type":"message_stop"}\n\n');
  });

  it("hides thinking unless asked; omitted display gives a signature-only block", () => {
    const parts: StreamPart[] = [
      { type: "reasoning-delta", delta: "secret", kind: "summary", partIndex: 0 },
      { type: "reasoning-end", encryptedContent: "gAAAA" },
      { type: "text-delta", delta: "hi" },
      { type: "finish", reason: "stop", usage },
    ];
    const hidden = run(parts, { showThinking: false, showThinkingText: false });
    expect(hidden.filter((e) => e.type === "content_block_start")).toHaveLength(1);
    expect(JSON.stringify(hidden)).not.toContain("secret");
    const omitted = run(parts, { showThinkingText: false });
    const builder = new MessageBuilder();
    for (const e of omitted) builder.push(e);
    expect(builder.result()!.content).toEqual([
      { type: "thinking", thinking: "", signature: "sig(gAAAA)" },
      { type: "text", text: "hi" },
    ]);
  });

  it("maps finish reasons: max_tokens, refusal, stop_sequence (from the limiter) and end_turn", () => {
    const stop = (p: StreamPart) => run([{ type: "text-delta", delta: "x" }, p]).at(-2);
    expect(stop({ type: "finish", reason: "length" })).toMatchObject({
      delta: { stop_reason: "max_tokens" },
    });
    expect(stop({ type: "finish", reason: "content_filter", usage })).toMatchObject({
      delta: { stop_reason: "refusal" },
    });
    expect(stop({ type: "finish", reason: "stop", stopSequence: "END" })).toMatchObject({
      delta: { stop_reason: "stop_sequence", stop_sequence: "END" },
    });
    expect(stop({ type: "finish", reason: "stop", usage })).toMatchObject({
      delta: { stop_reason: "end_turn" },
    });
  });

  it("an error ends the stream with one error event and no message_stop", () => {
    const events = run([
      { type: "text-delta", delta: "par" },
      { type: "error", message: "boom", code: "server_error" },
      { type: "text-delta", delta: "ignored" },
    ]);
    expect(events.at(-1)).toEqual({ type: "error", error: { type: "api_error", message: "boom" } });
    expect(events.some((e) => e.type === "message_stop")).toBe(false);
  });

  it("drops an empty Read.pages that GPT models fill in", () => {
    const events = run([
      { type: "tool-call-start", index: 0, callId: "c", name: "Read" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"file_path":"/a","pages":""}' },
      {
        type: "tool-call-end",
        index: 0,
        callId: "c",
        name: "Read",
        arguments: '{"file_path":"/a","pages":""}',
      },
      { type: "finish", reason: "tool_calls", usage },
    ]);
    const json = events
      .map((e) =>
        e.type === "content_block_delta" && e.delta.type === "input_json_delta" ? e.delta.partial_json : "",
      )
      .join("");
    expect(JSON.parse(json)).toEqual({ file_path: "/a" });
  });

  it("recorded streams: balanced blocks, tool input that parses, the right stop reason", () => {
    for (const file of [RECORDED.reasoningEncrypted, RECORDED.toolCall, RECORDED.azureMultiSummary]) {
      for (const events of splitResponses(loadRecorded(file))) {
        const out = run(normalizeAll(events));
        const open = new Set<number>();
        for (const e of out) {
          if (e.type === "content_block_start") {
            expect(open.size).toBe(0);
            open.add(e.index);
          } else if (e.type === "content_block_stop") {
            expect(open.delete(e.index)).toBe(true);
          }
        }
        expect(open.size).toBe(0);
        const builder = new MessageBuilder();
        for (const e of out) builder.push(e);
        const message = builder.result()!;
        const uses = message.content.filter((b) => b.type === "tool_use");
        if (out.at(-1)?.type === "message_stop") {
          expect(message.stop_reason).toBe(uses.length > 0 ? "tool_use" : "end_turn");
        }
        for (const u of uses) expect(typeof u.input).toBe("object");
      }
    }
  });

  it("recorded web search: server_tool_use + web_search_tool_result per search, cited text, the search count", () => {
    const events = loadRecorded(RECORDED.webSearch);
    const out = run(normalizeAll(events));
    const starts = out.filter((e) => e.type === "content_block_start").map((e) => e.content_block.type);
    // Two searches (the backend's open_page / find_in_page actions are not searches), then the answer.
    expect(starts).toEqual([
      "server_tool_use",
      "web_search_tool_result",
      "server_tool_use",
      "web_search_tool_result",
      "text",
    ]);
    expect(out.filter((e) => e.type === "content_block_start").map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    expect(out).toContainEqual({
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: '{"query":"tech news today December 5 2025"}' },
    });
    const firstResult = out.find(
      (e) => e.type === "content_block_start" && e.content_block.type === "web_search_tool_result",
    );
    expect(firstResult).toMatchObject({
      index: 1,
      content_block: {
        type: "web_search_tool_result",
        tool_use_id: expect.stringMatching(/^srvtoolu_ws_/),
        content: expect.arrayContaining([
          {
            type: "web_search_result",
            url: "https://www.wired.com/story/the-big-interview-2025-recap",
            title: "www.wired.com/story/the-big-interview-2025-recap",
            encrypted_content: "",
            page_age: null,
          },
        ]),
      },
    });
    const citations = out.filter(
      (e) => e.type === "content_block_delta" && e.delta.type === "citations_delta",
    );
    expect(citations).toHaveLength(12);
    expect(citations[0]).toEqual({
      type: "content_block_delta",
      index: 4,
      delta: {
        type: "citations_delta",
        citation: {
          type: "web_search_result_location",
          url: "https://techcrunch.com/2025/12/05/petco-confirms-security-lapse-exposed-customers-personal-data/?utm_source=openai",
          title: "Petco confirms security lapse exposed customers’ personal data | TechCrunch",
          cited_text: "",
          encrypted_index: "",
        },
      },
    });
    expect(out.at(-2)).toMatchObject({
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { cache_read_input_tokens: 3712, server_tool_use: { web_search_requests: 2 } },
    });

    // The non-stream answer folds the same events into the same blocks.
    const builder = new MessageBuilder();
    for (const e of out) builder.push(e);
    const message = builder.result()!;
    expect(message.content.map((b) => b.type)).toEqual(starts);
    expect(message.content[0]).toEqual({
      type: "server_tool_use",
      id: (message.content[1] as { tool_use_id: string }).tool_use_id,
      name: "web_search",
      input: { query: "tech news today December 5 2025" },
    });
    expect((message.content[1] as { content: unknown[] }).content).toHaveLength(10);
    const text = message.content[4] as { text: string; citations?: unknown[] };
    expect(text.text.startsWith("I checked today’s tech headlines")).toBe(true);
    expect(text.citations).toHaveLength(12);
    expect(message.usage.server_tool_use).toEqual({ web_search_requests: 2 });
  });

  it("a turn without a search reports no server_tool_use usage", () => {
    const out = run([
      { type: "text-delta", delta: "Hi" },
      { type: "web-citation", url: "https://a.example/", title: "A" },
      { type: "finish", reason: "stop", usage },
    ]);
    const delta = out.find((e) => e.type === "message_delta");
    expect(delta).toBeDefined();
    expect(delta && "usage" in delta ? delta.usage : {}).not.toHaveProperty("server_tool_use");
  });
});
