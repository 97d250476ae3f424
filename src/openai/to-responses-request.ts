// A validated chat request → the body POSTed to the Codex backend. Only what the backend accepts is sent: sampling
// parameters, max_tokens, stop, n, user and metadata never leave the relay (stop and max_tokens are enforced by
// the OutputLimiter instead, see outputLimitsOf).

import { hashToUuid } from "../core/hash.ts";
import type { OutputLimits } from "../core/output-limiter.ts";
import type {
  ReasoningEffort,
  ReasoningSummary,
  ResponsesInputItem,
  ResponsesRequestBody,
} from "../responses/types.ts";
import type { ChatCompletionRequest } from "./chat-request-schema.ts";
import { toResponsesInput } from "./to-responses-input.ts";
import { toResponsesToolChoice, toResponsesTools } from "./to-responses-tools.ts";
import { toTextFormat } from "./to-text-format.ts";

export interface ToResponsesRequestContext {
  /** The backend model (after alias / tag / suffix resolution). */
  model: string;
  /** Effort from the model name's suffix, if any. */
  effort?: ReasoningEffort;
  defaults: { effort: ReasoningEffort; summary: ReasoningSummary };
  /** The base instructions for the model. */
  instructions: string;
  /** "developer": a leading developer message (like the current Codex CLI); "instructions": the field. */
  instructionsMode: "developer" | "instructions";
  promptCacheKey: string;
}

/**
 * A request body with what every backend request carries (store:false, stream:true) and the base instructions,
 * as a leading developer message (like the current Codex CLI) or in the `instructions` field.
 */
export function baseResponsesBody(ctx: {
  model: string;
  instructions: string;
  instructionsMode: "developer" | "instructions";
}): ResponsesRequestBody {
  const input: ResponsesInputItem[] = [];
  const body: ResponsesRequestBody = { model: ctx.model, store: false, stream: true, input };
  if (ctx.instructionsMode === "instructions") body.instructions = ctx.instructions;
  else if (ctx.instructions !== "") {
    input.push({
      type: "message",
      role: "developer",
      content: [{ type: "input_text", text: ctx.instructions }],
    });
  }
  return body;
}

export function toResponsesRequest(
  req: ChatCompletionRequest,
  ctx: ToResponsesRequestContext,
): ResponsesRequestBody {
  const body = baseResponsesBody(ctx);
  for (const item of toResponsesInput(req.messages)) body.input.push(item);

  if (req.tools && req.tools.length > 0) {
    body.tools = toResponsesTools(req.tools);
    if (req.tool_choice) body.tool_choice = toResponsesToolChoice(req.tool_choice);
    body.parallel_tool_calls = req.parallel_tool_calls ?? true;
  }

  const effort = req.reasoning_effort ?? req.reasoning?.effort ?? ctx.effort ?? ctx.defaults.effort;
  const summary = req.reasoning?.summary ?? ctx.defaults.summary;
  if (effort === "none") {
    body.reasoning = { effort };
  } else {
    body.reasoning = summary === "none" ? { effort } : { effort, summary };
    body.include = ["reasoning.encrypted_content"];
  }

  const format = toTextFormat(req.response_format);
  if (req.verbosity || format) {
    body.text = {};
    if (req.verbosity) body.text.verbosity = req.verbosity;
    if (format) body.text.format = format;
  }

  body.prompt_cache_key = ctx.promptCacheKey;
  return body;
}

/** The limits the relay enforces itself: `stop` and `max_completion_tokens` (or the older `max_tokens`). */
export function outputLimitsOf(req: ChatCompletionRequest): OutputLimits {
  const limits: OutputLimits = {};
  const stop = typeof req.stop === "string" ? [req.stop] : (req.stop ?? []);
  if (stop.some((s) => s !== "")) limits.stop = stop.filter((s) => s !== "");
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (typeof max === "number") limits.maxTokens = max;
  return limits;
}

// ── conversation key ────────────────────────────────────────────────────────

/** Longest text prefix hashed: enough to tell conversations apart without hashing a 20 MB data URL. */
const HASH_LIMIT = 16_384;

/**
 * A stable key for the conversation: the same for every turn of it, so `prompt_cache_key` / `session-id` keep the
 * backend's prompt cache warm. From the client's `prompt_cache_key`, else its `user`, else the text of the first
 * system/developer message and the first user message (which do not change as the conversation grows).
 * Formatted as a UUID (version 8, "custom"); a collision only costs cache affinity.
 */
export function deriveConversationKey(req: ChatCompletionRequest): string {
  if (req.prompt_cache_key) return promptCacheKeyHash(req.prompt_cache_key);
  if (req.user) return hashToUuid("user\u0000" + req.user);
  let system = "";
  let user = "";
  for (const m of req.messages) {
    if (system === "" && (m.role === "system" || m.role === "developer")) system = messageText(m.content);
    if (user === "" && m.role === "user") user = messageText(m.content);
    if (system !== "" && user !== "") break;
  }
  return hashToUuid(`conversation\u0000${req.model}\u0000${system}\u0000${user}`);
}

/** The session key for a client's prompt_cache_key, as a UUID: safe in a header whatever the client sent. */
export function promptCacheKeyHash(key: string): string {
  return hashToUuid("prompt_cache_key\u0000" + key);
}

/**
 * A client's prompt_cache_key as the `session-id` header and body key: kept as it is when it is a short printable
 * ASCII value (the Codex CLI sends its conversation id), hashed otherwise — CR/LF, non-ASCII or a 20 KB value in a
 * header makes the request to the backend fail.
 */
export function sessionKeyForClientKey(key: string): string {
  return key.length <= 256 && /^[\x21-\x7e]+$/.test(key) ? key : promptCacheKeyHash(key);
}

function messageText(content: ChatCompletionRequest["messages"][number]["content"]): string {
  if (typeof content === "string") return content.slice(0, HASH_LIMIT);
  if (!Array.isArray(content)) return "";
  let out = "";
  for (const part of content) {
    if (out.length >= HASH_LIMIT) break;
    if (part.type === "image_url") {
      const url = typeof part.image_url === "string" ? part.image_url : part.image_url.url;
      // The tail of a data URL differs between images; its first bytes are mostly the same header.
      out += `[image ${url.length} ${url.slice(-64)}]`;
    } else if (part.type === "refusal") out += part.refusal;
    else out += part.text;
  }
  return out.slice(0, HASH_LIMIT);
}
