// "What is new since the previous turn" on a WebSocket connection to the backend. The backend keeps the last
// response of a connection (its input and its output items) and accepts `previous_response_id` plus only the new
// items. Clients of chat completions, Ollama and Anthropic re-send the whole history every turn, so the relay
// compares: the incoming input must be the input it sent last, then the items the backend answered with (as the
// client renders them back), then the new items. Anything else (an edited history, other settings) → null, and the
// whole input goes out.

import type { JsonObject, ResponsesInputItem, ResponsesRequestBody } from "../responses/types.ts";

/** What the relay sent last on a connection, and what the backend answered. */
export interface ConnectionTurn {
  /** The body's fields other than the input, serialised (see turnSettings). */
  settings: string;
  /** The whole input of that turn (not the delta that went out). */
  input: ResponsesInputItem[];
  /** The items the backend produced (response.output_item.done). */
  output: ResponsesInputItem[];
  responseId: string;
}

/** Fields that may change between turns without breaking the continuation. */
const PER_TURN_FIELDS = new Set(["input", "client_metadata", "previous_response_id", "generate"]);

/** The request's settings as one string: an incremental turn needs them unchanged. */
export function turnSettings(body: ResponsesRequestBody): string {
  const rest: JsonObject = {};
  for (const key of Object.keys(body).sort()) if (!PER_TURN_FIELDS.has(key)) rest[key] = body[key];
  return JSON.stringify(rest);
}

/**
 * The new items of `body` after `previous`, or null when the body does not continue it. The input it sent last must
 * come first, unchanged; then the previous output items, each either matched by the client's rendering of it or,
 * for items clients cannot carry (reasoning, built-in tool calls), skipped; then at least one new item.
 */
export function incrementalItems(
  previous: ConnectionTurn,
  body: ResponsesRequestBody,
  settings = turnSettings(body),
): ResponsesInputItem[] | null {
  if (previous.responseId === "" || settings !== previous.settings) return null;
  const input = body.input;
  const sent = previous.input;
  if (input.length <= sent.length) return null;
  // Compared in place, value by value: a long history is walked once, with no serialisation and no copies.
  for (let i = 0; i < sent.length; i++) {
    const a = input[i]!;
    const b = sent[i]!;
    if (!sameJson(a, b) && !sameWithoutIds(a, b)) return null;
  }
  let i = sent.length;
  for (const produced of previous.output) {
    const next = input[i];
    if (next !== undefined && sameItem(produced, next)) i++;
    else if (!canBeOmitted(produced)) return null;
  }
  return i < input.length ? input.slice(i) : null;
}

/** Items a client's history may leave out: the backend still has them for the continuation. */
function canBeOmitted(item: ResponsesInputItem): boolean {
  switch (item.type) {
    case "message":
      // An assistant message with no text (a bare commentary frame) is dropped by text-only dialects.
      return messageText(item) === "";
    case "function_call":
    case "custom_tool_call":
    case "local_shell_call":
      return false;
    default:
      return true; // reasoning, web_search_call, image_generation_call, compaction, …
  }
}

/** Does the client's item `theirs` stand for the backend's output item `ours`? */
function sameItem(ours: ResponsesInputItem, theirs: ResponsesInputItem): boolean {
  const theirType = theirs.type ?? "message";
  if (theirType !== ours.type) return false;
  switch (ours.type) {
    case "message":
      return theirs.role === ours.role && messageText(theirs) === messageText(ours);
    case "function_call":
      return (
        theirs.call_id === ours.call_id && theirs.name === ours.name && theirs.arguments === ours.arguments
      );
    case "custom_tool_call":
      return theirs.call_id === ours.call_id && theirs.name === ours.name && theirs.input === ours.input;
    case "reasoning":
      return (
        (typeof ours.id === "string" && theirs.id === ours.id) ||
        (typeof ours.encrypted_content === "string" && theirs.encrypted_content === ours.encrypted_content)
      );
    default:
      return (typeof ours.id === "string" && theirs.id === ours.id) || sameJson(ours, theirs);
  }
}

function messageText(item: JsonObject): string {
  const content = item.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content as unknown[]) {
    if (part !== null && typeof part === "object" && typeof (part as JsonObject).text === "string") {
      text += (part as JsonObject).text as string;
    }
  }
  return text;
}

/**
 * The same input item, ids aside: a previous_response_id replayed by the relay's response cache comes back without
 * the item ids the backend never stored.
 */
function sameWithoutIds(a: JsonObject, b: JsonObject): boolean {
  if (!("id" in a) && !("id" in b)) return false;
  return sameJsonObject(a, b, "id");
}

/** Equal as JSON: what JSON.stringify of both would give, key order aside (undefined members count as absent). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      // JSON.stringify writes undefined array members as null.
      if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  return sameJsonObject(a as JsonObject, b as JsonObject);
}

function sameJsonObject(a: JsonObject, b: JsonObject, skip?: string): boolean {
  let keys = 0;
  for (const key in a) {
    if (key === skip || !Object.hasOwn(a, key)) continue;
    const value = a[key];
    if (value === undefined) continue;
    if (!sameJson(value, b[key])) return false;
    keys++;
  }
  for (const key in b) {
    if (key === skip || !Object.hasOwn(b, key)) continue;
    if (b[key] !== undefined) keys--;
  }
  return keys === 0;
}
