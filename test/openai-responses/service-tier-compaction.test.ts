// Fast mode (service_tier "priority") on every dialect, by a "-fast" model variant or a request field, only where
// the catalogue offers it; and the backend's compaction items passing through /v1/responses unchanged.

import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let client: OpenAI;
beforeAll(async () => {
  t = await startTestRelay();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

const sentTier = () => (t.fake.requests.at(-1)!.body as { service_tier?: string }).service_tier;

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("service_tier (fast mode)", () => {
  it("chat completions: a -fast variant and the field both send priority; the default sends none", async () => {
    await client.chat.completions.create({
      model: "gpt-5.5-fast",
      messages: [{ role: "user", content: "a" }],
    });
    expect(sentTier()).toBe("priority");
    expect((t.fake.requests.at(-1)!.body as { model: string }).model).toBe("gpt-5.5");
    await client.chat.completions.create({
      model: "gpt-5.5-high-fast",
      messages: [{ role: "user", content: "b" }],
    });
    expect(sentTier()).toBe("priority");
    expect((t.fake.requests.at(-1)!.body as { reasoning: { effort: string } }).reasoning.effort).toBe("high");
    await client.chat.completions.create({
      model: "gpt-5.4",
      messages: [{ role: "user", content: "c" }],
      service_tier: "priority",
    });
    expect(sentTier()).toBe("priority");
    await client.chat.completions.create({
      model: "gpt-5.4",
      messages: [{ role: "user", content: "d" }],
      service_tier: "auto",
    });
    expect(sentTier()).toBeUndefined();
  });

  it("a model without fast mode gets a 400 naming the model or the field", async () => {
    const variant = await client.chat.completions
      .create({ model: "gpt-5.4-mini-fast", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(variant).toBeInstanceOf(OpenAI.APIError);
    expect((variant as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((variant as InstanceType<typeof OpenAI.APIError>).param).toBe("model");
    const field = await client.chat.completions
      .create({ model: "gpt-5.4-mini", messages: [{ role: "user", content: "x" }], service_tier: "priority" })
      .catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect((field as InstanceType<typeof OpenAI.APIError>).param).toBe("service_tier");
    expect(t.fake.requests).toHaveLength(0);
  });

  it("responses, completions and Ollama carry it too", async () => {
    await client.responses.create({ model: "gpt-5.5", input: "r", service_tier: "priority" });
    expect(sentTier()).toBe("priority");
    await client.responses.create({ model: "gpt-5.5-fast", input: "r2" });
    expect(sentTier()).toBe("priority");
    await client.completions.create({ model: "gpt-5.5-fast", prompt: "c" });
    expect(sentTier()).toBe("priority");
    const ollama = await post("/api/chat", {
      model: "gpt-5.5-fast",
      stream: false,
      messages: [{ role: "user", content: "o" }],
    });
    expect(ollama.status).toBe(200);
    expect(sentTier()).toBe("priority");
  });

  it("/v1/models lists the -fast variants of the models that offer it", async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain("gpt-5.5-fast");
    expect(ids).not.toContain("gpt-5.4-mini-fast");
  });
});

describe("compaction items on /v1/responses", () => {
  it("pass a compaction input item to the backend and a compaction output item to the client unchanged", async () => {
    const compaction = { type: "compaction", id: "cmp_1", encrypted_content: "gAAAA-compacted-history" };
    const produced = { type: "compaction", id: "cmp_2", encrypted_content: "gAAAA-new-summary" };
    t.fake.enqueue({
      kind: "events",
      events: [
        {
          type: "response.created",
          response: { id: "resp_c1", object: "response", status: "in_progress", output: [] },
        },
        { type: "response.output_item.added", output_index: 0, item: produced },
        { type: "response.output_item.done", output_index: 0, item: produced },
        {
          type: "response.completed",
          response: { id: "resp_c1", object: "response", status: "completed", output: [], usage: null },
        },
      ],
    });
    const r = await client.responses.create({
      model: "gpt-5.5",
      input: [compaction, { type: "message", role: "user", content: "continue" }] as never,
    });
    const sent = (t.fake.requests.at(-1)!.body as { input: unknown[] }).input;
    expect(sent).toContainEqual(compaction);
    expect(r.output).toContainEqual(produced);
  });
});
