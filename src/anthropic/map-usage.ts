// TurnUsage → Anthropic usage. The backend's input_tokens include the cached ones; Anthropic's input_tokens are
// the uncached part only, with the cached part in cache_read_input_tokens (the total prompt is their sum).
// The backend does not report cache writes: cache_creation_input_tokens is 0.

import type { TurnUsage } from "../core/stream-parts.ts";
import type { AnthropicUsage } from "./message-types.ts";

export function toAnthropicUsage(usage: TurnUsage): AnthropicUsage {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  return {
    input_tokens: usage.inputTokens - cached,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

export const ZERO_USAGE: AnthropicUsage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};
