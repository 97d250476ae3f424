// Streams through `wrangler dev` (what `npm run dev:worker` runs) arrive as they are produced, also when the client
// accepts gzip: miniflare gzips "compressible" responses and flushes only at the end (the trap in
// shared/research/workers-feasibility.md), so the Worker marks its streams `content-encoding: identity`. The
// pool's SELF.fetch bypasses that layer, hence this suite with a real wrangler dev and raw node:http reads.

import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { startWranglerDev, wranglerAvailable, type WranglerDev } from "../helpers/wrangler-dev.ts";

const available = wranglerAvailable();
let fake: FakeUpstream;
let dev: WranglerDev;

beforeAll(async () => {
  fake = await startFakeUpstream();
  // Events 150 ms apart: a buffered stream arrives in one piece at the end.
  fake.setDefaultScenario({ kind: "text", text: "one two three four five", deltas: 5, delayMs: 150 });
  dev = await startWranglerDev({
    ...fake.env(),
    OPENAI_CODEX_AUTH: JSON.stringify(fake.issuer.login({ ttlSeconds: 3600 })),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    REASONING_SUMMARY: "none",
  });
}, 90_000);
afterAll(async () => {
  await dev?.stop();
  await fake?.close();
});

interface Arrival {
  ms: number;
  text: string;
}

/** POSTs with Accept-Encoding: gzip over node:http and notes when each piece of the body arrives. */
function timedPost(
  path: string,
  body: unknown,
): Promise<{ headers: Record<string, unknown>; reads: Arrival[] }> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const req = request(`${dev.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "accept-encoding": "gzip, deflate, br" },
    });
    req.once("error", reject);
    req.once("response", (res) => {
      const reads: Arrival[] = [];
      res.on("data", (d: Buffer) => reads.push({ ms: Date.now() - start, text: d.toString("utf8") }));
      res.once("end", () => resolve({ headers: res.headers, reads }));
      res.once("error", reject);
    });
    req.end(JSON.stringify(body));
  });
}

function expectUnbuffered(headers: Record<string, unknown>, reads: Arrival[], wholeText: RegExp): void {
  expect(headers["content-encoding"]).toBe("identity");
  expect(reads.map((r) => r.text).join("")).toMatch(wholeText);
  const withAnswer = reads.filter((r) => /one|two|three|four|five/.test(r.text));
  // The answer came in several pieces, spread over the backend's pace (a buffered one comes in one piece).
  expect(withAnswer.length).toBeGreaterThanOrEqual(3);
  expect(withAnswer.at(-1)!.ms - withAnswer[0]!.ms).toBeGreaterThanOrEqual(300);
}

describe.runIf(available)("streams through wrangler dev with Accept-Encoding: gzip", () => {
  it("a chat completion stream (SSE)", async () => {
    const { headers, reads } = await timedPost("/v1/chat/completions", {
      model: "gpt-5.4",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(headers["content-type"]).toMatch(/^text\/event-stream/);
    expectUnbuffered(headers, reads, /\[DONE\]/);
  });

  it("an Ollama chat stream (NDJSON)", async () => {
    const { headers, reads } = await timedPost("/api/chat", {
      model: "gpt-5.4",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(headers["content-type"]).toMatch(/^application\/x-ndjson/);
    expectUnbuffered(headers, reads, /"done":true/);
  });

  it("a non-streamed answer is still compressed (the layer is there; only streams opt out)", async () => {
    const { headers } = await timedPost("/v1/chat/completions", {
      model: "gpt-5.4",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(headers["content-encoding"]).toBe("gzip");
  });
});
