import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { RelayError } from "../core/errors.ts";
import type { JsonObject, UpstreamEvent } from "../responses/types.ts";
import { parseSse, scriptedRelay, textEvents } from "./route-test-relay.ts";

function setup(env: Record<string, string> = {}) {
  const s = scriptedRelay(env);
  const app = createApp(s.relay);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.request("/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  return { ...s, app, post };
}

describe("POST /v1/responses (non-stream)", () => {
  it("aggregates the events into one response whose output is rebuilt from output_item.done", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "Hello there"));
    const res = await t.post({ model: "gpt-5.5", input: "hi" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-codex-primary-used-percent")).toBe("5");
    const body = (await res.json()) as JsonObject;
    expect(body).toMatchObject({
      id: "resp_1",
      object: "response",
      status: "completed",
      model: "gpt-5.5",
      error: null,
    });
    expect(body.output).toEqual([
      {
        type: "message",
        id: "msg_resp_1",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Hello there", annotations: [] }],
      },
    ]);
    expect(body.usage).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
    const sent = t.calls[0]!.body;
    expect(sent).toMatchObject({ model: "gpt-5.5", store: false, stream: true });
    expect(sent.input[0]).toMatchObject({ role: "developer" });
    expect(t.calls[0]!.options.sessionId).toBe(sent.prompt_cache_key);
  });

  it("answers a response.failed with its HTTP status and the backend's message", async () => {
    const t = setup();
    t.enqueue([
      {
        type: "response.failed",
        response: {
          id: "r",
          error: { code: "context_length_exceeded", message: "Your input exceeds the context window" },
        },
      },
    ]);
    const res = await t.post({ model: "gpt-5.5", input: "hi" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "context_length_exceeded", message: "Your input exceeds the context window" },
    });
  });

  it("passes errors before the first byte through", async () => {
    const t = setup();
    t.enqueue(
      new RelayError(429, "The usage limit has been reached", {
        code: "usage_limit_reached",
        headers: { "retry-after": "60" },
      }),
    );
    const res = await t.post({ model: "gpt-5.5", input: "hi" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
  });

  it("reports a stream that ends early as an error", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "x").slice(0, 4));
    const res = await t.post({ model: "gpt-5.5", input: "hi" });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "stream_incomplete" } });
  });

  it("validates the body", async () => {
    const t = setup();
    const res = await t.post({ input: "hi" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "model", type: "invalid_request_error" } });
    expect(t.calls).toHaveLength(0);
  });
});

describe("POST /v1/responses (stream)", () => {
  it("re-emits every event in order and fills the empty output of response.completed", async () => {
    const t = setup();
    const events = textEvents("resp_1", "Hello there");
    t.enqueue(events);
    const res = await t.post({ model: "gpt-5.5", input: "hi", stream: true });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const frames = parseSse(await res.text());
    expect(frames.map((f) => f.event)).toEqual(events.map((e) => e.type));
    for (const f of frames) expect((JSON.parse(f.data) as UpstreamEvent).type).toBe(f.event);
    const completed = JSON.parse(frames.at(-1)!.data) as { response: JsonObject };
    expect((completed.response.output as JsonObject[])[0]).toMatchObject({
      type: "message",
      id: "msg_resp_1",
    });
    expect(JSON.parse(frames[4]!.data)).toEqual(events[4]);
  });

  it("ends a stream that breaks after the first byte with response.failed", async () => {
    const t = setup();
    const head = textEvents("resp_1", "Hello").slice(0, 5);
    t.enqueue(async function* () {
      for (const e of head) yield e;
      throw new RelayError(502, "The connection to the ChatGPT backend broke mid-stream: reset", {
        code: "upstream_stream_error",
      });
    });
    const frames = parseSse(await (await t.post({ model: "gpt-5.5", input: "hi", stream: true })).text());
    expect(frames).toHaveLength(6);
    const failed = JSON.parse(frames.at(-1)!.data) as JsonObject;
    expect(failed).toMatchObject({
      type: "response.failed",
      sequence_number: 5,
      response: { id: "resp_1", status: "failed", error: { code: "upstream_stream_error" } },
    });
  });

  it("ends a stream that closes without a terminal event with response.failed", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "Hello").slice(0, 3));
    const frames = parseSse(await (await t.post({ model: "gpt-5.5", input: "hi", stream: true })).text());
    expect(frames.at(-1)).toMatchObject({ event: "response.failed" });
    expect(JSON.parse(frames.at(-1)!.data)).toMatchObject({
      response: { error: { code: "stream_incomplete" } },
    });
  });

  it("passes an error event on and still ends with the backend's response.failed", async () => {
    const t = setup();
    t.enqueue([
      ...textEvents("resp_1", "x").slice(0, 2),
      { type: "error", sequence_number: 2, code: "insufficient_quota", message: "You exceeded your quota." },
      {
        type: "response.failed",
        sequence_number: 3,
        response: {
          id: "resp_1",
          status: "failed",
          error: { code: "insufficient_quota", message: "You exceeded your quota." },
        },
      },
    ]);
    t.enqueue([
      ...textEvents("resp_2", "x").slice(0, 2),
      { type: "error", code: "server_error", message: "boom" },
    ]);
    const a = parseSse(await (await t.post({ model: "gpt-5.5", input: "hi", stream: true })).text());
    expect(a.map((f) => f.event)).toEqual([
      "response.created",
      "response.in_progress",
      "error",
      "response.failed",
    ]);
    const b = parseSse(await (await t.post({ model: "gpt-5.5", input: "hi", stream: true })).text());
    expect(b.map((f) => f.event).slice(-2)).toEqual(["error", "response.failed"]);
    expect(JSON.parse(b.at(-1)!.data)).toMatchObject({
      response: { error: { code: "server_error", message: "boom" } },
    });
  });

  it("forwards Codex-only events to Codex clients only", async () => {
    const meta: UpstreamEvent = { type: "response.metadata", headers: { "x-codex-turn-state": "s" } };
    const events = textEvents("resp_1", "x");
    const withMeta = [events[0]!, meta, ...events.slice(1)];
    const t = setup();
    t.enqueue(withMeta);
    t.enqueue(withMeta);
    const sdk = parseSse(await (await t.post({ model: "gpt-5.5", input: "hi", stream: true })).text());
    const cli = parseSse(
      await (
        await t.post({ model: "gpt-5.5", input: "hi", stream: true }, { originator: "codex_exec" })
      ).text(),
    );
    expect(sdk.some((f) => f.event === "response.metadata")).toBe(false);
    expect(cli.some((f) => f.event === "response.metadata")).toBe(true);
  });
});

describe("previous_response_id", () => {
  it("replays the stored input and output without ids, and chains further", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "First answer"));
    t.enqueue(textEvents("resp_2", "Second answer"));
    t.enqueue(textEvents("resp_3", "Third answer"));
    await t.post({ model: "gpt-5.5", input: "one" });
    const r2 = await t.post({ model: "gpt-5.5", input: "two", previous_response_id: "resp_1", stream: true });
    await r2.text();
    await t.post({ model: "gpt-5.5", input: "three", previous_response_id: "resp_2" });
    const texts = (i: number) =>
      t.calls[i]!.body.input.map((item) => (item.content as { text: string }[])[0]!.text);
    expect(texts(1)).toEqual(["BASE", "one", "First answer", "two"]);
    expect(texts(2)).toEqual(["BASE", "one", "First answer", "two", "Second answer", "three"]);
    for (const item of t.calls[2]!.body.input) expect(item).not.toHaveProperty("id");
    expect(t.calls[2]!.body).not.toHaveProperty("previous_response_id");
    // Same conversation, same session.
    expect(t.calls[2]!.options.sessionId).toBe(t.calls[0]!.options.sessionId);
  });

  it("answers 400 for an unknown id, naming the parameter", async () => {
    const t = setup();
    const res = await t.post({ model: "gpt-5.5", input: "x", previous_response_id: "resp_unknown" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: JsonObject };
    expect(body.error).toMatchObject({
      param: "previous_response_id",
      code: "previous_response_not_found",
      type: "invalid_request_error",
    });
    expect(String(body.error.message)).toContain("resp_unknown");
    expect(String(body.error.message)).toContain("in memory");
    expect(t.calls).toHaveLength(0);
  });

  it("does not remember failed responses", async () => {
    const t = setup();
    t.enqueue([
      { type: "response.created", response: { id: "resp_f" } },
      {
        type: "response.failed",
        response: { id: "resp_f", error: { code: "server_is_overloaded", message: "busy" } },
      },
    ]);
    expect((await t.post({ model: "gpt-5.5", input: "x" })).status).toBe(503);
    expect((await t.post({ model: "gpt-5.5", input: "y", previous_response_id: "resp_f" })).status).toBe(400);
  });

  it("resolves item_reference items from remembered output", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "Answer", { msgId: "msg_a" }));
    t.enqueue(textEvents("resp_2", "ok"));
    await t.post({ model: "gpt-5.5", input: "q" });
    await t.post({
      model: "gpt-5.5",
      input: [
        { role: "user", content: "q" },
        { type: "item_reference", id: "msg_a" },
        { role: "user", content: "more" },
      ],
    });
    const input = t.calls[1]!.body.input;
    expect(input[2]).toMatchObject({ type: "message", role: "assistant", content: [{ text: "Answer" }] });
    expect(input[2]).not.toHaveProperty("id");
  });
});

/** A turn that ends in one function call, as the backend streams it (`output: []` at the end). */
function callEvents(id: string, callId: string): UpstreamEvent[] {
  const item = { type: "function_call", id: `fc_${id}`, call_id: callId, name: "lookup", arguments: "{}" };
  return [
    { type: "response.created", response: { id, status: "in_progress", output: [] } },
    { type: "response.output_item.added", output_index: 0, item: { ...item, arguments: "" } },
    { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: { id, status: "completed", output: [] } },
  ];
}

describe("tool outputs without their call", () => {
  it("answers 400 naming input[i].call_id before going upstream", async () => {
    const t = setup();
    const res = await t.post({
      model: "gpt-5.5",
      input: [
        { role: "user", content: "q" },
        { type: "function_call", call_id: "call_1", name: "lookup", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "ok" },
        { type: "function_call_output", call_id: "call_x", output: "lost" },
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: JsonObject };
    expect(body.error).toMatchObject({
      param: "input[3].call_id",
      type: "invalid_request_error",
      code: "tool_call_not_found",
    });
    expect(String(body.error.message)).toContain("call_x");
    expect(t.calls).toHaveLength(0);
    const missing = await t.post({
      model: "gpt-5.5",
      input: [{ type: "function_call_output", output: "x" }],
    });
    expect(((await missing.json()) as { error: JsonObject }).error.param).toBe("input[0].call_id");
  });

  it("finds the call in the response previous_response_id replays", async () => {
    const t = setup();
    t.enqueue(callEvents("resp_1", "call_1"));
    t.enqueue(textEvents("resp_2", "done"));
    await t.post({ model: "gpt-5.5", input: "look it up" });
    const ok = await t.post({
      model: "gpt-5.5",
      previous_response_id: "resp_1",
      input: [{ type: "function_call_output", call_id: "call_1", output: "found" }],
    });
    expect(ok.status).toBe(200);
    expect(t.calls[1]!.body.input.map((i) => i.type)).toEqual([
      "message",
      "message",
      "function_call",
      "function_call_output",
    ]);
    const bad = await t.post({
      model: "gpt-5.5",
      previous_response_id: "resp_1",
      input: [{ type: "function_call_output", call_id: "call_2", output: "found" }],
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: JsonObject }).error.param).toBe("input[0].call_id");
    expect(t.calls).toHaveLength(2);
  });
});

describe("backend refusals", () => {
  it("name the client's field in param, counted in the client's input", async () => {
    const t = setup();
    t.enqueue(
      new RelayError(400, "Invalid type for 'input[3].content': expected an array.", {
        code: "upstream_invalid_request",
      }),
    );
    const res = await t.post({
      model: "gpt-5.5",
      input: [
        { role: "user", content: "a" },
        { role: "user", content: "b" },
        { type: "message", role: "user", content: 5 },
      ],
    });
    expect(res.status).toBe(400);
    // The relay put its base instructions in front: the backend's input[3] is the client's input[2].
    expect(t.calls[0]!.body.input).toHaveLength(4);
    expect(((await res.json()) as { error: JsonObject }).error).toMatchObject({
      param: "input[2].content",
      code: "upstream_invalid_request",
      type: "invalid_request_error",
    });
  });
});

describe("GET /v1/responses", () => {
  it("answers a WebSocket attempt with 426 so the Codex CLI falls back to HTTP", async () => {
    const t = setup();
    const res = await t.app.request("/v1/responses", {
      headers: { upgrade: "websocket", connection: "Upgrade" },
    });
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: { code: "websocket_not_supported" } });
  });
});
