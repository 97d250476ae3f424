// Collects a turn's parts into one result, for non-stream answers (OpenAI chat and legacy completions, Ollama).

import type { FinishReason, StreamPart, TurnUsage } from "./stream-parts.ts";

export interface CollectedToolCall {
  callId: string;
  name: string;
  /** The full JSON arguments string. */
  arguments: string;
}

export interface CollectedTurn {
  responseId: string | null;
  /** The model the backend reported in response.created, if any. */
  model: string | null;
  text: string;
  /** Reasoning summary, one string per summary part, in order. */
  reasoningSummary: string[];
  /** Raw reasoning text (parts separated by a blank line); "" when the backend sent none. */
  reasoningRaw: string;
  toolCalls: CollectedToolCall[];
  /** Web pages the answer cites; `start`/`end` index `text` when the backend gave the span. */
  citations?: { url: string; title: string; start?: number; end?: number }[];
  /** null when the turn ended without a finish part (then `error` is set, or the stream was cut short). */
  finishReason: FinishReason | null;
  usage?: TurnUsage;
  error?: { message: string; code?: string; errorType?: string };
}

interface CallBuffer {
  callId: string;
  name: string;
  args: string;
  ended: boolean;
}

export class TurnCollector {
  private responseId: string | null = null;
  private model: string | null = null;
  private readonly text: string[] = [];
  private readonly summary: string[] = [];
  private readonly raw: string[] = [];
  private rawIndex = -1;
  private readonly calls: CallBuffer[] = [];
  private readonly citations: NonNullable<CollectedTurn["citations"]> = [];
  private finishReason: FinishReason | null = null;
  private usage: TurnUsage | undefined;
  private error: CollectedTurn["error"];
  private terminal = false;

  push(part: StreamPart): void {
    if (this.terminal) return;
    switch (part.type) {
      case "response-start":
        this.responseId = part.responseId;
        if (part.model !== undefined) this.model = part.model;
        break;
      case "text-delta":
        this.text.push(part.delta);
        break;
      case "reasoning-delta":
        if (part.kind === "summary") {
          this.summary[part.partIndex] = (this.summary[part.partIndex] ?? "") + part.delta;
        } else {
          if (this.rawIndex >= 0 && part.partIndex !== this.rawIndex) this.raw.push("\n\n");
          this.rawIndex = part.partIndex;
          this.raw.push(part.delta);
        }
        break;
      case "tool-call-start":
        this.calls[part.index] = { callId: part.callId, name: part.name, args: "", ended: false };
        break;
      case "tool-call-delta": {
        const call = this.calls[part.index];
        if (call && !call.ended) call.args += part.argumentsDelta;
        break;
      }
      case "tool-call-end":
        this.calls[part.index] = { callId: part.callId, name: part.name, args: part.arguments, ended: true };
        break;
      case "web-citation": {
        const { type: _type, ...citation } = part;
        this.citations.push(citation);
        break;
      }
      case "finish":
        this.terminal = true;
        this.finishReason = part.reason;
        this.usage = part.usage;
        if (part.responseId !== undefined) this.responseId = part.responseId;
        break;
      case "error":
        this.terminal = true;
        this.error = { message: part.message };
        if (part.code !== undefined) this.error.code = part.code;
        if (part.errorType !== undefined) this.error.errorType = part.errorType;
        break;
    }
  }

  result(): CollectedTurn {
    const out: CollectedTurn = {
      responseId: this.responseId,
      model: this.model,
      text: this.text.join(""),
      reasoningSummary: this.summary.filter((s): s is string => typeof s === "string"),
      reasoningRaw: this.raw.join(""),
      toolCalls: this.calls
        .filter((c): c is CallBuffer => c !== undefined)
        .map((c) => ({ callId: c.callId, name: c.name, arguments: c.args })),
      citations: this.citations,
      finishReason: this.finishReason,
    };
    if (this.usage) out.usage = this.usage;
    if (this.error) out.error = this.error;
    return out;
  }
}

/** Reads every part (sync or async source) and returns the collected turn. */
export async function collectTurn(
  parts: Iterable<StreamPart> | AsyncIterable<StreamPart>,
): Promise<CollectedTurn> {
  const collector = new TurnCollector();
  for await (const part of parts) collector.push(part);
  return collector.result();
}
