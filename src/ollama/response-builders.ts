// Non-stream Ollama answers (`stream:false`): the whole turn in one object, the same fields as a stream's final
// object plus the collected message. Also the "load" answers Ollama gives to a request without messages or
// prompt (clients use it to preload a model).

import type { CollectedTurn } from "../core/collect-turn.ts";
import type { StreamPart } from "../core/stream-parts.ts";
import { TurnCollector } from "../core/collect-turn.ts";
import type { OllamaAssistantMessage, OllamaChatFinal, OllamaGenerateFinal } from "./ollama-types.ts";
import { doneReason, toolCallOut } from "./ndjson-chat-translator.ts";
import type { TurnClock } from "./turn-clock.ts";

export interface OllamaBuildOptions {
  model: string;
  clock: TurnClock;
  showThinking: boolean;
}

/** Reads the whole turn, timing it; the result says whether it failed. */
export async function collectTimedTurn(
  parts: AsyncIterable<StreamPart>,
  clock: TurnClock,
): Promise<CollectedTurn> {
  const collector = new TurnCollector();
  for await (const part of parts) {
    clock.observe(part);
    collector.push(part);
  }
  return collector.result();
}

function thinkingOf(turn: CollectedTurn): string {
  const summary = turn.reasoningSummary.filter((s) => s !== "").join("\n\n");
  if (turn.reasoningRaw === "") return summary;
  return summary === "" ? turn.reasoningRaw : `${summary}\n\n${turn.reasoningRaw}`;
}

export function buildChatResponse(turn: CollectedTurn, opts: OllamaBuildOptions): OllamaChatFinal {
  const message: OllamaAssistantMessage = { role: "assistant", content: turn.text };
  const thinking = opts.showThinking ? thinkingOf(turn) : "";
  if (thinking !== "") message.thinking = thinking;
  if (turn.toolCalls.length > 0) {
    message.tool_calls = turn.toolCalls.map((c, i) => toolCallOut(i, c.callId, c.name, c.arguments));
  }
  return {
    model: opts.model,
    created_at: new Date().toISOString(),
    message,
    done: true,
    done_reason: doneReason(turn.finishReason ?? "stop"),
    ...opts.clock.metrics(turn.usage),
  };
}

export function buildGenerateResponse(turn: CollectedTurn, opts: OllamaBuildOptions): OllamaGenerateFinal {
  const out: OllamaGenerateFinal = {
    model: opts.model,
    created_at: new Date().toISOString(),
    response: turn.text,
    done: true,
    done_reason: doneReason(turn.finishReason ?? "stop"),
    context: [],
    ...opts.clock.metrics(turn.usage),
  };
  const thinking = opts.showThinking ? thinkingOf(turn) : "";
  if (thinking !== "") out.thinking = thinking;
  return out;
}

/** Ollama's answer to /api/chat with no messages: the model is "loaded" (here: nothing to do). */
export function chatLoadResponse(model: string): OllamaChatFinal {
  return {
    model,
    created_at: new Date().toISOString(),
    message: { role: "assistant", content: "" },
    done: true,
    done_reason: "load",
  };
}

/** Ollama's answer to /api/generate with an empty prompt. */
export function generateLoadResponse(model: string): OllamaGenerateFinal {
  return { model, created_at: new Date().toISOString(), response: "", done: true, done_reason: "load" };
}
