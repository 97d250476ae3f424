// The backend's usage endpoint, the one the Codex CLI reads for `/status` (codex-rs/backend-client
// `get_rate_limits`: GET <backend>/wham/usage with the bearer token and ChatGPT-Account-Id). Its reply carries
// the same windows as the x-codex-* headers: `rate_limit.primary_window` (5 hours) and `secondary_window` (a
// week), each `{used_percent, limit_window_seconds, reset_after_seconds, reset_at}`.

import type { Credentials } from "../auth/types.ts";
import type { RateLimitSnapshot, RateLimitWindow } from "./rate-limits.ts";

export interface UsageRequest {
  fetch: typeof fetch;
  usageUrl: string;
  credentials: Credentials;
  userAgent: string;
  timeoutMs?: number;
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export async function fetchUsage(r: UsageRequest): Promise<RateLimitSnapshot> {
  const doFetch = r.fetch;
  let res: Response;
  try {
    res = await doFetch(r.usageUrl, {
      headers: {
        authorization: `Bearer ${r.credentials.accessToken}`,
        "chatgpt-account-id": r.credentials.accountId,
        "user-agent": r.userAgent,
        accept: "application/json",
      },
      signal: AbortSignal.timeout(r.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    const why = typeof cause?.code === "string" ? cause.code : err instanceof Error ? err.name : "error";
    throw new UsageError(`the usage endpoint could not be reached (${why})`, null);
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) throw new UsageError(`the usage endpoint answered HTTP ${res.status}`, res.status);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UsageError("the usage endpoint did not answer with JSON", res.status);
  }
  return parseUsage(body);
}

export function parseUsage(body: unknown, now = Date.now()): RateLimitSnapshot {
  const b = record(body);
  const limits = record(b?.rate_limit);
  return {
    planType: typeof b?.plan_type === "string" ? b.plan_type : null,
    primary: windowOf(limits?.primary_window, now),
    secondary: windowOf(limits?.secondary_window, now),
    observedAt: new Date(now).toISOString(),
  };
}

function windowOf(v: unknown, now: number): RateLimitWindow {
  const w = record(v);
  const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  const seconds = num(w?.limit_window_seconds);
  const resetAt = num(w?.reset_at);
  const resetAfter = num(w?.reset_after_seconds);
  const at = resetAt !== null ? resetAt * 1000 : resetAfter !== null ? now + resetAfter * 1000 : null;
  return {
    usedPercent: num(w?.used_percent),
    windowMinutes: seconds !== null && seconds > 0 ? Math.ceil(seconds / 60) : null,
    resetAt: at === null ? null : new Date(at).toISOString(),
  };
}

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
