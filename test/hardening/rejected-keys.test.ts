// Rejected keys leave a trace (issue 15, item 11): every request refused for a missing or wrong key is logged with
// its route and client address — never the key it presented — and the log is rate-limited, so a flood of wrong
// keys cannot flood the log.

import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { captureLogger } from "./helpers/http.ts";

const KEY = "sk-relay-rejections-0123456789abcdef";
const log = captureLogger();
let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay({ env: { OPENAI_API_KEY: KEY }, logger: log });
});
afterAll(() => t.close());

it("logs rejections with route and client address, never the presented key, rate-limited", async () => {
  log.records.length = 0;
  const presented: string[] = [];
  for (let i = 0; i < 50; i++) {
    const wrong = `sk-guess-${i}-${"z".repeat(20)}`;
    presented.push(wrong);
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${wrong}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
  }
  expect((await fetch(`${t.url}/api/tags`)).status).toBe(401); // no key at all
  const lines = log.records.filter((r) => r.msg === "rejected a request without a valid API key");
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines.length).toBeLessThanOrEqual(10);
  expect(lines[0]!.obj).toMatchObject({ method: "POST", path: "/v1/chat/completions", reason: "wrong" });
  expect((lines[0]!.obj as { client?: string }).client).toMatch(/127\.0\.0\.1/);
  const all = JSON.stringify(log.records);
  for (const key of [...presented, KEY]) expect(all).not.toContain(key);
});
