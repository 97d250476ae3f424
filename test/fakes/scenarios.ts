// What the fake backend answers: the Scenario union and the generator that turns a streamed scenario into
// Responses-API events shaped like the real ones (see test/fixtures/recorded: keys after `type` in alphabetical
// order, `sequence_number` last, as the Codex backend sends them).

import { hexId } from "./http-util.ts";

export interface UsageOverride {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number };
  total_tokens?: number;
}

export interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** Options every streamed scenario takes. */
export interface StreamOptions {
  /** Milliseconds between events (0: as fast as possible). */
  delayMs?: number;
  /** Milliseconds before the response headers go out. */
  headersDelayMs?: number;
  /** Model named in the response objects and the `openai-model` header (default: the requested one). */
  model?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

export interface TextScenario extends StreamOptions {
  kind: "text";
  /** Default: "Echo: <last user text>"; with only `deltas`, N generated words. */
  text?: string;
  /** Split `text` into this many pieces, or generate this many words when `text` is absent. Default: one per word. */
  deltas?: number;
  /** Reasoning summary parts; `[]` gives a reasoning item without summary. */
  reasoning?: string[];
  /** Raw reasoning text parts (`response.reasoning_text.*`). */
  rawReasoning?: string[];
  usage?: UsageOverride;
  /** Message phase; null omits the field. Default "final_answer". */
  phase?: "final_answer" | "commentary" | null;
}

export interface ToolCallSpec {
  name: string;
  /** A JSON string as the model streams it, or a value to serialise. */
  arguments: string | Record<string, unknown> | unknown[];
  callId?: string;
}

export interface ToolCallsScenario extends StreamOptions {
  kind: "tool_calls";
  /** Several calls are parallel calls, one output item each. */
  calls: ToolCallSpec[];
  reasoning?: string[];
  /** A message (phase "commentary") before the calls. */
  text?: string;
  /** Pieces per call's arguments. Default: pieces of at most 8 characters. */
  argDeltas?: number;
  usage?: UsageOverride;
}

export interface FailedScenario extends StreamOptions {
  kind: "failed";
  code: string;
  message: string;
  /** Send an `error` event before response.failed, as the real service does for insufficient_quota. */
  withErrorEvent?: boolean;
  /** Partial answer streamed (never finished) before the failure. */
  text?: string;
}

export interface IncompleteScenario extends StreamOptions {
  kind: "incomplete";
  reason: "max_output_tokens" | "content_filter" | (string & {});
  text?: string;
  usage?: UsageOverride;
}

export interface EventsScenario extends StreamOptions {
  kind: "events";
  /** Sent verbatim, each framed as `event: <type>\ndata: <json>\n\n`. */
  events: Record<string, unknown>[];
}

export type StreamScenario =
  TextScenario | ToolCallsScenario | FailedScenario | IncompleteScenario | EventsScenario;

export interface CutScenario {
  kind: "cut";
  /** Events sent before the connection is closed without a terminal event (0: headers only). */
  afterEvents: number;
  /** Default: `{kind:"text", text}` when `text` is given, else the default scenario for the request. */
  of?: StreamScenario;
  /** Shorthand for `of: {kind: "text", text}`. */
  text?: string;
}

export interface StallScenario {
  kind: "stall";
  /** Events sent before the stream goes silent; the connection stays open until the client gives up. */
  afterEvents: number;
  /** As for "cut". */
  of?: StreamScenario;
  text?: string;
  /** Stall before sending any response headers. */
  beforeHeaders?: boolean;
  /** While stalled, send a `: keep-alive` comment this often (a backend that says nothing, but keeps talking). */
  keepAliveMs?: number;
}

/** The connection is destroyed without any answer (a network error before the first byte). */
export interface ResetScenario {
  kind: "reset";
}

export interface HttpScenario {
  kind: "http";
  status: number;
  /** An object is sent as JSON; a string as text/plain unless `headers` set a content-type. */
  body?: string | Record<string, unknown>;
  headers?: Record<string, string>;
}

export type Scenario = StreamScenario | CutScenario | StallScenario | ResetScenario | HttpScenario;

export const SCENARIO_KINDS = new Set<string>([
  "text",
  "tool_calls",
  "failed",
  "incomplete",
  "events",
  "cut",
  "stall",
  "reset",
  "http",
]);

export type SseEvent = Record<string, unknown>;

/** What the generator needs to know about the request. */
export interface StreamContext {
  model: string;
  body: Record<string, unknown>;
  /** The request asked for `reasoning.encrypted_content`. */
  includeEncrypted: boolean;
  /** Estimated from the request size. */
  inputTokens: number;
  completedOutput: "empty" | "full";
  /** Used when a text scenario has neither `text` nor `deltas`. */
  defaultText: string;
}

const hex = (bytes: number) => hexId(bytes * 2);
const callId = () => `call_${hexId(24)}`;

const WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do"];

/** Splits into `n` non-empty pieces of near-equal length (by code point), or by words when `n` is undefined. */
export function splitText(text: string, n?: number): string[] {
  if (text === "") return [];
  if (n === undefined) return text.match(/\s*\S+|\s+$/g) ?? [text];
  const chars = Array.from(text);
  const count = Math.max(1, Math.min(Math.floor(n), chars.length));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      chars
        .slice(Math.floor((i * chars.length) / count), Math.floor(((i + 1) * chars.length) / count))
        .join(""),
    );
  }
  return out;
}

function generatedWords(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((i === 0 ? "" : " ") + WORDS[i % WORDS.length]);
  return out;
}

function argPieces(args: string, n?: number): string[] {
  if (n !== undefined) return splitText(args, n);
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 8) out.push(args.slice(i, i + 8));
  return out;
}

function usageFrom(ctx: StreamContext, output: number, reasoning: number, o: UsageOverride = {}): Usage {
  const input = o.input_tokens ?? ctx.inputTokens;
  const out = o.output_tokens ?? output + reasoning;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: o.input_tokens_details?.cached_tokens ?? 0 },
    output_tokens: out,
    output_tokens_details: { reasoning_tokens: o.output_tokens_details?.reasoning_tokens ?? reasoning },
    total_tokens: o.total_tokens ?? input + out,
  };
}

function responseBase(ctx: StreamContext, model: string): Record<string, unknown> {
  const b = ctx.body;
  const reasoning = b.reasoning as { effort?: unknown; summary?: unknown } | null | undefined;
  const text = b.text as { verbosity?: unknown; format?: unknown } | undefined;
  return {
    id: `resp_${hex(25)}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: null,
    max_tool_calls: null,
    model,
    output: [],
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    prompt_cache_retention: null,
    reasoning: { effort: reasoning?.effort ?? null, summary: reasoning?.summary ?? null },
    safety_identifier: null,
    service_tier: b.service_tier ?? "auto",
    store: false,
    temperature: 1,
    text: { format: text?.format ?? { type: "text" }, verbosity: text?.verbosity ?? "medium" },
    tool_choice: b.tool_choice ?? "auto",
    tools: b.tools ?? [],
    top_logprobs: 0,
    top_p: 1,
    truncation: "disabled",
    usage: null,
    user: null,
    metadata: {},
  };
}

/**
 * The events of a streamed scenario, produced lazily (a 10,000-delta stream is never held in memory).
 * `sequence_number` counts from 0. `events` scenarios are yielded verbatim.
 */
export function* streamEvents(s: StreamScenario, ctx: StreamContext): Generator<SseEvent> {
  if (s.kind === "events") {
    yield* s.events;
    return;
  }
  let seq = 0;
  const ev = (type: string, fields: Record<string, unknown>): SseEvent => ({
    type,
    ...fields,
    sequence_number: seq++,
  });
  const base = responseBase(ctx, s.model ?? ctx.model);
  const response = (extra: Record<string, unknown>) => ({ ...base, ...extra });
  const output: Record<string, unknown>[] = [];
  let outputTokens = 0;
  let reasoningTokens = 0;

  yield ev("response.created", { response: base });
  yield ev("response.in_progress", { response: base });

  function* reasoningItem(summaries: string[], raw: string[] = []): Generator<SseEvent> {
    const id = `rs_${hex(25)}`;
    const index = output.length;
    const encrypted = ctx.includeEncrypted
      ? {
          encrypted_content: `gAAAAAB${Buffer.from(`fake-reasoning:${id}:${summaries.join("|")}`).toString("base64")}`,
        }
      : {};
    yield ev("response.output_item.added", {
      item: { id, type: "reasoning", ...encrypted, summary: [] },
      output_index: index,
    });
    for (let i = 0; i < summaries.length; i++) {
      const part = summaries[i]!;
      const common = { item_id: id, output_index: index };
      yield ev("response.reasoning_summary_part.added", {
        ...common,
        part: { type: "summary_text", text: "" },
        summary_index: i,
      });
      for (const delta of splitText(part)) {
        reasoningTokens++;
        yield ev("response.reasoning_summary_text.delta", { delta, ...common, summary_index: i });
      }
      yield ev("response.reasoning_summary_text.done", { ...common, summary_index: i, text: part });
      yield ev("response.reasoning_summary_part.done", {
        ...common,
        part: { type: "summary_text", text: part },
        summary_index: i,
      });
    }
    for (let i = 0; i < raw.length; i++) {
      const part = raw[i]!;
      for (const delta of splitText(part)) {
        reasoningTokens++;
        yield ev("response.reasoning_text.delta", {
          content_index: i,
          delta,
          item_id: id,
          output_index: index,
        });
      }
      yield ev("response.reasoning_text.done", {
        content_index: i,
        item_id: id,
        output_index: index,
        text: part,
      });
    }
    const item: Record<string, unknown> = {
      id,
      type: "reasoning",
      ...encrypted,
      summary: summaries.map((text) => ({ type: "summary_text", text })),
    };
    if (raw.length > 0) item.content = raw.map((text) => ({ type: "reasoning_text", text }));
    output.push(item);
    yield ev("response.output_item.done", { item, output_index: index });
  }

  // A message item; `finish` false stops after the deltas (a failure mid-answer).
  function* messageItem(
    pieces: string[],
    phase: string | null,
    status: "completed" | "incomplete",
    finish = true,
  ): Generator<SseEvent> {
    const id = `msg_${hex(25)}`;
    const index = output.length;
    const phaseField = phase === null ? {} : { phase };
    yield ev("response.output_item.added", {
      item: { id, type: "message", status: "in_progress", content: [], ...phaseField, role: "assistant" },
      output_index: index,
    });
    const common = { content_index: 0, item_id: id };
    yield ev("response.content_part.added", {
      ...common,
      output_index: index,
      part: { type: "output_text", annotations: [], logprobs: [], text: "" },
    });
    let text = "";
    for (const delta of pieces) {
      text += delta;
      outputTokens++;
      yield ev("response.output_text.delta", { ...common, delta, logprobs: [], output_index: index });
    }
    if (!finish) return;
    const part = { type: "output_text", annotations: [], logprobs: [], text };
    yield ev("response.output_text.done", { ...common, logprobs: [], output_index: index, text });
    yield ev("response.content_part.done", { ...common, output_index: index, part });
    const item = { id, type: "message", status, content: [part], ...phaseField, role: "assistant" };
    output.push(item);
    yield ev("response.output_item.done", { item, output_index: index });
  }

  const finalOutput = () => (ctx.completedOutput === "full" ? output : []);

  switch (s.kind) {
    case "text": {
      if (s.reasoning !== undefined || s.rawReasoning !== undefined) {
        yield* reasoningItem(s.reasoning ?? [], s.rawReasoning);
      }
      const pieces =
        s.text === undefined && s.deltas !== undefined
          ? generatedWords(s.deltas)
          : splitText(s.text ?? ctx.defaultText, s.deltas);
      yield* messageItem(pieces, s.phase === undefined ? "final_answer" : s.phase, "completed");
      yield ev("response.completed", {
        response: response({
          status: "completed",
          output: finalOutput(),
          usage: usageFrom(ctx, outputTokens, reasoningTokens, s.usage),
        }),
      });
      return;
    }
    case "tool_calls": {
      if (s.reasoning !== undefined) yield* reasoningItem(s.reasoning);
      if (s.text !== undefined) yield* messageItem(splitText(s.text), "commentary", "completed");
      for (const call of s.calls) {
        const id = `fc_${hex(25)}`;
        const index = output.length;
        const args = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
        const head = { id, type: "function_call" };
        const tail = { call_id: call.callId ?? callId(), name: call.name };
        yield ev("response.output_item.added", {
          item: { ...head, status: "in_progress", arguments: "", ...tail },
          output_index: index,
        });
        for (const delta of argPieces(args, s.argDeltas)) {
          outputTokens++;
          yield ev("response.function_call_arguments.delta", { delta, item_id: id, output_index: index });
        }
        yield ev("response.function_call_arguments.done", {
          arguments: args,
          item_id: id,
          output_index: index,
        });
        const item = { ...head, status: "completed", arguments: args, ...tail };
        output.push(item);
        yield ev("response.output_item.done", { item, output_index: index });
      }
      yield ev("response.completed", {
        response: response({
          status: "completed",
          output: finalOutput(),
          usage: usageFrom(ctx, outputTokens, reasoningTokens, s.usage),
        }),
      });
      return;
    }
    case "failed": {
      if (s.text !== undefined) yield* messageItem(splitText(s.text), "final_answer", "incomplete", false);
      if (s.withErrorEvent) {
        yield ev("error", { error: { type: s.code, code: s.code, message: s.message, param: null } });
      }
      yield ev("response.failed", {
        response: response({
          status: "failed",
          error: { code: s.code, message: s.message },
          output: [],
          usage: null,
        }),
      });
      return;
    }
    case "incomplete": {
      if (s.text !== undefined && s.text !== "")
        yield* messageItem(splitText(s.text), "final_answer", "incomplete");
      yield ev("response.incomplete", {
        response: response({
          status: "incomplete",
          incomplete_details: { reason: s.reason },
          output: finalOutput(),
          usage: usageFrom(ctx, outputTokens, reasoningTokens, s.usage),
        }),
      });
      return;
    }
  }
}

/**
 * A scripted tool round trip, as a default scenario: while the request holds no output for the call, the model
 * calls the tool (after a reasoning item); once the client sent the tool's output back, it answers with
 * `answer(output)`. Used to drive real clients (Claude Code, the Codex CLI) through one tool call.
 */
export function toolRoundTrip(
  call: ToolCallSpec & { callId: string },
  answer: (output: string) => string,
  reasoning: string[] = ["I will run the tool."],
): (body: Record<string, unknown>) => StreamScenario {
  return (body) => {
    const input = Array.isArray(body.input) ? (body.input as Record<string, unknown>[]) : [];
    const result = input.find((i) => i.type === "function_call_output" && i.call_id === call.callId);
    if (result === undefined) return { kind: "tool_calls", reasoning, calls: [call] };
    return { kind: "text", text: answer(outputText(result.output)) };
  };
}

/** The text of a function_call_output's `output` (a string or input_text parts). */
function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (!Array.isArray(output)) return "";
  return output
    .map((p) =>
      p !== null && typeof p === "object" && typeof (p as { text?: unknown }).text === "string"
        ? (p as { text: string }).text
        : "",
    )
    .join("");
}
