import { describe, expect, it } from "vitest";
import { silentLogger } from "../core/logger.ts";
import { RelayError } from "../core/errors.ts";
import { canonicalOllamaName, createOllamaUpstream } from "./ollama-upstream.ts";

const TAGS = {
  models: [
    {
      name: "llama3.2:latest",
      model: "llama3.2:latest",
      modified_at: "2025-01-01T00:00:00Z",
      size: 1,
      digest: "d",
      details: {},
    },
  ],
};

function fakeFetch(handler: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: string[] = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push(url);
    return handler(url, init);
  }) as typeof fetch;
  return { fn, calls };
}

describe("createOllamaUpstream", () => {
  it("caches the model list and matches names with or without the tag", async () => {
    let now = 0;
    const f = fakeFetch(() => Response.json(TAGS));
    const up = createOllamaUpstream({
      baseUrl: "http://o:11434/",
      logger: silentLogger,
      fetch: f.fn,
      now: () => now,
    });
    expect(await up.has("llama3.2")).toBe(true);
    expect(await up.has("LLAMA3.2:latest")).toBe(true);
    expect((await up.models()).map((m) => m.name)).toEqual(["llama3.2:latest"]);
    expect(f.calls).toEqual(["http://o:11434/api/tags"]);
    now = 10_000;
    await up.models();
    expect(f.calls).toHaveLength(2);
  });

  it("refetches once for a name missing from an older list", async () => {
    let now = 0;
    const f = fakeFetch(() => Response.json(TAGS));
    const up = createOllamaUpstream({
      baseUrl: "http://o",
      logger: silentLogger,
      fetch: f.fn,
      now: () => now,
    });
    expect(await up.has("qwen3")).toBe(false);
    expect(await up.has("qwen3")).toBe(false);
    expect(f.calls).toHaveLength(1);
    now = 3_000;
    expect(await up.has("qwen3")).toBe(false);
    expect(f.calls).toHaveLength(2);
  });

  it("treats an unreachable server as having no models", async () => {
    const f = fakeFetch(() => {
      throw new TypeError("fetch failed");
    });
    const up = createOllamaUpstream({ baseUrl: "http://o", logger: silentLogger, fetch: f.fn });
    expect(await up.models()).toEqual([]);
    expect(await up.running()).toEqual([]);
  });

  it("forwards the body and streams the reply back with its status and type", async () => {
    let seen: { url: string; body: unknown } | undefined;
    const f = fakeFetch(async (url, init) => {
      seen = { url, body: init?.body };
      return new Response('{"a":1}\n{"b":2}\n', {
        status: 200,
        headers: { "content-type": "application/x-ndjson" },
      });
    });
    const up = createOllamaUpstream({ baseUrl: "http://o", logger: silentLogger, fetch: f.fn });
    const res = await up.forward("/api/chat", '{"model":"llama3.2"}');
    expect(seen).toEqual({ url: "http://o/api/chat", body: '{"model":"llama3.2"}' });
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(await res.text()).toBe('{"a":1}\n{"b":2}\n');
  });

  it("answers 502 when the server cannot be reached for a forward", async () => {
    const f = fakeFetch(() => {
      throw new TypeError("fetch failed");
    });
    const up = createOllamaUpstream({ baseUrl: "http://o", logger: silentLogger, fetch: f.fn });
    const err = await up.forward("/api/chat", "{}").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).status).toBe(502);
    expect((err as RelayError).message).toContain("OLLAMA_API_URL");
  });

  it("canonicalizes names", () => {
    expect(canonicalOllamaName(" Llama3.2 ")).toBe("llama3.2:latest");
    expect(canonicalOllamaName("qwen3:8b")).toBe("qwen3:8b");
  });
});
