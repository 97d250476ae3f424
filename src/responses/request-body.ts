// The body of POST /v1/responses → the body sent to the Codex backend. A pass-through: everything the client sent
// is kept as sent (item ids, client_metadata, text, tools of any type, reasoning, include, prompt_cache_key, key
// order), except what the backend refuses or the relay must own:
//   - store:false and stream:true are forced (the backend rejects anything else);
//   - fields the backend rejects are dropped (DROPPED_FIELDS), previous_response_id is replaced by the replayed
//     items (see response-cache.ts);
//   - a string `input` becomes one user message; role-only items (`{role, content}`, the "easy input message" the
//     Vercel AI SDK sends) get `type:"message"` and string content becomes one text part;
//   - base instructions are added when the client gave none and its input does not already begin with developer
//     messages (the Codex CLI sends its own base prompt that way);
//   - reasoning defaults (REASONING_EFFORT / REASONING_SUMMARY, an effort suffix on the model name) fill in what the
//     client left out, and `include` gets "reasoning.encrypted_content" when reasoning is on.

import { invalidRequest } from "../core/errors.ts";
import { LOGPROBS_INCLUDE, logprobsUnsupported, rejectLogprobs } from "../core/logprobs.ts";
import type {
  JsonObject,
  ReasoningEffort,
  ReasoningSummary,
  ResponsesInputItem,
  ResponsesRequestBody,
} from "./types.ts";

/** Top-level fields the backend rejects or has no use for with store:false; dropped without a word. */
export const DROPPED_FIELDS: ReadonlySet<string> = new Set([
  "max_output_tokens",
  "temperature",
  "top_p",
  "metadata",
  "user",
  "truncation",
  "prompt_cache_retention",
  "safety_identifier",
  "max_tool_calls",
  "background",
  "top_logprobs",
  "stream_options",
  "previous_response_id",
  "generate",
]);

/** service_tier values the backend understands ("priority" is Codex's fast mode); others are dropped. */
const SERVICE_TIERS = new Set(["priority", "flex"]);

export const ENCRYPTED_REASONING = "reasoning.encrypted_content";

export interface ResponsesClientRequest {
  /** The body as the client sent it (checked to be an object). */
  body: JsonObject;
  model: string;
  /** The client asked for SSE. */
  stream: boolean;
  previousResponseId: string | null;
  /** The client's input, normalised to a list of items (not yet expanded with a previous response). */
  input: ResponsesInputItem[];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function wrongType(param: string, expected: string, value: unknown) {
  return invalidRequest(
    param,
    `Invalid type for '${param}': expected ${expected}, but got ${describe(value)}.`,
    "invalid_type",
  );
}

/** Validates what the relay itself reads; everything else is the backend's business. */
export function parseResponsesRequest(raw: unknown): ResponsesClientRequest {
  if (!isObject(raw))
    throw invalidRequest(
      null,
      `The request body must be a JSON object, not ${describe(raw)}.`,
      "invalid_type",
    );
  const model = raw.model;
  if (model === undefined || model === null || model === "") {
    throw invalidRequest("model", "Missing required parameter: 'model'.", "missing_required_parameter");
  }
  if (typeof model !== "string") throw wrongType("model", "a string", model);

  const stream = raw.stream;
  if (stream !== undefined && stream !== null && typeof stream !== "boolean")
    throw wrongType("stream", "a boolean", stream);

  const previous = raw.previous_response_id;
  if (previous !== undefined && previous !== null && (typeof previous !== "string" || previous === "")) {
    throw wrongType("previous_response_id", "a non-empty string", previous);
  }
  const previousResponseId = typeof previous === "string" ? previous : null;

  const instructions = raw.instructions;
  if (instructions !== undefined && instructions !== null && typeof instructions !== "string") {
    throw wrongType("instructions", "a string", instructions);
  }
  if (raw.tools !== undefined && raw.tools !== null) {
    if (!Array.isArray(raw.tools)) throw wrongType("tools", "an array", raw.tools);
    raw.tools.forEach(checkTool);
  }
  if (raw.include !== undefined && raw.include !== null && !Array.isArray(raw.include)) {
    throw wrongType("include", "an array", raw.include);
  }
  rejectLogprobs(raw);
  if (Array.isArray(raw.include) && raw.include.includes(LOGPROBS_INCLUDE))
    throw logprobsUnsupported("include");
  if (raw.reasoning !== undefined && raw.reasoning !== null && !isObject(raw.reasoning)) {
    throw wrongType("reasoning", "an object", raw.reasoning);
  }
  if (raw.conversation !== undefined && raw.conversation !== null) {
    throw invalidRequest(
      "conversation",
      "Unsupported parameter: 'conversation'. The ChatGPT backend stores nothing (store:false); send the history in 'input' or use 'previous_response_id'.",
      "unsupported_parameter",
    );
  }

  let input: ResponsesInputItem[];
  const rawInput = raw.input;
  if (rawInput === undefined || rawInput === null) {
    // With previous_response_id alone the turn just continues the stored conversation.
    if (previousResponseId === null)
      throw invalidRequest("input", "Missing required parameter: 'input'.", "missing_required_parameter");
    input = [];
  } else if (typeof rawInput === "string") {
    input = [userMessage(rawInput)];
  } else if (Array.isArray(rawInput)) {
    input = normalizeItems(rawInput);
  } else {
    throw wrongType("input", "a string or an array of items", rawInput);
  }

  return { body: raw, model, stream: stream === true, previousResponseId, input };
}

/** What the backend refuses in a tool, named the client's way (the backend's own 400 would name no param). */
function checkTool(tool: unknown, i: number): void {
  if (!isObject(tool)) throw wrongType(`tools[${i}]`, "an object", tool);
  if (typeof tool.type !== "string" || tool.type === "") {
    throw invalidRequest(
      `tools[${i}].type`,
      `Missing required parameter: 'tools[${i}].type'.`,
      "missing_required_parameter",
    );
  }
  if (
    (tool.type === "function" || tool.type === "custom") &&
    !(typeof tool.name === "string" && tool.name !== "")
  ) {
    throw invalidRequest(
      `tools[${i}].name`,
      `Missing required parameter: 'tools[${i}].name' (a ${tool.type} tool needs a name).`,
      "missing_required_parameter",
    );
  }
}

export function userMessage(text: string): ResponsesInputItem {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

/** Checks every item is an object and fills in what the backend needs; items already in shape are not copied. */
function normalizeItems(items: unknown[]): ResponsesInputItem[] {
  let out: ResponsesInputItem[] | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isObject(item)) throw wrongType(`input[${i}]`, "an object", item);
    const fixed = normalizeItem(item, i);
    if (fixed !== item && out === null) out = items.slice(0, i) as ResponsesInputItem[];
    if (out !== null) out.push(fixed);
  }
  return out ?? (items as ResponsesInputItem[]);
}

function normalizeItem(item: JsonObject, index: number): ResponsesInputItem {
  const type = item.type;
  if (type !== undefined && typeof type !== "string")
    throw wrongType(`input[${index}].type`, "a string", type);
  if (type !== undefined && type !== "message") return item as ResponsesInputItem;
  const role = item.role;
  if (typeof role !== "string") {
    throw invalidRequest(
      `input[${index}]`,
      `Invalid value for 'input[${index}]': an item needs a 'type', or a 'role' for a message.`,
      "invalid_value",
    );
  }
  const content = item.content;
  if (type === "message" && !(typeof content === "string")) return item as ResponsesInputItem;
  const fixed: JsonObject = { type: "message", ...item };
  if (typeof content === "string") {
    fixed.content = [{ type: role === "assistant" ? "output_text" : "input_text", text: content }];
  }
  return fixed as ResponsesInputItem;
}

export interface UpstreamBodyContext {
  /** The backend model (alias / tag / suffix resolved). */
  model: string;
  /** Effort from the model name's suffix. */
  effort?: ReasoningEffort;
  defaults: { effort: ReasoningEffort; summary: ReasoningSummary };
  /** Base instructions for the model. */
  instructions: string;
  instructionsMode: "developer" | "instructions";
  /** The items replayed from previous_response_id, already made replayable. */
  history?: ResponsesInputItem[];
  /** The client's input items after item_reference resolution (defaults to request.input). */
  input?: ResponsesInputItem[];
  /** Used as prompt_cache_key when the client sent none. */
  promptCacheKey: string;
}

export function toUpstreamBody(req: ResponsesClientRequest, ctx: UpstreamBodyContext): ResponsesRequestBody {
  const own = ctx.input ?? req.input;
  const input = ctx.history && ctx.history.length > 0 ? [...ctx.history, ...own] : own;
  const out: JsonObject = {};
  // Copy in the client's key order; the fields the relay owns are (re)set afterwards.
  for (const key of Object.keys(req.body)) {
    if (DROPPED_FIELDS.has(key)) continue;
    const value = req.body[key];
    if (key === "service_tier" && !(typeof value === "string" && SERVICE_TIERS.has(value))) continue;
    if (
      value === null &&
      (key === "instructions" ||
        key === "reasoning" ||
        key === "include" ||
        key === "tools" ||
        key === "text")
    ) {
      continue; // the backend's schema wants the field absent, not null
    }
    out[key] = value;
  }
  const body = out as ResponsesRequestBody;
  body.model = ctx.model;
  body.input = input;
  body.store = false;
  body.stream = true;

  if (typeof req.body.instructions !== "string" && !beginsWithDeveloper(input) && ctx.instructions !== "") {
    if (ctx.instructionsMode === "developer") {
      body.input = [
        { type: "message", role: "developer", content: [{ type: "input_text", text: ctx.instructions }] },
        ...input,
      ];
    } else {
      body.instructions = ctx.instructions;
    }
  }

  applyReasoning(body, req.body.reasoning, ctx);

  if (typeof body.prompt_cache_key !== "string" || body.prompt_cache_key === "")
    body.prompt_cache_key = ctx.promptCacheKey;
  return body;
}

/** The Codex CLI (and anything that owns its system prompt) starts the input with developer/system messages. */
export function beginsWithDeveloper(input: ResponsesInputItem[]): boolean {
  const first = input[0];
  return (
    first !== undefined && first.type === "message" && (first.role === "developer" || first.role === "system")
  );
}

function applyReasoning(body: ResponsesRequestBody, requested: unknown, ctx: UpstreamBodyContext): void {
  let reasoning: JsonObject | null;
  if (isObject(requested)) {
    // The client's object wins; only an effort from the model-name suffix fills a missing effort.
    reasoning =
      requested.effort === undefined && ctx.effort !== undefined
        ? { ...requested, effort: ctx.effort }
        : requested;
  } else if (requested === null && ctx.effort === undefined) {
    reasoning = null; // explicitly off
  } else {
    const effort = ctx.effort ?? ctx.defaults.effort;
    reasoning =
      effort === "none" || ctx.defaults.summary === "none"
        ? { effort }
        : { effort, summary: ctx.defaults.summary };
  }
  if (reasoning === null) {
    delete body.reasoning;
    return;
  }
  body.reasoning = reasoning as ResponsesRequestBody["reasoning"];
  if (reasoning.effort === "none") return;
  // Reasoning items must come back with their encrypted content: with store:false it is the only way to replay them.
  const include = Array.isArray(body.include) ? (body.include as unknown[]) : [];
  if (!include.includes(ENCRYPTED_REASONING)) body.include = [...(include as string[]), ENCRYPTED_REASONING];
}

/** Longest text prefix hashed for the session key (no need to hash a 20 MB data URL). */
const KEY_TEXT_LIMIT = 16_384;

/**
 * A stable session key for a conversation that brought no prompt_cache_key: from the first developer/system
 * message and the first user message, which stay the same as the conversation grows, so `session-id` and
 * `prompt_cache_key` keep the backend's prompt cache warm across turns.
 */
export function deriveSessionKey(
  model: string,
  input: ResponsesInputItem[],
  hash: (text: string) => string,
): string {
  let system = "";
  let user = "";
  for (const item of input) {
    if (item.type !== "message") continue;
    if (system === "" && (item.role === "developer" || item.role === "system")) system = itemText(item);
    else if (user === "" && item.role === "user") user = itemText(item);
    if (system !== "" && user !== "") break;
  }
  return hash(`responses\u0000${model}\u0000${system}\u0000${user}`);
}

function itemText(item: ResponsesInputItem): string {
  const content = item.content;
  if (typeof content === "string") return content.slice(0, KEY_TEXT_LIMIT);
  if (!Array.isArray(content)) return "";
  let out = "";
  for (const part of content) {
    if (out.length >= KEY_TEXT_LIMIT) break;
    if (!isObject(part)) continue;
    if (typeof part.text === "string") out += part.text;
    else if (typeof part.image_url === "string")
      out += `[image ${part.image_url.length} ${part.image_url.slice(-64)}]`;
  }
  return out.slice(0, KEY_TEXT_LIMIT);
}
