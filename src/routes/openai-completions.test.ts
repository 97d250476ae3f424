import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { parseSse, scriptedRelay, textEvents } from "./route-test-relay.ts";

function setup() {
  const s = scriptedRelay();
  const app = createApp(s.relay);
  const post = (body: unknown) =>
    app.request("/v1/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return { ...s, post };
}

describe("POST /v1/completions", () => {
  it("answers a text_completion with usage, echoing the requested model", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "Paris."));
    const res = await t.post({ model: "gpt-5.5-low", prompt: "The capital of France is" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: "text_completion",
      model: "gpt-5.5-low",
      choices: [{ text: "Paris.", index: 0, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
    expect(String(body.id)).toMatch(/^cmpl-/);
    const sent = t.calls[0]!.body;
    expect(sent).toMatchObject({
      model: "gpt-5.5",
      reasoning: { effort: "low" },
      store: false,
      stream: true,
    });
    expect(sent.input.at(-1)).toEqual({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "The capital of France is" }],
    });
  });

  it("streams text_completion chunks, a usage chunk and [DONE]", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "Hello world"));
    const res = await t.post({
      model: "gpt-5.5",
      prompt: ["Say hello"],
      stream: true,
      stream_options: { include_usage: true },
    });
    const frames = parseSse(await res.text());
    expect(frames.at(-1)!.data).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map(
      (f) =>
        JSON.parse(f.data) as {
          object: string;
          choices: { text: string; finish_reason: string | null }[];
          usage?: unknown;
        },
    );
    for (const c of chunks) expect(c.object).toBe("text_completion");
    expect(chunks.map((c) => c.choices[0]?.text ?? "").join("")).toBe("Hello world");
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]!.finish_reason)).toEqual(
      ["stop"],
    );
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 17 } });
  });

  it("honours stop and max_tokens at the relay", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "one, two, three"));
    t.enqueue(textEvents("resp_2", "abcdefghijklmnop"));
    const stopped = (await (await t.post({ model: "gpt-5.5", prompt: "count", stop: ", three" })).json()) as {
      choices: { text: string; finish_reason: string }[];
    };
    expect(stopped.choices[0]).toMatchObject({ text: "one, two", finish_reason: "stop" });
    // o200k: "abcdefghijkl" "mnop".
    const cut = (await (await t.post({ model: "gpt-5.5", prompt: "letters", max_tokens: 1 })).json()) as {
      choices: { text: string; finish_reason: string }[];
    };
    expect(cut.choices[0]).toMatchObject({ text: "abcdefghijkl", finish_reason: "length" });
  });

  it("rejects unsupported options before calling the backend", async () => {
    const t = setup();
    for (const [extra, param] of [
      [{ echo: true }, "echo"],
      [{ suffix: "end" }, "suffix"],
      [{ best_of: 2 }, "best_of"],
      [{ logprobs: 3 }, "logprobs"],
      [{ n: 2 }, "n"],
      [{ prompt: ["a", "b"] }, "prompt"],
    ] as const) {
      const res = await t.post({ model: "gpt-5.5", prompt: "p", ...extra });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param, type: "invalid_request_error" } });
    }
    expect(t.calls).toHaveLength(0);
  });

  it("answers a turn that fails before any output with its status, streamed or not", async () => {
    const t = setup();
    const failed = [
      {
        type: "response.failed",
        response: { id: "r", error: { code: "server_is_overloaded", message: "busy" } },
      },
    ];
    for (const stream of [false, true]) {
      t.enqueue(failed);
      const res = await t.post({ model: "gpt-5.5", prompt: "p", stream });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { message: "busy", code: "server_is_overloaded" } });
    }
  });

  it("ends a stream that fails after output began with an error chunk and [DONE]", async () => {
    const t = setup();
    const events = textEvents("r", "Hello world").slice(0, 5);
    events.push({
      type: "response.failed",
      response: { id: "r", error: { code: "server_is_overloaded", message: "busy" } },
    });
    t.enqueue(events);
    const res = await t.post({ model: "gpt-5.5", prompt: "p", stream: true });
    expect(res.status).toBe(200);
    const frames = parseSse(await res.text());
    expect(JSON.parse(frames.at(-2)!.data)).toMatchObject({
      error: { message: "busy", code: "server_is_overloaded" },
    });
    expect(frames.at(-1)!.data).toBe("[DONE]");
  });
});
