// A slow client must slow the backend down, not fill the relay's memory. The relay runs as its own process (as
// `npm start` does) so its memory can be measured alone; the fake backend runs here and counts how many events it
// has managed to write. A client pauses reading a 5,000-delta stream (~40 MiB): the fake's writes block (it stops
// producing events), the relay's RSS stays flat, and once the client reads again everything arrives intact.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startRelayProcess, type RelayProcess } from "../helpers/relay-process.ts";
import { MODEL, sleep, sseData } from "./helpers/http.ts";

const DELTAS = 5000;
const DELTA = "0123456789abcdef".repeat(512); // 8 KiB per delta, ~40 MiB in all
const MiB = 1024 * 1024;

let fake: FakeUpstream | undefined;
let relay: RelayProcess | undefined;
let socket: Socket | undefined;
afterAll(async () => {
  socket?.destroy();
  await relay?.stop();
  await fake?.close();
});

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error("no VmRSS");
  return Number(m[1]) / 1024;
}

/** The events of one answer with DELTAS text deltas; `pulled` counts how far the fake has got in writing them. */
function countedEvents(deltas = DELTAS): { events: Record<string, unknown>[]; pulled: () => number } {
  let pulled = 0;
  const msg = "msg_backpressure";
  const response = {
    id: "resp_backpressure",
    object: "response",
    status: "in_progress",
    model: MODEL,
    output: [],
  };
  function* gen(): Generator<Record<string, unknown>> {
    let seq = 0;
    yield { type: "response.created", response, sequence_number: seq++ };
    yield {
      type: "response.output_item.added",
      item: { id: msg, type: "message", status: "in_progress", content: [], role: "assistant" },
      output_index: 0,
      sequence_number: seq++,
    };
    for (let i = 0; i < deltas; i++) {
      pulled++;
      yield {
        type: "response.output_text.delta",
        content_index: 0,
        delta: DELTA,
        item_id: msg,
        output_index: 0,
        sequence_number: seq++,
      };
    }
    const text = { type: "output_text", annotations: [], text: "(long)" };
    yield {
      type: "response.output_item.done",
      item: { id: msg, type: "message", status: "completed", content: [text], role: "assistant" },
      output_index: 0,
      sequence_number: seq++,
    };
    yield {
      type: "response.completed",
      response: { ...response, status: "completed", usage: null },
      sequence_number: seq,
    };
  }
  const iterable = { [Symbol.iterator]: gen };
  // The fake walks `events` with `yield*`, so any iterable does; this one is produced lazily and counted.
  return { events: iterable as unknown as Record<string, unknown>[], pulled: () => pulled };
}

it("applies backpressure to the backend when a client stops reading, with bounded memory", async () => {
  fake = await startFakeUpstream();
  const codexHome = mkdtempSync(join(tmpdir(), "codex-relay-bp-"));
  writeFileSync(join(codexHome, "auth.json"), JSON.stringify(fake.issuer.login()), { mode: 0o600 });
  relay = await startRelayProcess({ CODEX_HOME: codexHome, ...fake.env(), LOG_LEVEL: "info" });
  const pid = relay.child.pid!;
  const url = new URL(relay.url);

  // Warm up (JIT, catalogue, token, and a heap grown to what streaming deltas of this size takes) so that the
  // baseline is the relay at rest after such work, not at start.
  for (let i = 0; i < 2; i++) {
    fake.enqueue({ kind: "events", events: countedEvents(1500).events });
    const r = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "warm" }] }),
    });
    await r.text();
  }
  await sleep(200);
  const baseline = rssMiB(pid);

  const { events, pulled } = countedEvents();
  fake.enqueue({ kind: "events", events });
  const body = JSON.stringify({
    model: MODEL,
    stream: true,
    reasoning_effort: "none",
    messages: [{ role: "user", content: "a very long answer please" }],
  });
  const sock = connect(Number(url.port), url.hostname);
  socket = sock;
  const chunks: Buffer[] = [];
  let received = 0;
  sock.on("data", (d: Buffer) => {
    chunks.push(d);
    received += d.length;
  });
  sock.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  const deadline = Date.now() + 5000;
  while (received < 64 * 1024 && Date.now() < deadline) await sleep(5);
  expect(received).toBeGreaterThan(0);
  sock.pause(); // a client that stops reading

  // Wait until the fake's producer stops advancing: its writes are blocked.
  let last = -1;
  let stable = 0;
  let peakRss = 0;
  const pauseDeadline = Date.now() + 8000;
  while (stable < 6 && Date.now() < pauseDeadline) {
    await sleep(100);
    peakRss = Math.max(peakRss, rssMiB(pid));
    const now = pulled();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  const pulledWhilePaused = pulled();
  const totalMiB = (DELTAS * DELTA.length) / MiB;
  const inFlightMiB = (pulledWhilePaused * DELTA.length) / MiB;
  console.info(
    `[hardening] slow client: fake produced ${pulledWhilePaused}/${DELTAS} deltas (${inFlightMiB.toFixed(1)} of ${totalMiB.toFixed(1)} MiB) before its writes blocked; ` +
      `relay RSS ${baseline.toFixed(1)} MiB at rest, ${peakRss.toFixed(1)} MiB peak while paused (+${(peakRss - baseline).toFixed(1)} MiB)`,
  );
  expect(stable).toBeGreaterThanOrEqual(6); // the producer really stalled
  expect(pulledWhilePaused).toBeLessThan(DELTAS / 2); // the backend was held back, not drained into the relay
  expect(fake.counters.streamsOpen).toBe(1);
  // Whatever is in flight sits in socket buffers; the relay itself holds next to none of it (buffering the stream
  // would take at least its 39 MiB).
  expect(peakRss - baseline).toBeLessThan(12);

  // The client reads again: everything arrives, in order, and the stream ends properly.
  sock.resume();
  await new Promise<void>((resolve, reject) => {
    sock.once("end", () => resolve());
    sock.once("error", reject);
    setTimeout(() => reject(new Error("the resumed stream did not end within 15 s")), 15_000);
  });
  const raw = Buffer.concat(chunks);
  const payload = raw.subarray(raw.indexOf("\r\n\r\n") + 4);
  // Chunked transfer encoding: strip the chunk-size lines, then read the SSE frames.
  const data = sseData(dechunk(payload));
  expect(data.at(-1)).toBe("[DONE]");
  let contentLength = 0;
  for (const d of data.slice(0, -1)) {
    const c = JSON.parse(d) as { error?: unknown; choices?: { delta?: { content?: string } }[] };
    expect(c.error).toBeUndefined();
    const piece = c.choices?.[0]?.delta?.content ?? "";
    if (piece !== "" && piece !== DELTA) throw new Error(`a delta arrived altered: ${piece.slice(0, 80)}`);
    contentLength += piece.length;
  }
  expect(contentLength).toBe(DELTAS * DELTA.length);
  expect(pulled()).toBe(DELTAS);
  const after = rssMiB(pid);
  console.info(`[hardening] slow client: relay RSS after the stream ${after.toFixed(1)} MiB`);
});

function dechunk(b: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf("\r\n", i);
    if (eol < 0) break;
    const size = parseInt(b.subarray(i, eol).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts).toString("utf8");
}
