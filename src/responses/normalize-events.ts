// Backend events → dialect-neutral StreamParts. Every quirk of the Responses stream is handled here, once:
// answers rebuilt from `output_item.done` when no deltas came, several message items joined, reasoning summary
// parts numbered across the whole turn, tool calls numbered in order of appearance, terminal events mapped to one
// `finish` or one `error`, and a stream that closes early turned into an error. Refusal text (`response.refusal.delta`,
// `refusal` content parts) is treated as answer text so that the client sees it. Raw reasoning parts
// (`reasoning_text.delta`) are numbered separately from summary parts. A completed web search (web_search_call
// item with a search action) and url_citation annotations become web-search / web-citation parts.

import type { FinishReason, StreamPart, WebSource } from "../core/stream-parts.ts";
import { toTurnUsage } from "../core/stream-parts.ts";
import type { JsonObject, ResponsesUsage, UpstreamEvent } from "./types.ts";

export const STREAM_INCOMPLETE_MESSAGE = "The backend closed the stream before the response completed.";

interface ToolCallState {
  index: number;
  callId: string;
  name: string;
  /** Characters of arguments already emitted as deltas. */
  streamed: number;
  ended: boolean;
}

const NO_PARTS: StreamPart[] = [];

/** Names under which a model sends its internal parallel-call wrapper as a function call. */
const WRAPPER_NAMES = new Set(["parallel", "multi_tool_use.parallel"]);
const RECIPIENT_PREFIX = "functions.";

export interface NormalizerOptions {
  /**
   * Function tools the request declared. Given, a parallel-call wrapper that is not one of them is unwrapped into
   * separate calls (when every bundled call names one of them); absent, calls are never unwrapped.
   */
  declaredTools?: Iterable<string>;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function obj(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export class ResponsesEventNormalizer {
  private readonly declaredTools: ReadonlySet<string> | undefined;
  private done = false;
  private responseId: string | undefined;

  // Text
  /** Item id of the message whose text was emitted last; null before any text. */
  private lastTextItem: string | null = null;
  private textEmitted = false;
  /** Message items that produced at least one text delta. */
  private readonly textItems = new Set<string>();
  /** Characters of answer text emitted so far (all text-delta parts joined), and where each item's text starts. */
  private textLength = 0;
  private readonly textStarts = new Map<string, number>();

  // Reasoning
  private summaryIndex = -1;
  private summaryItem: string | undefined;
  private summaryKey: number | undefined;
  private rawIndex = -1;
  private rawItem: string | undefined;
  private rawKey: number | undefined;
  /** Reasoning items that produced summary deltas. */
  private readonly summaryItems = new Set<string>();

  // Tool calls, by item id
  private readonly calls = new Map<string, ToolCallState>();
  private nextCallIndex = 0;
  private callsEnded = 0;

  /** web_search_call items already reported (the terminal response may list them again). */
  private readonly searches = new Set<string>();

  constructor(options: NormalizerOptions = {}) {
    this.declaredTools = options.declaredTools === undefined ? undefined : new Set(options.declaredTools);
  }

  /** True once a terminal part (finish or error) was produced; later events are ignored. */
  get finished(): boolean {
    return this.done;
  }

  push(event: UpstreamEvent): StreamPart[] {
    if (this.done) return NO_PARTS;
    switch (event.type) {
      case "response.output_text.delta":
      case "response.refusal.delta":
        return this.textDelta(event);
      case "response.reasoning_summary_text.delta":
        return this.summaryDelta(event);
      case "response.function_call_arguments.delta":
      case "response.custom_tool_call_input.delta":
        return this.toolDelta(event);
      case "response.reasoning_summary_part.added":
        return this.summaryPartAdded(event);
      case "response.reasoning_text.delta":
        return this.rawDelta(event);
      case "response.output_text.annotation.added":
        return citationParts([event.annotation], this.textStarts.get(str(event.item_id) ?? ""));
      case "response.output_item.added":
        return this.itemAdded(obj(event.item));
      case "response.output_item.done":
        return this.itemDone(obj(event.item));
      case "response.created":
        return this.created(event);
      case "response.completed":
        return this.completed(event);
      case "response.incomplete":
        return this.incomplete(event);
      case "response.failed":
        return this.failed(event);
      case "error":
        return this.errorEvent(event);
      default:
        return NO_PARTS;
    }
  }

  /** The upstream closed. Without a terminal event this is an error. */
  end(): StreamPart[] {
    if (this.done) return NO_PARTS;
    this.done = true;
    return [{ type: "error", message: STREAM_INCOMPLETE_MESSAGE, code: "stream_incomplete" }];
  }

  // ── text ──────────────────────────────────────────────────────────────────

  private textDelta(event: UpstreamEvent): StreamPart[] {
    const delta = event.delta;
    if (typeof delta !== "string" || delta === "") return NO_PARTS;
    const itemId = str(event.item_id) ?? "";
    return [{ type: "text-delta", delta: this.textFor(itemId, delta) }];
  }

  /** Prefixes a paragraph break when a new message item follows one that already produced text. */
  private textFor(itemId: string, delta: string): string {
    let text = delta;
    if (itemId !== this.lastTextItem) {
      const sep = this.textEmitted;
      this.lastTextItem = itemId;
      this.textItems.add(itemId);
      this.textEmitted = true;
      if (sep) text = "\n\n" + delta;
      if (!this.textStarts.has(itemId))
        this.textStarts.set(itemId, this.textLength + text.length - delta.length);
    }
    this.textLength += text.length;
    return text;
  }

  // ── reasoning ─────────────────────────────────────────────────────────────

  private summaryPartAdded(event: UpstreamEvent): StreamPart[] {
    const itemId = str(event.item_id) ?? "";
    const key = typeof event.summary_index === "number" ? event.summary_index : undefined;
    const partIndex = this.summaryPart(itemId, key);
    const text = str(obj(event.part)?.text);
    if (!text) return NO_PARTS;
    this.summaryItems.add(itemId);
    return [{ type: "reasoning-delta", delta: text, kind: "summary", partIndex }];
  }

  private summaryDelta(event: UpstreamEvent): StreamPart[] {
    const delta = event.delta;
    if (typeof delta !== "string" || delta === "") return NO_PARTS;
    const itemId = str(event.item_id) ?? "";
    const key = typeof event.summary_index === "number" ? event.summary_index : undefined;
    const partIndex = this.summaryPart(itemId, key);
    this.summaryItems.add(itemId);
    return [{ type: "reasoning-delta", delta, kind: "summary", partIndex }];
  }

  /** The turn-wide index of the summary part (item, summary_index); a new pair opens a new part. */
  private summaryPart(itemId: string, key: number | undefined): number {
    if (this.summaryIndex < 0 || itemId !== this.summaryItem || key !== this.summaryKey) {
      this.summaryIndex++;
      this.summaryItem = itemId;
      this.summaryKey = key;
    }
    return this.summaryIndex;
  }

  private rawDelta(event: UpstreamEvent): StreamPart[] {
    const delta = event.delta;
    if (typeof delta !== "string" || delta === "") return NO_PARTS;
    const itemId = str(event.item_id) ?? "";
    const key = typeof event.content_index === "number" ? event.content_index : undefined;
    if (this.rawIndex < 0 || itemId !== this.rawItem || key !== this.rawKey) {
      this.rawIndex++;
      this.rawItem = itemId;
      this.rawKey = key;
    }
    return [{ type: "reasoning-delta", delta, kind: "raw", partIndex: this.rawIndex }];
  }

  // ── tool calls ────────────────────────────────────────────────────────────

  private startCall(itemId: string, item: JsonObject): { state: ToolCallState; part: StreamPart } {
    const state: ToolCallState = {
      index: this.nextCallIndex++,
      callId: str(item.call_id) ?? itemId,
      name: str(item.name) ?? "",
      streamed: 0,
      ended: false,
    };
    this.calls.set(itemId, state);
    return {
      state,
      part: { type: "tool-call-start", index: state.index, callId: state.callId, name: state.name },
    };
  }

  private toolDelta(event: UpstreamEvent): StreamPart[] {
    const delta = event.delta;
    if (typeof delta !== "string" || delta === "") return NO_PARTS;
    const state = this.calls.get(str(event.item_id) ?? str(event.call_id) ?? "");
    // A delta for a call never announced: its arguments arrive whole with output_item.done.
    if (!state || state.ended) return NO_PARTS;
    state.streamed += delta.length;
    return [{ type: "tool-call-delta", index: state.index, argumentsDelta: delta }];
  }

  private endCall(item: JsonObject, args: string): StreamPart[] {
    const itemId = str(item.id) ?? str(item.call_id) ?? `call_${this.nextCallIndex}`;
    const out: StreamPart[] = [];
    let state = this.calls.get(itemId);
    if (!state) {
      const started = this.startCall(itemId, item);
      state = started.state;
      out.push(started.part);
    }
    if (state.ended) return NO_PARTS;
    // Deltas are a prefix of the final arguments; send what they missed so deltas always add up to `arguments`.
    if (state.streamed > 0 && args.length > state.streamed) {
      out.push({ type: "tool-call-delta", index: state.index, argumentsDelta: args.slice(state.streamed) });
    }
    state.ended = true;
    this.callsEnded++;
    // The done item is authoritative for id and name.
    const callId = str(item.call_id) ?? state.callId;
    const name = str(item.name) ?? state.name;
    out.push({ type: "tool-call-end", index: state.index, callId, name, arguments: args });
    return out;
  }

  /** A function call named like the parallel wrapper, in a request that declared no tool of that name. */
  private mayUnwrap(item: JsonObject): boolean {
    const name = str(item.name);
    return (
      item.type === "function_call" &&
      this.declaredTools !== undefined &&
      name !== undefined &&
      WRAPPER_NAMES.has(name) &&
      !this.declaredTools.has(name)
    );
  }

  /** The bundled calls as separate calls, or null when the arguments are not a wrapper of declared tools. */
  private unwrap(item: JsonObject, args: string): StreamPart[] | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch {
      return null;
    }
    const uses = obj(parsed)?.tool_uses;
    if (!Array.isArray(uses) || uses.length === 0) return null;
    const calls: { name: string; arguments: string }[] = [];
    for (const use of uses) {
      const recipient = str(obj(use)?.recipient_name);
      if (recipient === undefined || !recipient.startsWith(RECIPIENT_PREFIX)) return null;
      const name = recipient.slice(RECIPIENT_PREFIX.length);
      if (!this.declaredTools?.has(name)) return null;
      const parameters = obj(use)?.parameters;
      calls.push({ name, arguments: JSON.stringify(parameters ?? {}) });
    }
    const base = str(item.call_id) ?? str(item.id) ?? `call_${this.nextCallIndex}`;
    const out: StreamPart[] = [];
    calls.forEach((call, i) => {
      const index = this.nextCallIndex++;
      const callId = `${base}_${i}`;
      out.push({ type: "tool-call-start", index, callId, name: call.name });
      out.push({ type: "tool-call-end", index, callId, name: call.name, arguments: call.arguments });
      this.callsEnded++;
    });
    return out;
  }

  // ── items ─────────────────────────────────────────────────────────────────

  private itemAdded(item: JsonObject | undefined): StreamPart[] {
    if (!item) return NO_PARTS;
    const type = item.type;
    if (type !== "function_call" && type !== "custom_tool_call") return NO_PARTS;
    const itemId = str(item.id) ?? str(item.call_id);
    if (itemId === undefined || this.calls.has(itemId)) return NO_PARTS;
    // A possible wrapper is held back (its argument deltas are dropped) until its done item shows what it holds.
    if (this.mayUnwrap(item)) return NO_PARTS;
    return [this.startCall(itemId, item).part];
  }

  private itemDone(item: JsonObject | undefined): StreamPart[] {
    if (!item) return NO_PARTS;
    switch (item.type) {
      case "message":
        return this.messageDone(item);
      case "reasoning":
        return this.reasoningDone(item);
      case "function_call": {
        const args = str(item.arguments) ?? "";
        if (this.mayUnwrap(item)) {
          const unwrapped = this.unwrap(item, args);
          if (unwrapped) return unwrapped;
        }
        return this.endCall(item, args);
      }
      case "custom_tool_call":
        return this.endCall(item, str(item.input) ?? "");
      case "web_search_call":
        return this.webSearchDone(item);
      default:
        return NO_PARTS;
    }
  }

  /** A message whose text never streamed (some streams only send done): emit its full text (and citations) now. */
  private messageDone(item: JsonObject): StreamPart[] {
    const itemId = str(item.id) ?? "";
    if (this.textItems.has(itemId)) return NO_PARTS;
    const content = item.content;
    if (!Array.isArray(content)) return NO_PARTS;
    let text = "";
    const annotations: unknown[] = [];
    for (const part of content) {
      const p = obj(part);
      if (!p) continue;
      if (p.type === "output_text" && typeof p.text === "string") {
        text += p.text;
        if (Array.isArray(p.annotations)) annotations.push(...(p.annotations as unknown[]));
      } else if (p.type === "refusal" && typeof p.refusal === "string") text += p.refusal;
    }
    if (text === "") return NO_PARTS;
    const delta = this.textFor(itemId, text);
    return [{ type: "text-delta", delta }, ...citationParts(annotations, this.textStarts.get(itemId))];
  }

  /** A finished search: its query and the pages found. Opening or searching within a page is not a search. */
  private webSearchDone(item: JsonObject): StreamPart[] {
    const id = str(item.id) ?? `ws_${this.searches.size}`;
    const action = obj(item.action);
    if (this.searches.has(id) || (action !== undefined && action.type !== "search")) return NO_PARTS;
    this.searches.add(id);
    const queries = Array.isArray(action?.queries) ? action.queries.filter((q) => typeof q === "string") : [];
    const query = str(action?.query) ?? queries.join(" ");
    const sources: WebSource[] = [];
    for (const s of Array.isArray(action?.sources) ? action.sources : []) {
      const url = str(obj(s)?.url);
      if (url === undefined || url === "") continue;
      const title = str(obj(s)?.title);
      sources.push(title === undefined ? { url } : { url, title });
    }
    return [{ type: "web-search", id, query, sources }];
  }

  /** The end of a reasoning item; a summary that never streamed is emitted first. */
  private reasoningDone(item: JsonObject): StreamPart[] {
    const out = this.unstreamedSummary(item);
    const encrypted = str(item.encrypted_content);
    out.push(encrypted ? { type: "reasoning-end", encryptedContent: encrypted } : { type: "reasoning-end" });
    return out;
  }

  private unstreamedSummary(item: JsonObject): StreamPart[] {
    const itemId = str(item.id) ?? "";
    if (this.summaryItems.has(itemId)) return [];
    const summary = item.summary;
    if (!Array.isArray(summary) || summary.length === 0) return [];
    const out: StreamPart[] = [];
    summary.forEach((part, i) => {
      const text = str(obj(part)?.text);
      if (!text) return;
      out.push({
        type: "reasoning-delta",
        delta: text,
        kind: "summary",
        partIndex: this.summaryPart(itemId, i),
      });
    });
    this.summaryItems.add(itemId);
    return out;
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  private created(event: UpstreamEvent): StreamPart[] {
    const response = obj(event.response);
    const id = str(response?.id);
    if (id === undefined) return NO_PARTS;
    this.responseId = id;
    const model = str(response?.model);
    return [
      model === undefined
        ? { type: "response-start", responseId: id }
        : { type: "response-start", responseId: id, model },
    ];
  }

  /** Items carried only in the terminal response object (a stream without output_item events). */
  private fromFinalOutput(response: JsonObject | undefined): StreamPart[] {
    if (this.textEmitted || this.nextCallIndex > 0) return [];
    const output = response?.output;
    if (!Array.isArray(output) || output.length === 0) return [];
    const out: StreamPart[] = [];
    for (const item of output) out.push(...this.itemDone(obj(item)));
    return out;
  }

  private finish(event: UpstreamEvent, reason: FinishReason | null): StreamPart[] {
    const response = obj(event.response);
    const out = this.fromFinalOutput(response);
    this.done = true;
    const usage = toTurnUsage(obj(response?.usage) as ResponsesUsage | undefined);
    const responseId = str(response?.id) ?? this.responseId;
    const finalReason: FinishReason = reason ?? (this.callsEnded > 0 ? "tool_calls" : "stop");
    const part: StreamPart = { type: "finish", reason: finalReason };
    if (usage) part.usage = usage;
    if (responseId !== undefined) part.responseId = responseId;
    out.push(part);
    return out;
  }

  private completed(event: UpstreamEvent): StreamPart[] {
    return this.finish(event, null);
  }

  private incomplete(event: UpstreamEvent): StreamPart[] {
    const reason = str(obj(obj(event.response)?.incomplete_details)?.reason);
    return this.finish(event, reason === "content_filter" ? "content_filter" : "length");
  }

  private failed(event: UpstreamEvent): StreamPart[] {
    const error = obj(obj(event.response)?.error);
    this.done = true;
    return [
      errorPart(
        str(error?.message) ?? "The backend reported that the response failed.",
        str(error?.code),
        str(error?.type),
      ),
    ];
  }

  /** A top-level `error` event: `{code, message}` or `{error: {type, code, message}}`. */
  private errorEvent(event: UpstreamEvent): StreamPart[] {
    const inner = obj(event.error);
    this.done = true;
    return [
      errorPart(
        str(inner?.message) ?? str(event.message) ?? "The backend reported an error.",
        str(inner?.code) ?? str(event.code),
        str(inner?.type),
      ),
    ];
  }
}

/**
 * url_citation annotations → web-citation parts (other annotation types are not shown). `itemStart`: where the
 * annotated item's text starts in the turn's answer text; the annotation's indices are relative to the item.
 */
function citationParts(annotations: readonly unknown[], itemStart: number | undefined): StreamPart[] {
  const out: StreamPart[] = [];
  for (const a of annotations) {
    const annotation = obj(a);
    const url = str(annotation?.url);
    if (annotation?.type !== "url_citation" || url === undefined) continue;
    const part: StreamPart = { type: "web-citation", url, title: str(annotation.title) ?? url };
    const { start_index: start, end_index: end } = annotation;
    if (itemStart !== undefined && typeof start === "number" && typeof end === "number" && start <= end) {
      part.start = itemStart + start;
      part.end = itemStart + end;
    }
    out.push(part);
  }
  return out;
}

function errorPart(message: string, code: string | undefined, errorType: string | undefined): StreamPart {
  const part: StreamPart = { type: "error", message };
  if (code !== undefined) part.code = code;
  if (errorType !== undefined) part.errorType = errorType;
  return part;
}
