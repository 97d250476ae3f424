// The backend side of the pipeline under random input: the recorded upstream streams (test/fixtures/recorded),
// framed as SSE with random line endings and cut into random chunks (splitting lines, CRLF pairs and multi-byte
// characters), must give exactly the parts and chat chunks they give in one piece; random garbage, alone or after a
// valid prefix, must never crash and must end the turn with a clear error part. The real CodexClient runs here (SSE
// parser, event decoding, idle timer), fed by a fetch that returns the chosen chunks.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import type { StreamPart } from "../../src/core/stream-parts.ts";
import { startTurn } from "../../src/core/turn.ts";
import { ChatStreamTranslator, serializeChunk } from "../../src/openai/chat-stream-translator.ts";
import { RECORDED, loadRecorded, splitResponses } from "../helpers/recorded.ts";
import type { ResponsesRequestBody, UpstreamEvent } from "../../src/responses/types.ts";
import { createCodexClient } from "../../src/upstream/codex-client.ts";
import { watchUnhandled } from "./helpers/fuzz.ts";

const RUNS = Number(process.env.FUZZ_STREAM_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_705);
const encoder = new TextEncoder();

/** A synthetic answer with multi-byte text (accents, CJK, emoji, a lone astral pair per delta) so chunk cuts land inside characters. */
function unicodeAnswer(): UpstreamEvent[] {
  const msg = "msg_unicode";
  const deltas = ["Grüße, ", "世界", " 👋🏽", " — ça va? ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u00e9\u0301"];
  const text = deltas.join("");
  const item = {
    id: msg,
    type: "message",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }],
  };
  return [
    { type: "response.created", response: { id: "resp_u", status: "in_progress", output: [] } },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    },
    ...deltas.map((delta) => ({
      type: "response.output_text.delta",
      item_id: msg,
      output_index: 0,
      content_index: 0,
      delta,
    })),
    { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: { id: "resp_u", status: "completed", output: [], usage: null } },
  ];
}

const STREAMS: { name: string; events: UpstreamEvent[] }[] = [
  ...Object.entries(RECORDED).flatMap(([name, file]) =>
    splitResponses(loadRecorded(file)).map((events, i) => ({ name: `${name}#${i}`, events })),
  ),
  { name: "unicode", events: unicodeAnswer() },
];

type Eol = "\n" | "\r\n" | "\r";

function frame(events: UpstreamEvent[], eol: Eol): Uint8Array {
  const text = events
    .map((e) => `event: ${String(e.type)}${eol}data: ${JSON.stringify(e)}${eol}${eol}`)
    .join("");
  return encoder.encode(text);
}

function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of [...at, bytes.length]) {
    if (p > start) out.push(bytes.subarray(start, p));
    start = Math.max(start, p);
  }
  return out;
}

const BODY = { model: "gpt-5.5", input: [], stream: true, store: false } as unknown as ResponsesRequestBody;

/** Runs the chunks through CodexClient → turn → chat translator. */
async function run(chunks: Uint8Array[]): Promise<{ parts: StreamPart[]; chat: string }> {
  const queue = [...chunks];
  const client = createCodexClient({
    config: {
      responsesUrl: "http://stub.invalid/backend-api/codex/responses",
      originator: "codex_cli_rs",
      upstreamIdleTimeoutMs: 10_000,
      upstreamRetries: 0,
    },
    credentials: {
      getCredentials: async () => ({ accessToken: "t", accountId: "a" }),
      handleUnauthorized: async () => ({ accessToken: "t", accountId: "a" }),
    },
    logger: silentLogger,
    installationId: "fuzz",
    fetch: async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(c) {
            const next = queue.shift();
            if (next) c.enqueue(next);
            else c.close();
          },
        }),
        { status: 200, headers: { "content-type": "text/event-stream" } },
      ),
  });
  const turn = await startTurn(client, structuredClone(BODY), { sessionId: "s" });
  const parts: StreamPart[] = [];
  for await (const p of turn.parts) parts.push(p);
  const translator = new ChatStreamTranslator({
    id: "chatcmpl-fuzz",
    model: "gpt-5.5",
    created: 1,
    compat: "reasoning_content",
    includeUsage: true,
  });
  let chat = translator.start().map(serializeChunk).join("");
  for (const p of parts) chat += translator.push(p).map(serializeChunk).join("");
  return { parts, chat };
}

let unhandled: ReturnType<typeof watchUnhandled>;
beforeAll(() => {
  unhandled = watchUnhandled();
});
afterAll(() => unhandled.stop());

describe("SSE parser + normalizer + chat translator under random chunking", () => {
  it.each(STREAMS.map((s) => [s.name, s] as const))(
    "%s: any chunking gives the same output",
    async (_n, s) => {
      const whole = await run([frame(s.events, "\n")]);
      expect(whole.parts.length).toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<Eol>("\n", "\r\n", "\r"),
          fc.array(fc.nat(), { maxLength: 60 }),
          fc.boolean(),
          async (eol, points, bytewise) => {
            const bytes = frame(s.events, eol);
            // Sometimes one byte at a time for a stretch: the worst case for a parser that assumes whole lines.
            const extra = bytewise ? Array.from({ length: 64 }, (_, i) => (points[0] ?? 0) + i) : [];
            const got = await run(cut(bytes, [...points, ...extra]));
            expect(got.parts).toEqual(whole.parts);
            expect(got.chat).toBe(whole.chat);
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
    },
  );
});

describe("garbage from the backend", () => {
  it("never crashes and always ends the turn with a clear error part", async () => {
    const valid = frame(STREAMS.find((s) => s.name === "unicode")!.events, "\n");
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.nat({ max: valid.length }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (garbage, prefixLen, points) => {
          // A valid start cut short (no terminal event), then garbage.
          const prefix = valid.subarray(0, Math.min(prefixLen, valid.length - 200));
          const bytes = new Uint8Array(prefix.length + garbage.length);
          bytes.set(prefix);
          bytes.set(garbage, prefix.length);
          const { parts, chat } = await run(cut(bytes, points));
          const last = parts.at(-1);
          expect(last?.type).toBe("error");
          if (last?.type === "error") {
            expect(last.message).toMatch(/closed the stream before the response completed/);
            expect(last.code).toBe("stream_incomplete");
          }
          expect(chat).toContain('"error"');
        },
      ),
      { numRuns: 1000, seed: SEED },
    );
    expect(unhandled.errors).toEqual([]);
  });

  it("skips undecodable events between valid ones and still completes", async () => {
    const events = STREAMS.find((s) => s.name === "unicode")!.events;
    const whole = await run([frame(events, "\n")]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant("data: {not json\n\n"),
            fc.constant("data: [1,2,3]\n\n"),
            fc.constant('data: {"no_type":true}\n\n'),
            fc.constant(": a comment\n\n"),
            fc.constant("retry: 10\nid: 5\n\n"),
            fc.constant("event: ping\n\n"),
            fc
              .string({ unit: "grapheme-ascii", maxLength: 30 })
              .map((s) => `data: ${s.replace(/[\r\n]/g, "")}\n\n`),
          ),
          { maxLength: 8 },
        ),
        fc.nat(),
        async (noise, where) => {
          const framed = events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
          const at = where % framed.length;
          framed.splice(at, 0, ...noise.filter((n) => !/"type"/.test(n)));
          const got = await run([encoder.encode(framed.join(""))]);
          expect(got.parts).toEqual(whole.parts);
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });
});
