// Counts o200k tokens of a text that arrives in pieces, without keeping the text: each delta is counted as it
// comes, and only the last two pre-tokens are kept, because they may still change when more text follows.
//
// Why that is exact: the tokenizer first splits text into pre-tokens with one regular expression (words with their
// leading space, runs of up to three digits, punctuation runs, whitespace runs) and runs BPE inside each pre-token
// on its own. Appending text can only change the split near the end: the last pre-token may grow ("12" → "123",
// "don" → "don't" via "don" "'" → "don't", "  " → " " + " b"), which touches at most the last two. So the count of
// all earlier pre-tokens is final and the total equals countTextTokens of the whole text
// (streaming-token-counter.test.ts checks that over random texts split at random places).
//
// `pushWithin` also enforces a budget: of a delta that would take the total past it, it keeps the longest prefix
// that ends on a token boundary within the budget (the tokens of the open tail + delta, cut after the last one that
// fits, decoded back to text).
//
// Counting is lazy: deltas are only appended to `pending` until the count is needed (`total` is read, the pending
// text reaches PENDING_LIMIT characters, or the budget could be crossed). Whether the budget could be crossed is
// decided without the tokenizer: every token covers at least one UTF-8 byte, so a text holds at most as many tokens
// as its UTF-8 length. Most answers that end on their
// own are then never counted (the backend's usage arrives instead), and the rest are counted in a few batches.

import { O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";
import { decode } from "gpt-tokenizer/encoding/o200k_base";
import { countTextTokens, encodeText } from "./token-count.ts";

// The tokenizer's own pre-token expression, as one private instance (exec with lastIndex, no iterator objects).
const SPLIT = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);

// Token counts of pre-tokens seen lately (words recur, and the open tail is counted again with every delta): a map
// lookup instead of a pass through the tokenizer. Bounded; emptied when full.
const PRE_TOKEN_CACHE_SIZE = 8192;
const MAX_CACHED_LENGTH = 64;
const preTokenCounts = new Map<string, number>();

// Text held uncounted is bounded, so a long answer is counted as it goes and never kept whole.
const PENDING_LIMIT = 16 * 1024;

/** An upper bound on the o200k tokens of `text`: its UTF-8 length (see the top of this file). */
function maxTokensOf(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // 2 bytes below U+0800; 3 for the rest of the BMP; a surrogate pair is 4 bytes for 2 units.
    if (c >= 0x80) bytes += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

function preTokenTokens(pre: string): number {
  if (pre.length > MAX_CACHED_LENGTH) return countTextTokens(pre);
  let n = preTokenCounts.get(pre);
  if (n === undefined) {
    n = countTextTokens(pre);
    if (preTokenCounts.size >= PRE_TOKEN_CACHE_SIZE) preTokenCounts.clear();
    preTokenCounts.set(pre, n);
  }
  return n;
}

export class StreamingTokenCounter {
  /** Tokens of the text before `open`: final. */
  private closedTokens = 0;
  /** The tail that may still re-split. */
  private open = "";
  /** Tokens of `open`, cached. */
  private openTokens = 0;
  /** Text pushed after `open`, not counted yet, and the most tokens it can hold (with `open`'s). */
  private pending = "";
  private maxUncounted = 0;

  /** Tokens of all the text pushed so far. */
  get total(): number {
    this.settle();
    return this.closedTokens + this.openTokens;
  }

  /** Adds `delta` (counted when the total is next needed). */
  push(delta: string): void {
    if (delta === "") return;
    this.add(delta, maxTokensOf(delta));
  }

  /**
   * Adds as much of `delta` as fits in `budget` tokens in total and returns it: all of `delta` when it fits, else
   * its longest prefix that ends on a token boundary (possibly ""). The counter then holds exactly what was kept.
   */
  pushWithin(delta: string, budget: number): string {
    if (delta === "") return delta;
    const most = maxTokensOf(delta);
    if (this.closedTokens + this.maxUncounted + most <= budget) {
      this.add(delta, most);
      return delta;
    }
    this.settle();
    if (this.closedTokens + this.maxUncounted + most <= budget) {
      this.add(delta, most);
      return delta;
    }
    const closedBefore = this.closedTokens;
    const openBefore = this.open;
    const text = openBefore + delta;
    this.append(text);
    if (this.total <= budget) return delta;
    // Over: cut the open tail + delta after the last whole token that keeps the total within the budget.
    const tokens = encodeText(text);
    for (let n = Math.min(budget - closedBefore, tokens.length); n > 0; n--) {
      const prefix = decode(tokens.slice(0, n));
      // A token may end inside a multi-byte character: then the decoded prefix is not a prefix of the text.
      if (prefix.length < openBefore.length || !text.startsWith(prefix)) continue;
      this.reset(closedBefore, prefix);
      if (this.total <= budget) return prefix.slice(openBefore.length);
    }
    // Not one more token fits; what was pushed before stays (it cannot be taken back).
    this.reset(closedBefore, openBefore);
    return "";
  }

  private add(delta: string, most: number): void {
    this.pending += delta;
    this.maxUncounted += most;
    if (this.pending.length >= PENDING_LIMIT) this.settle();
  }

  /** Counts the pending text. */
  private settle(): void {
    if (this.pending === "") return;
    const text = this.open + this.pending;
    this.pending = "";
    this.append(text);
  }

  private reset(closed: number, open: string): void {
    this.closedTokens = closed;
    this.open = "";
    this.openTokens = 0;
    this.append(open);
  }

  /**
   * Re-splits `text` (the open tail with new text appended) into pre-tokens, each counted on its own as the
   * tokenizer does; all but the last two become final (see the top of this file).
   */
  private append(text: string): void {
    // The last two pre-tokens so far (a before b): where they start in `text`, and their tokens.
    let aStart = -1;
    let aTokens = 0;
    let bStart = -1;
    let bTokens = 0;
    SPLIT.lastIndex = 0;
    for (let m = SPLIT.exec(text); m !== null; m = SPLIT.exec(text)) {
      if (aStart >= 0) this.closedTokens += aTokens;
      aStart = bStart;
      aTokens = bTokens;
      bStart = m.index;
      bTokens = preTokenTokens(m[0]);
    }
    const start = aStart >= 0 ? aStart : bStart >= 0 ? bStart : text.length;
    this.open = start === 0 ? text : text.slice(start);
    this.openTokens = aTokens + bTokens;
    this.maxUncounted = maxTokensOf(this.open);
  }
}
