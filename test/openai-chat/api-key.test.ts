// OPENAI_API_KEY protects /v1, /api and /debug (Bearer or x-api-key); / and /health stay open.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

const KEY = "sk-relay-key-for-tests";
let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay({ env: { OPENAI_API_KEY: KEY } });
});
afterAll(() => t.close());

describe("client API key", () => {
  it.each(["/v1/models", "/debug/auth"])(
    "refuses %s without a key, with a wrong key, and serves it with the key",
    async (path) => {
      const method = path.startsWith("/debug") ? "POST" : "GET";
      const none = await fetch(`${t.url}${path}`, { method });
      expect(none.status).toBe(401);
      expect(((await none.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
      expect(
        (await fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${KEY}x` } })).status,
      ).toBe(401);
      expect(
        (await fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${KEY}` } })).status,
      ).toBe(200);
      expect((await fetch(`${t.url}${path}`, { method, headers: { "x-api-key": KEY } })).status).toBe(200);
    },
  );

  it("keeps / and /health open", async () => {
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    expect((await fetch(`${t.url}/`)).status).toBe(200);
  });

  it("refuses a chat without the key before anything reaches the backend", async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(401);
    expect(t.fake.counters.responses).toBe(0);
  });

  it("says both ways of sending the key when it is missing", async () => {
    const res = await fetch(`${t.url}/v1/models`);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toContain("Authorization: Bearer");
    expect(error.message).toContain("x-api-key");
  });
});
