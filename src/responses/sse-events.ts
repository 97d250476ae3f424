// Writing backend events back out as Server-Sent Events, the way the Responses API frames them:
// `event: <type>\ndata: <json>\n\n`. The Codex CLI dispatches on the JSON `type`; SDKs read either.

import type { UpstreamEvent } from "./types.ts";

export function formatSseEvent(event: UpstreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Events only the Codex CLI understands. The openai SDK's `responses.stream()` helper throws on event types it does
 * not model ("Unhandled response stream event"), so these reach Codex clients only.
 */
export function isCodexOnlyEvent(type: string): boolean {
  return type === "response.metadata" || type.startsWith("codex.");
}

/** A request from the Codex CLI (or another Codex client): it names its originator. */
export function isCodexClient(header: (name: string) => string | undefined): boolean {
  const originator = header("originator");
  return originator !== undefined && originator !== "";
}
