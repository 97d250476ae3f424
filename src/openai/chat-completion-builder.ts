// A collected turn → one `chat.completion` object (non-stream answers). The caller checks `turn.error` first: a
// failed turn is answered with an error reply, not with a completion.

import type { ReasoningCompat } from "../config.ts";
import type { CollectedTurn } from "../core/collect-turn.ts";
import { toOpenAIFinishReason, type OpenAIFinishReason } from "./map-finish-reason.ts";
import { toOpenAIUsage, type OpenAIUsage } from "./map-usage.ts";
import { renderReasoningMessage } from "./reasoning-renderer.ts";
import { urlCitation, type ChatUrlCitation } from "./chat-stream-translator.ts";

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
  /** url_citation annotations of a web search, indices into `content`. */
  annotations?: ChatUrlCitation[];
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
  const annotations = citations(turn, rendered.content);
  if (annotations.length > 0) message.annotations = annotations;
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

/** The turn's citations as annotations on `content`, which ends with the answer text (reasoning may precede it). */
function citations(turn: CollectedTurn, content: string): ChatUrlCitation[] {
  if (!turn.citations?.length || !content.endsWith(turn.text)) return [];
  const shift = content.length - turn.text.length;
  const out: ChatUrlCitation[] = [];
  for (const c of turn.citations) {
    const end = c.end ?? turn.text.length;
    const start = c.start ?? end;
    if (end > turn.text.length) continue; // the relay cut the answer before the cited span (stop, max_tokens)
    out.push(urlCitation(c.url, c.title, start + shift, end + shift));
  }
  return out;
}
