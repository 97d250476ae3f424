// Ollama /api/chat and /api/generate bodies → an OpenAI chat request, which `toResponsesRequest` then turns into
// the backend's body. Converting to the OpenAI shape (instead of straight to Responses items) keeps the conversion
// rules (roles, images, tools, structured output, reasoning) in one place for every dialect.

import type {
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatTool,
} from "../openai/chat-request-schema.ts";
import { normalizeImageUrl } from "../openai/to-responses-input.ts";
import type { ReasoningEffort, ReasoningSummary } from "../responses/types.ts";
import type {
  OllamaChatRequest,
  OllamaGenerateRequest,
  OllamaMessage,
  OllamaOptions,
  OllamaTool,
  OllamaToolCallIn,
} from "./request-schemas.ts";

export interface OllamaConversionOptions {
  /** The model's lowest reasoning effort: what `think:false` asks for (the backend cannot switch reasoning off). */
  lowestEffort?: ReasoningEffort;
  /** REASONING_SUMMARY: when it is "none", an explicit `think` still gets a summary, since the client asked for it. */
  defaultSummary: ReasoningSummary;
}

type Think = OllamaChatRequest["think"];
type Format = OllamaChatRequest["format"];

export function ollamaChatToChatRequest(
  req: OllamaChatRequest,
  opts: OllamaConversionOptions,
): ChatCompletionRequest {
  return {
    model: req.model,
    messages: convertMessages(req.messages ?? []),
    stream: req.stream !== false,
    ...(req.tools && req.tools.length > 0 ? { tools: req.tools.map(convertTool) } : {}),
    ...formatFields(req.format),
    ...thinkFields(req.think, opts),
    ...optionFields(req.options),
  };
}

export function ollamaGenerateToChatRequest(
  req: OllamaGenerateRequest,
  opts: OllamaConversionOptions,
): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (req.system) messages.push({ role: "system", content: req.system });
  messages.push({ role: "user", content: userContent(req.prompt ?? "", req.images, "images") });
  return {
    model: req.model,
    messages,
    stream: req.stream !== false,
    ...formatFields(req.format),
    ...thinkFields(req.think, opts),
    ...optionFields(req.options),
  };
}

/** Whether the reply should carry `thinking`: Ollama sends none when the client said `think:false`. */
export function showsThinking(think: Think): boolean {
  return think !== false;
}

function thinkFields(think: Think, opts: OllamaConversionOptions): Partial<ChatCompletionRequest> {
  if (think === undefined || think === null) return {};
  if (think === false) {
    return { reasoning: { summary: "none", ...(opts.lowestEffort ? { effort: opts.lowestEffort } : {}) } };
  }
  const out: Partial<ChatCompletionRequest> = {};
  if (think !== true) out.reasoning_effort = think;
  // An explicit think asks to see the thinking, whatever REASONING_SUMMARY says.
  if (opts.defaultSummary === "none") out.reasoning = { summary: "auto" };
  return out;
}

function formatFields(format: Format): Partial<ChatCompletionRequest> {
  if (format === undefined || format === null || format === "") return {};
  if (format === "json") return { response_format: { type: "json_object" } };
  // strict:false — Ollama schemas (pydantic, zod-to-json-schema) rarely meet the backend's strict-mode rules
  // (every property required, additionalProperties:false), and a strict schema that breaks them is a 400.
  return {
    response_format: {
      type: "json_schema",
      json_schema: { name: "response", schema: format, strict: false },
    },
  };
}

function optionFields(options: OllamaOptions | null | undefined): Partial<ChatCompletionRequest> {
  if (!options) return {};
  const out: Partial<ChatCompletionRequest> = {};
  // -1 (unlimited) and -2 (fill the context) mean "no limit" at the relay.
  if (typeof options.num_predict === "number" && options.num_predict > 0)
    out.max_tokens = options.num_predict;
  const stop = typeof options.stop === "string" ? [options.stop] : options.stop;
  if (stop && stop.length > 0) out.stop = stop;
  return out;
}

function convertTool(tool: OllamaTool): ChatTool {
  const fn = tool.function;
  return {
    type: "function",
    function: {
      name: fn.name,
      ...(fn.description ? { description: fn.description } : {}),
      parameters: fn.parameters ?? { type: "object", properties: {} },
    },
  };
}

interface PendingCall {
  id: string;
  name: string;
}

/**
 * Converts the history. Ollama tool messages usually carry no call id: each is matched to an unanswered call of
 * the previous assistant turn — by `tool_call_id` when given, else by `tool_name`, else the oldest open call —
 * so the backend gets each function_call_output paired with its function_call. Ollama itself pairs nothing (a
 * model's template takes any history), so a result that answers no call in the history is kept as context
 * rather than refused.
 */
export function convertMessages(messages: OllamaMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let pending: PendingCall[] = [];
  /** Every call id of the history so far (a result may name a call of an earlier turn). */
  const seen = new Set<string>();
  messages.forEach((m, i) => {
    const content = m.content ?? "";
    switch (m.role) {
      case "system":
        out.push({ role: "system", content });
        break;
      case "user":
        out.push({ role: "user", content: userContent(content, m.images, `messages[${i}].images`) });
        break;
      case "assistant": {
        const calls = m.tool_calls ?? [];
        if (calls.length === 0) {
          out.push({ role: "assistant", content });
          break;
        }
        const toolCalls = calls.map((call, k) => toChatToolCall(call, `call_${i}_${k}`));
        pending = toolCalls.map((c) => ({ id: c.id, name: c.function.name }));
        for (const c of toolCalls) seen.add(c.id);
        out.push({ role: "assistant", content: content === "" ? null : content, tool_calls: toolCalls });
        break;
      }
      case "tool": {
        const match = takePending(pending, m, seen);
        if (match) {
          out.push({ role: "tool", tool_call_id: match.id, content });
        } else {
          // A result with no call to answer (the history was trimmed): keep it as context rather than send the
          // backend an orphan function_call_output, which it rejects.
          const label = m.tool_name ? `Result of tool ${m.tool_name}` : "Tool result";
          out.push({ role: "user", content: `${label}:\n${content}` });
        }
        break;
      }
    }
  });
  return out;
}

function takePending(
  pending: PendingCall[],
  m: OllamaMessage,
  seen: ReadonlySet<string>,
): PendingCall | undefined {
  let at = -1;
  if (m.tool_call_id) at = pending.findIndex((p) => p.id === m.tool_call_id);
  if (at < 0 && m.tool_name) at = pending.findIndex((p) => p.name === m.tool_name);
  if (at < 0 && !m.tool_call_id && pending.length > 0) at = 0;
  if (at < 0) {
    // A call of an earlier turn, named by its id, still pairs; an id the history does not show cannot (the
    // backend refuses a result without its call).
    return m.tool_call_id && seen.has(m.tool_call_id)
      ? { id: m.tool_call_id, name: m.tool_name ?? "" }
      : undefined;
  }
  return pending.splice(at, 1)[0];
}

function toChatToolCall(call: OllamaToolCallIn, fallbackId: string) {
  const args = call.function.arguments;
  return {
    id: call.id || fallbackId,
    type: "function" as const,
    function: {
      name: call.function.name,
      arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
    },
  };
}

function userContent(
  text: string,
  images: string[] | null | undefined,
  where: string,
): string | ChatContentPart[] {
  if (!images || images.length === 0) return text;
  const parts: ChatContentPart[] = [];
  if (text !== "") parts.push({ type: "text", text });
  images.forEach((image, j) =>
    parts.push({ type: "image_url", image_url: { url: imageUrl(image, `${where}[${j}]`) } }),
  );
  return parts;
}

/**
 * Ollama sends bare base64; the backend takes data URLs. URLs a client already formed pass. Checked here so that a
 * bad image is a 400 naming the Ollama field (`messages[1].images[0]`), not the converted request's.
 */
export function imageUrl(image: string, where: string): string {
  const trimmed = image.trim();
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  return normalizeImageUrl(
    /^data:/i.test(trimmed) ? trimmed : `data:${sniffImageType(trimmed)};base64,${trimmed}`,
    where,
  );
}

/** The MIME type from the first base64 characters (the file's magic bytes). */
export function sniffImageType(base64: string): string {
  if (base64.startsWith("iVBORw0KGgo")) return "image/png";
  if (base64.startsWith("/9j/")) return "image/jpeg";
  if (base64.startsWith("R0lGOD")) return "image/gif";
  if (base64.startsWith("UklGR")) return "image/webp";
  // Unknown: JPEG, the most common photo format.
  return "image/jpeg";
}
