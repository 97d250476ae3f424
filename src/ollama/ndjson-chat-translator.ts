// StreamParts → the objects of Ollama's /api/chat NDJSON stream: one `done:false` object per text or thinking
// delta and per completed tool call (Ollama sends calls whole, with arguments as an object), then one `done:true`
// object with done_reason, token counts and durations. A failure after the first byte becomes Ollama's
// `{"error":"…"}` line, and a turn that ends without a terminal part still ends the stream with one: clients
// (ollama-js) wait for `done` or `error`, so the stream must always end in one of the two.

import type { FinishReason, StreamPart } from "../core/stream-parts.ts";
import type {
  OllamaChatChunk,
  OllamaChatFinal,
  OllamaDoneReason,
  OllamaErrorLine,
  OllamaToolCallOut,
} from "./ollama-types.ts";
import { ThinkingJoiner, type TurnClock } from "./turn-clock.ts";

export interface OllamaStreamOptions {
  /** The model name as the client wrote it: Ollama echoes it. */
  model: string;
  clock: TurnClock;
  /** False when the client sent `think:false`: no `thinking` then. */
  showThinking: boolean;
}

export type OllamaChatLine = OllamaChatChunk | OllamaChatFinal | OllamaErrorLine;

export const INCOMPLETE_TURN_MESSAGE = "The backend's answer ended before it was complete.";

const NONE: never[] = [];

export function doneReason(reason: FinishReason): OllamaDoneReason {
  // Ollama has no tool_calls or content_filter reason: a turn that ends in tool calls is a "stop" there too.
  return reason === "length" ? "length" : "stop";
}

/** Ollama wants arguments as an object; the backend streams a JSON string. */
export function parseArguments(json: string): Record<string, unknown> {
  if (json.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(json);
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through: keep the text so nothing is lost silently
  }
  return { arguments: json };
}

export function toolCallOut(index: number, callId: string, name: string, args: string): OllamaToolCallOut {
  return { id: callId, function: { index, name, arguments: parseArguments(args) } };
}

export class OllamaChatStreamTranslator {
  private readonly thinking = new ThinkingJoiner();
  private ended = false;

  constructor(private readonly opts: OllamaStreamOptions) {}

  push(part: StreamPart): OllamaChatLine[] {
    if (this.ended) return NONE;
    this.opts.clock.observe(part);
    switch (part.type) {
      case "text-delta":
        return part.delta === "" ? NONE : [this.chunk({ role: "assistant", content: part.delta })];
      case "reasoning-delta": {
        if (!this.opts.showThinking || part.delta === "") return NONE;
        return [this.chunk({ role: "assistant", content: "", thinking: this.thinking.text(part) })];
      }
      case "tool-call-end":
        return [
          this.chunk({
            role: "assistant",
            content: "",
            tool_calls: [toolCallOut(part.index, part.callId, part.name, part.arguments)],
          }),
        ];
      case "finish": {
        this.ended = true;
        const final: OllamaChatFinal = {
          model: this.opts.model,
          created_at: new Date().toISOString(),
          message: { role: "assistant", content: "" },
          done: true,
          done_reason: doneReason(part.reason),
          ...this.opts.clock.metrics(part.usage),
        };
        return [final];
      }
      case "error":
        this.ended = true;
        return [{ error: part.message }];
      default:
        return NONE;
    }
  }

  /** After the parts ran out: an error line if the turn never reached a terminal part. */
  end(): OllamaChatLine[] {
    if (this.ended) return NONE;
    this.ended = true;
    return [{ error: INCOMPLETE_TURN_MESSAGE }];
  }

  private chunk(message: OllamaChatChunk["message"]): OllamaChatChunk {
    return { model: this.opts.model, created_at: new Date().toISOString(), message, done: false };
  }
}
