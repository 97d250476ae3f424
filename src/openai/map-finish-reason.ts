// The chat `finish_reason` for a turn.

import type { FinishReason } from "../core/stream-parts.ts";

export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/**
 * The part's reason, except that a turn that made tool calls and then stopped normally reports "tool_calls": clients
 * run the tools only on that reason.
 */
export function toOpenAIFinishReason(
  reason: FinishReason | null | undefined,
  madeToolCalls: boolean,
): OpenAIFinishReason {
  const r = reason ?? "stop";
  return r === "stop" && madeToolCalls ? "tool_calls" : r;
}
