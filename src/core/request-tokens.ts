// The input tokens of a Responses request, counted by the relay with o200k: used when the relay ended a turn itself
// (stop / max tokens) and so never receives the backend's `usage`. Every dialect builds the same Responses request,
// so this one count serves them all.
//
// What is counted (the text the model reads; an estimate of the backend's figure, which also counts its own
// framing):
// - `instructions`;
// - every input item: message text parts, function calls (name + arguments), function and custom tool outputs,
//   reasoning summaries; other items (whose text the relay cannot know, e.g. encrypted reasoning) count nothing;
// - images: a flat IMAGE_TOKENS each (85 at detail "low"): the relay does not decode images to size them;
// - the declared tools, as their JSON text;
// - MESSAGE_OVERHEAD tokens per input item (role and delimiters) and REPLY_PRIMING for the start of the answer,
//   the figures of OpenAI's token-counting guide for chat models.
// The instructions are usually the same long base text for every request of a model: their count is cached.

import type { JsonObject, ResponsesRequestBody } from "../responses/types.ts";
import { countTextTokens } from "./token-count.ts";

/** An image at detail "high"/"auto": OpenAI's figure for a 1024×1024 image (85 base + 4 tiles × 170). */
export const IMAGE_TOKENS = 765;
export const LOW_DETAIL_IMAGE_TOKENS = 85;
export const MESSAGE_OVERHEAD = 3;
export const REPLY_PRIMING = 3;

const INSTRUCTIONS_CACHE_SIZE = 16;
const instructionsCache = new Map<string, number>();

function instructionsTokens(text: string): number {
  let n = instructionsCache.get(text);
  if (n === undefined) {
    n = countTextTokens(text);
    if (instructionsCache.size >= INSTRUCTIONS_CACHE_SIZE) {
      instructionsCache.delete(instructionsCache.keys().next().value as string);
    }
    instructionsCache.set(text, n);
  }
  return n;
}

export function countRequestTokens(body: ResponsesRequestBody): number {
  let n = REPLY_PRIMING;
  if (typeof body.instructions === "string") n += instructionsTokens(body.instructions);
  for (const item of body.input) n += MESSAGE_OVERHEAD + itemTokens(item);
  if (Array.isArray(body.tools) && body.tools.length > 0) n += countTextTokens(JSON.stringify(body.tools));
  return n;
}

function itemTokens(item: JsonObject): number {
  switch (item.type) {
    case "message":
      return contentTokens(item.content);
    case "function_call":
    case "custom_tool_call":
      return text(item.name) + text(item.arguments) + text(item.input);
    case "function_call_output":
    case "custom_tool_call_output":
      return contentTokens(item.output);
    case "reasoning":
      return Array.isArray(item.summary) ? item.summary.reduce((n: number, s) => n + partTokens(s), 0) : 0;
    default:
      return 0;
  }
}

function contentTokens(content: unknown): number {
  if (typeof content === "string") return countTextTokens(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) n += partTokens(part);
  return n;
}

function partTokens(part: unknown): number {
  if (part === null || typeof part !== "object") return 0;
  const p = part as JsonObject;
  if (p.type === "input_image") return p.detail === "low" ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKENS;
  return text(p.text);
}

function text(value: unknown): number {
  return typeof value === "string" ? countTextTokens(value) : 0;
}
