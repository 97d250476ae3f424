// The frames of the backend's Responses WebSocket: the client's `response.create` and the server's wrapped errors
// (`{"type":"error","status":429,"error":{…},"headers":{…}}`), which carry what an HTTP refusal carries.

import type { ResponsesInputItem } from "../responses/types.ts";

/** The handshake header that selects the Responses WebSocket protocol version the official client speaks. */
export const RESPONSES_WEBSOCKET_BETA = "responses_websockets=2026-02-06";

/** The code of the error the backend sends when a connection reaches its 60-minute lifetime. */
export const CONNECTION_LIMIT_CODE = "websocket_connection_limit_reached";

/** `response.create` with the whole body: the serialised body with the frame type put first (no re-encoding). */
export function fullCreateFrame(payload: string): string {
  return payload === "{}" ? '{"type":"response.create"}' : `{"type":"response.create",${payload.slice(1)}`;
}

/** `response.create` continuing `previousResponseId` with only the new items. */
export function incrementalCreateFrame(
  body: Record<string, unknown>,
  input: ResponsesInputItem[],
  previousResponseId: string,
): string {
  return JSON.stringify({
    type: "response.create",
    ...body,
    input,
    previous_response_id: previousResponseId,
  });
}

export interface WrappedError {
  status: number | null;
  code: string | null;
  headers: Headers;
}

/** A wrapped error frame's status, code and headers, or null when the frame is not one. */
export function wrappedError(event: Record<string, unknown>): WrappedError | null {
  if (event.type !== "error") return null;
  const rawStatus = event.status ?? event.status_code;
  const status = typeof rawStatus === "number" && Number.isInteger(rawStatus) ? rawStatus : null;
  const error = event.error;
  const code =
    error !== null && typeof error === "object" && typeof (error as { code?: unknown }).code === "string"
      ? ((error as { code: string }).code as string)
      : null;
  const headers = new Headers();
  const raw = event.headers;
  if (raw !== null && typeof raw === "object") {
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        try {
          headers.set(name, String(value));
        } catch {
          // not a valid header name or value: skipped, as the official client does
        }
      }
    }
  }
  return { status, code, headers };
}
