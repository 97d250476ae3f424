// RelayError → an Anthropic error reply: {type:"error", error:{type, message}} with Anthropic's statuses, so that
// Claude Code and the SDK react as they do to Anthropic itself:
//   400 invalid_request_error (499 "client closed" too) · 401 authentication_error (the relay's own client key) ·
//   403 permission_error · 404 not_found_error · 413 request_too_large · 429 rate_limit_error with retry-after ·
//   500 api_error · 504 timeout_error · 529 overloaded_error (the backend is overloaded: 503 upstream).
// A context overflow is worded "prompt is too long: N tokens > M maximum", the sentence Claude Code parses to
// compact the conversation. `x-should-retry: false` goes with errors a retry cannot fix: a usage limit that resets
// in more than two minutes (Claude Code would otherwise retry for three minutes), a sign-in the relay lacks.

import type { RelayError } from "../core/errors.ts";
import type { AnthropicErrorBody, AnthropicErrorType } from "./message-types.ts";

export interface AnthropicErrorReply {
  status: number;
  body: AnthropicErrorBody;
  headers: Record<string, string>;
}

export interface OverflowContext {
  /** Prompt tokens of the request (counted only when needed). */
  promptTokens: () => number;
  /** The model's context window. */
  contextWindow: number;
}

/** Retry-after (seconds) beyond which a retry is pointless for Claude Code. */
const FAR_RESET_SECONDS = 120;

const CONTEXT_CODES = new Set(["context_length_exceeded", "context_window_exceeded"]);

export function toAnthropicError(err: RelayError, overflow?: OverflowContext): AnthropicErrorReply {
  const headers: Record<string, string> = { ...err.headers };
  const reply = (status: number, type: AnthropicErrorType, message = err.message): AnthropicErrorReply => ({
    status,
    body: { type: "error", error: { type, message } },
    headers,
  });
  if (isContextOverflow(err)) {
    const message = overflow ? promptTooLong(overflow) : `prompt is too long: ${err.message}`;
    return reply(400, "invalid_request_error", message);
  }
  switch (err.status) {
    case 401:
      if (err.code === "invalid_api_key") return reply(401, "authentication_error");
      // The relay's own sign-in to ChatGPT failed: not the client's key, and retrying will not help.
      headers["x-should-retry"] = "false";
      return reply(500, "api_error");
    case 403:
      return reply(403, "permission_error");
    case 404:
      return reply(404, "not_found_error");
    case 413:
      return reply(413, "request_too_large");
    case 429: {
      const after = Number(headers["retry-after"]);
      if (err.code === "usage_not_included" || (Number.isFinite(after) && after > FAR_RESET_SECONDS))
        headers["x-should-retry"] = "false";
      return reply(429, "rate_limit_error");
    }
    case 503:
      return reply(529, "overloaded_error");
    case 504:
      return reply(504, "timeout_error");
    default:
      if (err.status >= 500) return reply(500, "api_error");
      return reply(400, "invalid_request_error");
  }
}

function isContextOverflow(err: RelayError): boolean {
  return (
    (err.code !== null && CONTEXT_CODES.has(err.code)) ||
    (err.status === 400 && /context (window|length)/i.test(err.message))
  );
}

function promptTooLong(overflow: OverflowContext): string {
  // Claude Code reads N and M; N must exceed M for its overflow handling even when the local count falls short.
  const n = Math.max(overflow.promptTokens(), overflow.contextWindow + 1);
  return `prompt is too long: ${n} tokens > ${overflow.contextWindow} maximum`;
}

export function anthropicErrorResponse(err: RelayError, overflow?: OverflowContext): Response {
  const reply = toAnthropicError(err, overflow);
  return new Response(JSON.stringify(reply.body), {
    status: reply.status,
    headers: { "content-type": "application/json", ...reply.headers },
  });
}
