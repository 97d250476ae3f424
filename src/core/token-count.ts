// Token counts with the GPT-5 family's tokenizer (o200k_base), loaded once per process. Used where the backend's
// own figures cannot arrive (the relay ended the turn) and for answers computed locally (count_tokens).

import { countTokens, encode } from "gpt-tokenizer/encoding/o200k_base";

/** Tokens in `text` as the gpt-5.x models count them. Special-token text is counted as plain text. */
export function countTextTokens(text: string): number {
  if (text === "") return 0;
  return countTokens(text, { disallowedSpecial: new Set() });
}

/** The token ids of `text` (plain text, no special tokens). */
export function encodeText(text: string): number[] {
  return encode(text, { disallowedSpecial: new Set() });
}
