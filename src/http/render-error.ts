// Renders any error in the caller's dialect: Ollama routes (/api/*) get {"error":"…"}, everything else OpenAI's
// {"error":{message,type,param,code}}. Unexpected errors become a 500 without internals.

import { RelayError } from "../core/errors.ts";

export function asRelayError(err: unknown): RelayError {
  if (err instanceof RelayError) return err;
  return new RelayError(500, "The relay hit an internal error; see its log for details.", {
    code: "internal_error",
    type: "server_error",
  });
}

export function renderError(path: string, err: unknown): Response {
  const e = asRelayError(err);
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
