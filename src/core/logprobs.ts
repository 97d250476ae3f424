// The backend returns no log probabilities, so asking for them is a 400 naming the field, the same on every route
// (OpenAI chat, legacy completions, Responses, Ollama) instead of an answer with `logprobs: null`. Not asking —
// false, 0 alternatives, null or absent — is accepted.

import { invalidRequest, type RelayError } from "./errors.ts";

export function logprobsUnsupported(param: string): RelayError {
  return invalidRequest(
    param,
    `Unsupported value for '${param}': log probabilities are not available through codex-relay (the ChatGPT backend does not return them); leave '${param}' out or set it to false.`,
    "unsupported_value",
  );
}

/**
 * Throws for `logprobs: true` and `top_logprobs` > 0. `numberAsks`: on /v1/completions `logprobs` is a count, and
 * any number (0 included: the sampled token's own probability) asks for them.
 */
export function rejectLogprobs(
  fields: { logprobs?: unknown; top_logprobs?: unknown },
  numberAsks = false,
): void {
  const { logprobs, top_logprobs: top } = fields;
  if (logprobs === true || (numberAsks && typeof logprobs === "number"))
    throw logprobsUnsupported("logprobs");
  if (typeof top === "number" && top > 0) throw logprobsUnsupported("top_logprobs");
}

/** The Responses API asks for them with `include: ["message.output_text.logprobs"]`. */
export const LOGPROBS_INCLUDE = "message.output_text.logprobs";
