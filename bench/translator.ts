// The translator row: a stream replayed in a loop through the relay's own chat streaming path, in this process,
// with no network — UTF-8 bytes → TextDecoder → SseParser → JSON.parse → ResponsesEventNormalizer →
// ChatStreamTranslator → serializeChunk → UTF-8 bytes, as src/upstream/codex-client.ts, src/core/turn.ts,
// src/routes/openai-chat.ts and src/http/text-stream.ts chain them (minus the async generators and the sockets).
// JavaScript runs on one thread, so this is one core (V8's garbage collector has helper threads).

import { readFileSync } from "node:fs";
import { SseParser } from "../src/upstream/sse-parser.ts";
import { ResponsesEventNormalizer } from "../src/responses/normalize-events.ts";
import { ChatStreamTranslator, DONE_LINE, serializeChunk } from "../src/openai/chat-stream-translator.ts";
import type { UpstreamEvent } from "../src/responses/types.ts";
import { OutputLimiter, type OutputLimits } from "../src/core/output-limiter.ts";
import { countTextTokens } from "../src/core/token-count.ts";
import { streamEvents, type StreamContext } from "../test/fakes/scenarios.ts";

/** Network-sized reads: the replayed bytes are cut into pieces of this size (not on event boundaries). */
const READ_SIZE = 8192;

export interface ReplayInput {
  name: string;
  /** Upstream events in the stream (up to and including the terminal one). */
  events: number;
  chunks: Uint8Array[];
}

export interface TranslatorResult {
  name: string;
  /** Upstream events per stream replayed. */
  events: number;
  /** Per second of wall-clock time. */
  eventsPerSecond: number;
  /** Per second of this process's CPU time: what one core does, even when other processes compete for it. */
  eventsPerCpuSecond: number;
  /** Output bytes per upstream event (the client's SSE). */
  outBytesPerEvent: number;
  streams: number;
}

function frame(event: unknown): string {
  const type = (event as { type?: unknown }).type;
  return `event: ${String(type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

function cut(sse: string, name: string, events: number): ReplayInput {
  const bytes = Buffer.from(sse, "utf8");
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += READ_SIZE) chunks.push(bytes.subarray(i, i + READ_SIZE));
  return { name, events, chunks };
}

/** A recorded fixture (one JSON event per line), framed as the backend frames it. */
export function fixtureInput(path: string, name: string): ReplayInput {
  const events = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
  return cut(events.map(frame).join(""), name, events.length);
}

/** The fake backend's own stream for a `{"kind":"text","deltas":n}` scenario. */
export function fakeTextInput(deltas: number): ReplayInput {
  const body = { model: "gpt-5.4", input: [], reasoning: { effort: "medium", summary: "auto" } };
  const ctx: StreamContext = {
    model: "gpt-5.4",
    body,
    includeEncrypted: true,
    inputTokens: 100,
    completedOutput: "empty",
    defaultText: "",
  };
  const events = [...streamEvents({ kind: "text", deltas }, ctx)];
  return cut(events.map(frame).join(""), `fake ${deltas}-delta answer`, events.length);
}

/**
 * A stream whose answer is one text delta of `mb` MB: the delta, output_text.done, content_part.done and
 * output_item.done each carry it on one SSE line, read in 8 KB pieces (a parser that re-joins its buffer on every
 * read is quadratic here: 20 MB took 30 s).
 */
export function longLineInput(mb: number): ReplayInput {
  const body = { model: "gpt-5.4", input: [], reasoning: { effort: "none" } };
  const ctx: StreamContext = {
    model: "gpt-5.4",
    body,
    includeEncrypted: false,
    inputTokens: 100,
    completedOutput: "empty",
    defaultText: "",
  };
  const events = [...streamEvents({ kind: "text", text: "x".repeat(mb * 2 ** 20), deltas: 1 }, ctx)];
  return cut(events.map(frame).join(""), `one ${mb} MB delta`, events.length);
}

/** Replays `input` `times` times; milliseconds per stream and MB of SSE parsed per second (wall clock). */
export function measureLongLine(
  input: ReplayInput,
  times: number,
): { msPerStream: number; mbPerSecond: number } {
  const encoder = new TextEncoder();
  const bytes = input.chunks.reduce((n, c) => n + c.length, 0);
  replayOnce(input, encoder); // warm-up
  const start = performance.now();
  for (let i = 0; i < times; i++) replayOnce(input, encoder);
  const ms = (performance.now() - start) / times;
  return { msPerStream: ms, mbPerSecond: bytes / 2 ** 20 / (ms / 1000) };
}

/**
 * Translates one stream; returns [upstream events, output bytes]. With `limits`, the parts pass through the
 * OutputLimiter as src/core/turn.ts puts it in.
 */
function replayOnce(input: ReplayInput, encoder: TextEncoder, limits?: OutputLimits): [number, number] {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const normalizer = new ResponsesEventNormalizer();
  const translator = new ChatStreamTranslator({
    id: "chatcmpl-bench0123456789abcdef0123456789",
    model: "gpt-5.4",
    created: 1_765_552_659,
    compat: "think-tags",
    includeUsage: true,
  });
  const limiter = limits ? new OutputLimiter(limits) : null;
  let events = 0;
  let out = 0;
  for (const c of translator.start()) out += encoder.encode(serializeChunk(c)).length;
  // Like the relay, stop reading at the terminal event.
  read: for (const chunk of input.chunks) {
    for (const m of parser.push(decoder.decode(chunk, { stream: true }))) {
      if (m.data === "[DONE]") continue;
      const event = JSON.parse(m.data) as UpstreamEvent;
      events++;
      for (const part of normalizer.push(event)) {
        for (const p of limiter ? limiter.push(part) : [part]) {
          for (const o of translator.push(p)) out += encoder.encode(serializeChunk(o)).length;
        }
      }
      if (normalizer.finished || limiter?.cut) break read;
    }
  }
  out += encoder.encode(DONE_LINE).length;
  return [events, out];
}

/**
 * The o200k tokens of the answer text in `input`: as max_tokens, the tightest budget that does not cut the answer,
 * so the limiter has to count (the bound by length proves nothing near the end) without ending the stream early.
 */
export function answerTokens(input: ReplayInput): number {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const normalizer = new ResponsesEventNormalizer();
  let text = "";
  for (const chunk of input.chunks) {
    for (const m of parser.push(decoder.decode(chunk, { stream: true }))) {
      if (m.data === "[DONE]") continue;
      for (const part of normalizer.push(JSON.parse(m.data) as UpstreamEvent))
        if (part.type === "text-delta") text += part.delta;
    }
  }
  return countTextTokens(text);
}

/** Replays `input` for about `durationMs` (after a short warm-up) and reports upstream events per second. */
export function measureTranslator(
  input: ReplayInput,
  durationMs: number,
  limits?: OutputLimits,
): TranslatorResult {
  const encoder = new TextEncoder();
  const warmUntil = performance.now() + Math.min(500, durationMs / 4);
  while (performance.now() < warmUntil) replayOnce(input, encoder, limits);
  let events = 0;
  let bytes = 0;
  let streams = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end) {
    // Check the clock every few streams only.
    for (let i = 0; i < 8; i++) {
      const [e, b] = replayOnce(input, encoder, limits);
      events += e;
      bytes += b;
      streams++;
    }
    now = performance.now();
  }
  const seconds = (now - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    name: input.name,
    events: events / streams,
    eventsPerSecond: events / seconds,
    eventsPerCpuSecond: events / cpuSeconds,
    outBytesPerEvent: bytes / events,
    streams,
  };
}
