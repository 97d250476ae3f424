// A collected turn → one `chat.completion` object (non-stream answers). The caller checks `turn.error` first: a
// failed turn is answered with an error reply, not with a completion.

import type { ReasoningCompat } from "../config.ts";
import type { CollectedTurn } from "../core/collect-turn.ts";
import { toOpenAIFinishReason, type OpenAIFinishReason } from "./map-finish-reason.ts";
import { toOpenAIUsage, type OpenAIUsage } from "./map-usage.ts";
import { renderReasoningMessage } from "./reasoning-renderer.ts";

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ChatCompletionMessage {
  role: "assistant";
  content: string | null;
  refusal: null;
  tool_calls?: ChatToolCall[];
  reasoning_content?: string;
  reasoning_summary?: string;
  reasoning?: string | { content: { type: "text"; text: string }[] };
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: [{ index: 0; message: ChatCompletionMessage; logprobs: null; finish_reason: OpenAIFinishReason }];
  /** Absent when the relay cut the turn (stop / max tokens): the backend never reported usage then. */
  usage?: OpenAIUsage;
}

export interface ChatCompletionOptions {
  id: string;
  model: string;
  created: number;
  compat: ReasoningCompat;
}

export function buildChatCompletion(turn: CollectedTurn, options: ChatCompletionOptions): ChatCompletion {
  const rendered = renderReasoningMessage(
    options.compat,
    turn.reasoningSummary,
    turn.reasoningRaw,
    turn.text,
  );
  const hasCalls = turn.toolCalls.length > 0;
  const message: ChatCompletionMessage = {
    role: "assistant",
    content: rendered.content === "" && hasCalls ? null : rendered.content,
    refusal: null,
    ...rendered.fields,
  };
  if (hasCalls) {
    message.tool_calls = turn.toolCalls.map((c) => ({
      id: c.callId,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  const completion: ChatCompletion = {
    id: options.id,
    object: "chat.completion",
    created: options.created,
    model: options.model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: toOpenAIFinishReason(turn.finishReason, hasCalls) },
    ],
  };
  if (turn.usage) completion.usage = toOpenAIUsage(turn.usage);
  return completion;
}
