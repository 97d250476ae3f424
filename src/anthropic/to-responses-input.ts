// Anthropic `messages` → Responses `input` items, in order:
//   user text / image / document blocks   → a user message (input_text / input_image / input_file parts);
//   tool_result                            → function_call_output (the user text around it stays in order);
//   assistant text                         → an assistant message (output_text);
//   assistant tool_use                     → function_call (call_id = the tool_use id, arguments = JSON of input);
//   assistant thinking with a relay-made signature → the reasoning item it carries (encrypted_content); any other
//                                            thinking and redacted_thinking are dropped (see thinking-signature.ts);
//   role "system" (mid-conversation)       → a developer message in place (never dropped: Claude Code relies on it).
// cache_control, citations and other annotations are not carried over; neither are server-tool blocks
// (server_tool_use, web_search_tool_result …): the backend cannot take back a search it did not store, and the
// answer text that used the results goes back as it is.

import { invalidRequest } from "../core/errors.ts";
import { toolCallNotFound } from "../core/tool-call-pairing.ts";
import type { JsonObject, ResponsesInputItem } from "../responses/types.ts";
import { normalizeImageUrl } from "../openai/to-responses-input.ts";
import type {
  ContentBlock,
  DocumentBlockParam,
  ImageBlockParam,
  MessageParam,
  ToolResultBlockParam,
} from "./request-schema.ts";

type Part = JsonObject & { type: string };

/** Opens a thinking signature: the encrypted reasoning it carries, or null when the relay did not make it. */
export type OpenSignature = (signature: unknown) => string | null;

export function toResponsesInput(
  messages: readonly MessageParam[],
  openSignature: OpenSignature,
): ResponsesInputItem[] {
  const items: ResponsesInputItem[] = [];
  /** Ids of the tool_use blocks so far: a tool_result must answer one of them. */
  const toolUseIds = new Set<string>();
  messages.forEach((message, i) => {
    const where = `messages[${i}].content`;
    const blocks: ContentBlock[] =
      typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    if (message.role === "assistant") assistantItems(blocks, where, openSignature, items, toolUseIds);
    else if (message.role === "system") systemItem(blocks, items);
    else userItems(blocks, where, items, toolUseIds);
  });
  return items;
}

function userItems(
  blocks: ContentBlock[],
  where: string,
  items: ResponsesInputItem[],
  toolUseIds: ReadonlySet<string>,
): void {
  let parts: Part[] = [];
  const flush = () => {
    if (parts.length > 0) items.push({ type: "message", role: "user", content: parts });
    parts = [];
  };
  blocks.forEach((block, j) => {
    const at = `${where}[${j}]`;
    switch (block.type) {
      case "text":
        if (block.text !== "") parts.push({ type: "input_text", text: block.text });
        break;
      case "image":
        parts.push(imagePart(block, at));
        break;
      case "document":
        parts.push(...documentParts(block, at));
        break;
      case "tool_result":
        if (!toolUseIds.has(block.tool_use_id)) {
          throw toolCallNotFound(
            `${at}.tool_use_id`,
            `tool_use block with id '${block.tool_use_id}'`,
            "tool_result block",
          );
        }
        flush();
        items.push({
          type: "function_call_output",
          call_id: block.tool_use_id,
          output: toolOutput(block, at),
        });
        break;
      case "tool_use":
      case "thinking":
      case "redacted_thinking":
        throw invalidRequest(
          `${at}.type`,
          `Invalid value for '${at}.type': '${block.type}' blocks are only allowed in assistant messages.`,
        );
      default:
        break; // server-tool history and rare blocks: not sent
    }
  });
  flush();
}

function assistantItems(
  blocks: ContentBlock[],
  where: string,
  openSignature: OpenSignature,
  items: ResponsesInputItem[],
  toolUseIds: Set<string>,
): void {
  let text = "";
  const flush = () => {
    if (text !== "")
      items.push({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });
    text = "";
  };
  blocks.forEach((block, j) => {
    const at = `${where}[${j}]`;
    switch (block.type) {
      case "text":
        text += block.text;
        break;
      case "tool_use":
        flush();
        toolUseIds.add(block.id);
        items.push({
          type: "function_call",
          call_id: block.id,
          name: block.name,
          arguments: JSON.stringify(block.input ?? {}),
        });
        break;
      case "thinking": {
        const encrypted = openSignature(block.signature);
        if (encrypted === null) break;
        flush();
        items.push({
          type: "reasoning",
          summary: block.thinking === "" ? [] : [{ type: "summary_text", text: block.thinking }],
          encrypted_content: encrypted,
        });
        break;
      }
      case "image":
      case "document":
      case "tool_result":
        throw invalidRequest(
          `${at}.type`,
          `Invalid value for '${at}.type': '${block.type}' blocks are not allowed in assistant messages.`,
        );
      default:
        break; // redacted_thinking (Anthropic's, unusable here) and server-tool history
    }
  });
  flush();
}

function systemItem(blocks: ContentBlock[], items: ResponsesInputItem[]): void {
  const parts: Part[] = [];
  for (const block of blocks) {
    if (block.type === "text" && block.text !== "") parts.push({ type: "input_text", text: block.text });
  }
  if (parts.length > 0) items.push({ type: "message", role: "developer", content: parts });
}

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

function imagePart(block: ImageBlockParam, at: string): Part {
  const source = block.source;
  if (source.type === "url")
    return { type: "input_image", image_url: normalizeImageUrl(source.url, `${at}.source.url`) };
  if (source.type === "file") throw filesUnsupported(`${at}.source`);
  const mediaType = source.media_type.toLowerCase();
  if (!IMAGE_TYPES.has(mediaType)) {
    throw invalidRequest(
      `${at}.source.media_type`,
      `Invalid value for '${at}.source.media_type': '${source.media_type}' is not one of image/jpeg, image/png, image/gif, image/webp.`,
    );
  }
  const url = `data:${mediaType};base64,${source.data}`;
  return { type: "input_image", image_url: normalizeImageUrl(url, `${at}.source.data`) };
}

function documentParts(block: DocumentBlockParam, at: string): Part[] {
  const source = block.source;
  const title = typeof block.title === "string" && block.title !== "" ? block.title : null;
  const heading = title === null ? "" : `${title}\n\n`;
  switch (source.type) {
    case "text":
      return [{ type: "input_text", text: heading + source.data }];
    case "content": {
      const text =
        typeof source.content === "string"
          ? source.content
          : source.content
              .map((b) => (b.type === "text" && typeof b.text === "string" ? b.text : ""))
              .filter((t) => t !== "")
              .join("\n\n");
      return [{ type: "input_text", text: heading + text }];
    }
    case "base64":
      if (source.media_type.toLowerCase() !== "application/pdf") {
        throw invalidRequest(
          `${at}.source.media_type`,
          `Invalid value for '${at}.source.media_type': '${source.media_type}' is not supported; base64 documents must be application/pdf (send text as a text source).`,
        );
      }
      return [
        {
          type: "input_file",
          filename: title ?? "document.pdf",
          file_data: `data:application/pdf;base64,${source.data}`,
        },
      ];
    case "url":
      return [{ type: "input_file", file_url: source.url }];
    case "file":
      throw filesUnsupported(`${at}.source`);
  }
}

function filesUnsupported(param: string) {
  return invalidRequest(
    param,
    `Invalid value for '${param}': file sources (the Files API) are not supported by codex-relay; send the content as base64 or a URL.`,
  );
}

/** A tool result: a string, or a list of parts when it holds images or documents. */
function toolOutput(block: ToolResultBlockParam, at: string): string | Part[] {
  const error = block.is_error === true;
  const content = block.content;
  if (content === null || content === undefined) return error ? "Error" : "";
  if (typeof content === "string") return error ? errorText(content) : content;
  const parts: Part[] = [];
  content.forEach((item, k) => {
    const where = `${at}.content[${k}]`;
    if (item.type === "text") {
      if (typeof item.text === "string" && item.text !== "")
        parts.push({ type: "input_text", text: item.text });
    } else if (item.type === "image") parts.push(imagePart(item as ImageBlockParam, where));
    else if (item.type === "document") parts.push(...documentParts(item as DocumentBlockParam, where));
    else if (item.type === "tool_reference") {
      const name = (item as { tool_name?: unknown }).tool_name;
      parts.push({ type: "input_text", text: `Tool loaded: ${typeof name === "string" ? name : "?"}` });
    } else parts.push({ type: "input_text", text: JSON.stringify(item) });
  });
  const first = parts[0];
  if (parts.length === 0) return error ? "Error" : "";
  if (parts.length === 1 && first?.type === "input_text") {
    const text = String(first.text);
    return error ? errorText(text) : text;
  }
  if (error) parts.unshift({ type: "input_text", text: "Error:" });
  return parts;
}

function errorText(text: string): string {
  return /^error\b/i.test(text) ? text : `Error: ${text}`;
}
