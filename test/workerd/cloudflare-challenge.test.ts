// The answer chatgpt.com has been reported to give Workers: Cloudflare's challenge page (HTML 403,
// `cf-mitigated: challenge`). Inside workerd the relay turns it into a clear error in the caller's dialect.

import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOUDFLARE_CHALLENGE_MESSAGE } from "../../src/upstream/upstream-error.ts";
import { createWorkerHandler } from "../../src/worker/index.ts";
import { chatRequest, clientKey, executionContext } from "./helpers.ts";

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

  it("shows on /health, also when another isolate serves it, until the backend answers again", async () => {
    const health = async () => {
      const res = await createWorkerHandler().fetch(
        new Request("https://relay.example/health", { headers: { authorization: `Bearer ${clientKey}` } }),
        env,
        executionContext(),
      );
      return {
        status: res.status,
        body: (await res.json()) as { reason: string | null; message: string | null },
      };
    };
    // One isolate meets the challenge; it tells the Durable Object off the response's path.
    const ctx = executionContext();
    const challenged = await createWorkerHandler().fetch(chatRequest(`hi ${CHALLENGE}`), env, ctx);
    expect(challenged.status).toBe(502);
    await ctx.settled();

    // A fresh isolate, which has not talked to the backend at all, answers /health with it.
    const during = await health();
    expect(during.status).toBe(503);
    expect(during.body.reason).toBe("cloudflare_challenge");
    expect(during.body.message).toBe(CLOUDFLARE_CHALLENGE_MESSAGE);

    // A later success (through an isolate that knows of the challenge) clears it for everyone.
    const witness = createWorkerHandler();
    const seen = executionContext();
    await witness.fetch(
      new Request("https://relay.example/health", { headers: { authorization: `Bearer ${clientKey}` } }),
      env,
      seen,
    );
    const ok = executionContext();
    expect((await witness.fetch(chatRequest("fine again"), env, ok)).status).toBe(200);
    await ok.settled();
    const after = await health();
    expect(after.status).toBe(200);
    expect(after.body.reason).toBeNull();
  });
});
