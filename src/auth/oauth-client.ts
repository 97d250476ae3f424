// The OAuth refresh call (the same request the Codex CLI makes) and the classification of its failures:
// permanent ones need a new sign-in, transient ones may be retried later.

export interface RefreshReply {
  id_token?: string;
  access_token?: string;
  refresh_token?: string;
  /** The issuer's clock when it answered (its Date header), ms since the epoch: tells a skewed local clock. */
  issuerTimeMs?: number;
}

/** Error codes after which the refresh token will never work again. */
export const PERMANENT_REFRESH_CODES = new Set([
  "refresh_token_expired",
  "refresh_token_reused",
  "refresh_token_invalidated",
  "invalid_grant",
]);

/** A failed refresh. Its message names the status and code only, never a token. */
export class RefreshError extends Error {
  readonly permanent: boolean;
  readonly code: string | null;
  readonly status: number | null;

  constructor(
    message: string,
    options: { permanent: boolean; code?: string | null; status?: number | null },
  ) {
    super(message);
    this.name = "RefreshError";
    this.permanent = options.permanent;
    this.code = options.code ?? null;
    this.status = options.status ?? null;
  }
}

export interface RefreshOptions {
  fetch: typeof fetch;
  tokenUrl: string;
  clientId: string;
  refreshToken: string;
  signal?: AbortSignal;
  /** Gives up after this long (a transient failure). Kept below the file lock's stale age. */
  timeoutMs?: number;
  /** Removes known secrets from what the issuer says (its error code may quote the refresh token). */
  scrub?: (text: string) => string;
}

export const DEFAULT_REFRESH_TIMEOUT_MS = 20_000;

export async function refreshTokens(options: RefreshOptions): Promise<RefreshReply> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  // Called unbound: the Workers runtime rejects a fetch invoked as a method of another object.
  const doFetch = options.fetch;
  let res: Response;
  try {
    res = await doFetch(options.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        client_id: options.clientId,
        grant_type: "refresh_token",
        refresh_token: options.refreshToken,
      }),
      signal,
    });
  } catch (err) {
    const timedOut = timeout.aborted && !options.signal?.aborted;
    const reason = timedOut ? "timed out" : `network error (${errorName(err)})`;
    throw new RefreshError(`Token refresh failed: ${reason}`, {
      permanent: false,
      code: timedOut ? "timeout" : "network_error",
    });
  }

  const body = await readJson(res);
  if (!res.ok) {
    const rawCode = errorCode(body);
    const permanent = res.status === 401 || (rawCode !== null && PERMANENT_REFRESH_CODES.has(rawCode));
    // The code goes into messages and logs: never a token, whatever the issuer put there.
    const code = rawCode === null ? null : scrubIssuerText(rawCode, options);
    throw new RefreshError(`Token refresh failed: HTTP ${res.status}${code ? ` (${code})` : ""}`, {
      permanent,
      code: code ?? (res.status === 401 ? "unauthorized" : null),
      status: res.status,
    });
  }
  if (typeof body !== "object" || body === null) {
    throw new RefreshError("Token refresh failed: the token endpoint did not answer with JSON", {
      permanent: false,
      code: "invalid_reply",
      status: res.status,
    });
  }
  const b = body as Record<string, unknown>;
  const reply: RefreshReply = {};
  if (typeof b.id_token === "string" && b.id_token) reply.id_token = b.id_token;
  if (typeof b.access_token === "string" && b.access_token) reply.access_token = b.access_token;
  if (typeof b.refresh_token === "string" && b.refresh_token) reply.refresh_token = b.refresh_token;
  const date = Date.parse(res.headers.get("date") ?? "");
  if (!Number.isNaN(date)) reply.issuerTimeMs = date;
  return reply;
}

/** What the issuer said, without the refresh token we sent (or any other known secret), and short. */
function scrubIssuerText(text: string, options: RefreshOptions): string {
  let out = options.refreshToken ? text.replaceAll(options.refreshToken, "[redacted]") : text;
  if (options.scrub) out = options.scrub(out);
  return out.length > 100 ? `${out.slice(0, 100)}…` : out;
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return JSON.parse(await res.text());
  } catch {
    return null;
  }
}

/** `error.code`, or `error` when it is a string (OAuth style), or a top-level `code`. */
function errorCode(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.error === "string") return b.error;
  if (typeof b.error === "object" && b.error !== null) {
    const code = (b.error as Record<string, unknown>).code;
    if (typeof code === "string") return code;
  }
  return typeof b.code === "string" ? b.code : null;
}

// Only the error's name/code: some fetch implementations put the URL or request details in the message.
function errorName(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === "string") return cause.code;
    return err.name;
  }
  return "unknown";
}
