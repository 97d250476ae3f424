// How a turn reports what it did to whoever watches the request (the request log, metrics, the VERBOSE trace),
// without the dialects knowing who watches. Routes pass the request's observer to startTurn (or, for a route that
// reads the backend's events itself, wrap them with observedEvents); everything else is recorded from these calls.

import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import type { CodexClient, UpstreamReply, UpstreamRequestOptions } from "../upstream/codex-client.ts";
import { toTurnUsage, type TurnUsage } from "./stream-parts.ts";

export interface TurnObserver {
  /** The body is about to go to the backend (model, effort). */
  turnStarted(body: ResponsesRequestBody): void;
  /** The account that took the turn (fingerprint), when a pool chose among several. */
  servedBy?(account: string): void;
  /** Every backend event, in order: the first one is the time to first byte. */
  event(event: UpstreamEvent): void;
  /** Token usage of the turn: the backend's figures, or the relay's count when it ended the turn itself. */
  usage(usage: TurnUsage): void;
  /** The turn failed (before its first byte, or mid-stream) with this error code. */
  failed(code: string | null): void;
  /**
   * The backend's events ended: completed, failed, broken, or abandoned (`client_closed`: the client went away,
   * possibly before the stream was read at all). May be called more than once; the first call counts.
   */
  turnEnded(reason?: "client_closed"): void;
}

/** Passes the events on unchanged, telling `observer` about each, the usage of terminal events, and the end. */
export async function* observedEvents(
  events: AsyncIterable<UpstreamEvent>,
  observer: TurnObserver,
): AsyncGenerator<UpstreamEvent> {
  try {
    for await (const event of events) {
      observer.event(event);
      const type = event.type;
      if (type === "response.completed" || type === "response.incomplete" || type === "response.failed") {
        const response = event.response as { usage?: unknown; error?: { code?: unknown } } | undefined;
        const usage = toTurnUsage(response?.usage as Parameters<typeof toTurnUsage>[0]);
        if (usage) observer.usage(usage);
        if (type === "response.failed") {
          const code = response?.error?.code;
          observer.failed(typeof code === "string" ? code : "response_failed");
        }
      }
      yield event;
    }
  } catch (err) {
    observer.failed(errorCode(err));
    throw err;
  } finally {
    observer.turnEnded();
  }
}

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "relay_error";
}

/** Tells `observer` the turn starts; a client that leaves before its stream is read still ends the turn. */
export function beginObservedTurn(
  observer: TurnObserver,
  body: ResponsesRequestBody,
  signal: AbortSignal | undefined,
): void {
  observer.turnStarted(body);
  signal?.addEventListener("abort", () => observer.turnEnded("client_closed"), { once: true });
}

/** `upstream.stream` for a route that reads the backend's events itself (/v1/responses), observed. */
export async function streamObserved(
  upstream: CodexClient,
  body: ResponsesRequestBody,
  options: UpstreamRequestOptions,
  observer: TurnObserver | undefined,
): Promise<UpstreamReply> {
  if (!observer) return upstream.stream(body, options);
  beginObservedTurn(observer, body, options.signal);
  let reply: UpstreamReply;
  try {
    reply = await upstream.stream(body, options);
  } catch (err) {
    observer.failed(errorCode(err));
    observer.turnEnded();
    throw err;
  }
  if (reply.account) observer.servedBy?.(reply.account);
  return { ...reply, events: observedEvents(reply.events, observer) };
}
