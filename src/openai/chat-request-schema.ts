// The body of POST /v1/chat/completions, as real clients send it (openai SDKs, Vercel AI SDK, LangChain, Open WebUI,
// Cline, Continue, LiteLLM). Unknown keys pass (ignored); parameters the backend has no use for are accepted and
// ignored; what the relay cannot honour (n > 1, audio or file parts) is a 400 naming the field.

import { z } from "zod";
import { REASONING_COMPATS, type ReasoningCompat } from "../config.ts";
import { invalidRequest } from "../core/errors.ts";
import { zodErrorToInvalidRequest } from "../core/validation.ts";
import { rejectLogprobs } from "../core/logprobs.ts";

export const CHAT_ROLES = ["system", "developer", "user", "assistant", "tool", "function"] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

const EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;

const TEXT_PART_TYPES = ["text", "input_text", "output_text"] as const;

const TextPart = z.looseObject({ type: z.enum(TEXT_PART_TYPES), text: z.string() });

const ImageUrl = z.union([z.string(), z.looseObject({ url: z.string(), detail: z.string().nullish() })]);

const ImagePart = z.looseObject({ type: z.literal("image_url"), image_url: ImageUrl });

const RefusalPart = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

const KNOWN_PART_TYPES = new Set<string>([...TEXT_PART_TYPES, "image_url", "refusal"]);

/** Part types that exist in the OpenAI API but that the backend cannot take through this relay. */
const UNSUPPORTED_PART_TYPES = new Set(["input_audio", "file", "input_file", "audio", "video_url"]);

export const ContentPartSchema = z
  .looseObject({ type: z.string() })
  .superRefine((part, ctx) => {
    const t = part.type;
    if (KNOWN_PART_TYPES.has(t)) return;
    ctx.addIssue({
      code: "custom",
      path: ["type"],
      message: UNSUPPORTED_PART_TYPES.has(t)
        ? `Unsupported content part type in '{param}': '${t}' parts are not supported by this relay; use text and image_url parts.`
        : `Invalid value for '{param}': '${t}' is not one of text, image_url, refusal.`,
    });
  })
  .pipe(z.discriminatedUnion("type", [TextPart, ImagePart, RefusalPart]));

export type ChatContentPart =
  z.output<typeof TextPart> | z.output<typeof ImagePart> | z.output<typeof RefusalPart>;

const Content = z.union([z.string(), z.array(ContentPartSchema)]);

const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.looseObject({
    name: z.string().min(1),
    // Some clients send arguments as an object instead of a JSON string.
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  }),
});

const FunctionCall = z.looseObject({
  name: z.string().min(1),
  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
});

export const ChatMessageSchema = z
  .looseObject({
    role: z.enum(CHAT_ROLES),
    content: Content.nullish(),
    name: z.string().nullish(),
    tool_calls: z.array(ToolCall).nullish(),
    function_call: FunctionCall.nullish(),
    tool_call_id: z.string().nullish(),
  })
  .superRefine((m, ctx) => {
    const missing = (key: string, why: string) =>
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `Missing required parameter: '{param}' (${why}).`,
      });
    switch (m.role) {
      case "system":
      case "developer":
      case "user":
        if (m.content === undefined || m.content === null)
          missing("content", `${m.role} messages need content`);
        break;
      case "tool":
        if (typeof m.tool_call_id !== "string" || m.tool_call_id === "") {
          missing("tool_call_id", "a tool message must name the call it answers");
        }
        break;
      case "function":
        if (typeof m.name !== "string" || m.name === "")
          missing("name", "a function message must name its function");
        break;
      case "assistant":
        break;
    }
  });

export type ChatMessage = z.output<typeof ChatMessageSchema>;

const FunctionTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

export type ChatTool = z.output<typeof FunctionTool>;

const ToolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string().min(1) }) }),
]);

export type ChatToolChoice = z.output<typeof ToolChoice>;

const ResponseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().nullish(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export type ChatResponseFormat = z.output<typeof ResponseFormat>;

const SUMMARY_ALIASES: Record<string, "auto" | "none"> = { on: "auto", off: "none" };
const Summary = z
  .enum(["auto", "concise", "detailed", "none", "on", "off"])
  .transform((v) => SUMMARY_ALIASES[v] ?? (v as "auto" | "concise" | "detailed" | "none"));

const COMPAT_ALIASES: Record<string, ReasoningCompat> = {
  think_tags: "think-tags",
  "reasoning-content": "reasoning_content",
  current: "legacy",
  standard: "legacy",
};
const COMPAT_VALUES = [
  ...REASONING_COMPATS,
  "think_tags",
  "reasoning-content",
  "current",
  "standard",
] as const;
const Compat = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(COMPAT_VALUES))
  .transform((v): ReasoningCompat => COMPAT_ALIASES[v] ?? (v as ReasoningCompat));

const Stop = z.union([z.string(), z.array(z.string()).max(4)]);

const PositiveInt = z.number().int().min(1);

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().trim().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z.array(FunctionTool).nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ResponseFormat.nullish(),
  reasoning_effort: z.enum(EFFORTS).nullish(),
  reasoning: z.looseObject({ effort: z.enum(EFFORTS).nullish(), summary: Summary.nullish() }).nullish(),
  verbosity: z.enum(["low", "medium", "high"]).nullish(),
  stop: Stop.nullish(),
  max_tokens: PositiveInt.nullish(),
  max_completion_tokens: PositiveInt.nullish(),
  n: z
    .number()
    .int()
    .nullish()
    .superRefine((n, ctx) => {
      if (typeof n === "number" && n !== 1) {
        ctx.addIssue({
          code: "custom",
          message: `Invalid value for '{param}': ${n}. This relay returns one choice per request; only n=1 is supported.`,
        });
      }
    }),
  // Accepted and ignored (the backend rejects or has no equivalent of them).
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  seed: z.number().int().nullish(),
  user: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  // Asking for them is a 400 (parseChatRequest, core/logprobs.ts); false / 0 pass.
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
  logit_bias: z.record(z.string(), z.unknown()).nullish(),
  store: z.boolean().nullish(),
  service_tier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  /** codex-relay extension: how reasoning reaches the client (REASONING_COMPAT per request). */
  reasoning_compat: Compat.nullish(),
});

export type ChatCompletionRequest = z.output<typeof ChatCompletionRequestSchema>;

/** Validates a parsed JSON body; throws invalidRequest(param, message) naming the first problem. */
export function parseChatRequest(json: unknown): ChatCompletionRequest {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw invalidRequest(null, "The request body must be a JSON object.");
  }
  const result = ChatCompletionRequestSchema.safeParse(json);
  if (!result.success) throw zodErrorToInvalidRequest(result.error, json);
  rejectLogprobs(result.data);
  return result.data;
}
