// Chat messages → Responses `input` items. System and developer messages all become `developer` messages, in place;
// user parts become input_text / input_image; assistant text becomes an output_text message followed by its
// function_call items; tool (and legacy function) results become function_call_output items. No item ids (the
// backend stores nothing with store:false and rejects references to ids it does not know).

import { invalidRequest } from "../core/errors.ts";
import { toolCallNotFound } from "../core/tool-call-pairing.ts";
import type { ResponsesContentPart, ResponsesInputItem } from "../responses/types.ts";
import type { ChatContentPart, ChatMessage } from "./chat-request-schema.ts";

type InputPart = Extract<ResponsesContentPart, { type: "input_text" | "input_image" }>;

export function toResponsesInput(messages: readonly ChatMessage[]): ResponsesInputItem[] {
  const items: ResponsesInputItem[] = [];
  /** Legacy function calls without ids: name → call ids waiting for their result. */
  const pendingLegacy = new Map<string, string[]>();
  let legacyCount = 0;
  /** Ids of the assistant tool calls so far: a tool message must answer one of them. */
  const callIds = new Set<string>();

  messages.forEach((msg, i) => {
    const where = `messages[${i}]`;
    switch (msg.role) {
      case "system":
      case "developer": {
        const content = inputParts(msg.content, where, "developer");
        if (content.length > 0) items.push({ type: "message", role: "developer", content });
        break;
      }
      case "user": {
        const content = inputParts(msg.content, where, "user");
        if (content.length > 0) items.push({ type: "message", role: "user", content });
        break;
      }
      case "assistant": {
        const text = stripThinking(assistantText(msg.content, where));
        if (text !== "")
          items.push({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });
        for (const call of msg.tool_calls ?? []) {
          callIds.add(call.id);
          items.push({
            type: "function_call",
            call_id: call.id,
            name: call.function.name,
            arguments: argumentsString(call.function.arguments),
          });
        }
        if (msg.function_call) {
          const callId = `call_legacy_${legacyCount++}`;
          const name = msg.function_call.name;
          const queue = pendingLegacy.get(name) ?? [];
          queue.push(callId);
          pendingLegacy.set(name, queue);
          items.push({
            type: "function_call",
            call_id: callId,
            name,
            arguments: argumentsString(msg.function_call.arguments),
          });
        }
        break;
      }
      case "tool": {
        const callId = msg.tool_call_id ?? "";
        if (!callIds.has(callId))
          throw toolCallNotFound(
            `${where}.tool_call_id`,
            `assistant tool call with id '${callId}'`,
            "tool message",
          );
        items.push({
          type: "function_call_output",
          call_id: callId,
          output: toolOutput(msg.content, where),
        });
        break;
      }
      case "function": {
        const name = msg.name ?? "";
        const callId = pendingLegacy.get(name)?.shift();
        if (callId === undefined) {
          throw toolCallNotFound(
            `${where}.name`,
            `unanswered assistant function_call named '${name}'`,
            "function message",
          );
        }
        items.push({ type: "function_call_output", call_id: callId, output: toolOutput(msg.content, where) });
        break;
      }
    }
  });
  return items;
}

function argumentsString(args: string | Record<string, unknown> | null | undefined): string {
  if (args === null || args === undefined) return "{}";
  return typeof args === "string" ? args : JSON.stringify(args);
}

function inputParts(content: ChatMessage["content"], where: string, role: string): InputPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content === "" ? [] : [{ type: "input_text", text: content }];
  const out: InputPart[] = [];
  content.forEach((part, j) => {
    const p = inputPart(part, `${where}.content[${j}]`, role);
    if (p) out.push(p);
  });
  return out;
}

function inputPart(part: ChatContentPart, where: string, role: string): InputPart | null {
  switch (part.type) {
    case "text":
    case "input_text":
    case "output_text":
      return part.text === "" ? null : { type: "input_text", text: part.text };
    case "image_url":
      return imagePart(part.image_url, `${where}.image_url`);
    case "refusal":
      throw invalidRequest(
        `${where}.type`,
        `Invalid value for '${where}.type': refusal parts are only allowed in assistant messages, not in ${role} messages.`,
      );
  }
}

function imagePart(image: string | { url: string; detail?: string | null }, where: string): InputPart {
  const url = typeof image === "string" ? image : image.url;
  const detail = typeof image === "string" ? undefined : (image.detail ?? undefined);
  const part: InputPart = { type: "input_image", image_url: normalizeImageUrl(url, where) };
  if (detail !== undefined) (part as { detail?: string }).detail = detail;
  return part;
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+)((?:;[a-z0-9._-]+=[^;,]*)*);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * https/http URLs pass unchanged (the backend fetches them; the relay never does). Data URLs must be
 * `data:image/<type>;base64,<payload>`: the payload is checked, url-safe base64 becomes standard base64 with padding,
 * whitespace is removed, and MIME parameters are dropped.
 */
export function normalizeImageUrl(url: string, where: string): string {
  const trimmed = url.trim();
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  if (!/^data:/i.test(trimmed)) {
    throw invalidRequest(
      where,
      `Invalid image URL in '${where}': use an https URL or a data URL (data:image/png;base64,...).`,
      "invalid_image_url",
    );
  }
  const m = DATA_URL.exec(trimmed);
  if (!m) {
    throw invalidRequest(
      where,
      `Invalid data URL in '${where}': expected data:image/<type>;base64,<data> (only base64-encoded images are supported).`,
      "invalid_image_url",
    );
  }
  const mime = (m[1] ?? "").toLowerCase();
  let payload = trimmed.slice(m[0].length);
  if (/[\s\-_%]/.test(payload)) {
    if (payload.includes("%")) {
      try {
        payload = decodeURIComponent(payload);
      } catch {
        // left as is: the check below reports it
      }
    }
    payload = payload.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  }
  const unpadded = payload.replace(/=+$/, "");
  if (
    unpadded.length === 0 ||
    unpadded.length % 4 === 1 ||
    !BASE64.test(payload) ||
    payload.length - unpadded.length > 2
  ) {
    throw invalidRequest(
      where,
      `Invalid data URL in '${where}': the image data is not valid base64.`,
      "invalid_image_url",
    );
  }
  const padded = unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4);
  return `data:${mime};base64,${padded}`;
}

function assistantText(content: ChatMessage["content"], where: string): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  let text = "";
  content.forEach((part, j) => {
    if (part.type === "image_url") {
      const p = `${where}.content[${j}].type`;
      throw invalidRequest(
        p,
        `Invalid value for '${p}': image_url parts are not allowed in assistant messages.`,
      );
    }
    text += part.type === "refusal" ? part.refusal : part.text;
  });
  return text;
}

/** Drops a leading <think>…</think> block that a think-tags client sent back as part of an earlier answer. */
export function stripThinking(text: string): string {
  if (!text.startsWith("<think>")) return text;
  const end = text.indexOf("</think>");
  if (end < 0) return text;
  return text.slice(end + "</think>".length).replace(/^\s+/, "");
}

/** A tool result: a string, or a list of content items when it holds images or several parts. */
function toolOutput(content: ChatMessage["content"], where: string): string | InputPart[] {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  const parts = inputParts(content, where, "tool");
  if (parts.length === 0) return "";
  const only = parts[0];
  if (parts.length === 1 && only && only.type === "input_text") return only.text;
  return parts;
}
