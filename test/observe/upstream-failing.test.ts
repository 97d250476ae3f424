// /health's view of the backend covers what happens after the HTTP 200 and the WebSocket transport too: a stream
// that breaks or ends with the backend's own failure counts toward upstream_failing, as does a WebSocket that drops
// mid-turn; a refused handshake or an error frame shows as the last upstream error; the backend's answers to a
// request it will not serve (bad request, context too long, usage limit) are not failures.

import { afterEach, describe, expect, it } from "vitest";
import { serverError, usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

interface LastError {
  kind: string;
  status: number | null;
  code: string | null;
  message: string;
  transport?: string;
}

interface HealthBody {
  status: string;
  reason: string | null;
  upstream: { last_error: LastError | null; consecutive_failures: number };
}

let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function getHealth(url: string) {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: (await res.json()) as HealthBody };
}

let conversation = 0;
/** A streamed chat completion read to its end; each is a new conversation (a new WebSocket on that transport). */
async function chat(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-session-id": `conv-${++conversation}` },
    body: JSON.stringify({ model: "gpt-5.5", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe("failures after the HTTP 200", () => {
  it("streams that break mid-way make /health 503 upstream_failing; a complete one clears it", async () => {
    t = await startTestRelay({ env: { UPSTREAM_TRANSPORT: "http" } });
    // Cut after the answer began (a failure before any output is answered with an HTTP status instead).
    t.fake.setDefaultScenario({ kind: "cut", afterEvents: 6, text: "A longer answer that breaks off." });
    for (let i = 0; i < 3; i++) await chat(t.url);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("upstream_failing");
    expect(body.upstream.consecutive_failures).toBe(3);
    expect(body.upstream.last_error).toMatchObject({
      kind: "failure",
      code: "upstream_stream_error",
      transport: "http",
    });
    t.fake.setDefaultScenario(null);
    expect(await chat(t.url)).toContain("[DONE]");
    expect((await getHealth(t.url)).status).toBe(200);
  });

  it("streams that end with the backend's own failure count; a failure about the request does not", async () => {
    t = await startTestRelay({ env: { UPSTREAM_TRANSPORT: "http" } });
    t.fake.setDefaultScenario({
      kind: "failed",
      code: "context_length_exceeded",
      message: "Your input exceeds the context window of this model.",
      text: "Partial",
    });
    for (let i = 0; i < 3; i++) await chat(t.url);
    let health = await getHealth(t.url);
    expect(health.status).toBe(200);
    expect(health.body.upstream.consecutive_failures).toBe(0);
    expect(health.body.upstream.last_error).toMatchObject({
      kind: "answered",
      code: "context_length_exceeded",
    });

    t.fake.setDefaultScenario({
      kind: "failed",
      code: "server_error",
      message: "An error occurred.",
      text: "Partial",
    });
    for (let i = 0; i < 3; i++) await chat(t.url);
    health = await getHealth(t.url);
    expect(health.status).toBe(503);
    expect(health.body.reason).toBe("upstream_failing");
    expect(health.body.upstream.last_error).toMatchObject({
      kind: "failure",
      code: "server_error",
      message: "An error occurred.",
    });
  });
});

describe("the WebSocket transport", () => {
  const ws = { UPSTREAM_TRANSPORT: "websocket", UPSTREAM_RETRIES: "1" };

  it("connections dropped mid-turn make /health 503 upstream_failing", async () => {
    t = await startTestRelay({ env: ws });
    // A pause after each frame, so the frames before the cut leave the fake before its socket is destroyed.
    t.fake.setDefaultScenario({
      kind: "cut",
      afterEvents: 6,
      of: { kind: "text", text: "Hello there, a longer answer", delayMs: 20 },
    });
    for (let i = 0; i < 3; i++) await chat(t.url);
    expect(t.fake.requests.every((r) => r.method === "WS")).toBe(true);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(503);
    expect(body.reason).toBe("upstream_failing");
    expect(body.upstream.last_error).toMatchObject({
      kind: "failure",
      code: "upstream_stream_error",
      transport: "websocket",
    });
  });

  it("a refused handshake is the last upstream error; HTTP serving the turn keeps the relay ready", async () => {
    t = await startTestRelay({ env: ws });
    t.fake.backend.onUpgrade = () => serverError(503);
    expect(await chat(t.url)).toContain("[DONE]");
    expect(t.fake.requests.map((r) => r.method)).toEqual(["POST"]);
    const { status, body } = await getHealth(t.url);
    expect(status).toBe(200);
    expect(body.upstream.consecutive_failures).toBe(0);
    expect(body.upstream.last_error).toMatchObject({ kind: "failure", status: 503, transport: "websocket" });
  });

  it("error frames: a backend failure counts, a usage limit is an answer", async () => {
    t = await startTestRelay({ env: { ...ws, UPSTREAM_RETRIES: "0" } });
    // Every WebSocket turn gets a 500 error frame, and so does the HTTP fallback: nothing serves.
    t.fake.setDefaultScenario(serverError(500));
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(t.fake.requests.map((r) => r.method)).toEqual(["WS", "POST"]);
    let health = await getHealth(t.url);
    // One frame and one POST: both are failures of the backend.
    expect(health.body.upstream.consecutive_failures).toBe(2);

    t.fake.reset();
    t.fake.setDefaultScenario(usageLimitReached({ resetsInSeconds: 600 }));
    // Another conversation: the first one now goes over HTTP only.
    const limited = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-session-id": "another" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(limited.status).toBe(429);
    expect(t.fake.requests.map((r) => r.method)).toEqual(["WS"]);
    health = await getHealth(t.url);
    expect(health.status).toBe(200);
    expect(health.body.upstream.consecutive_failures).toBe(0);
    expect(health.body.upstream.last_error).toMatchObject({
      kind: "answered",
      status: 429,
      transport: "websocket",
    });
  });
});
