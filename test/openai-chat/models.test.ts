// /v1/models from the backend's catalogue (and the fallback when it is unreachable), base instructions taken from
// the catalogue, model-name resolution (effort suffixes, Ollama tags, aliases).

import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeUpstream } from "../fakes/server.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const sdk = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
const lastBody = () => t!.fake.requests.at(-1)!.body as Record<string, unknown>;

describe("/v1/models", () => {
  it("lists the catalogue's models with one variant per effort, hides hidden ones, and adds aliases", async () => {
    t = await startTestRelay({ env: { MODEL_ALIASES: "gpt-4o=gpt-5.5" } });
    const ids = [];
    for await (const m of sdk(t.url).models.list()) {
      expect(m.object).toBe("model");
      expect(typeof m.created).toBe("number");
      expect(m.owned_by).toBeTruthy();
      ids.push(m.id);
    }
    expect(ids).toContain("gpt-5.5");
    expect(ids).toContain("gpt-5.5-high");
    expect(ids).toContain("gpt-5.4-mini");
    expect(ids).toContain("gpt-4o");
    expect(ids).not.toContain("codex-auto-review");
    expect(t.fake.counters.models).toBe(1);
    const one = await sdk(t.url).models.retrieve("gpt-5.5-high");
    expect(one.id).toBe("gpt-5.5-high");
    const missing = await sdk(t.url)
      .models.retrieve("llama3")
      .catch((e: unknown) => e);
    expect((missing as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
  });

  it("falls back to a built-in list when the catalogue cannot be read", async () => {
    const fake = await startFakeUpstream({ modelsStatus: 500 });
    t = await startTestRelay({ fake });
    const page = await sdk(t.url).models.list();
    expect(page.data.map((m) => m.id)).toContain("gpt-5.5");
    await fake.close();
  });
});

describe("model resolution and base instructions", () => {
  it("sends the catalogue's base instructions as the leading developer message", async () => {
    t = await startTestRelay();
    await sdk(t.url).chat.completions.create({
      model: "gpt-5.4",
      messages: [{ role: "user", content: "x" }],
    });
    const input = lastBody().input as { role: string; content: { text: string }[] }[];
    expect(input[0]!.role).toBe("developer");
    expect(input[0]!.content[0]!.text).toMatch(/^You are Codex, based on GPT-5\.4/i);
    expect(lastBody()).not.toHaveProperty("instructions");
  });

  it("puts them in the instructions field with INSTRUCTIONS_MODE=instructions, and uses CODEX_INSTRUCTIONS when the catalogue has none", async () => {
    const fake = await startFakeUpstream({ modelsStatus: 500 });
    t = await startTestRelay({
      fake,
      env: { INSTRUCTIONS_MODE: "instructions", CODEX_INSTRUCTIONS: "Custom base prompt." },
    });
    await sdk(t.url).chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "x" }],
    });
    expect(lastBody().instructions).toBe("Custom base prompt.");
    expect((lastBody().input as { role: string }[])[0]!.role).toBe("user");
    await fake.close();
  });

  it.each([
    ["gpt-5.5-high", "gpt-5.5", "high"],
    ["gpt-5.5:latest", "gpt-5.5", "medium"],
    ["gpt-5.4-mini-low", "gpt-5.4-mini", "low"],
    ["smart", "gpt-5.5", "xhigh"],
  ])("resolves %s to model %s with effort %s", async (requested, model, effort) => {
    t = await startTestRelay({ env: { MODEL_ALIASES: "smart=gpt-5.5-xhigh" } });
    await sdk(t.url).chat.completions.create({
      model: requested,
      messages: [{ role: "user", content: "x" }],
    });
    expect(lastBody().model).toBe(model);
    expect(lastBody().reasoning).toMatchObject({ effort });
  });

  it("lets reasoning_effort in the request win over the suffix, and sends verbosity", async () => {
    t = await startTestRelay();
    const params = {
      model: "gpt-5.5-high",
      reasoning_effort: "low",
      verbosity: "low",
      messages: [{ role: "user", content: "x" }],
    };
    await sdk(t.url).chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(lastBody().reasoning).toMatchObject({ effort: "low", summary: "auto" });
    expect(lastBody().text).toMatchObject({ verbosity: "low" });
  });
});
