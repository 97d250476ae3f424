// prompt_cache_key on /v1/responses goes into the session-id header (issue 15, item 10): CR/LF, non-ASCII or a
// 20 KB value used to make the request to the backend fail (a 502 after retries). A short printable key is kept as
// it is (the Codex CLI sends its conversation id); any other is hashed as the chat route hashes it, in the header
// and the body alike.

import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { promptCacheKeyHash } from "../../src/openai/to-responses-request.ts";

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay({ env: { UPSTREAM_RETRIES: "0" } });
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

const send = (key: string) =>
  fetch(`${t.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-5.5", input: "hi", stream: false, prompt_cache_key: key }),
  });

it.each([
  ["CR/LF", "conv\r\nx-injected: 1"],
  ["non-ASCII", "ключ-кэша-☃"],
  ["20 KB", "k".repeat(20 * 1024)],
])("hashes a %s key into a header-safe session id", async (_what, key) => {
  const res = await send(key);
  expect(res.status).toBe(200);
  const seen = t.fake.requests.at(-1)!;
  const expected = promptCacheKeyHash(key);
  expect(seen.headers["session-id"]).toBe(expected);
  expect((seen.body as { prompt_cache_key?: string }).prompt_cache_key).toBe(expected);
  expect(seen.headers["x-injected"]).toBeUndefined();
});

it("keeps a short printable key as it is", async () => {
  const key = "019a3c1e-8d44-7c11-9f0e-2b2c9d1e0f3a";
  expect((await send(key)).status).toBe(200);
  const seen = t.fake.requests.at(-1)!;
  expect(seen.headers["session-id"]).toBe(key);
  expect((seen.body as { prompt_cache_key?: string }).prompt_cache_key).toBe(key);
});
