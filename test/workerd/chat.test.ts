// The Worker entry (src/worker/index.ts) serves the relay inside workerd: OpenAI chat (stream and not), the
// Responses API, Ollama, and the client key, against the fake backend on loopback. Tokens come from the
// OPENAI_CODEX_AUTH var, through the Durable Object.

import { SELF } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";

const key = inject("clientKey");
const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };

function post(path: string, body: unknown, headers: Record<string, string> = auth): Promise<Response> {
  return SELF.fetch(`https://relay.example${path}`, { method: "POST", headers, body: JSON.stringify(body) });
}

describe("the Worker serves the relay", () => {
  it("answers a non-streamed chat completion", async () => {
    const res = await post("/v1/chat/completions", {
      model: "gpt-5.4",
      messages: [{ role: "user", content: "hello worker" }],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; choices: { message: { content: string } }[] };
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]!.message.content).toMatch(/Echo: hello worker$/);
  });

  it("streams a chat completion as SSE, marked so that nothing compresses or buffers it", async () => {
    const res = await post("/v1/chat/completions", {
      model: "gpt-5.4",
      stream: true,
      messages: [{ role: "user", content: "stream please" }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("content-encoding")).toBe("identity");
    expect(res.headers.get("cache-control")).toContain("no-transform");
    const text = await res.text();
    const content = text
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0])
      .map((c) => c?.delta.content ?? "")
      .join("");
    expect(content).toMatch(/Echo: stream please$/);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("answers /v1/responses", async () => {
    const res = await post("/v1/responses", { model: "gpt-5.4", input: "responses api" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; output_text?: string; output: unknown[] };
    expect(body.object).toBe("response");
    expect(JSON.stringify(body.output)).toContain("Echo: responses api");
  });

  it("answers an Ollama /api/chat request as NDJSON", async () => {
    const res = await post("/api/chat", {
      model: "gpt-5.4",
      messages: [{ role: "user", content: "ollama here" }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = new TextDecoder()
      .decode(await res.arrayBuffer())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { message?: { content: string }; done: boolean });
    expect(lines.map((l) => l.message?.content ?? "").join("")).toMatch(/Echo: ollama here$/);
    expect(lines.at(-1)!.done).toBe(true);
  });

  it("refuses a request without the client key, in each dialect", async () => {
    const openai = await post(
      "/v1/chat/completions",
      { model: "gpt-5.4", messages: [{ role: "user", content: "x" }] },
      { "content-type": "application/json" },
    );
    expect(openai.status).toBe(401);
    expect(((await openai.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    const ollama = await post(
      "/api/chat",
      { model: "gpt-5.4", messages: [{ role: "user", content: "x" }] },
      { "content-type": "application/json", authorization: "Bearer wrong" },
    );
    expect(ollama.status).toBe(401);
    expect(((await ollama.json()) as { error: string }).error).toBe("Invalid API key.");
  });
});
