// The body of POST /v1/messages (and /v1/messages/count_tokens), as Claude Code and the Anthropic SDKs send it.
// Unknown keys pass (ignored), so newer clients keep working; what the relay reads is checked, and a problem is a
// 400 naming the field ('messages[2].content[0].source.data'). Sampling parameters (temperature, top_p, top_k),
// context_management, cache_control, service_tier… are accepted and ignored: the backend rejects or lacks them.

import { z } from "zod";
import { invalidRequest } from "../core/errors.ts";
import { zodErrorToInvalidRequest } from "../core/validation.ts";

const CacheControl = z.looseObject({ type: z.string() }).nullish();

export const TextBlock = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  cache_control: CacheControl,
});

const ImageSource = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal("url"), url: z.string() }),
  z.looseObject({ type: z.literal("file"), file_id: z.string() }),
]);

const ImageBlock = z.looseObject({ type: z.literal("image"), source: ImageSource });

const DocumentSource = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal("text"), media_type: z.string().nullish(), data: z.string() }),
  z.looseObject({ type: z.literal("url"), url: z.string() }),
  z.looseObject({ type: z.literal("content"), content: z.union([z.string(), z.array(z.looseObject({}))]) }),
  z.looseObject({ type: z.literal("file"), file_id: z.string() }),
]);

const DocumentBlock = z.looseObject({
  type: z.literal("document"),
  source: DocumentSource,
  title: z.string().nullish(),
  context: z.string().nullish(),
});

const ToolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});

const ToolResultContentBlock = z
  .looseObject({ type: z.string() })
  .superRefine(refineType(["text", "image", "document", "search_result", "tool_reference"]))
  .pipe(
    z.union([
      TextBlock,
      ImageBlock,
      DocumentBlock,
      z.looseObject({ type: z.enum(["search_result", "tool_reference"]) }),
    ]),
  );

const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(ToolResultContentBlock)]).nullish(),
  is_error: z.boolean().nullish(),
});

const ThinkingBlock = z.looseObject({
  type: z.literal("thinking"),
  thinking: z.string(),
  signature: z.string().nullish(),
});

const RedactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

/** History blocks of Anthropic's server tools and rarer block types: accepted, not sent to the backend. */
export const IGNORED_BLOCK_TYPES = [
  "server_tool_use",
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "bash_code_execution_tool_result",
  "text_editor_code_execution_tool_result",
  "tool_search_tool_result",
  "mcp_tool_use",
  "mcp_tool_result",
  "container_upload",
  "search_result",
] as const;

const IgnoredBlock = z.looseObject({ type: z.enum(IGNORED_BLOCK_TYPES) });

const BLOCK_TYPES = [
  "text",
  "image",
  "document",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
  ...IGNORED_BLOCK_TYPES,
];

function refineType(allowed: readonly string[]) {
  const set = new Set(allowed);
  return (block: { type: string }, ctx: z.RefinementCtx) => {
    if (set.has(block.type)) return;
    ctx.addIssue({
      code: "custom",
      path: ["type"],
      message: `Invalid value for '{param}': '${block.type}' is not a supported content block type here; use one of ${allowed.join(", ")}.`,
    });
  };
}

export const ContentBlockSchema = z
  .looseObject({ type: z.string() })
  .superRefine(refineType(BLOCK_TYPES))
  .pipe(
    z.union([
      TextBlock,
      ImageBlock,
      DocumentBlock,
      ToolUseBlock,
      ToolResultBlock,
      ThinkingBlock,
      RedactedThinkingBlock,
      IgnoredBlock,
    ]),
  );

export type ContentBlock = z.output<typeof ContentBlockSchema>;
export type ImageBlockParam = z.output<typeof ImageBlock>;
export type DocumentBlockParam = z.output<typeof DocumentBlock>;
export type ToolResultBlockParam = z.output<typeof ToolResultBlock>;

export const MessageSchema = z.looseObject({
  // "system" inside messages: Claude Code's mid-conversation system messages (beta mid-conversation-system).
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(ContentBlockSchema)]),
});

export type MessageParam = z.output<typeof MessageSchema>;

const SystemSchema = z.union([z.string(), z.array(TextBlock)]);

const Tool = z.looseObject({
  // Absent (or "custom") for a client tool; a versioned type ("web_search_20250305") for a server tool.
  type: z.string().nullish(),
  name: z.string().min(1),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()).nullish(),
  defer_loading: z.boolean().nullish(),
  allowed_domains: z.array(z.string()).nullish(),
  user_location: z.record(z.string(), z.unknown()).nullish(),
});

export type ToolParam = z.output<typeof Tool>;

const ToolChoice = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().nullish() }),
  z.looseObject({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().nullish() }),
  z.looseObject({ type: z.literal("none") }),
  z.looseObject({
    type: z.literal("tool"),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().nullish(),
  }),
]);

export type ToolChoiceParam = z.output<typeof ToolChoice>;

const Thinking = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("enabled"),
    budget_tokens: z.number().int().min(0),
    display: z.string().nullish(),
  }),
  z.looseObject({ type: z.literal("disabled") }),
  z.looseObject({ type: z.literal("adaptive"), display: z.string().nullish() }),
  z.looseObject({ type: z.literal("between_tools"), display: z.string().nullish() }),
]);

export type ThinkingParam = z.output<typeof Thinking>;

export const ANTHROPIC_EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;

const OutputConfig = z.looseObject({
  effort: z.enum(ANTHROPIC_EFFORTS).nullish(),
  format: z
    .looseObject({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) })
    .nullish(),
});

const CountTokensShape = {
  model: z.string().trim().min(1),
  messages: z.array(MessageSchema),
  system: SystemSchema.nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  thinking: Thinking.nullish(),
  output_config: OutputConfig.nullish(),
};

export const CountTokensRequestSchema = z.looseObject(CountTokensShape);

export const MessagesRequestSchema = z.looseObject({
  ...CountTokensShape,
  max_tokens: z.number().int().min(1),
  stream: z.boolean().nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  // Accepted and ignored.
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  top_k: z.number().nullish(),
});

export type MessagesRequest = z.output<typeof MessagesRequestSchema>;
export type CountTokensRequest = z.output<typeof CountTokensRequestSchema>;

function parseWith<T>(schema: z.ZodType<T>, json: unknown): T {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw invalidRequest(null, "The request body must be a JSON object.");
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  throw zodErrorToInvalidRequest(result.error, json);
}

/** Validates a parsed POST /v1/messages body; throws a 400 naming the first problem. */
export function parseMessagesRequest(json: unknown): MessagesRequest {
  return parseWith(MessagesRequestSchema, json);
}

/** Validates a parsed POST /v1/messages/count_tokens body (no max_tokens, stream or metadata). */
export function parseCountTokensRequest(json: unknown): CountTokensRequest {
  return parseWith(CountTokensRequestSchema, json);
}
