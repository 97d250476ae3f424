// The three reply shapes of the relay's routes: an SSE stream, an NDJSON stream (Ollama), one JSON body. Streams
// go through textStream (pull-based, cancel aborts the backend request).

import { textStream } from "./text-stream.ts";

// `transfer-encoding: chunked` says "a stream" to @hono/node-server, which otherwise first tries to read the whole
// body to give it a Content-Length and, when the second chunk is not there yet, waits a timer tick (≥ 1 ms) before
// sending the headers. Hono's own streamSSE() sets it too; HTTP/1.1 streams are chunked anyway.
const STREAM_HEADERS = {
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
  "transfer-encoding": "chunked",
};

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  connection: "keep-alive",
  ...STREAM_HEADERS,
};

export const NDJSON_HEADERS = { "content-type": "application/x-ndjson", ...STREAM_HEADERS };

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

export function sseResponse(
  frames: AsyncIterable<string>,
  abort: AbortController,
  headers: Record<string, string> = {},
): Response {
  return new Response(textStream(frames, abort), { status: 200, headers: { ...SSE_HEADERS, ...headers } });
}

export function ndjsonResponse(
  lines: AsyncIterable<string>,
  abort: AbortController,
  headers: Record<string, string> = {},
): Response {
  return new Response(textStream(lines, abort), { status: 200, headers: { ...NDJSON_HEADERS, ...headers } });
}

export function jsonResponse(body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { ...JSON_HEADERS, ...headers } });
}
