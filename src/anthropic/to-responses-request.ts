// A validated Messages request → the body POSTed to the Codex backend, built like the other dialects' bodies
// (baseResponsesBody: store:false, stream:true, base instructions): the system texts as developer messages, then
// the converted messages, tools, reasoning and structured output. max_tokens and stop_sequences never leave the
// relay: the core's OutputLimiter enforces them (outputLimitsOf). Sampling parameters, metadata,
// context_management and cache_control are dropped.

import type { OutputLimits } from "../core/output-limiter.ts";
import type { ResponsesRequestBody } from "../responses/types.ts";
import { baseResponsesBody } from "../openai/to-responses-request.ts";
import { toTextFormat } from "../openai/to-text-format.ts";
import type { ReasoningChoice } from "./reasoning-options.ts";
import type { CountTokensRequest, MessagesRequest } from "./request-schema.ts";
import { systemTexts } from "./system-prompt.ts";
import { toResponsesInput, type OpenSignature } from "./to-responses-input.ts";
import { toResponsesToolChoice, toResponsesTools } from "./to-responses-tools.ts";

export interface AnthropicRequestContext {
  /** The backend model (after mapping and resolution). */
  model: string;
  instructions: string;
  instructionsMode: "developer" | "instructions";
  reasoning: ReasoningChoice;
  promptCacheKey: string;
  openSignature: OpenSignature;
}

export function toResponsesRequest(
  req: MessagesRequest | CountTokensRequest,
  ctx: AnthropicRequestContext,
): ResponsesRequestBody {
  const body = baseResponsesBody(ctx);
  for (const text of systemTexts(req.system)) {
    body.input.push({ type: "message", role: "developer", content: [{ type: "input_text", text }] });
  }
  for (const item of toResponsesInput(req.messages, ctx.openSignature)) body.input.push(item);

  if (req.tools && req.tools.length > 0) {
    const converted = toResponsesTools(req.tools);
    if (converted.tools.length > 0) {
      body.tools = converted.tools;
      body.parallel_tool_calls = true;
      if (req.tool_choice) {
        const choice = toResponsesToolChoice(req.tool_choice, converted);
        body.tool_choice = choice.toolChoice;
        if (choice.parallel === false) body.parallel_tool_calls = false;
      }
    }
  }

  const { effort, summary } = ctx.reasoning;
  if (effort === "none") body.reasoning = { effort };
  else {
    body.reasoning = summary === "none" ? { effort } : { effort, summary };
    body.include = ["reasoning.encrypted_content"];
  }

  const schema = req.output_config?.format?.schema;
  if (schema) {
    const format = toTextFormat({
      type: "json_schema",
      json_schema: { name: "output", schema, strict: false },
    });
    if (format) body.text = { format };
  }

  body.prompt_cache_key = ctx.promptCacheKey;
  return body;
}

/** max_tokens and stop_sequences, enforced by the relay. */
export function outputLimitsOf(req: MessagesRequest): OutputLimits {
  const limits: OutputLimits = { maxTokens: req.max_tokens };
  const stop = (req.stop_sequences ?? []).filter((s) => s !== "");
  if (stop.length > 0) limits.stop = stop;
  return limits;
}
