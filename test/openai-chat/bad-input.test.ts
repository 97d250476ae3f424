// Bad input never reaches the backend and never gives a 5xx: a 4xx in OpenAI's error shape that names the field.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay({ env: { BODY_LIMIT: "64kb" } });
});
afterAll(() => t.close());

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const json = (await res.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  return { status: res.status, error: json.error };
}

describe("bad chat requests", () => {
  it.each([
    ["malformed JSON", "{not json", null, /not valid JSON/],
    ["an empty body", "", null, /empty/],
    ["a JSON array", "[]", null, /object/i],
    ["no messages", JSON.stringify({ model: "gpt-5.5" }), "messages", /messages/],
    ["empty messages", JSON.stringify({ model: "gpt-5.5", messages: [] }), "messages", /messages/],
    [
      "messages of the wrong type",
      JSON.stringify({ model: "gpt-5.5", messages: "hi" }),
      "messages",
      /messages/,
    ],
    ["no model", JSON.stringify({ messages: [{ role: "user", content: "x" }] }), "model", /model/],
    [
      "a model of the wrong type",
      JSON.stringify({ model: 5, messages: [{ role: "user", content: "x" }] }),
      "model",
      /model/,
    ],
    [
      "an unknown role",
      JSON.stringify({ model: "gpt-5.5", messages: [{ role: "robot", content: "x" }] }),
      "messages[0].role",
      /robot/,
    ],
    ["n=2", JSON.stringify({ model: "gpt-5.5", n: 2, messages: [{ role: "user", content: "x" }] }), "n", /n/],
    [
      "stream not a boolean",
      JSON.stringify({ model: "gpt-5.5", stream: "yes", messages: [{ role: "user", content: "x" }] }),
      "stream",
      /stream/,
    ],
    [
      "content of the wrong type",
      JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: 42 }] }),
      "messages[0].content",
      /content/,
    ],
  ])("rejects %s with a 400 naming the field", async (_name, body, param, message) => {
    const before = t.fake.counters.responses;
    const { status, error } = await post(body);
    expect(status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toMatch(message);
    if (param) expect(error.param).toBe(param);
    expect(t.fake.counters.responses).toBe(before);
  });

  it("rejects a body over BODY_LIMIT with 413", async () => {
    const big = JSON.stringify({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "x".repeat(100 * 1024) }],
    });
    const { status, error } = await post(big);
    expect(status).toBe(413);
    expect(error.message).toMatch(/BODY_LIMIT/);
  });

  it("answers unknown routes with a 404 in OpenAI shape", async () => {
    const res = await fetch(`${t.url}/v1/nope`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("/v1/nope");
  });
});
