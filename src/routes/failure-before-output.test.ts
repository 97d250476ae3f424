import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import type { UpstreamEvent } from "../responses/types.ts";
import { parseSse, scriptedRelay, textEvents } from "./route-test-relay.ts";

// A context overflow comes from the backend as response.failed right after response.created: a streamed request
// must still get the HTTP error (what agents like Cline and opencode act on), in every dialect's shape.

function setup(env: Record<string, string> = {}) {
  const s = scriptedRelay(env);
  const app = createApp(s.relay);
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return { ...s, post };
}

const MESSAGE =
  "Your input exceeds the context window of this model. Please adjust your input and try again.";

function overflow(): UpstreamEvent[] {
  const response = { id: "resp_f", object: "response", status: "in_progress", model: "gpt-5.5", output: [] };
  return [
    { type: "response.created", response },
    { type: "response.in_progress", response },
    {
      type: "response.failed",
      response: {
        ...response,
        status: "failed",
        error: { code: "context_length_exceeded", message: MESSAGE },
      },
    },
  ];
}

const messages = [{ role: "user", content: "a long history" }];

describe("a streamed turn that fails before any output", () => {
  it("is a 400 context_length_exceeded on /v1/chat/completions, not an error inside a 200 stream", async () => {
    const t = setup();
    t.enqueue(overflow());
    const res = await t.post("/v1/chat/completions", { model: "gpt-5.5", stream: true, messages });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({
      error: {
        message: MESSAGE,
        type: "invalid_request_error",
        param: null,
        code: "context_length_exceeded",
      },
    });
  });

  it("is a 400 with Ollama's error shape on /api/chat and /api/generate", async () => {
    // The scripted backend has no catalogue: DEBUG_MODEL makes the Ollama routes take the name.
    const t = setup({ DEBUG_MODEL: "gpt-5.5" });
    for (const [path, body] of [
      ["/api/chat", { model: "gpt-5.5", messages }],
      ["/api/generate", { model: "gpt-5.5", prompt: "a long prompt" }],
    ] as const) {
      t.enqueue(overflow());
      const res = await t.post(path, body);
      expect(res.status, path).toBe(400);
      expect(await res.json()).toEqual({ error: MESSAGE });
    }
  });

  it("leaves a stream whose output began as it was: 200, the text, then the error in the stream", async () => {
    const t = setup();
    const events = textEvents("resp_1", "Hello world").slice(0, 5);
    events.push({
      type: "response.failed",
      response: { id: "resp_1", status: "failed", error: { code: "server_is_overloaded", message: "busy" } },
    });
    t.enqueue(events);
    const res = await t.post("/v1/chat/completions", { model: "gpt-5.5", stream: true, messages });
    expect(res.status).toBe(200);
    const frames = parseSse(await res.text()).map((f) => f.data);
    expect(frames.join("")).toContain("Hello");
    expect(JSON.parse(frames.at(-2)!)).toMatchObject({
      error: { message: "busy", code: "server_is_overloaded" },
    });
    expect(frames.at(-1)).toBe("[DONE]");
  });

  it("streams a normal answer whole, the parts read while waiting included", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_2", "Hello world"));
    const res = await t.post("/v1/chat/completions", { model: "gpt-5.5", stream: true, messages });
    expect(res.status).toBe(200);
    const chunks = parseSse(await res.text())
      .map((f) => f.data)
      .filter((d) => d !== "[DONE]")
      .map((d) => JSON.parse(d) as { choices: { delta: { role?: string; content?: string } }[] });
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Hello world");
  });
});
