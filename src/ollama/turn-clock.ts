// The timing and token fields of Ollama's final object, measured by the relay while the turn's parts pass by.
// Ollama's phases map onto a remote turn as: load = until the backend accepted the request (connection, auth,
// queueing), prompt eval = from there to the first output (the backend reading the prompt), eval = first output
// to the end. Durations are nanoseconds, as in Ollama. Counts come from the turn's usage.

import type { StreamPart, TurnUsage } from "../core/stream-parts.ts";

export interface OllamaMetrics {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

const NS_PER_MS = 1_000_000;

function ns(ms: number): number {
  return Math.max(0, Math.round(ms * NS_PER_MS));
}

export class TurnClock {
  private accepted: number | undefined;
  private firstOutput: number | undefined;

  /** `startedAt`: performance.now() when the request arrived. */
  constructor(
    private readonly startedAt: number = performance.now(),
    private readonly now: () => number = () => performance.now(),
  ) {}

  observe(part: StreamPart): void {
    switch (part.type) {
      case "response-start":
        this.accepted ??= this.now();
        break;
      case "text-delta":
      case "reasoning-delta":
      case "tool-call-start":
        this.firstOutput ??= this.now();
        break;
      default:
        break;
    }
  }

  /** The metrics at this moment: call it when the terminal part arrives. */
  metrics(usage: TurnUsage | undefined): OllamaMetrics {
    const end = this.now();
    const accepted = this.accepted ?? end;
    const first = this.firstOutput ?? end;
    return {
      total_duration: ns(end - this.startedAt),
      load_duration: ns(accepted - this.startedAt),
      prompt_eval_count: usage?.inputTokens ?? 0,
      prompt_eval_duration: ns(first - accepted),
      // A turn cut by num_predict or a stop sequence carries the usage the relay counted (src/core/turn.ts).
      eval_count: usage?.outputTokens ?? 0,
      eval_duration: ns(end - first),
    };
  }
}

/**
 * Joins reasoning deltas into one `thinking` text: summary paragraphs (and raw reasoning parts) are separated by a
 * blank line, as ChatGPT shows them.
 */
export class ThinkingJoiner {
  private lastSummary = -1;
  private lastRaw = -1;

  text(part: Extract<StreamPart, { type: "reasoning-delta" }>): string {
    const last = part.kind === "summary" ? this.lastSummary : this.lastRaw;
    const sep = last >= 0 && last !== part.partIndex ? "\n\n" : "";
    if (part.kind === "summary") this.lastSummary = part.partIndex;
    else this.lastRaw = part.partIndex;
    return sep + part.delta;
  }
}
