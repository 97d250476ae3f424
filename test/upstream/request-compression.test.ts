// Request bodies to the backend over HTTP are zstd-compressed, as the official Codex CLI sends them when signed in
// with ChatGPT; the fake decodes them by their Content-Encoding and refuses a body that does not decode.

import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { MIN_COMPRESSED_LENGTH } from "../../src/upstream/http-transport.ts";

let t: TestRelay;
afterEach(() => t.close());

const bigHistory = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    role: i % 2 === 0 ? ("user" as const) : ("assistant" as const),
    content: `turn ${i}: ${"the same words again and again ".repeat(20)}`,
  }));

describe("compressed request bodies", () => {
  it("sends zstd bodies (Content-Encoding: zstd) that the backend decodes to the same request", async () => {
    t = await startTestRelay({ env: { UPSTREAM_TRANSPORT: "http" } });
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const r = await client.chat.completions.create({ model: "gpt-5.5", messages: bigHistory(41) });
    expect(r.choices[0]!.message.content).toContain("Echo: turn 40");
    const sent = t.fake.requests[0]!;
    expect(sent.headers["content-encoding"]).toBe("zstd");
    expect(sent.contentEncoding).toBe("zstd");
    expect((sent.body as { input: unknown[] }).input.length).toBeGreaterThanOrEqual(41);
    // What went over the wire is a fraction of the JSON.
    expect(sent.wireBytes!).toBeLessThan(sent.bytes / 5);
  });

  it("sends a body under 1 KiB as it is: zstd would save nothing there", async () => {
    t = await startTestRelay({ env: { UPSTREAM_TRANSPORT: "http" } });
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
    await client.chat.completions.create({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] });
    const sent = t.fake.requests[0]!;
    expect(sent.bytes).toBeLessThan(MIN_COMPRESSED_LENGTH);
    expect(sent.headers["content-encoding"]).toBeUndefined();
    expect(sent.wireBytes).toBe(sent.bytes);
  });

  it("UPSTREAM_COMPRESSION=none sends plain JSON", async () => {
    t = await startTestRelay({ env: { UPSTREAM_TRANSPORT: "http", UPSTREAM_COMPRESSION: "none" } });
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
    await client.chat.completions.create({ model: "gpt-5.5", messages: bigHistory(3) });
    const sent = t.fake.requests[0]!;
    expect(sent.headers["content-encoding"]).toBeUndefined();
    expect(sent.wireBytes).toBe(sent.bytes);
  });

  it("the fake refuses a body that does not decode", async () => {
    t = await startTestRelay();
    const res = await fetch(t.fake.responsesUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "zstd" },
      body: "not zstd at all",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/zstd/);
  });
});
