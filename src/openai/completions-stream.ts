// StreamParts → `text_completion` chunks for a streamed legacy completion (choice 0), OpenAI's shape:
//
//   text-delta          {choices:[{text, index:0, logprobs:null, finish_reason:null}]}
//   reasoning, tools    nothing: a completion shows only the answer text
//   finish              one chunk {text:"", finish_reason}; then, with stream_options.include_usage, a chunk with
//                       choices:[] and usage (earlier chunks carry usage:null). A turn cut at the relay (stop /
//                       max_tokens) carries the usage the relay counted (src/core/turn.ts).
//   error               {error:{message,type,param:null,code}}, one more data line.
//
// The route writes each output as `data: <json>\n\n` and ends with `data: [DONE]\n\n`.

import type { StreamPart } from "../core/stream-parts.ts";
import { streamErrorBody, type OpenAIErrorBody } from "./error-body.ts";
import { toOpenAIUsage, type OpenAIUsage } from "./map-usage.ts";

export type CompletionFinishReason = "stop" | "length" | "content_filter";

export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: null;
  finish_reason: CompletionFinishReason | null;
}

export interface CompletionChunk {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: OpenAIUsage | null;
}

export type CompletionStreamOutput = CompletionChunk | OpenAIErrorBody;

export interface CompletionStreamOptions {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
}

const NONE: CompletionStreamOutput[] = [];

export function toCompletionFinishReason(reason: string | null | undefined): CompletionFinishReason {
  return reason === "length" || reason === "content_filter" ? reason : "stop";
}

export class CompletionStreamTranslator {
  private done = false;

  constructor(private readonly options: CompletionStreamOptions) {}

  push(part: StreamPart): CompletionStreamOutput[] {
    if (this.done) return NONE;
    switch (part.type) {
      case "text-delta":
        return part.delta === "" ? NONE : [this.chunk(part.delta, null)];
      case "finish": {
        this.done = true;
        const out: CompletionStreamOutput[] = [this.chunk("", toCompletionFinishReason(part.reason))];
        if (this.options.includeUsage && part.usage) {
          out.push({ ...this.base(), choices: [], usage: toOpenAIUsage(part.usage) });
        }
        return out;
      }
      case "error":
        this.done = true;
        return [streamErrorBody(part)];
      default:
        return NONE;
    }
  }

  private base(): Omit<CompletionChunk, "choices"> {
    const { id, created, model } = this.options;
    return { id, object: "text_completion", created, model };
  }

  private chunk(text: string, finish: CompletionFinishReason | null): CompletionChunk {
    const c: CompletionChunk = {
      ...this.base(),
      choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    };
    if (this.options.includeUsage) c.usage = null;
    return c;
  }
}

export function serializeCompletionChunk(chunk: CompletionStreamOutput): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}
