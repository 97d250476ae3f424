// A collected turn → one `text_completion` object (non-stream legacy completion).

import type { CollectedTurn } from "../core/collect-turn.ts";
import { toOpenAIUsage, type OpenAIUsage } from "./map-usage.ts";
import { toCompletionFinishReason, type CompletionChoice } from "./completions-stream.ts";

export interface TextCompletion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: OpenAIUsage;
}

export function buildTextCompletion(
  turn: CollectedTurn,
  meta: { id: string; model: string; created: number },
): TextCompletion {
  const out: TextCompletion = {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        text: turn.text,
        index: 0,
        logprobs: null,
        finish_reason: toCompletionFinishReason(turn.finishReason),
      },
    ],
  };
  if (turn.usage) out.usage = toOpenAIUsage(turn.usage);
  return out;
}
