// Any error → an OpenAI-style error reply {"error":{message,type,param,code}}. Errors the relay did not raise on
// purpose become a 500 "Internal error" without details (the route logs them).

import { RelayError } from "../core/errors.ts";
import { turnError, type TurnFailure } from "../core/turn-failure.ts";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAIErrorReply {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
}

export function toOpenAIError(err: unknown): OpenAIErrorReply {
  if (err instanceof RelayError) {
    return {
      status: err.status,
      body: { error: { message: err.message, type: err.type, param: err.param, code: err.code } },
      headers: { ...err.headers },
    };
  }
  return {
    status: 500,
    body: { error: { message: "Internal error", type: "server_error", param: null, code: null } },
    headers: {},
  };
}

/**
 * The `data:` payload for a turn that failed in the middle of a stream (the route writes it before [DONE]): the
 * same error a non-stream request gets for the same failure (turnError).
 */
export function streamErrorBody(failure: TurnFailure): OpenAIErrorBody {
  const err = turnError(failure);
  return { error: { message: err.message, type: err.type, param: null, code: err.code } };
}
