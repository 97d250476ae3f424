// StreamParts → the objects of Ollama's /api/generate NDJSON stream: like /api/chat, but the text goes in
// `response` and the thinking in a top-level `thinking`; the final object also carries `context` (Ollama's token
// context for a follow-up call — always empty here: the backend keeps no such state and the relay ignores it).

import type { StreamPart } from "../core/stream-parts.ts";
import type { OllamaErrorLine, OllamaGenerateChunk, OllamaGenerateFinal } from "./ollama-types.ts";
import { INCOMPLETE_TURN_MESSAGE, doneReason, type OllamaStreamOptions } from "./ndjson-chat-translator.ts";
import { ThinkingJoiner } from "./turn-clock.ts";

export type OllamaGenerateLine = OllamaGenerateChunk | OllamaGenerateFinal | OllamaErrorLine;

const NONE: never[] = [];

export class OllamaGenerateStreamTranslator {
  private readonly thinking = new ThinkingJoiner();
  private ended = false;

  constructor(private readonly opts: OllamaStreamOptions) {}

  push(part: StreamPart): OllamaGenerateLine[] {
    if (this.ended) return NONE;
    this.opts.clock.observe(part);
    switch (part.type) {
      case "text-delta":
        return part.delta === "" ? NONE : [this.chunk(part.delta)];
      case "reasoning-delta":
        if (!this.opts.showThinking || part.delta === "") return NONE;
        return [this.chunk("", this.thinking.text(part))];
      case "finish":
        this.ended = true;
        return [
          {
            model: this.opts.model,
            created_at: new Date().toISOString(),
            response: "",
            done: true,
            done_reason: doneReason(part.reason),
            context: [],
            ...this.opts.clock.metrics(part.usage),
          },
        ];
      case "error":
        this.ended = true;
        return [{ error: part.message }];
      default:
        // No tools are sent on /api/generate, so no tool-call parts come back.
        return NONE;
    }
  }

  end(): OllamaGenerateLine[] {
    if (this.ended) return NONE;
    this.ended = true;
    return [{ error: INCOMPLETE_TURN_MESSAGE }];
  }

  private chunk(response: string, thinking?: string): OllamaGenerateChunk {
    const out: OllamaGenerateChunk = {
      model: this.opts.model,
      created_at: new Date().toISOString(),
      response,
      done: false,
    };
    if (thinking !== undefined) out.thinking = thinking;
    return out;
  }
}
