// StreamParts → Anthropic Messages stream events, for one turn:
//   start()          message_start (usage zeros: the backend reports usage at the end, in message_delta)
//   text-delta       a text block (opened on the first delta after another block), text_delta
//   reasoning-delta  a thinking block, thinking_delta (a paragraph break between summary parts); only when the
//                    client asked for thinking
//   reasoning-end    signature_delta with the signed encrypted reasoning, then the thinking block closes (a
//                    reasoning item without shown text becomes a signature-only thinking block)
//   tool-call-*      a tool_use block per call (id = the backend's call_id), input_json_delta as arguments stream
//   web-search       a server_tool_use block (web_search, input {query}) and its web_search_tool_result block
//                    (the pages found); counted in usage.server_tool_use.web_search_requests
//   web-citation     a citations_delta (web_search_result_location) on the open text block
//   finish           closes the open block; message_delta {stop_reason, stop_sequence, usage}; message_stop
//   error            one `error` event (the route then ends the stream without message_stop)
// One block is open at a time; `index` is the block's position in the final content array. Tools in
// BUFFERED_TOOLS have their arguments held to the end and repaired (see repairToolInput).

import type { StreamPart } from "../core/stream-parts.ts";
import type {
  AnthropicMessage,
  AnthropicStreamEvent,
  StopReason,
  WebSearchCitation,
  WebSearchResult,
} from "./message-types.ts";
import { ZERO_USAGE, toAnthropicUsage } from "./map-usage.ts";
import { repairToolInput, BUFFERED_TOOLS } from "./repair-tool-input.ts";

export interface AnthropicStreamOptions {
  id: string;
  /** The model name echoed to the client (what it asked for). */
  model: string;
  showThinking: boolean;
  showThinkingText: boolean;
  /** Signs an encrypted reasoning item into a thinking signature. */
  sign: (encryptedContent: string) => string;
  /** The error event for a failed turn. */
  errorEvent: (part: Extract<StreamPart, { type: "error" }>) => AnthropicStreamEvent;
}

type OpenBlock =
  | { kind: "text"; index: number }
  | { kind: "thinking"; index: number; partIndex: number; kindOfPart: string; wrote: boolean }
  | { kind: "tool"; index: number; call: number; streamed: number; buffered: boolean };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const NONE: AnthropicStreamEvent[] = [];

export class AnthropicStreamTranslator {
  private readonly o: AnthropicStreamOptions;
  private open: OpenBlock | null = null;
  private nextIndex = 0;
  private toolUses = 0;
  private webSearches = 0;
  private done = false;

  constructor(options: AnthropicStreamOptions) {
    this.o = options;
  }

  get finished(): boolean {
    return this.done;
  }

  start(): AnthropicStreamEvent[] {
    return [{ type: "message_start", message: emptyMessage(this.o.id, this.o.model) }];
  }

  push(part: StreamPart): AnthropicStreamEvent[] {
    if (this.done) return NONE;
    switch (part.type) {
      case "text-delta":
        return this.text(part.delta);
      case "reasoning-delta":
        return this.reasoning(part);
      case "reasoning-end":
        return this.reasoningEnd(part.encryptedContent);
      case "tool-call-start": {
        const out = this.close();
        out.push(this.startTool(part.index, part.callId, part.name));
        return out;
      }
      case "tool-call-delta": {
        const open = this.open;
        if (open?.kind !== "tool" || open.call !== part.index || open.buffered || part.argumentsDelta === "")
          return NONE;
        open.streamed += part.argumentsDelta.length;
        return [jsonDelta(open.index, part.argumentsDelta)];
      }
      case "tool-call-end":
        return this.endTool(part);
      case "web-search":
        return this.webSearch(part);
      case "web-citation":
        return this.citation(part);
      case "finish":
        return this.finish(part);
      case "error":
        this.done = true;
        return [this.o.errorEvent(part)];
      default:
        return NONE;
    }
  }

  private text(delta: string): AnthropicStreamEvent[] {
    if (delta === "") return NONE;
    const out =
      this.open?.kind === "text" ? [] : this.openBlock({ kind: "text" }, { type: "text", text: "" });
    out.push({
      type: "content_block_delta",
      index: this.open!.index,
      delta: { type: "text_delta", text: delta },
    });
    return out;
  }

  private reasoning(part: Extract<StreamPart, { type: "reasoning-delta" }>): AnthropicStreamEvent[] {
    if (!this.o.showThinking || !this.o.showThinkingText || part.delta === "") return NONE;
    let out: AnthropicStreamEvent[] = [];
    let open = this.open;
    if (open?.kind !== "thinking") {
      out = this.openBlock(
        { kind: "thinking", partIndex: part.partIndex, kindOfPart: part.kind, wrote: false },
        { type: "thinking", thinking: "" },
      );
      open = this.open!;
    }
    if (open.kind !== "thinking") return out;
    const newPart = open.wrote && (open.partIndex !== part.partIndex || open.kindOfPart !== part.kind);
    open.partIndex = part.partIndex;
    open.kindOfPart = part.kind;
    open.wrote = true;
    out.push({
      type: "content_block_delta",
      index: open.index,
      delta: { type: "thinking_delta", thinking: newPart ? `\n\n${part.delta}` : part.delta },
    });
    return out;
  }

  private reasoningEnd(encrypted: string | undefined): AnthropicStreamEvent[] {
    if (!this.o.showThinking) return NONE;
    let out: AnthropicStreamEvent[] = [];
    if (this.open?.kind !== "thinking") {
      if (encrypted === undefined) return NONE;
      out = this.openBlock(
        { kind: "thinking", partIndex: -1, kindOfPart: "", wrote: false },
        { type: "thinking", thinking: "" },
      );
    }
    const index = this.open!.index;
    if (encrypted !== undefined) {
      out.push({
        type: "content_block_delta",
        index,
        delta: { type: "signature_delta", signature: this.o.sign(encrypted) },
      });
    }
    out.push({ type: "content_block_stop", index });
    this.open = null;
    return out;
  }

  private startTool(call: number, callId: string, name: string): AnthropicStreamEvent {
    const index = this.nextIndex++;
    this.toolUses++;
    this.open = { kind: "tool", index, call, streamed: 0, buffered: BUFFERED_TOOLS.has(name) };
    return {
      type: "content_block_start",
      index,
      content_block: { type: "tool_use", id: callId, name, input: {} },
    };
  }

  private endTool(part: Extract<StreamPart, { type: "tool-call-end" }>): AnthropicStreamEvent[] {
    let out: AnthropicStreamEvent[] = [];
    let open = this.open;
    if (open?.kind !== "tool" || open.call !== part.index) {
      // A call whose start was not seen (or another block came between): the whole call at once.
      out = this.close();
      out.push(this.startTool(part.index, part.callId, part.name));
      open = this.open!;
    }
    if (open.kind !== "tool") return out;
    const args = open.buffered ? repairToolInput(part.name, part.arguments) : part.arguments;
    const rest = open.buffered ? args : args.slice(open.streamed);
    if (rest !== "") out.push(jsonDelta(open.index, rest));
    out.push({ type: "content_block_stop", index: open.index });
    this.open = null;
    return out;
  }

  /** The search as Anthropic's server tool renders it: the call with its input, then the result, both whole. */
  private webSearch(part: Extract<StreamPart, { type: "web-search" }>): AnthropicStreamEvent[] {
    const out = this.close();
    const id = `srvtoolu_${part.id}`;
    const use = this.nextIndex++;
    out.push({
      type: "content_block_start",
      index: use,
      content_block: { type: "server_tool_use", id, name: "web_search", input: {} },
    });
    out.push(jsonDelta(use, JSON.stringify({ query: part.query })));
    out.push({ type: "content_block_stop", index: use });
    const result = this.nextIndex++;
    const content: WebSearchResult[] = part.sources.map((s) => ({
      type: "web_search_result",
      url: s.url,
      title: s.title ?? titleOf(s.url),
      encrypted_content: "",
      page_age: null,
    }));
    out.push({
      type: "content_block_start",
      index: result,
      content_block: { type: "web_search_tool_result", tool_use_id: id, content },
    });
    out.push({ type: "content_block_stop", index: result });
    this.webSearches++;
    return out;
  }

  private citation(part: Extract<StreamPart, { type: "web-citation" }>): AnthropicStreamEvent[] {
    if (this.open?.kind !== "text") return NONE;
    const citation: WebSearchCitation = {
      type: "web_search_result_location",
      url: part.url,
      title: part.title,
      cited_text: "",
      encrypted_index: "",
    };
    return [
      { type: "content_block_delta", index: this.open.index, delta: { type: "citations_delta", citation } },
    ];
  }

  private finish(part: Extract<StreamPart, { type: "finish" }>): AnthropicStreamEvent[] {
    this.done = true;
    const out = this.close();
    let reason: StopReason;
    let stopSequence: string | null = null;
    if (part.stopSequence !== undefined) {
      reason = "stop_sequence";
      stopSequence = part.stopSequence;
    } else if (part.reason === "length") reason = "max_tokens";
    else if (part.reason === "content_filter") reason = "refusal";
    else reason = this.toolUses > 0 ? "tool_use" : "end_turn";
    // A turn the relay cut carries the usage the core counted (src/core/turn.ts).
    const usage = part.usage ? toAnthropicUsage(part.usage) : { ...ZERO_USAGE };
    if (this.webSearches > 0) usage.server_tool_use = { web_search_requests: this.webSearches };
    out.push({ type: "message_delta", delta: { stop_reason: reason, stop_sequence: stopSequence }, usage });
    out.push({ type: "message_stop" });
    return out;
  }

  private openBlock(
    block: DistributiveOmit<OpenBlock, "index">,
    start: Extract<AnthropicStreamEvent, { type: "content_block_start" }>["content_block"],
  ): AnthropicStreamEvent[] {
    const out = this.close();
    const index = this.nextIndex++;
    this.open = { ...block, index } as OpenBlock;
    out.push({ type: "content_block_start", index, content_block: start });
    return out;
  }

  private close(): AnthropicStreamEvent[] {
    const open = this.open;
    if (!open) return [];
    this.open = null;
    return [{ type: "content_block_stop", index: open.index }];
  }
}

/** A readable title for a page the backend listed without one: its host and path. */
function titleOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return url;
  }
}

function jsonDelta(index: number, partial: string): AnthropicStreamEvent {
  return { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: partial } };
}

export function emptyMessage(id: string, model: string): AnthropicMessage {
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { ...ZERO_USAGE },
  };
}
