// The HTTP/SSE transport: one POST to {base}/responses per attempt, the reply read as Server-Sent Events.

import type { TransportAttempt, TransportOutcome, UpstreamTransport } from "./transport.ts";
import { readSseEvents } from "./sse-event-stream.ts";
import type { RequestCompressor } from "./request-compression.ts";

export interface HttpTransportDeps {
  url: string;
  fetch?: typeof fetch;
  /** Compresses request bodies (zstd, as the Codex CLI does with a ChatGPT sign-in); resolved once. */
  compressor?: Promise<RequestCompressor | null>;
}

/**
 * Bodies shorter than this (in UTF-16 units, about bytes for JSON) go uncompressed. The Codex CLI compresses every
 * body, but its bodies carry the base instructions (10–24 KB) and are never this small; below 1 KiB zstd saves a few
 * hundred bytes inside the same TCP segment and costs 30–50 µs of CPU per request.
 */
export const MIN_COMPRESSED_LENGTH = 1024;

export function createHttpTransport(deps: HttpTransportDeps): UpstreamTransport {
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));
  let compressor: RequestCompressor | null | undefined;
  async function send(attempt: TransportAttempt): Promise<TransportOutcome> {
    if (compressor === undefined) compressor = (await deps.compressor) ?? null;
    const headers: Record<string, string> = {
      ...attempt.headers,
      accept: "text/event-stream",
      "content-type": "application/json",
    };
    let body: string | Uint8Array = attempt.payload;
    if (compressor && body.length >= MIN_COMPRESSED_LENGTH) {
      body = compressor.compress(attempt.payload);
      headers["content-encoding"] = compressor.encoding;
    }
    const res = await doFetch(deps.url, {
      method: "POST",
      headers,
      body: body as BodyInit,
      signal: attempt.controller.signal,
    });
    if (res.ok && res.body) {
      return {
        ok: true,
        headers: res.headers,
        events: readSseEvents(res.body, attempt.controller, attempt.idleMs, attempt.clientSignal),
      };
    }
    const text = await res.text().catch(() => "");
    return { ok: false, status: res.status, text, headers: res.headers };
  }
  return { send };
}
