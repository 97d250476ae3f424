// Test helpers: the recorded upstream streams in test/fixtures/recorded/ (by name, one event a line) and a one-call
// normalizer run.

import { readFileSync } from "node:fs";
import type { StreamPart } from "../../src/core/stream-parts.ts";
import { ResponsesEventNormalizer } from "../../src/responses/normalize-events.ts";
import type { UpstreamEvent } from "../../src/responses/types.ts";

const DIR = new URL("../fixtures/recorded/", import.meta.url);

export const RECORDED = {
  azureMultiSummary: "azure-gpt5-reasoning-multi-summary-with-encryption.chunks.jsonl",
  parallelWrapper: "issue-19067-parallel-tool-call-wrapper.chunks.jsonl",
  toolCall: "issue-19493-gpt-5.1-tool-call.chunks.jsonl",
  error: "openai-error.1.chunks.jsonl",
  phase: "openai-phase.1.chunks.jsonl",
  reasoningEncrypted: "openai-reasoning-encrypted-content.1.chunks.jsonl",
  failedOnly: "openai-response-failed-only.1.chunks.jsonl",
  webSearch: "openai-web-search-tool.1.chunks.jsonl",
} as const;

/** One JSON event per line. */
export function loadRecorded(file: string): UpstreamEvent[] {
  return readFileSync(new URL(file, DIR), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as UpstreamEvent);
}

/** Splits a file that holds several responses back to back (each starts with response.created). */
export function splitResponses(events: UpstreamEvent[]): UpstreamEvent[][] {
  const out: UpstreamEvent[][] = [];
  for (const e of events) {
    if (e.type === "response.created" || out.length === 0) out.push([]);
    out[out.length - 1]!.push(e);
  }
  return out;
}

/** Every part the normalizer produces for the events, including end(). */
export function normalizeAll(events: readonly UpstreamEvent[]): StreamPart[] {
  const n = new ResponsesEventNormalizer();
  const parts: StreamPart[] = [];
  for (const e of events) parts.push(...n.push(e));
  parts.push(...n.end());
  return parts;
}
