import { describe, expect, it } from "vitest";
import type { ReasoningCompat } from "../config.ts";
import type { StreamPart } from "../core/stream-parts.ts";
import { loadRecorded, normalizeAll, RECORDED, splitResponses } from "../../test/helpers/recorded.ts";
import type { OpenAIErrorBody } from "./error-body.ts";
import {
  ChatStreamTranslator,
  DONE_LINE,
  serializeChunk,
  type ChatChunk,
  type ChatStreamOutput,
} from "./chat-stream-translator.ts";

const options = { id: "chatcmpl-1", model: "gpt-5.5", created: 1700000000 };

function translate(
  parts: StreamPart[],
  compat: ReasoningCompat = "think-tags",
  includeUsage = false,
): ChatStreamOutput[] {
  const t = new ChatStreamTranslator({ ...options, compat, includeUsage });
  const out: ChatStreamOutput[] = [...t.start()];
  for (const p of parts) out.push(...t.push(p));
  return out;
}

const isChunk = (o: ChatStreamOutput): o is ChatChunk => "object" in o;
const chunks = (out: ChatStreamOutput[]) => out.filter(isChunk);
const errors = (out: ChatStreamOutput[]) => out.filter((o): o is OpenAIErrorBody => "error" in o);
const deltas = (out: ChatStreamOutput[]) => chunks(out).flatMap((c) => c.choices.map((ch) => ch.delta));
const content = (out: ChatStreamOutput[]) =>
  deltas(out)
    .map((d) => d.content ?? "")
    .join("");
const finishReasons = (out: ChatStreamOutput[]) =>
  chunks(out).flatMap((c) => c.choices.map((ch) => ch.finish_reason).filter((r) => r !== null));

/** Assembles streamed tool calls the way an OpenAI client does. */
function toolCalls(out: ChatStreamOutput[]) {
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  for (const d of deltas(out)) {
    for (const tc of d.tool_calls ?? []) {
      const call = (calls[tc.index] ??= { arguments: "" });
      if (tc.id) call.id = tc.id;
      if (tc.function.name) call.name = tc.function.name;
      call.arguments += tc.function.arguments;
    }
  }
  return calls;
}

const usage = {
  inputTokens: 100,
  cachedInputTokens: 64,
  outputTokens: 20,
  reasoningTokens: 8,
  totalTokens: 120,
};

describe("ChatStreamTranslator", () => {
  it("starts with the assistant role and streams text, then one finish chunk", () => {
    const out = translate([
      { type: "response-start", responseId: "r" },
      { type: "text-delta", delta: "Hi" },
      { type: "text-delta", delta: " there" },
      { type: "finish", reason: "stop", usage },
    ]);
    expect(out[0]).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "gpt-5.5",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    });
    expect(content(out)).toBe("Hi there");
    expect(out.at(-1)).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "gpt-5.5",
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
    });
    expect(chunks(out).every((c) => !("usage" in c))).toBe(true);
  });

  it("with include_usage: usage:null on every chunk, then a usage chunk with empty choices", () => {
    const out = translate(
      [
        { type: "text-delta", delta: "x" },
        { type: "finish", reason: "stop", usage },
      ],
      "hidden",
      true,
    );
    const all = chunks(out);
    expect(all.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(all.at(-1)).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "gpt-5.5",
      choices: [],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 8 },
      },
    });
  });

  it("leaves the usage chunk out when the turn has no usage (cut by the relay)", () => {
    const out = translate(
      [
        { type: "text-delta", delta: "x" },
        { type: "finish", reason: "length" },
      ],
      "hidden",
      true,
    );
    expect(chunks(out).at(-1)?.choices[0]?.finish_reason).toBe("length");
  });

  it("streams tool calls with index, id and name first, then argument deltas", () => {
    const out = translate([
      { type: "tool-call-start", index: 0, callId: "call_a", name: "f" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"x":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: "1}" },
      { type: "tool-call-end", index: 0, callId: "call_a", name: "f", arguments: '{"x":1}' },
      { type: "tool-call-start", index: 1, callId: "call_b", name: "g" },
      { type: "tool-call-end", index: 1, callId: "call_b", name: "g", arguments: "{}" },
      { type: "finish", reason: "tool_calls" },
    ]);
    expect(deltas(out).slice(1, 4)).toEqual([
      { tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: "1}" } }] },
    ]);
    expect(toolCalls(out)).toEqual([
      { id: "call_a", name: "f", arguments: '{"x":1}' },
      { id: "call_b", name: "g", arguments: "{}" },
    ]);
    expect(finishReasons(out)).toEqual(["tool_calls"]);
  });

  it("sends a call that arrives only as an end part whole", () => {
    const out = translate([
      { type: "tool-call-end", index: 0, callId: "c", name: "f", arguments: '{"a":1}' },
      { type: "finish", reason: "stop" },
    ]);
    expect(toolCalls(out)).toEqual([{ id: "c", name: "f", arguments: '{"a":1}' }]);
    expect(finishReasons(out)).toEqual(["tool_calls"]);
  });

  it("think-tags: closes the block before a tool call", () => {
    const out = translate([
      { type: "reasoning-delta", delta: "plan", kind: "summary", partIndex: 0 },
      { type: "tool-call-start", index: 0, callId: "c", name: "f" },
      { type: "tool-call-end", index: 0, callId: "c", name: "f", arguments: "{}" },
      { type: "finish", reason: "tool_calls" },
    ]);
    const d = deltas(out);
    expect(d[1]).toEqual({ content: "<think>plan" });
    expect(d[2]).toEqual({ content: "</think>" });
    expect(d[3]?.tool_calls?.[0]?.id).toBe("c");
    expect(content(out)).toBe("<think>plan</think>");
  });

  it("think-tags: reopens when reasoning resumes after text, closes at finish", () => {
    const out = translate([
      { type: "reasoning-delta", delta: "first", kind: "summary", partIndex: 0 },
      { type: "text-delta", delta: "Answer." },
      { type: "reasoning-delta", delta: "second", kind: "summary", partIndex: 1 },
      { type: "finish", reason: "stop" },
    ]);
    expect(content(out)).toBe("<think>first</think>\n\nAnswer.\n\n<think>second</think>");
    expect(finishReasons(out)).toEqual(["stop"]);
  });

  it("turns an error part into one error output and stops", () => {
    const t = new ChatStreamTranslator({ ...options, compat: "think-tags", includeUsage: false });
    t.start();
    expect(t.push({ type: "error", message: "Overloaded", code: "server_is_overloaded" })).toEqual([
      { error: { message: "Overloaded", type: "upstream_error", code: "server_is_overloaded", param: null } },
    ]);
    expect(t.finished).toBe(true);
    expect(t.push({ type: "finish", reason: "stop" })).toEqual([]);
  });

  it("serialises SSE data lines", () => {
    expect(serializeChunk({ error: { message: "m", type: "t", code: null, param: null } })).toBe(
      'data: {"error":{"message":"m","type":"t","code":null,"param":null}}\n\n',
    );
    expect(DONE_LINE).toBe("data: [DONE]\n\n");
  });
});

describe("ChatStreamTranslator on recorded streams", () => {
  const azure = () => normalizeAll(loadRecorded(RECORDED.azureMultiSummary));
  const summaryText = (i: number) =>
    `**Anonymized summary ${i}**\n\nThis is placeholder reasoning text for anonymized fixture summary index ${i}. ` +
    "The actual reasoning content has been redacted; only the streaming structure is preserved for test purposes.";
  const allSummaries = [0, 1, 2, 3, 4, 5].map(summaryText).join("\n\n");

  it("azure multi-summary, think-tags: six parts with paragraph breaks, one block, then the text", () => {
    const out = translate(azure(), "think-tags");
    const text = content(out);
    expect(text).toBe(`<think>${allSummaries}</think>\n\nX`);
    expect(text.split("<think>")).toHaveLength(2);
    expect(text.split("</think>")).toHaveLength(2);
    expect(finishReasons(out)).toEqual(["stop"]);
  });

  it("azure multi-summary, reasoning_content", () => {
    const out = translate(azure(), "reasoning_content");
    expect(
      deltas(out)
        .map((d) => d.reasoning_content ?? "")
        .join(""),
    ).toBe(allSummaries);
    expect(content(out)).toBe("X");
  });

  it("azure multi-summary, o3", () => {
    const out = translate(azure(), "o3");
    const text = deltas(out)
      .map((d) => (typeof d.reasoning === "object" ? d.reasoning.content.map((c) => c.text).join("") : ""))
      .join("");
    expect(text).toBe(allSummaries);
    expect(content(out)).toBe("X");
  });

  it("azure multi-summary, legacy", () => {
    const out = translate(azure(), "legacy");
    expect(
      deltas(out)
        .map((d) => d.reasoning_summary ?? "")
        .join(""),
    ).toBe(allSummaries);
    expect(content(out)).toBe("X");
  });

  it("azure multi-summary, hidden", () => {
    const out = translate(azure(), "hidden");
    expect(content(out)).toBe("X");
    expect(deltas(out).every((d) => d.reasoning === undefined && d.reasoning_content === undefined)).toBe(
      true,
    );
  });

  it('tool call 19493: get_weather {"city":"Beijing"} at index 0, one finish tool_calls', () => {
    const out = translate(normalizeAll(loadRecorded(RECORDED.toolCall)), "think-tags", true);
    expect(toolCalls(out)).toEqual([
      { id: "call_2FQdm3Br7Qb35YUBSkDR7kue", name: "get_weather", arguments: '{"city":"Beijing"}' },
    ]);
    expect(
      deltas(out)
        .flatMap((d) => d.tool_calls ?? [])
        .every((tc) => tc.index === 0),
    ).toBe(true);
    expect(finishReasons(out)).toEqual(["tool_calls"]);
    expect(chunks(out).at(-1)?.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    expect(content(out)).toBe("");
  });

  it("parallel wrapper 19067: one call named parallel", () => {
    const out = translate(normalizeAll(loadRecorded(RECORDED.parallelWrapper)));
    const calls = toolCalls(out);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.name).toBe("parallel");
    expect(JSON.parse(calls[0]?.arguments ?? "").tool_uses).toHaveLength(2);
    expect(finishReasons(out)).toEqual(["tool_calls"]);
  });

  it("error stream: one error output, no finish", () => {
    const out = translate(normalizeAll(loadRecorded(RECORDED.error)));
    expect(errors(out)).toEqual([
      {
        error: {
          message: expect.stringContaining("You exceeded your current quota"),
          type: "insufficient_quota",
          code: "insufficient_quota",
          param: null,
        },
      },
    ]);
    expect(finishReasons(out)).toEqual([]);
  });

  it("failed-only stream: error with code rate_limit_exceeded", () => {
    const out = translate(normalizeAll(loadRecorded(RECORDED.failedOnly)));
    expect(errors(out)).toHaveLength(1);
    expect(errors(out)[0]?.error.code).toBe("rate_limit_exceeded");
  });

  it("phase stream: both messages' text", () => {
    const out = translate(normalizeAll(loadRecorded(RECORDED.phase)));
    expect(content(out)).toBe("Got it\n\nHere are a few **AI");
  });

  it("web search: non-ASCII text intact through JSON serialisation", () => {
    const events = loadRecorded(RECORDED.webSearch);
    const out = translate(normalizeAll(events));
    const expected = events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta as string)
      .join("");
    const reparsed = out.map((o) => JSON.parse(serializeChunk(o).slice("data: ".length)) as ChatStreamOutput);
    expect(content(reparsed)).toBe(expected);
    expect(expected).toContain("—");
    expect(finishReasons(out)).toEqual(["stop"]);
  });

  it("reasoning-encrypted-content: reasoning then a calculator call, per response", () => {
    const [first, , , last] = splitResponses(loadRecorded(RECORDED.reasoningEncrypted)).map(normalizeAll);
    const out = translate(first!, "think-tags");
    const text = content(out);
    expect(text.startsWith("<think>**Calculating step-by-step using calculator**")).toBe(true);
    expect(text.endsWith("</think>")).toBe(true);
    expect(toolCalls(out)).toEqual([
      { id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn", name: "calculator", arguments: '{"a":12,"b":7,"op":"add"}' },
    ]);
    expect(finishReasons(out)).toEqual(["tool_calls"]);
    expect(content(translate(last!))).toBe("The final result is **570**.");
  });
});
