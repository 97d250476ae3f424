// /metrics on Workers: every isolate counts in memory and hands its counts to the metrics Durable Object off the
// response's path (ctx.waitUntil); /metrics, served by any isolate, renders the sum over all of them as Prometheus
// text, with the same metric names and labels as the Node relay, behind the key.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorkerHandler } from "../../src/worker/index.ts";
import { METRICS } from "../../src/observe/metric-definitions.ts";
import { chatRequest, clientKey, executionContext, login, seed } from "./helpers.ts";

async function scrape(headers: Record<string, string> = { authorization: `Bearer ${clientKey}` }) {
  // A fresh isolate, which has served nothing itself.
  const res = await createWorkerHandler().fetch(
    new Request("https://relay.example/metrics", { headers }),
    env,
    executionContext(),
  );
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one sample line, e.g. 'codex_relay_open_streams'; 0 when absent. */
function value(text: string, sample: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

const CHAT_200 = 'codex_relay_requests_total{route="/v1/chat/completions",status="200",model="gpt-5.4"}';
const DURATION_COUNT = 'codex_relay_request_duration_seconds_count{route="/v1/chat/completions"}';
const OUTPUT_TOKENS = 'codex_relay_tokens_total{kind="output",model="gpt-5.4"}';

describe("/metrics on Workers", () => {
  it("needs the key", async () => {
    expect((await scrape({})).status).toBe(401);
  });

  it("sums what every isolate counted, streams included, without a request waiting for it", async () => {
    const before = (await scrape()).text;
    for (const isolate of [createWorkerHandler(), createWorkerHandler()]) {
      const ctx = executionContext();
      const plain = await isolate.fetch(chatRequest("one"), env, ctx);
      expect(plain.status).toBe(200);
      await plain.text();
      const streamed = await isolate.fetch(chatRequest("two", { stream: true }), env, ctx);
      expect(streamed.status).toBe(200);
      expect(await streamed.text()).toContain("[DONE]");
      // The answers are out; the counts reach the Durable Object in the background.
      await ctx.settled();
    }
    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toContain("text/plain");
    expect(value(text, CHAT_200) - value(before, CHAT_200)).toBe(4);
    expect(value(text, DURATION_COUNT) - value(before, DURATION_COUNT)).toBe(4);
    expect(value(text, OUTPUT_TOKENS)).toBeGreaterThan(value(before, OUTPUT_TOKENS));
    expect(value(text, "codex_relay_open_streams")).toBe(0);
    // The fake backend's usage headers reach the usage gauge, labelled with the account's fingerprint.
    expect(text).toMatch(
      /^codex_relay_account_usage_percent\{account="…[0-9a-f]{8}",window="primary"\} 12$/m,
    );
    // Every metric of the shared definition, with its type, as on Node.
    for (const d of Object.values(METRICS)) expect(text).toContain(`# TYPE ${d.name} ${d.type}\n`);
    expect(text).toMatch(
      /^codex_relay_request_duration_seconds_bucket\{le="\+Inf",route="\/v1\/chat\/completions"\} \d+$/m,
    );
  });

  it("counts backend failures by kind and status", async () => {
    const before = (await scrape()).text;
    const ctx = executionContext();
    const failing = `[[fake ${JSON.stringify({ kind: "http", status: 500, body: { detail: "boom" } })}]]`;
    const res = await createWorkerHandler().fetch(chatRequest(`hi ${failing}`), env, ctx);
    expect(res.status).toBeGreaterThanOrEqual(500);
    await res.text();
    await ctx.settled();
    const after = (await scrape()).text;
    const sample = 'codex_relay_upstream_errors_total{kind="failure",status="500"}';
    expect(value(after, sample) - value(before, sample)).toBeGreaterThanOrEqual(1);
  });
});

describe("token refreshes on Workers", () => {
  it("are counted by the account's Durable Object, which does them", async () => {
    const before = (await scrape()).text;
    await seed(await login(-60)); // an expired access token: the next request has the object refresh
    const ctx = executionContext();
    const res = await createWorkerHandler().fetch(chatRequest("after a refresh"), env, ctx);
    expect(res.status).toBe(200);
    await res.text();
    await ctx.settled();
    const after = (await scrape()).text;
    const sample = 'codex_relay_token_refreshes_total{result="ok"}';
    expect(value(after, sample) - value(before, sample)).toBe(1);
  });
});
