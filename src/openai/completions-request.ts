// The body of the legacy POST /v1/completions and its Responses request. One prompt per request (a string, or an
// array holding one string); the prompt goes to the model as a user message and the answer comes back as the
// completion text. What a chat model behind this relay cannot do — several prompts, token-id prompts, echo, suffix
// (insertion), best_of, logprobs, n > 1 — is a 400 naming the field, never silently ignored. Sampling parameters
// (temperature, top_p, penalties, seed, logit_bias) are accepted and ignored, as on the chat route.

import { invalidRequest } from "../core/errors.ts";
import { rejectLogprobs } from "../core/logprobs.ts";
import { REASONING_EFFORTS } from "../config.ts";
import type { ReasoningEffort, ResponsesRequestBody } from "../responses/types.ts";
import { baseResponsesBody } from "./to-responses-request.ts";

export interface CompletionRequest {
  model: string;
  prompt: string;
  stream: boolean;
  includeUsage: boolean;
  stop?: string[];
  maxTokens?: number;
  reasoningEffort?: ReasoningEffort;
  user?: string;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function wrongType(param: string, expected: string, value: unknown) {
  return invalidRequest(
    param,
    `Invalid type for '${param}': expected ${expected}, but got ${describe(value)}.`,
    "invalid_type",
  );
}

function unsupported(param: string, why: string) {
  return invalidRequest(param, `Unsupported value for '${param}': ${why}`, "unsupported_value");
}

const absent = (v: unknown) => v === undefined || v === null;

export function parseCompletionRequest(raw: unknown): CompletionRequest {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw invalidRequest(
      null,
      `The request body must be a JSON object, not ${describe(raw)}.`,
      "invalid_type",
    );
  }
  const body = raw as Record<string, unknown>;

  const model = body.model;
  if (absent(model) || model === "")
    throw invalidRequest("model", "Missing required parameter: 'model'.", "missing_required_parameter");
  if (typeof model !== "string") throw wrongType("model", "a string", model);

  const prompt = parsePrompt(body.prompt);

  const stream = body.stream;
  if (!absent(stream) && typeof stream !== "boolean") throw wrongType("stream", "a boolean", stream);

  const n = body.n;
  if (!absent(n)) {
    if (typeof n !== "number" || !Number.isInteger(n)) throw wrongType("n", "an integer", n);
    if (n !== 1)
      throw unsupported(
        "n",
        "codex-relay returns one completion per request; send n=1 (or leave it out) and repeat the request for more.",
      );
  }
  const bestOf = body.best_of;
  if (!absent(bestOf)) {
    if (typeof bestOf !== "number" || !Number.isInteger(bestOf))
      throw wrongType("best_of", "an integer", bestOf);
    if (bestOf !== 1)
      throw unsupported("best_of", "the ChatGPT backend generates one candidate; best_of must be 1.");
  }
  if (body.echo === true)
    throw unsupported("echo", "echoing the prompt is not supported; prepend it yourself.");
  if (!absent(body.echo) && typeof body.echo !== "boolean") throw wrongType("echo", "a boolean", body.echo);
  const suffix = body.suffix;
  if (!absent(suffix) && suffix !== "") {
    if (typeof suffix !== "string") throw wrongType("suffix", "a string", suffix);
    throw unsupported(
      "suffix",
      "insertion (text after the completion) is not supported by the Codex models.",
    );
  }
  const logprobs = body.logprobs;
  if (!absent(logprobs) && typeof logprobs !== "boolean" && typeof logprobs !== "number")
    throw wrongType("logprobs", "an integer", logprobs);
  rejectLogprobs(body, true);

  const req: CompletionRequest = { model, prompt, stream: stream === true, includeUsage: false };

  const streamOptions = body.stream_options;
  if (!absent(streamOptions)) {
    if (typeof streamOptions !== "object" || Array.isArray(streamOptions))
      throw wrongType("stream_options", "an object", streamOptions);
    const include = (streamOptions as Record<string, unknown>).include_usage;
    if (!absent(include) && typeof include !== "boolean")
      throw wrongType("stream_options.include_usage", "a boolean", include);
    req.includeUsage = include === true;
  }

  const stop = body.stop;
  if (!absent(stop)) {
    if (typeof stop === "string") {
      if (stop !== "") req.stop = [stop];
    } else if (Array.isArray(stop)) {
      stop.forEach((s, i) => {
        if (typeof s !== "string") throw wrongType(`stop[${i}]`, "a string", s);
      });
      if (stop.length > 4)
        throw invalidRequest(
          "stop",
          "Invalid value for 'stop': at most 4 stop sequences are allowed.",
          "invalid_value",
        );
      const list = (stop as string[]).filter((s) => s !== "");
      if (list.length > 0) req.stop = list;
    } else {
      throw wrongType("stop", "a string or an array of strings", stop);
    }
  }

  const maxTokens = body.max_tokens;
  if (!absent(maxTokens)) {
    if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens))
      throw wrongType("max_tokens", "an integer", maxTokens);
    if (maxTokens < 0)
      throw invalidRequest(
        "max_tokens",
        "Invalid value for 'max_tokens': it must be 0 or more.",
        "invalid_value",
      );
    req.maxTokens = maxTokens;
  }

  const effort = body.reasoning_effort;
  if (!absent(effort)) {
    if (typeof effort !== "string" || !(REASONING_EFFORTS as readonly string[]).includes(effort)) {
      throw invalidRequest(
        "reasoning_effort",
        `Invalid value for 'reasoning_effort': use one of ${REASONING_EFFORTS.join(", ")}.`,
        "invalid_value",
      );
    }
    req.reasoningEffort = effort as ReasoningEffort;
  }

  if (typeof body.user === "string" && body.user !== "") req.user = body.user;
  return req;
}

function parsePrompt(prompt: unknown): string {
  if (absent(prompt))
    throw invalidRequest("prompt", "Missing required parameter: 'prompt'.", "missing_required_parameter");
  if (typeof prompt === "string") return prompt;
  if (!Array.isArray(prompt)) throw wrongType("prompt", "a string or an array of strings", prompt);
  if (prompt.length === 0)
    throw invalidRequest("prompt", "Invalid value for 'prompt': the array is empty.", "invalid_value");
  if (prompt.some((p) => typeof p === "number" || Array.isArray(p))) {
    throw unsupported(
      "prompt",
      "token-id prompts are not supported (the relay has no tokenizer); send the prompt as text.",
    );
  }
  prompt.forEach((p, i) => {
    if (typeof p !== "string") throw wrongType(`prompt[${i}]`, "a string", p);
  });
  if (prompt.length > 1) {
    throw unsupported(
      "prompt",
      `codex-relay completes one prompt per request, got ${prompt.length}; send them as separate requests.`,
    );
  }
  return prompt[0] as string;
}

export interface CompletionBodyContext {
  model: string;
  /** Effort from the model-name suffix. */
  effort?: ReasoningEffort;
  defaultEffort: ReasoningEffort;
  instructions: string;
  instructionsMode: "developer" | "instructions";
  promptCacheKey: string;
}

/** The Responses request for a completion. No reasoning summary: completions do not show reasoning. */
export function toCompletionResponsesBody(
  req: CompletionRequest,
  ctx: CompletionBodyContext,
): ResponsesRequestBody {
  const body = baseResponsesBody(ctx);
  body.input.push({ type: "message", role: "user", content: [{ type: "input_text", text: req.prompt }] });
  body.reasoning = { effort: req.reasoningEffort ?? ctx.effort ?? ctx.defaultEffort };
  body.prompt_cache_key = ctx.promptCacheKey;
  return body;
}
