// One error type for everything the relay refuses or the backend fails with. Each dialect renders it in its own
// shape (OpenAI: {"error":{message,type,param,code}}, Ollama: {"error":"…"}).

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "usage_limit_reached"
  // The backend's own type for a quota failure (its `error` event says so, like OpenAI's API).
  | "insufficient_quota"
  | "upstream_error"
  | "server_error";

export class RelayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  /** Extra response headers, e.g. Retry-After on a 429. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    options: {
      type?: ErrorType;
      code?: string | null;
      param?: string | null;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = "RelayError";
    this.status = status;
    this.type = options.type ?? defaultErrorType(status);
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

function defaultErrorType(status: number): ErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500)
    return status === 502 || status === 503 || status === 504 ? "upstream_error" : "server_error";
  return "invalid_request_error";
}

/** A 400 that names the offending field, the most common refusal. */
export function invalidRequest(
  param: string | null,
  message: string,
  code: string | null = null,
): RelayError {
  return new RelayError(400, message, { param, code, type: "invalid_request_error" });
}
