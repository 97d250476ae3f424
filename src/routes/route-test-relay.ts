// Test-only (never imported by runtime code): a Relay whose backend is a script of events, for route tests that
// need no network. Acceptance tests use the real server and the fake backend instead.

import { loadConfig } from "../config.ts";
import { RelayError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import type { Relay } from "../relay.ts";
import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import type { UpstreamRequestOptions } from "../upstream/codex-client.ts";
import { RequestLog } from "../observe/request-log.ts";
import { noMetrics } from "../observe/metrics.ts";
import { UpstreamHealth } from "../observe/upstream-health.ts";

export type Script =
  UpstreamEvent[] | RelayError | ((body: ResponsesRequestBody) => AsyncIterable<UpstreamEvent>);

export interface ScriptedRelay {
  relay: Relay;
  /** Bodies and options the backend received, in order. */
  calls: { body: ResponsesRequestBody; options: UpstreamRequestOptions }[];
  enqueue(script: Script): void;
}

export function scriptedRelay(env: Record<string, string> = {}): ScriptedRelay {
  const calls: ScriptedRelay["calls"] = [];
  const queue: Script[] = [];
  const config = loadConfig({ CODEX_INSTRUCTIONS: "BASE", ...env });
  const relay = {
    config,
    logger: silentLogger,
    startedAt: Date.now(),
    requests: new RequestLog(),
    metrics: noMetrics,
    upstreamHealth: new UpstreamHealth(),
    tokens: { status: () => ({ accountId: null }) },
    catalog: { source: "fallback", list: async () => [{ slug: "gpt-5.5" }], get: async () => undefined },
    upstream: {
      async stream(body: ResponsesRequestBody, options: UpstreamRequestOptions) {
        calls.push({ body: structuredClone(body), options });
        const script = queue.shift() ?? [];
        if (script instanceof RelayError) throw script;
        const events = typeof script === "function" ? script(body) : iterate(script);
        return { headers: { "x-codex-primary-used-percent": "5" }, events };
      },
    },
  } as unknown as Relay;
  return { relay, calls, enqueue: (s) => queue.push(s) };
}

async function* iterate(events: UpstreamEvent[]): AsyncGenerator<UpstreamEvent> {
  for (const e of events) yield structuredClone(e);
}

/** A plain text answer as the backend streams it, `output: []` in response.completed (the store:false quirk). */
export function textEvents(
  id: string,
  text: string,
  opts: { usage?: boolean; msgId?: string } = {},
): UpstreamEvent[] {
  const msgId = opts.msgId ?? `msg_${id}`;
  const response = {
    id,
    object: "response",
    created_at: 1700000000,
    status: "in_progress",
    model: "gpt-5.5",
    output: [],
  };
  const item = {
    type: "message",
    id: msgId,
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }],
  };
  const half = Math.ceil(text.length / 2);
  let seq = 0;
  return [
    { type: "response.created", sequence_number: seq++, response },
    { type: "response.in_progress", sequence_number: seq++, response },
    {
      type: "response.output_item.added",
      sequence_number: seq++,
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    },
    {
      type: "response.content_part.added",
      sequence_number: seq++,
      item_id: msgId,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    },
    {
      type: "response.output_text.delta",
      sequence_number: seq++,
      item_id: msgId,
      output_index: 0,
      content_index: 0,
      delta: text.slice(0, half),
    },
    {
      type: "response.output_text.delta",
      sequence_number: seq++,
      item_id: msgId,
      output_index: 0,
      content_index: 0,
      delta: text.slice(half),
    },
    {
      type: "response.output_text.done",
      sequence_number: seq++,
      item_id: msgId,
      output_index: 0,
      content_index: 0,
      text,
    },
    {
      type: "response.content_part.done",
      sequence_number: seq++,
      item_id: msgId,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text, annotations: [] },
    },
    { type: "response.output_item.done", sequence_number: seq++, output_index: 0, item },
    {
      type: "response.completed",
      sequence_number: seq,
      response: {
        ...response,
        status: "completed",
        output: [],
        usage:
          opts.usage === false
            ? null
            : {
                input_tokens: 12,
                input_tokens_details: { cached_tokens: 2 },
                output_tokens: 5,
                output_tokens_details: { reasoning_tokens: 1 },
                total_tokens: 17,
              },
      },
    },
  ];
}

/** Parses an SSE body into {event, data} pairs. */
export function parseSse(text: string): { event: string | null; data: string }[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      return { event, data: data.join("\n") };
    });
}
