// `stop` sequences and a max output token budget, enforced at the relay: the backend rejects `max_output_tokens`
// and has no `stop`. The limiter sits between the normalizer and a dialect renderer and rewrites the part sequence:
//
// - Stop: visible text is held back only as far as it could be the beginning of a stop sequence (at most
//   longestStop-1 characters), so a sequence split over several deltas is still found. When one is found the text
//   before it is sent, then `finish {reason:"stop"}`, and `cut` becomes true: the caller aborts the upstream.
// - Max tokens: visible text is counted with the models' own tokenizer (o200k) as it streams, delta by delta
//   (StreamingTokenCounter, nothing buffered); the delta that crosses the budget is cut after the last token that
//   fits → `finish {reason:"length"}`. Only the answer text counts: reasoning is not visible output here and
//   tool-call arguments are never cut (half a JSON object helps nobody).
//
// A turn the limiter cuts never gets the backend's usage (it comes with the end of the response), so the limiter
// also counts what the model produced: the visible text it let through, the reasoning text and the tool calls
// (`outputUsage`). src/core/turn.ts adds the counted input and puts the usage on the cut finish.
// With nothing configured `active` is false and push() is a pass-through; callers on the hot path should check
// `active` and skip the limiter entirely.

import type { StreamPart } from "./stream-parts.ts";
import { StreamingTokenCounter } from "./streaming-token-counter.ts";
import { countTextTokens } from "./token-count.ts";

export interface OutputLimits {
  /** Stop sequences (empty strings are ignored). */
  stop?: string[];
  /** Budget of visible output tokens (o200k tokens of the answer text). */
  maxTokens?: number;
}

/** What the model produced up to the cut, counted by the relay. */
export interface CountedOutput {
  /** Visible text + reasoning text + tool calls. */
  outputTokens: number;
  /** The reasoning text the backend showed (summaries or raw); the hidden reasoning cannot be counted. */
  reasoningTokens: number;
}

const NONE: StreamPart[] = [];

export class OutputLimiter {
  /** False when no limit is configured: push() then returns [part] unchanged. */
  readonly active: boolean;
  private readonly stops: string[];
  private readonly longestStop: number;
  private readonly budget: number;
  /** Tokens of the visible text let through. */
  private readonly visible = new StreamingTokenCounter();
  /** The reasoning part being counted, and the tokens of the parts before it. */
  private reasoning = new StreamingTokenCounter();
  private reasoningPart = "";
  private reasoningBefore = 0;
  private toolTokens = 0;
  private held = "";
  private isCut = false;
  private ended = false;

  constructor(limits: OutputLimits = {}) {
    this.stops = (limits.stop ?? []).filter((s) => typeof s === "string" && s.length > 0);
    this.longestStop = this.stops.reduce((n, s) => Math.max(n, s.length), 0);
    const max = limits.maxTokens;
    this.budget = typeof max === "number" && Number.isFinite(max) && max >= 0 ? Math.floor(max) : Infinity;
    this.active = this.stops.length > 0 || this.budget !== Infinity;
  }

  /** True once the limiter ended the turn itself (stop sequence or budget); the caller should abort upstream. */
  get cut(): boolean {
    return this.isCut;
  }

  /** The output so far, counted with o200k (for the usage of a turn the limiter cut). */
  outputUsage(): CountedOutput {
    const reasoningTokens = this.reasoningBefore + this.reasoning.total;
    return { outputTokens: this.visible.total + reasoningTokens + this.toolTokens, reasoningTokens };
  }

  push(part: StreamPart): StreamPart[] {
    if (!this.active) return [part];
    if (this.ended) return NONE;
    switch (part.type) {
      case "text-delta":
        return this.text(part.delta);
      case "reasoning-delta":
        this.countReasoning(part);
        // Reasoning may interleave with held-back text; it does not end a text run.
        return [part];
      // A citation belongs to text already sent or held; it does not end a text run either.
      case "web-citation":
      case "reasoning-end":
      case "response-start":
        return [part];
      case "finish":
      case "error": {
        const out = this.flush();
        if (this.ended) return out; // the held text itself ran over the budget
        this.ended = true;
        out.push(part);
        return out;
      }
      default: {
        if (part.type === "tool-call-end") this.toolTokens += countTextTokens(part.name + part.arguments);
        // A tool call ends the text run: what was held back can no longer start a stop sequence.
        const out = this.flush();
        if (this.ended) return out;
        out.push(part);
        return out;
      }
    }
  }

  /** The part stream ended without a terminal part: release held-back text. */
  end(): StreamPart[] {
    if (!this.active || this.ended) return NONE;
    const out = this.flush();
    this.ended = true;
    return out;
  }

  private text(delta: string): StreamPart[] {
    const text = this.held === "" ? delta : this.held + delta;
    this.held = "";
    if (this.stops.length > 0) {
      const at = this.findStop(text);
      if (at >= 0) {
        const out = this.emit(text.slice(0, at));
        if (this.ended) return out;
        return this.cutWith(out, "stop", this.stopAt(text, at));
      }
      const keep = this.holdBack(text);
      if (keep > 0) {
        this.held = text.slice(text.length - keep);
        return this.emit(text.slice(0, text.length - keep));
      }
    }
    return this.emit(text);
  }

  /** Sends text within the budget; past the budget, sends what fits and finishes with "length". */
  private emit(text: string): StreamPart[] {
    if (text === "") return [];
    const kept = this.visible.pushWithin(text, this.budget);
    if (kept === text) return [{ type: "text-delta", delta: text }];
    const out: StreamPart[] = kept === "" ? [] : [{ type: "text-delta", delta: kept }];
    return this.cutWith(out, "length");
  }

  /** Reasoning parts (summary paragraphs) are separate texts, each counted on its own. */
  private countReasoning(part: Extract<StreamPart, { type: "reasoning-delta" }>): void {
    const key = `${part.kind}:${part.partIndex}`;
    if (key !== this.reasoningPart) {
      this.reasoningPart = key;
      this.reasoningBefore += this.reasoning.total;
      this.reasoning = new StreamingTokenCounter();
    }
    this.reasoning.push(part.delta);
  }

  private flush(): StreamPart[] {
    if (this.held === "") return [];
    const text = this.held;
    this.held = "";
    return this.emit(text);
  }

  private cutWith(out: StreamPart[], reason: "stop" | "length", stopSequence?: string): StreamPart[] {
    this.held = "";
    this.isCut = true;
    this.ended = true;
    out.push(
      stopSequence === undefined ? { type: "finish", reason } : { type: "finish", reason, stopSequence },
    );
    return out;
  }

  /** The stop sequence found at `at` (the longest, when several start there). */
  private stopAt(text: string, at: number): string {
    let best = "";
    for (const stop of this.stops) if (stop.length > best.length && text.startsWith(stop, at)) best = stop;
    return best;
  }

  private findStop(text: string): number {
    let best = -1;
    for (const stop of this.stops) {
      const i = text.indexOf(stop);
      if (i >= 0 && (best < 0 || i < best)) best = i;
    }
    return best;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some stop sequence. */
  private holdBack(text: string): number {
    const max = Math.min(this.longestStop - 1, text.length);
    for (let k = max; k > 0; k--) {
      const tail = text.slice(text.length - k);
      for (const stop of this.stops) {
        if (stop.length > k && stop.startsWith(tail)) return k;
      }
    }
    return 0;
  }
}
