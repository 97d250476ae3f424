// Fault injection through real HTTP, for every endpoint that runs a turn: backend 5xx and network failures before
// the first byte (bounded retries, then a 502/503 in the caller's dialect), a stream cut mid-way and a stalled
// backend (the stream ends with the dialect's error, never a hang), and clients that go away (the backend request
// is closed within 100 ms, nothing keeps running).

import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { overloaded, serverError } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import {
  TURN_ENDPOINTS,
  captureLogger,
  closedPort,
  errorMessage,
  post,
  until,
  within,
  type Endpoint,
} from "./helpers/http.ts";

const RETRIES = 2;
const IDLE_MS = 200;
const HANG = 5_000;

let t: TestRelay;
const log = captureLogger();
beforeAll(async () => {
  t = await startTestRelay({
    env: { UPSTREAM_RETRIES: String(RETRIES), UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) },
    logger: log,
  });
});
afterAll(() => t.close());
beforeEach(() => {
  t.fake.reset();
  log.records.length = 0;
});

/** A streaming request over node:http, resolved once the first bytes of the body arrived. */
function openStream(path: string, body: unknown): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${t.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      res.once("data", () => {
        res.pause();
        resolve({ req, res });
      });
    });
    req.end(JSON.stringify(body));
  });
}

/** A non-streamed request that is destroyed `afterMs` after it was sent. */
function sendAndDrop(path: string, body: unknown): ClientRequest {
  const req = httpRequest(`${t.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
  });
  req.on("error", () => {});
  req.end(JSON.stringify(body));
  return req;
}

const abortLatencies: number[] = [];
afterAll(() => {
  if (abortLatencies.length > 0) {
    const sorted = [...abortLatencies].sort((a, b) => a - b);
    console.info(
      `[hardening] client disconnect → backend request closed: n=${sorted.length}, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`,
    );
  }
});

async function expectBackendClosedWithin100ms(drop: () => void, before: number): Promise<void> {
  const start = performance.now();
  drop();
  await t.fake.waitForClosedEarly(before + 1, 100);
  abortLatencies.push(performance.now() - start);
}

describe.each(TURN_ENDPOINTS)("$name ($path)", (ep: Endpoint) => {
  describe.each([false, true])("stream=%s, before the first byte", (stream) => {
    it(`retries a 5xx ${RETRIES} times, then answers 502 in the caller's dialect`, async () => {
      t.fake.enqueue(serverError(500), serverError(502), serverError(500));
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("five hundred", stream)));
      expect(res.status).toBe(502);
      expect(errorMessage(ep.dialect, await res.json())).toMatch(/ChatGPT backend failed \(HTTP 500\)/);
      expect(t.fake.counters.responses).toBe(RETRIES + 1);
      expect(log.records.filter((r) => r.msg?.includes("retrying"))).toHaveLength(RETRIES);
    });

    it("answers 503 when the backend stays overloaded", async () => {
      t.fake.enqueue(overloaded(), overloaded(), overloaded());
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("busy", stream)));
      expect(res.status).toBe(503);
      expect(errorMessage(ep.dialect, await res.json())).toMatch(/overloaded/);
      expect(t.fake.counters.responses).toBe(RETRIES + 1);
    });

    it("recovers when a retry succeeds", async () => {
      t.fake.enqueue(serverError(503), { kind: "reset" });
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("third time", stream)));
      expect(res.status).toBe(200);
      const text = await res.text();
      if (stream) expect(ep.streamText(text)).toBe("Echo: third time");
      else expect(text).toContain("Echo: third time");
      expect(t.fake.counters.responses).toBe(3);
    });

    it("retries a connection reset, then answers 502 naming the network error", async () => {
      t.fake.enqueue({ kind: "reset" }, { kind: "reset" }, { kind: "reset" });
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("reset", stream)));
      expect(res.status).toBe(502);
      expect(errorMessage(ep.dialect, await res.json())).toMatch(/Could not reach the ChatGPT backend/);
      expect(t.fake.counters.responses).toBe(RETRIES + 1);
    });

    it("answers 504 when the backend sends no headers within UPSTREAM_IDLE_TIMEOUT_MS", async () => {
      t.fake.enqueue({ kind: "stall", afterEvents: 0, beforeHeaders: true });
      const started = Date.now();
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("silent", stream)));
      expect(res.status).toBe(504);
      expect(errorMessage(ep.dialect, await res.json())).toMatch(/UPSTREAM_IDLE_TIMEOUT_MS/);
      expect(Date.now() - started).toBeLessThan(IDLE_MS + 1500);
      await t.fake.waitForClosedEarly(1, 1000);
    });
  });

  describe("after the first byte", () => {
    it("ends a stream cut mid-way with the dialect's error, never a hang", async () => {
      t.fake.enqueue({ kind: "cut", afterEvents: 6, text: "one two three four five six seven" });
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("cut", true)));
      expect(res.status).toBe(200);
      const text = await within(HANG, `${ep.name} body`, res.text());
      expect(ep.streamError(text)).toMatch(/ended before|broke mid-stream|incomplete/i);
    });

    it("answers a non-streamed request whose backend stream is cut with 502", async () => {
      t.fake.enqueue({ kind: "cut", afterEvents: 6, text: "one two three four five six seven" });
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("cut", false)));
      expect(res.status).toBe(502);
      errorMessage(ep.dialect, await res.json());
    });

    it("ends a stalled stream with the idle-timeout error and closes the backend request", async () => {
      t.fake.enqueue({ kind: "stall", afterEvents: 6, text: "one two three four five six seven" });
      const started = Date.now();
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("stall", true)));
      const text = await within(HANG, `${ep.name} body`, res.text());
      expect(ep.streamError(text)).toMatch(/sent nothing for 200 ms \(UPSTREAM_IDLE_TIMEOUT_MS\)/);
      expect(Date.now() - started).toBeLessThan(IDLE_MS + 1500);
      await t.fake.waitForClosedEarly(1, 1000);
      expect(t.fake.counters.streamsOpen).toBe(0);
    });

    it("ends a stream whose backend sends only keep-alive comments with the idle-timeout error", async () => {
      // Comments are bytes, not events: they must not reset the idle timeout (as in the Codex CLI).
      t.fake.enqueue({ kind: "stall", afterEvents: 6, text: "one two three four five six", keepAliveMs: 40 });
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("keep-alive", true)));
      const text = await within(HANG, `${ep.name} body`, res.text());
      expect(ep.streamError(text)).toMatch(/sent nothing for 200 ms \(UPSTREAM_IDLE_TIMEOUT_MS\)/);
      await t.fake.waitForClosedEarly(1, 1000);
    });

    it("answers a non-streamed request whose backend stalls with 504", async () => {
      t.fake.enqueue({ kind: "stall", afterEvents: 6, text: "one two three four five six seven" });
      const res = await within(HANG, ep.name, post(`${t.url}${ep.path}`, ep.body("stall", false)));
      expect(res.status).toBe(504);
      expect(errorMessage(ep.dialect, await res.json())).toMatch(/UPSTREAM_IDLE_TIMEOUT_MS/);
    });
  });

  describe("a client that goes away", () => {
    it("mid-stream: the backend request is closed within 100 ms and nothing keeps running", async () => {
      t.fake.enqueue({ kind: "text", deltas: 400, delayMs: 10 });
      const { req } = await within(HANG, ep.name, openStream(ep.path, ep.body("go away", true)));
      expect(t.fake.counters.streamsOpen).toBe(1);
      await expectBackendClosedWithin100ms(() => req.destroy(), 0);
      await until(() => t.fake.counters.streamsOpen === 0, 500, "the fake's stream to close");
      await until(() => t.relay.openRequests() === 0, 500, "the relay to finish the request");
      // Nothing was retried or started again behind the client's back.
      await new Promise((r) => setTimeout(r, 50));
      expect(t.fake.counters.responses).toBe(1);
    });

    it("while the relay collects a non-streamed answer: the backend request is closed within 100 ms", async () => {
      t.fake.enqueue({ kind: "text", deltas: 400, delayMs: 10 });
      const req = sendAndDrop(ep.path, ep.body("go away", false));
      await until(() => t.fake.counters.streamsOpen === 1, 2000, "the backend stream to start");
      await new Promise((r) => setTimeout(r, 30));
      await expectBackendClosedWithin100ms(() => req.destroy(), 0);
      await until(() => t.relay.openRequests() === 0, 500, "the relay to finish the request");
      expect(t.fake.counters.responses).toBe(1);
    });

    it("while the relay waits for the backend's headers: the backend request is closed within 100 ms", async () => {
      t.fake.enqueue({ kind: "stall", afterEvents: 0, beforeHeaders: true });
      const req = sendAndDrop(ep.path, ep.body("go away", true));
      await t.fake.waitForRequests(1, 2000);
      await new Promise((r) => setTimeout(r, 30));
      await expectBackendClosedWithin100ms(() => req.destroy(), 0);
      await until(() => t.relay.openRequests() === 0, 500, "the relay to finish the request");
      expect(t.fake.counters.responses).toBe(1);
    });
  });
});

describe("a backend that refuses connections", () => {
  let down: TestRelay;
  const downLog = captureLogger();
  beforeAll(async () => {
    const port = await closedPort();
    down = await startTestRelay({
      fake: t.fake,
      logger: downLog,
      env: {
        UPSTREAM_RETRIES: String(RETRIES),
        CHATGPT_RESPONSES_URL: `http://127.0.0.1:${port}/backend-api/codex/responses`,
      },
    });
  });
  afterAll(() => down.close());

  it.each(TURN_ENDPOINTS.map((e) => [e.name, e] as const))(
    "%s: %i retries, then 502 in the caller's dialect",
    async (_name, ep) => {
      downLog.records.length = 0;
      for (const stream of [false, true]) {
        const res = await within(HANG, ep.name, post(`${down.url}${ep.path}`, ep.body("anyone?", stream)));
        expect(res.status).toBe(502);
        expect(errorMessage(ep.dialect, await res.json())).toMatch(
          /Could not reach the ChatGPT backend.*(ECONNREFUSED|fetch failed)/,
        );
      }
      const attempts = downLog.records.filter((r) => r.msg === "backend unreachable, retrying");
      expect(attempts).toHaveLength(2 * RETRIES);
    },
  );
});
