// VERBOSE=true: the upstream event trace. Each backend event and the request body become a compact log entry:
// long strings are cut (answers stay readable, opaque blobs do not flood the log) and fields that may carry a
// secret or an opaque token are dropped, before pino's redaction as a second line of defence.

import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";

const MAX_STRING = 200;
const DROPPED = new Set(["encrypted_content", "authorization", "access_token", "refresh_token", "id_token"]);

export function traceFields(what: "request" | "event", data: ResponsesRequestBody | UpstreamEvent) {
  if (what === "request") {
    const body = data as ResponsesRequestBody;
    return {
      model: body.model,
      effort: body.reasoning?.effort ?? null,
      inputItems: Array.isArray(body.input) ? body.input.length : 0,
      tools: body.tools?.length ?? 0,
      promptCacheKey: body.prompt_cache_key ?? null,
    };
  }
  const event = data as UpstreamEvent;
  const response = event.response as Record<string, unknown> | undefined;
  if (response && typeof response === "object") {
    // The response object repeats the whole request on every lifecycle event: its outcome is what matters.
    const { id, status, model, usage, error, incomplete_details } = response;
    return { event: { ...event, response: { id, status, model, usage, error, incomplete_details } } };
  }
  return { event: compact(event, 0) };
}

function compact(value: unknown, depth: number): unknown {
  if (typeof value === "string")
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} chars)` : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= 4) return Array.isArray(value) ? `[${value.length} items]` : "{…}";
  if (Array.isArray(value)) {
    const items = value.slice(0, 10).map((v) => compact(v, depth + 1));
    if (value.length > 10) items.push(`… ${value.length - 10} more`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (DROPPED.has(k)) out[k] = "[redacted]";
    else if (k === "instructions" && typeof v === "string") out[k] = `(${v.length} chars)`;
    else out[k] = compact(v, depth + 1);
  }
  return out;
}
