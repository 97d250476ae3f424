// A turn that failed after the backend accepted it (response.failed, an `error` event, a broken or silent stream)
// → the RelayError a client sees: the status from the failure's code; the failure's own type when it has a known
// one (the backend's `error` event, a RelayError that broke the stream), else the type of the relay's errors for
// that status. One mapping for every place a turn can fail, so a
// failure reads the same whether it ends a non-stream answer (an HTTP error), comes before a stream's first
// output (Anthropic answers it with its status) or ends a stream mid-way (an error chunk or event).

import { RelayError, type ErrorType } from "./errors.ts";

export interface TurnFailure {
  message: string;
  code?: string;
  /** The failure's own type: kept when it is a known one. */
  errorType?: string;
}

const ERROR_TYPES: ReadonlySet<string> = new Set<ErrorType>([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "rate_limit_error",
  "usage_limit_reached",
  "insufficient_quota",
  "upstream_error",
  "server_error",
]);

function statusOf(code: string | undefined): number {
  switch (code) {
    case "context_length_exceeded":
    case "invalid_prompt":
      return 400;
    case "rate_limit_exceeded":
    case "insufficient_quota":
    case "usage_limit_reached":
      return 429;
    case "upstream_idle_timeout":
      return 504;
    case "server_is_overloaded":
    case "slow_down":
      return 503;
    default:
      return 502;
  }
}

export function turnError(failure: TurnFailure): RelayError {
  const own = failure.errorType;
  return new RelayError(statusOf(failure.code), failure.message, {
    code: failure.code ?? "upstream_error",
    ...(own !== undefined && ERROR_TYPES.has(own) ? { type: own as ErrorType } : {}),
  });
}
