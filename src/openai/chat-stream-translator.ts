// StreamParts → `chat.completion.chunk` objects for one streamed chat completion (choice 0).
//
//   start()             the first chunk: delta {role:"assistant", content:""}
//   text-delta          delta.content (think-tags closes an open <think> block first)
//   reasoning-delta     per REASONING_COMPAT (see reasoning-renderer.ts)
//   tool-call-start     delta.tool_calls [{index, id, type:"function", function:{name, arguments:""}}]
//   tool-call-delta     delta.tool_calls [{index, function:{arguments}}]
//   tool-call-end       the part of the arguments that did not stream, if any
//   web-citation        delta.annotations [{type:"url_citation", url_citation:{start_index,end_index,url,title}}],
//                       indices into the message content (as OpenAI's search models send them)
//   finish              exactly one chunk {delta:{}, finish_reason}; then, with include_usage, a chunk with
//                       choices:[] and usage (every earlier chunk carries usage:null, as OpenAI does). A turn cut by
//                       the relay (stop / max tokens) carries the usage the relay counted (src/core/turn.ts).
//   error               {error:{message,type,code,param:null}}, written by the route as one more data line.
//
// The route writes each output as `data: <json>\n\n` (serializeChunk) and ends with `data: [DONE]\n\n`.
// Per part: one small object graph, no copies.

import type { ReasoningCompat } from "../config.ts";
import type { StreamPart } from "../core/stream-parts.ts";
import { streamErrorBody, type OpenAIErrorBody } from "./error-body.ts";
import { toOpenAIFinishReason, type OpenAIFinishReason } from "./map-finish-reason.ts";
import { toOpenAIUsage, type OpenAIUsage } from "./map-usage.ts";
import { ReasoningStreamRenderer } from "./reasoning-renderer.ts";

export interface ChatToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

export interface ChatUrlCitation {
  type: "url_citation";
  url_citation: { start_index: number; end_index: number; url: string; title: string };
}

export interface ChatDelta {
  role?: "assistant";
  content?: string;
  annotations?: ChatUrlCitation[];
  tool_calls?: ChatToolCallDelta[];
  reasoning_content?: string;
  reasoning_summary?: string;
  reasoning?: string | { content: { type: "text"; text: string }[] };
}

export interface ChatChunkChoice {
  index: number;
  delta: ChatDelta;
  logprobs: null;
  finish_reason: OpenAIFinishReason | null;
}

export interface ChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ChatChunkChoice[];
  usage?: OpenAIUsage | null;
}

export type ChatStreamOutput = ChatChunk | OpenAIErrorBody;

export interface ChatStreamOptions {
  id: string;
  /** The model name echoed to the client (usually what it asked for). */
  model: string;
  /** Unix seconds. */
  created: number;
  compat: ReasoningCompat;
  /** stream_options.include_usage */
  includeUsage: boolean;
}

export const DONE_LINE = "data: [DONE]\n\n";

/** One SSE data line. */
export function serializeChunk(chunk: ChatStreamOutput): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

const NONE: ChatStreamOutput[] = [];

export class ChatStreamTranslator {
  private readonly id: string;
  private readonly model: string;
  private readonly created: number;
  private readonly includeUsage: boolean;
  private readonly reasoning: ReasoningStreamRenderer;
  /** Argument characters streamed per tool call index; -1: call not started. */
  private readonly streamed: number[] = [];
  private toolCalls = 0;
  private done = false;
  /** Characters of delta.content sent, and of them the answer's (the rest is think-tags reasoning). */
  private contentLength = 0;
  private answerLength = 0;

  constructor(options: ChatStreamOptions) {
    this.id = options.id;
    this.model = options.model;
    this.created = options.created;
    this.includeUsage = options.includeUsage;
    this.reasoning = new ReasoningStreamRenderer(options.compat);
  }

  /** True after the finish or error output. */
  get finished(): boolean {
    return this.done;
  }

  start(): ChatChunk[] {
    return [this.chunk({ role: "assistant", content: "" }, null)];
  }

  push(part: StreamPart): ChatStreamOutput[] {
    if (this.done) return NONE;
    switch (part.type) {
      case "text-delta": {
        if (part.delta === "") return NONE;
        const prefix = this.reasoning.beforeText();
        this.answerLength += part.delta.length;
        return [this.chunk({ content: prefix === "" ? part.delta : prefix + part.delta }, null)];
      }
      case "web-citation": {
        // The cited span sits where the answer text was: shifted by the reasoning sent as content before it.
        const shift = this.contentLength - this.answerLength;
        const end = part.end ?? this.answerLength;
        const start = part.start ?? end;
        return [
          this.chunk({ annotations: [urlCitation(part.url, part.title, start + shift, end + shift)] }, null),
        ];
      }
      case "reasoning-delta": {
        const fields = this.reasoning.reasoning(part);
        return fields ? [this.chunk(fields as ChatDelta, null)] : NONE;
      }
      case "tool-call-start": {
        const out = this.closeThinking();
        out.push(this.startCall(part.index, part.callId, part.name, ""));
        return out;
      }
      case "tool-call-delta": {
        if (part.argumentsDelta === "") return NONE;
        const out: ChatStreamOutput[] = this.streamed[part.index] === undefined ? this.closeThinking() : [];
        if (this.streamed[part.index] === undefined) {
          // A delta for a call never started: start it without a name rather than lose the arguments.
          out.push(this.startCall(part.index, "", "", ""));
        }
        this.streamed[part.index] = (this.streamed[part.index] ?? 0) + part.argumentsDelta.length;
        out.push(this.argsChunk(part.index, part.argumentsDelta));
        return out;
      }
      case "tool-call-end": {
        const sent = this.streamed[part.index];
        if (sent === undefined) {
          const out = this.closeThinking();
          out.push(this.startCall(part.index, part.callId, part.name, part.arguments));
          this.streamed[part.index] = part.arguments.length;
          return out;
        }
        if (part.arguments.length > sent) {
          this.streamed[part.index] = part.arguments.length;
          return [this.argsChunk(part.index, part.arguments.slice(sent))];
        }
        return NONE;
      }
      case "finish": {
        this.done = true;
        const out = this.closeThinking();
        out.push(this.chunk({}, toOpenAIFinishReason(part.reason, this.toolCalls > 0)));
        if (this.includeUsage && part.usage) {
          out.push({
            id: this.id,
            object: "chat.completion.chunk",
            created: this.created,
            model: this.model,
            choices: [],
            usage: toOpenAIUsage(part.usage),
          });
        }
        return out;
      }
      case "error": {
        this.done = true;
        const out = this.closeThinking();
        out.push(streamErrorBody(part));
        return out;
      }
      default:
        return NONE;
    }
  }

  private chunk(delta: ChatDelta, finishReason: OpenAIFinishReason | null): ChatChunk {
    if (delta.content !== undefined) this.contentLength += delta.content.length;
    const chunk: ChatChunk = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.includeUsage) chunk.usage = null;
    return chunk;
  }

  private closeThinking(): ChatStreamOutput[] {
    const close = this.reasoning.close();
    return close === "" ? [] : [this.chunk({ content: close }, null)];
  }

  private startCall(index: number, callId: string, name: string, args: string): ChatChunk {
    this.toolCalls++;
    this.streamed[index] = 0;
    this.reasoning.toolCallSent();
    return this.chunk(
      { tool_calls: [{ index, id: callId, type: "function", function: { name, arguments: args } }] },
      null,
    );
  }

  private argsChunk(index: number, args: string): ChatChunk {
    return this.chunk({ tool_calls: [{ index, function: { arguments: args } }] }, null);
  }
}

export function urlCitation(url: string, title: string, start: number, end: number): ChatUrlCitation {
  return { type: "url_citation", url_citation: { start_index: start, end_index: end, url, title } };
}
