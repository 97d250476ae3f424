// Prompt tokens of a Responses request body, counted locally with the GPT-5 tokenizer (o200k): for answers the
// backend cannot give (Anthropic's count_tokens, the size in a "prompt is too long" error). The count is additive —
// the sum over items and tools, plus a small fixed cost per item — and deterministic, because clients such as
// Claude Code's /context subtract a baseline request from each count. Images count a flat 765 tokens (a 1024×1024
// image at detail auto); files by their size.

import { countTextTokens } from "../core/token-count.ts";
import type { JsonObject, ResponsesRequestBody } from "./types.ts";

export const ITEM_OVERHEAD_TOKENS = 4;
export const IMAGE_TOKENS = 765;

export function countRequestTokens(
  body: Pick<ResponsesRequestBody, "input" | "tools" | "instructions">,
): number {
  let total = typeof body.instructions === "string" ? countTextTokens(body.instructions) : 0;
  for (const item of body.input) total += ITEM_OVERHEAD_TOKENS + itemTokens(item);
  for (const tool of body.tools ?? []) total += countTextTokens(JSON.stringify(tool));
  return total;
}

function itemTokens(item: JsonObject): number {
  switch (item.type) {
    case "message":
      return contentTokens(item.content);
    case "function_call":
      return countTextTokens(str(item.name)) + countTextTokens(str(item.arguments));
    case "function_call_output":
      return contentTokens(item.output);
    case "reasoning": {
      let n = 0;
      if (Array.isArray(item.summary))
        for (const s of item.summary) n += countTextTokens(str((s as JsonObject)?.text));
      return n;
    }
    default:
      return countTextTokens(JSON.stringify(item));
  }
}

function contentTokens(content: unknown): number {
  if (typeof content === "string") return countTextTokens(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const raw of content) {
    const part = raw as JsonObject;
    if (part === null || typeof part !== "object") continue;
    if (typeof part.text === "string") n += countTextTokens(part.text);
    else if (part.type === "input_image") n += IMAGE_TOKENS;
    else if (part.type === "input_file")
      n += Math.ceil((str(part.file_data) || str(part.file_url)).length / 8);
  }
  return n;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}
