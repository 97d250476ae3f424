// GET /metrics: Prometheus text from prom-client, behind the key when one is set: requests by route/status/model,
// latency and ttfb histograms, tokens by kind, refreshes and their failures, upstream errors, open streams, and
// the account's usage percent.

import { afterEach, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { serverError } from "../fakes/fake-chatgpt.ts";
import { BoundedLabel } from "../../src/node/prom-metrics.ts";

const KEY = "sk-metrics-key";
const auth = { authorization: `Bearer ${KEY}` };
let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const chat = (url: string, extra: Record<string, unknown> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], ...extra }),
  }).then((r) => r.text().then(() => r.status));

async function metrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: auth });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/** The value of one sample, e.g. value(text, 'codex_relay_requests_total{route="/v1/models",status="200",model="none"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe("/metrics", () => {
  it("is behind the key", async () => {
    t = await startTestRelay({ env: { OPENAI_API_KEY: KEY } });
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
  });

  it("counts requests, timings, tokens, refreshes, upstream errors, open streams and usage", async () => {
    t = await startTestRelay({ env: { OPENAI_API_KEY: KEY }, ttlSeconds: 10 });
    t.fake.issuer.failNextRefreshWithStatus(500); // the first request's refresh fails (token still valid)
    expect(await chat(t.url)).toBe(200);
    expect((await fetch(`${t.url}/debug/refresh`, { method: "POST", headers: auth })).status).toBe(200);
    expect(await chat(t.url, { stream: true, stream_options: { include_usage: true } })).toBe(200);
    t.fake.enqueue(serverError(500), serverError(500), serverError(500));
    expect(await chat(t.url)).toBe(502);

    const text = await metrics(t.url);
    const route = 'route="/v1/chat/completions"';
    expect(value(text, `codex_relay_requests_total{${route},status="200",model="gpt-5.5"}`)).toBe(2);
    expect(value(text, `codex_relay_requests_total{${route},status="502",model="gpt-5.5"}`)).toBe(1);
    expect(value(text, `codex_relay_request_duration_seconds_count{${route}}`)).toBe(3);
    expect(value(text, `codex_relay_time_to_first_byte_seconds_count{${route}}`)).toBe(2);
    expect(value(text, `codex_relay_request_duration_seconds_bucket{le="+Inf",${route}}`)).toBe(3);
    expect(value(text, 'codex_relay_tokens_total{kind="input",model="gpt-5.5"}')).toBeGreaterThan(0);
    expect(value(text, 'codex_relay_tokens_total{kind="output",model="gpt-5.5"}')).toBeGreaterThan(0);
    expect(value(text, 'codex_relay_tokens_total{kind="reasoning",model="gpt-5.5"}')).toBeGreaterThan(0);
    expect(value(text, 'codex_relay_token_refreshes_total{result="failed"}')).toBe(1);
    expect(value(text, 'codex_relay_token_refreshes_total{result="ok"}')).toBe(1);
    expect(value(text, 'codex_relay_upstream_errors_total{kind="failure",status="500"}')).toBe(3);
    expect(value(text, "codex_relay_open_streams")).toBe(0);
    expect(text).toMatch(/codex_relay_account_usage_percent\{account="…[0-9a-f]{8}",window="primary"\} 12/);
    expect(text).toMatch(/codex_relay_account_usage_percent\{account="…[0-9a-f]{8}",window="secondary"\} 34/);
    expect(text).toContain("codex_relay_process_cpu_seconds_total"); // prom-client's default process metrics
  });

  it("counts a stream as open while it runs", async () => {
    t = await startTestRelay({ env: { OPENAI_API_KEY: KEY } });
    const slow = "[[fake " + JSON.stringify({ kind: "text", text: "a b c d e f", delayMs: 150 }) + "]]";
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ model: "gpt-5.5", stream: true, messages: [{ role: "user", content: slow }] }),
    });
    const reader = res.body!.getReader();
    await reader.read(); // the stream has begun
    expect(value(await metrics(t.url), "codex_relay_open_streams")).toBe(1);
    while (!(await reader.read()).done);
    // The turn ends when its last part is read; give the relay's side a moment to notice.
    for (let i = 0; i < 200 && value(await metrics(t.url), "codex_relay_open_streams") !== 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(value(await metrics(t.url), "codex_relay_open_streams")).toBe(0);
  });
});

describe("BoundedLabel", () => {
  it("keeps a bounded set of label values; newcomers beyond it are 'other'", () => {
    const l = new BoundedLabel(3);
    expect(["a", "b", "c", "d", "a", "x".repeat(100), null].map((v) => l.of(v))).toEqual([
      "a",
      "b",
      "c",
      "other",
      "a",
      "other",
      "none",
    ]);
  });
});
