// chatgpt.com's Cloudflare challenge (an HTML 403 with `cf-mitigated: challenge`) reaches the client of the Node
// relay as a clear error in its own dialect, on every turn endpoint, streamed or not: what happened and what to do,
// never a generic upstream error, the HTML page or a JSON parse failure. The openai SDK surfaces it as it is.

import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cloudflare403 } from "../fakes/fake-chatgpt.ts";
import { CLOUDFLARE_CHALLENGE_MESSAGE } from "../../src/upstream/upstream-error.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { TURN_ENDPOINTS, errorMessage, post } from "../hardening/helpers/http.ts";

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

function expectChallengeMessage(message: string): void {
  expect(message).toContain("Cloudflare challenge");
  expect(message).toMatch(/Node .*Docker container/);
  expect(message).not.toMatch(/<html|Just a moment|Unexpected token|upstream error/i);
}

describe("a Cloudflare challenge from the backend", () => {
  for (const endpoint of TURN_ENDPOINTS) {
    for (const stream of [false, true]) {
      it(`${endpoint.name}${stream ? " (stream)" : ""}: a 502 in the caller's dialect that says what to do`, async () => {
        t.fake.setDefaultScenario(cloudflare403());
        const res = await post(`${t.url}${endpoint.path}`, endpoint.body("challenged", stream));
        expect(res.status).toBe(502);
        expect(res.headers.get("content-type")).toMatch(/application\/json/);
        const body: unknown = await res.json();
        if (endpoint.dialect === "openai") {
          expect((body as { error: { code: string } }).error.code).toBe("cloudflare_challenge");
        }
        expectChallengeMessage(errorMessage(endpoint.dialect, body));
        // Not retried: a challenge will not go away in a few hundred milliseconds.
        expect(t.fake.counters.responses).toBe(1);
      });
    }
  }

  it("reaches the openai SDK as an APIError with the explanation", async () => {
    t.fake.enqueue(cloudflare403());
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const err = await client.chat.completions
      .create({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("cloudflare_challenge");
    expectChallengeMessage((err as Error).message);
  });

  it("shows on /health (503, reason cloudflare_challenge, the same explanation) until the backend answers", async () => {
    t.fake.enqueue(cloudflare403());
    await post(`${t.url}/v1/chat/completions`, {
      model: "gpt-5.5",
      messages: [{ role: "user", content: "x" }],
    });
    const during = await fetch(`${t.url}/health`);
    expect(during.status).toBe(503);
    const body = (await during.json()) as {
      reason: string;
      message: string;
      upstream: { last_error: { code: string; message: string } };
    };
    expect(body.reason).toBe("cloudflare_challenge");
    expect(body.message).toBe(CLOUDFLARE_CHALLENGE_MESSAGE);
    expect(body.upstream.last_error.code).toBe("cloudflare_challenge");
    const ok = await post(`${t.url}/v1/chat/completions`, {
      model: "gpt-5.5",
      messages: [{ role: "user", content: "y" }],
    });
    expect(ok.status).toBe(200);
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });
});
