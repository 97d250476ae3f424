// `stop` sequences and a max output token budget, enforced at the relay: the backend rejects `max_output_tokens`
// and has no `stop`. The limiter sits between the normalizer and a dialect renderer and rewrites the part sequence:
//
// - Stop: visible text is held back only as far as it could be the beginning of a stop sequence (at most
//   longestStop-1 characters), so a sequence split over several deltas is still found. When one is found the text
//   before it is sent, then `finish {reason:"stop"}`, and `cut` becomes true: the caller aborts the upstream.
// - Max tokens: the relay cannot run the model's tokenizer, so it estimates tokens as ceil(characters / 4) of
//   visible text (UTF-16 code units, the usual rule of thumb for English). Only the answer text counts: reasoning is
//   not visible output here and tool-call arguments are never cut (half a JSON object helps nobody). The text is
//   cut exactly at 4 × maxTokens characters → `finish {reason:"length"}`.
//
// A cut finish carries no usage: the backend only reports usage at the end of a response that now never comes.
// With nothing configured `active` is false and push() is a pass-through; callers on the hot path should check
// `active` and skip the limiter entirely.

import type { StreamPart } from "./stream-parts.ts";

export interface OutputLimits {
  /** Stop sequences (empty strings are ignored). */
  stop?: string[];
  /** Budget of visible output tokens (estimated, see above). */
  maxTokens?: number;
}

/** Characters per estimated token. */
export const CHARS_PER_TOKEN = 4;

/** ceil(chars / 4): the relay's token estimate for visible text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

const NONE: StreamPart[] = [];

export class OutputLimiter {
  /** False when no limit is configured: push() then returns [part] unchanged. */
  readonly active: boolean;
  private readonly stops: string[];
  private readonly longestStop: number;
  private readonly budget: number;
  private emittedChars = 0;
  private held = "";
  private isCut = false;
  private ended = false;

  constructor(limits: OutputLimits = {}) {
    this.stops = (limits.stop ?? []).filter((s) => typeof s === "string" && s.length > 0);
    this.longestStop = this.stops.reduce((n, s) => Math.max(n, s.length), 0);
    const max = limits.maxTokens;
    this.budget =
      typeof max === "number" && Number.isFinite(max) && max >= 0
        ? Math.floor(max) * CHARS_PER_TOKEN
        : Infinity;
    this.active = this.stops.length > 0 || this.budget !== Infinity;
  }

  /** True once the limiter ended the turn itself (stop sequence or budget); the caller should abort upstream. */
  get cut(): boolean {
    return this.isCut;
  }

  push(part: StreamPart): StreamPart[] {
    if (!this.active) return [part];
    if (this.ended) return NONE;
    switch (part.type) {
      case "text-delta":
        return this.text(part.delta);
      case "reasoning-delta":
      case "response-start":
        // Reasoning may interleave with held-back text; it does not end a text run.
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
        return this.cutWith(out, "stop");
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
    const room = this.budget - this.emittedChars;
    if (text.length <= room) {
      this.emittedChars += text.length;
      return [{ type: "text-delta", delta: text }];
    }
    let n = room;
    // Never split a surrogate pair.
    if (n > 0 && isHighSurrogate(text.charCodeAt(n - 1))) n--;
    const out: StreamPart[] = [];
    if (n > 0) {
      this.emittedChars += n;
      out.push({ type: "text-delta", delta: text.slice(0, n) });
    }
    return this.cutWith(out, "length");
  }

  private flush(): StreamPart[] {
    if (this.held === "") return [];
    const text = this.held;
    this.held = "";
    return this.emit(text);
  }

  private cutWith(out: StreamPart[], reason: "stop" | "length"): StreamPart[] {
    this.held = "";
    this.isCut = true;
    this.ended = true;
    out.push({ type: "finish", reason });
    return out;
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

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
