// The answer chatgpt.com has been reported to give Workers: Cloudflare's challenge page (HTML 403,
// `cf-mitigated: challenge`). Inside workerd the relay turns it into a clear error in the caller's dialect.

import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clientKey } from "./helpers.ts";

// The fake backend answers a request whose last user message carries this directive with the challenge page.
const CHALLENGE = `[[fake ${JSON.stringify({
  kind: "http",
  status: 403,
  headers: { "content-type": "text/html; charset=UTF-8", "cf-mitigated": "challenge", server: "cloudflare" },
  body: '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body></body></html>',
})}]]`;

function post(path: string, body: unknown): Promise<Response> {
  return SELF.fetch(`https://relay.example${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${clientKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function expectExplained(message: string): void {
  expect(message).toContain("Cloudflare challenge");
  expect(message).toContain("Cloudflare Workers");
  expect(message).toMatch(/Node .*Docker container/);
  expect(message).not.toMatch(/<html|Just a moment/i);
}

describe("a Cloudflare challenge on Workers", () => {
  it("is a 502 OpenAI error with code cloudflare_challenge, streamed or not", async () => {
    for (const stream of [false, true]) {
      const res = await post("/v1/chat/completions", {
        model: "gpt-5.4",
        stream,
        messages: [{ role: "user", content: `hi ${CHALLENGE}` }],
      });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { message: string; code: string; type: string } };
      expect(body.error.code).toBe("cloudflare_challenge");
      expect(body.error.type).toBe("upstream_error");
      expectExplained(body.error.message);
    }
  });

  it("is an Ollama error body on /api/chat", async () => {
    const res = await post("/api/chat", {
      model: "gpt-5.4",
      messages: [{ role: "user", content: `hi ${CHALLENGE}` }],
    });
    expect(res.status).toBe(502);
    expectExplained(((await res.json()) as { error: string }).error);
  });
});
