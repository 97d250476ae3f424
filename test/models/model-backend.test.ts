// Which backend serves a model (src/models/model-backend.ts), with OLLAMA_API_URL against a small fake Ollama on
// loopback: its models merged into /api/tags (and /v1/models through
// mergeOllamaModels), its chats forwarded with the stream kept, Codex names still served by the relay; unset,
// nothing is contacted.

import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { FAKE_OLLAMA_MODEL, startFakeOllama, type FakeOllama } from "../ollama/fake-ollama.ts";
import { forwardToOllama } from "../../src/upstream/ollama-upstream.ts";
import { isOllamaModel, modelBackendOf } from "../../src/models/model-backend.ts";
import { mergeOllamaModels } from "../../src/models/merge-ollama-models.ts";
import { listModels } from "../../src/routes/models.ts";

let local: FakeOllama;
let t: TestRelay;
let plain: TestRelay;
let ollama: Ollama;

beforeAll(async () => {
  local = await startFakeOllama();
  t = await startTestRelay({ env: { OLLAMA_API_URL: local.url } });
  plain = await startTestRelay({ fake: t.fake });
  ollama = new Ollama({ host: t.url });
});
afterAll(async () => {
  await plain?.close();
  await t?.close();
  await local?.close();
});

describe("OLLAMA_API_URL", () => {
  it("merges that Ollama's models into /api/tags after the Codex models", async () => {
    const { models } = await ollama.list();
    const names = models.map((m) => m.name);
    expect(names).toContain("gpt-5.5:latest");
    expect(names).toContain(FAKE_OLLAMA_MODEL);
    expect(names.indexOf(FAKE_OLLAMA_MODEL)).toBeGreaterThan(names.indexOf("gpt-5.5:latest"));
    expect(models.find((m) => m.name === FAKE_OLLAMA_MODEL)?.details.family).toBe("llama");
  });

  it("forwards a chat for its model, streaming as the lines come", async () => {
    const stream = await ollama.chat({
      model: "llama3.2",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const it = stream[Symbol.asyncIterator]();
    // The fake holds its last line until released: the first ones must already have arrived.
    const first = await it.next();
    expect(first.value).toMatchObject({ message: { content: "Hi from " }, done: false });
    const second = await it.next();
    expect(second.value).toMatchObject({ message: { content: "local llama" } });
    local.release();
    const last = await it.next();
    expect(last.value).toMatchObject({ done: true, eval_count: 2 });
    const req = local.requests.findLast((r) => r.path === "/api/chat");
    expect(req?.body).toMatchObject({
      model: "llama3.2",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    // The relay's own client key never travels to Ollama.
    expect(req?.headers.authorization).toBeUndefined();
  });

  it("forwards generate and show for its model", async () => {
    const g = await ollama.generate({ model: FAKE_OLLAMA_MODEL, prompt: "p" });
    expect(g.response).toBe("generated locally");
    const s = await ollama.show({ model: FAKE_OLLAMA_MODEL });
    expect(s.modelfile).toBe("FROM llama3.2");
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual([FAKE_OLLAMA_MODEL]);
  });

  it("keeps serving Codex models itself", async () => {
    const before = local.requests.filter((r) => r.method === "POST").length;
    t.fake.enqueue({ kind: "text", text: "from codex" });
    const r = await ollama.chat({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] });
    expect(r.message.content).toBe("from codex");
    expect(local.requests.filter((x) => x.method === "POST").length).toBe(before);
  });

  it("gives the OpenAI routes a predicate, a forwarder and a /v1/models merge", async () => {
    const relay = t.relay.relay;
    expect(await isOllamaModel(relay, "llama3.2")).toBe(true);
    expect(await isOllamaModel(relay, "llama3.2:latest")).toBe(true);
    expect(await isOllamaModel(relay, "gpt-5.5")).toBe(false);
    expect(await isOllamaModel(relay, "unknown")).toBe(false);
    expect((await modelBackendOf(relay, "llama3.2")).kind).toBe("ollama");
    expect((await modelBackendOf(relay, "gpt-5.5-high")).kind).toBe("codex");
    expect((await modelBackendOf(relay, "mistral")).kind).toBe("unknown");
    const merged = await mergeOllamaModels(relay, await listModels(relay));
    expect(merged.data.at(-1)).toMatchObject({ id: FAKE_OLLAMA_MODEL, object: "model", owned_by: "ollama" });
    const res = await forwardToOllama(relay, "/v1/chat/completions", { model: "llama3.2", messages: [] });
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe("local openai");
  });

  it("serves that Ollama's models on /v1/models and forwards /v1/chat/completions for them", async () => {
    const models = (await (await fetch(`${t.url}/v1/models`)).json()) as {
      data: { id: string; owned_by: string }[];
    };
    expect(models.data.find((m) => m.id === FAKE_OLLAMA_MODEL)?.owned_by).toBe("ollama");
    expect(models.data.map((m) => m.id)).toContain("gpt-5.5");
    const before = t.fake.counters.responses;
    const forwarded = () => local.requests.filter((r) => r.path === "/v1/chat/completions").length;
    const forwardedBefore = forwarded();
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "llama3.2", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(forwarded()).toBe(forwardedBefore + 1);
    expect(local.requests.findLast((r) => r.path === "/v1/chat/completions")?.body).toMatchObject({
      model: "llama3.2",
    });
    expect(t.fake.counters.responses).toBe(before);
    await res.text();
  });

  it("still answers 404 for a name neither knows", async () => {
    const err = await ollama
      .chat({ model: "mistral", messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(err).toMatchObject({ status_code: 404 });
  });
});

describe("without OLLAMA_API_URL", () => {
  it("lists only Codex models and contacts no Ollama", async () => {
    const before = local.requests.length;
    const { models } = await new Ollama({ host: plain.url }).list();
    expect(models.map((m) => m.name)).not.toContain(FAKE_OLLAMA_MODEL);
    const relay = plain.relay.relay;
    expect(await isOllamaModel(relay, "llama3.2")).toBe(false);
    const list = await listModels(relay);
    expect(await mergeOllamaModels(relay, list)).toBe(list);
    expect(local.requests.length).toBe(before);
  });
});
