// A turn that fails before any output (the backend answers a context overflow with response.failed right after
// response.created) is answered with its HTTP status, not as an error inside a stream that began with 200: clients
// act on a status (compact or truncate the history on a 400 context overflow, back off on a 429, retry a 5xx),
// while an error inside a stream is only shown. The stream waits for the first part after the backend's start, at
// most `waitMs`; when that part is slower, the stream begins as it would have.

import type { StreamPart } from "../core/stream-parts.ts";
import { peek } from "./keep-alive.ts";

/**
 * How long a stream's first bytes may wait for the backend's first part after its start: the failures that matter
 * here come within milliseconds of response.created, and a model that thinks silently for long must not keep the
 * client without an answer's headers (the Anthropic route, whose pings follow, waits longer).
 */
export const FIRST_OUTPUT_WAIT_MS = 2_000;

export type ErrorPart = Extract<StreamPart, { type: "error" }>;

export interface OpenedTurn {
  /** The backend's failure before any output; the caller answers it with its status. */
  failed: ErrorPart | null;
  /** Every part of the turn (those read while waiting first), when it did not fail before output. */
  parts: AsyncIterable<StreamPart>;
}

export async function failureBeforeOutput(
  parts: AsyncIterable<StreamPart>,
  waitMs: number = FIRST_OUTPUT_WAIT_MS,
): Promise<OpenedTurn> {
  const { head, rest } = await peek(parts, (p) => p.type === "response-start", waitMs);
  const failed = head.find((p): p is ErrorPart => p.type === "error") ?? null;
  return { failed, parts: failed ? rest : chained(head, rest) };
}

async function* chained(head: StreamPart[], rest: AsyncIterable<StreamPart>): AsyncGenerator<StreamPart> {
  yield* head;
  yield* rest;
}
