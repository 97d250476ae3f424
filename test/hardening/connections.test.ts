// Connections (issue 15, item 12): a client that never reads is disconnected after SEND_TIMEOUT_MS (and its backend
// stream closed), a quiet stream is not; beyond MAX_CONNECTIONS new connections get a clear 503 in the caller's
// dialect and are closed while the open ones keep being served.

import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { CHAT, MODEL, errorMessage, post, sleep, until, within } from "./helpers/http.ts";

const MAX = 4;
let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay({ env: { SEND_TIMEOUT_MS: "300", MAX_CONNECTIONS: String(MAX) } });
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

/** A GET on a connection of its own (no keep-alive pool). */
function freshGet(path: string): Promise<{ status: number; text: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${t.url}${path}`, { agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }));
    });
    req.on("error", reject);
    req.end();
  });
}

function idleSocket(): Promise<Socket> {
  const u = new URL(t.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => resolve(s));
    s.on("error", reject);
  });
}

describe("SEND_TIMEOUT_MS", () => {
  it("disconnects a client that never reads and closes its backend stream", async () => {
    // About 20 MB of answer: far more than the socket buffers of both ends hold.
    t.fake.enqueue({ kind: "text", text: "x".repeat(20 * 1024 * 1024), deltas: 2000 });
    const u = new URL(t.url);
    const socket = connect(Number(u.port), u.hostname);
    socket.on("error", () => {});
    const body = JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "big" }] });
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    socket.pause(); // and never read (a paused socket does not see the relay's close either)
    try {
      await until(() => t.fake.counters.streamsOpen === 1, 5000, "the backend stream to start");
      await until(() => t.fake.counters.streamsOpen === 0, 15_000, "the backend stream to close");
      await until(() => t.relay.openRequests() === 0, 5000, "the relay to drop the request");
    } finally {
      socket.destroy();
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it("leaves a stream alone that is quiet longer than the send timeout (nothing waits to be sent)", async () => {
    t.fake.enqueue({ kind: "text", text: "slow but alive", deltas: 3, delayMs: 500 });
    const res = await post(`${t.url}${CHAT.path}`, CHAT.body("slow", true));
    expect(CHAT.streamText(await res.text())).toBe("slow but alive");
  });
});

describe("MAX_CONNECTIONS", () => {
  it("refuses connections beyond the limit with 503 in the dialect and keeps serving the open ones", async () => {
    t.fake.enqueue({ kind: "text", text: "one two three four five six seven eight", delayMs: 100 });
    const stream = await post(`${t.url}${CHAT.path}`, CHAT.body("long", true));
    const streamText = stream.text();
    await until(() => t.fake.counters.streamsOpen === 1, 5000, "the stream to start");
    const idle: Socket[] = [];
    try {
      // The stream's connection plus three idle ones: at the limit.
      for (let i = 0; i < MAX - 1; i++) idle.push(await idleSocket());
      await sleep(50);
      const refused = await freshGet("/v1/models");
      expect(refused.status).toBe(503);
      expect(refused.connection).toBe("close");
      expect(errorMessage("openai", JSON.parse(refused.text))).toMatch(
        /maximum of 4 client connections.*MAX_CONNECTIONS/,
      );
      const ollama = await freshGet("/api/tags");
      expect(ollama.status).toBe(503);
      expect(errorMessage("ollama", JSON.parse(ollama.text))).toMatch(/MAX_CONNECTIONS/);
      // The open stream is unharmed.
      expect(CHAT.streamText(await within(10_000, "the open stream", streamText))).toBe(
        "one two three four five six seven eight",
      );
    } finally {
      for (const s of idle) s.destroy();
    }
    // Below the limit again: served.
    let status = 0;
    const end = Date.now() + 5000;
    while (status !== 200 && Date.now() < end) {
      status = (await freshGet("/health")).status;
      if (status !== 200) await sleep(50);
    }
    expect(status).toBe(200);
  });
});
