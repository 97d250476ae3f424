import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { RelayError } from "../core/errors.ts";
import type { UpstreamEvent } from "../responses/types.ts";
import { parseSse, scriptedRelay, textEvents } from "./route-test-relay.ts";

function setup(env: Record<string, string> = {}) {
  const s = scriptedRelay(env);
  const app = createApp(s.relay);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
      body: JSON.stringify(body),
    });
  return { ...s, app, post };
}

const base = { model: "claude-sonnet-5", max_tokens: 1000, messages: [{ role: "user", content: "hi" }] };

function failedEvents(code: string, message: string): UpstreamEvent[] {
  const response = { id: "resp_f", object: "response", status: "in_progress", model: "gpt-5.5", output: [] };
  return [
    { type: "response.created", response },
    { type: "response.failed", response: { ...response, status: "failed", error: { code, message } } },
  ];
}

describe("POST /v1/messages", () => {
  it("streams named SSE events (route ignores ?beta=true) and accepts x-api-key as the client key", async () => {
    const t = setup({ OPENAI_API_KEY: "k" });
    t.enqueue(textEvents("resp_1", "Hello"));
    const res = await t.post("/v1/messages?beta=true", { ...base, stream: true }, { "x-api-key": "k" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    const frames = parseSse(text);
    expect(frames.map((f) => f.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const f of frames) expect(JSON.parse(f.data).type).toBe(f.event);
    expect(JSON.parse(frames.at(-2)!.data)).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 2,
      },
    });
    expect(text).not.toContain("[DONE]");
  });

  it("a context overflow is a 400 worded as Claude Code expects, streamed or not", async () => {
    const t = setup();
    for (const stream of [true, false]) {
      t.enqueue(
        failedEvents("context_length_exceeded", "Your input exceeds the context window of this model."),
      );
      const res = await t.post("/v1/messages", { ...base, stream });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe("error");
      expect(body.error.type).toBe("invalid_request_error");
      const m = /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/.exec(body.error.message);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(Number(m![2]));
    }
  });

  it("a failure after output began becomes an error event, without message_stop", async () => {
    const t = setup();
    const events = textEvents("resp_1", "Hello world").slice(0, 5);
    events.push({
      type: "response.failed",
      response: { id: "resp_1", status: "failed", error: { code: "server_is_overloaded", message: "busy" } },
    });
    t.enqueue(events);
    const frames = parseSse(await (await t.post("/v1/messages", { ...base, stream: true })).text());
    expect(frames.at(-1)!.event).toBe("error");
    expect(JSON.parse(frames.at(-1)!.data)).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "busy" },
    });
    expect(frames.some((f) => f.event === "message_stop")).toBe(false);
  });

  it("upstream errors before the stream: Anthropic statuses (503 → 529) and shapes", async () => {
    const t = setup();
    t.enqueue(
      new RelayError(503, "The ChatGPT backend is overloaded: busy", { code: "server_is_overloaded" }),
    );
    const res = await t.post("/v1/messages", base);
    expect(res.status).toBe(529);
    expect(await res.json()).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "The ChatGPT backend is overloaded: busy" },
    });
  });

  it("bad input is a 400 naming the field", async () => {
    const t = setup();
    const res = await t.post("/v1/messages", {
      ...base,
      messages: [
        {
          role: "user",
          content: [{ type: "image", source: { type: "base64", media_type: "image/bmp", data: "AA==" } }],
        },
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("messages[0].content[0].source.media_type");
    expect(t.calls).toHaveLength(0);
  });

  it("a tool_result without its tool_use is a 400 naming tool_use_id, before the backend", async () => {
    const t = setup();
    const res = await t.post("/v1/messages", {
      ...base,
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "Hello." },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "out" }] },
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("messages[2].content[0].tool_use_id");
    expect(body.error.message).toContain("toolu_x");
    expect(t.calls).toHaveLength(0);
  });

  it("strips the billing line, keys the cache by the Claude Code session, keeps mid-conversation system messages", async () => {
    const t = setup();
    const session = "2b9f4c1e-0000-4000-8000-000000000001";
    const body = (fingerprint: string) => ({
      ...base,
      system: [
        {
          type: "text",
          text: `x-anthropic-billing-header: cc_version=2.1.197.${fingerprint}; cc_entrypoint=sdk-cli;`,
        },
        { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
      ],
      metadata: {
        user_id: JSON.stringify({ device_id: "d".repeat(64), account_uuid: "", session_id: session }),
      },
      messages: [
        { role: "user", content: "hi" },
        { role: "system", content: "Available agent types: none" },
      ],
      temperature: 1,
      context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    });
    for (const id of ["r1", "r2", "r3"]) t.enqueue(textEvents(id, "a"));
    expect((await t.post("/v1/messages", body("a3f"))).status).toBe(200);
    expect((await t.post("/v1/messages", body("09c"))).status).toBe(200);
    await t.post(
      "/v1/messages",
      { ...body("777"), metadata: undefined },
      { "x-claude-code-session-id": session },
    );
    const [a, b, c] = t.calls;
    expect(JSON.stringify(a!.body)).not.toContain("x-anthropic-billing-header");
    expect(a!.body.input).toEqual(b!.body.input);
    expect(a!.body.prompt_cache_key).toBe(b!.body.prompt_cache_key);
    expect(c!.body.prompt_cache_key).toBe(a!.body.prompt_cache_key);
    expect(a!.options.sessionId).toBe(a!.body.prompt_cache_key);
    expect(a!.body.prompt_cache_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(a!.body.input.at(-1)).toEqual({
      type: "message",
      role: "developer",
      content: [{ type: "input_text", text: "Available agent types: none" }],
    });
    expect(a!.body).not.toHaveProperty("temperature");
    expect(a!.body).not.toHaveProperty("context_management");
  });

  it("maps tools and tool_choice (any → required, disable_parallel_tool_use)", async () => {
    const t = setup();
    t.enqueue(textEvents("r1", "a"));
    await t.post("/v1/messages", {
      ...base,
      tools: [
        {
          name: "Bash",
          input_schema: {
            $schema: "https://json-schema.org/draft/2020-12/schema",
            type: "object",
            properties: {},
          },
        },
        { name: "Placeholder", input_schema: { type: "object" }, defer_loading: true },
      ],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
    });
    expect(t.calls[0]!.body).toMatchObject({
      tools: [
        { type: "function", name: "Bash", parameters: { type: "object", properties: {} }, strict: false },
      ],
      tool_choice: "required",
      parallel_tool_calls: false,
    });
    expect(t.calls[0]!.body.tools).toHaveLength(1);
  });
});

describe("POST /v1/messages/count_tokens and GET /v1/models", () => {
  it("counts locally and names a bad field", async () => {
    const t = setup();
    const res = await t.post("/v1/messages/count_tokens?beta=true", {
      model: "claude-opus-4-8",
      messages: [{ role: "user", content: "foo" }],
    });
    expect(res.status).toBe(200);
    const { input_tokens } = (await res.json()) as { input_tokens: number };
    expect(input_tokens).toBeGreaterThan(0);
    const bad = await t.post("/v1/messages/count_tokens", { model: "claude-opus-4-8", messages: "foo" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(t.calls).toHaveLength(0);
  });

  it("answers Anthropic clients in their shape, others in OpenAI's", async () => {
    const t = setup();
    const anthropic = (await (
      await t.app.request("/v1/models", { headers: { "anthropic-version": "2023-06-01" } })
    ).json()) as {
      data: { id: string; type: string }[];
      has_more: boolean;
    };
    expect(anthropic.has_more).toBe(false);
    expect(anthropic.data[0]).toMatchObject({ type: "model", id: "claude-opus-4-8" });
    const openai = (await (await t.app.request("/v1/models")).json()) as { object: string };
    expect(openai.object).toBe("list");
  });

  it("unknown /v1 routes and a missing key answer Anthropic clients in their shape", async () => {
    const t = setup({ OPENAI_API_KEY: "k" });
    const missing = await t.post("/v1/messages", base);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const unknown = await t.app.request("/v1/nothing", {
      headers: { "anthropic-version": "2023-06-01", "x-api-key": "k" },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });
});
