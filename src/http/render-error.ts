// Renders any error in the caller's dialect: Ollama routes (/api/*) get {"error":"…"}, the Anthropic routes
// (/v1/messages…, and /v1/* asked with an `anthropic-version` header) {"type":"error","error":{type,message}},
// everything else OpenAI's {"error":{message,type,param,code}}. Unexpected errors become a 500 without internals.

import { RelayError } from "../core/errors.ts";
import { anthropicErrorResponse } from "../anthropic/error-body.ts";

/** The Messages API's own paths. */
export function isAnthropicPath(path: string): boolean {
  return path === "/v1/messages" || path.startsWith("/v1/messages/");
}

export function asRelayError(err: unknown): RelayError {
  if (err instanceof RelayError) return err;
  return new RelayError(500, "The relay hit an internal error; see its log for details.", {
    code: "internal_error",
    type: "server_error",
  });
}

export function renderError(
  path: string,
  err: unknown,
  options: { anthropicClient?: boolean } = {},
): Response {
  const e = asRelayError(err);
  if (isAnthropicPath(path) || (options.anthropicClient === true && path.startsWith("/v1/")))
    return anthropicErrorResponse(e);
  // 499 is ours for "client went away": nobody reads it, but a valid status is still needed.
  const status = e.status === 499 ? 400 : e.status;
  const body = path.startsWith("/api/")
    ? { error: e.message }
    : { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...e.headers },
  });
}
