// POST /debug/refresh is throttled (issue 15, item 13): 100 calls used to make 100 refreshes, each rotating the
// refresh token at the issuer. Now one forced refresh runs per DEBUG_REFRESH_MIN_MS (default 30 s): calls
// while it runs share its result, later ones get 429 with Retry-After.

import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay({ env: { DEBUG_ROUTES: "true" } });
});
afterAll(() => t.close());

const force = () => fetch(`${t.url}/debug/refresh`, { method: "POST" });

it("runs one forced refresh per interval; concurrent callers share it, later ones get 429 + Retry-After", async () => {
  const before = t.fake.issuer.refreshCalls;
  const first = await Promise.all(Array.from({ length: 10 }, force));
  expect(first.map((r) => r.status)).toEqual(Array(10).fill(200));
  expect(t.fake.issuer.refreshCalls - before).toBe(1);
  for (let i = 0; i < 90; i++) {
    const res = await force();
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(30);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe("refresh_throttled");
    expect(body.error.message).toMatch(/DEBUG_REFRESH_MIN_MS/);
  }
  expect(t.fake.issuer.refreshCalls - before).toBe(1);
  // Requests keep working with the refreshed tokens.
  const chat = await fetch(`${t.url}/v1/models`);
  expect(chat.status).toBe(200);
});
