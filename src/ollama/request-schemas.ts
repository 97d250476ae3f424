// Bodies of Ollama's POST /api/chat, /api/generate and /api/show, as Ollama clients send them (ollama-js,
// ollama-python, Open WebUI, Continue…). Unknown keys pass and are ignored, like Ollama does; wrong types are a
// 400 naming the field (`messages[1].images[0]`).

import { z } from "zod";
import { invalidRequest } from "../core/errors.ts";
import { rejectLogprobs } from "../core/logprobs.ts";
import { zodErrorToInvalidRequest } from "../core/validation.ts";

export const OLLAMA_ROLES = ["system", "user", "assistant", "tool"] as const;

/** Ollama's own levels are low/medium/high; the other efforts of the backend are accepted too. */
export const THINK_LEVELS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ThinkLevel = (typeof THINK_LEVELS)[number];

const Think = z.union([z.boolean(), z.enum(THINK_LEVELS)]);

/** `"json"`, a JSON schema object, or nothing ("" and null are what some clients send for "no format"). */
const Format = z.union([z.enum(["json", ""]), z.record(z.string(), z.unknown())]);

const Images = z.array(z.string());

// Ollama takes arguments as an object; a JSON string is tolerated (some clients replay OpenAI-style calls).
const ToolCallSchema = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({
    index: z.number().int().nullish(),
    name: z.string().min(1),
    arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  }),
});

const MessageSchema = z.looseObject({
  role: z.enum(OLLAMA_ROLES),
  content: z.string().nullish(),
  images: Images.nullish(),
  thinking: z.string().nullish(),
  tool_calls: z.array(ToolCallSchema).nullish(),
  /** Ollama ≥ 0.9: the tool a `tool` message answers. */
  tool_name: z.string().nullish(),
  /** Ollama ≥ 0.12 echoes call ids; older clients never send one. */
  tool_call_id: z.string().nullish(),
});

export type OllamaMessage = z.output<typeof MessageSchema>;
export type OllamaToolCallIn = z.output<typeof ToolCallSchema>;

const ToolSchema = z.looseObject({
  type: z.literal("function").nullish(),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
  }),
});

export type OllamaTool = z.output<typeof ToolSchema>;

// Only num_predict and stop mean something to the relay; the rest (temperature, num_ctx, seed…) are sampling
// knobs the backend does not take, accepted so that clients tuned for local models keep working.
const OptionsSchema = z.looseObject({
  num_predict: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
});

export type OllamaOptions = z.output<typeof OptionsSchema>;

const KeepAlive = z.union([z.string(), z.number()]);

const ModelName = z.string().trim().min(1);

export const ChatRequestSchema = z.looseObject({
  model: ModelName,
  messages: z.array(MessageSchema).nullish(),
  stream: z.boolean().nullish(),
  format: Format.nullish(),
  tools: z.array(ToolSchema).nullish(),
  think: Think.nullish(),
  options: OptionsSchema.nullish(),
  keep_alive: KeepAlive.nullish(),
  // Ollama's log probabilities: asking for them is a 400 (core/logprobs.ts).
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
});

export type OllamaChatRequest = z.output<typeof ChatRequestSchema>;

export const GenerateRequestSchema = z.looseObject({
  model: ModelName,
  prompt: z.string().nullish(),
  suffix: z.string().nullish(),
  system: z.string().nullish(),
  images: Images.nullish(),
  stream: z.boolean().nullish(),
  format: Format.nullish(),
  think: Think.nullish(),
  options: OptionsSchema.nullish(),
  keep_alive: KeepAlive.nullish(),
  // Accepted without effect: the backend has no prompt template and no token context to resume.
  raw: z.boolean().nullish(),
  template: z.string().nullish(),
  context: z.array(z.number()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
});

export type OllamaGenerateRequest = z.output<typeof GenerateRequestSchema>;

// Older clients send `name` instead of `model`.
const ShowRequestSchema = z.looseObject({
  model: ModelName.nullish(),
  name: ModelName.nullish(),
  verbose: z.boolean().nullish(),
});

function parseWith<T>(schema: z.ZodType<T>, json: unknown): T {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw invalidRequest(null, "The request body must be a JSON object.");
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  throw zodErrorToInvalidRequest(result.error, json);
}

export function parseOllamaChatRequest(json: unknown): OllamaChatRequest {
  const req = parseWith(ChatRequestSchema, json);
  rejectLogprobs(req);
  return req;
}

export function parseOllamaGenerateRequest(json: unknown): OllamaGenerateRequest {
  const req = parseWith(GenerateRequestSchema, json);
  rejectLogprobs(req);
  return req;
}

/** The model name of an /api/show body. */
export function parseOllamaShowRequest(json: unknown): string {
  const req = parseWith(ShowRequestSchema, json);
  const model = req.model ?? req.name;
  if (!model) throw invalidRequest("model", "Missing required parameter: 'model'.");
  return model;
}
