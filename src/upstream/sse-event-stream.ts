// Reads an SSE response body into parsed backend events. One timer per stream watches for stalls (re-armed lazily,
// not per chunk). When the consumer stops early, or the stream ends, the backend request is aborted.

import type { UpstreamEvent } from "../responses/types.ts";
import { RelayError } from "../core/errors.ts";
import { idleWatchdog } from "./idle-watchdog.ts";
import { SseParser, SseTooLongError } from "./sse-parser.ts";
import {
  brokenMidStream,
  clientGone,
  IdleTimeout,
  idleTimeoutError,
  STOPPED_READING,
} from "./stream-errors.ts";

export async function* readSseEvents(
  body: ReadableStream<Uint8Array>,
  controller: AbortController,
  idleMs: number,
  clientSignal?: AbortSignal,
): AsyncGenerator<UpstreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  // Time between events, not bytes (as the Codex CLI counts it): a backend that sends only `: keep-alive` comments
  // must not hold the request forever.
  const watchdog = idleWatchdog(() => controller.abort(new IdleTimeout()), idleMs);
  let finished = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (controller.signal.reason instanceof IdleTimeout) throw idleTimeoutError(idleMs);
        if (clientSignal?.aborted) throw clientGone();
        throw brokenMidStream(err);
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      let messages;
      try {
        messages = parser.push(decoder.decode(chunk.value, { stream: true }));
      } catch (err) {
        if (!(err instanceof SseTooLongError)) throw err;
        throw new RelayError(
          502,
          `${err.message} The relay does not hold events that large; the stream was aborted.`,
          {
            code: "upstream_event_too_large",
          },
        );
      }
      if (messages.length > 0) watchdog.touch();
      for (const m of messages) {
        if (m.data === "[DONE]") continue;
        const event = parseEvent(m.data);
        if (event) yield event;
      }
    }
  } finally {
    watchdog.stop();
    if (!finished) {
      controller.abort(STOPPED_READING);
      reader.cancel().catch(() => {});
    }
  }
}

/** One event's JSON; like Codex, unparseable data and objects without a `type` are skipped (null). */
export function parseEvent(data: string): UpstreamEvent | null {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return null;
  }
  if (event && typeof event === "object" && typeof (event as UpstreamEvent).type === "string") {
    return event as UpstreamEvent;
  }
  return null;
}
