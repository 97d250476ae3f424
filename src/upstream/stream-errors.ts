// The errors every transport raises the same way, so a client sees one message per cause whichever transport
// carried the turn: the client went away, the backend went silent, the link broke.

import { RelayError } from "../core/errors.ts";

/** The abort reason when the idle timeout fires. */
export class IdleTimeout extends Error {}

/** The abort reason when the relay stops reading a stream it no longer needs (made once: no stack per stop). */
export const STOPPED_READING = new Error("The relay stopped reading the backend's stream.");

export function clientGone(): RelayError {
  return new RelayError(499, "The client closed the request.", { code: "client_closed" });
}

export function idleTimeoutError(idleMs: number): RelayError {
  const span = idleMs >= 1000 ? `${Math.round(idleMs / 1000)} s` : `${idleMs} ms`;
  return new RelayError(
    504,
    `The ChatGPT backend sent nothing for ${span} (UPSTREAM_IDLE_TIMEOUT_MS); the request was aborted.`,
    { code: "upstream_idle_timeout" },
  );
}

export function brokenMidStream(err: unknown): RelayError {
  return new RelayError(502, `The connection to the ChatGPT backend broke mid-stream: ${errorText(err)}`, {
    code: "upstream_stream_error",
  });
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? cause.message : "";
    return causeText && causeText !== err.message ? `${err.message} (${causeText})` : err.message;
  }
  return String(err);
}
