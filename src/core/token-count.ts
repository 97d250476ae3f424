// Token counts with the GPT-5 family's tokenizer (o200k_base), loaded once per process. Used where the backend's
// own figures cannot arrive (the relay ended the turn) and for answers computed locally (count_tokens).

import { countTokens, encode } from "gpt-tokenizer/encoding/o200k_base";

// Special-token text ("<|endoftext|>") is counted as plain text. Passing options makes the tokenizer build its
// special-token matcher again on every call (slow on the per-delta hot path), so they are passed only when the
// text could contain a special token at all: every one starts with "<|".
const PLAIN = { disallowedSpecial: new Set<string>() };

/** Tokens in `text` as the gpt-5.x models count them. Special-token text is counted as plain text. */
export function countTextTokens(text: string): number {
  if (text === "") return 0;
  return text.includes("<|") ? countTokens(text, PLAIN) : countTokens(text);
}

/** The token ids of `text` (plain text, no special tokens). */
export function encodeText(text: string): number[] {
  return text.includes("<|") ? encode(text, PLAIN) : encode(text);
}
