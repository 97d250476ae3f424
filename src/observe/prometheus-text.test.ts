import { describe, expect, it } from "vitest";
import { createPromMetrics } from "../node/prom-metrics.ts";
import { metricsInto } from "./metric-definitions.ts";
import { MetricCounters, mergeMetrics, emptyMetrics } from "./metric-counters.ts";
import { renderPrometheus } from "./prometheus-text.ts";
import type { RelayMetrics } from "./metrics.ts";
import type { RequestEntry } from "./request-log.ts";

const entry = (over: Partial<RequestEntry> = {}): RequestEntry => ({
  id: "r-1",
  at: "2026-12-01T10:00:00.000Z",
  method: "POST",
  route: "/v1/chat/completions",
  model: "gpt-5.5",
  effort: "high",
  status: 200,
  latencyMs: 730,
  ttfbMs: 120,
  inputTokens: 100,
  cachedInputTokens: 20,
  outputTokens: 30,
  reasoningTokens: 10,
  account: "…12345678",
  error: null,
  stream: true,
  ...over,
});

function feed(m: RelayMetrics): void {
  m.streamOpened();
  m.requestFinished(entry());
  m.streamClosed();
  m.requestFinished(entry({ route: "/api/chat", status: 502, error: "upstream_error", latencyMs: 12_000 }));
  m.upstreamError({ kind: "failure", status: 500, code: null, message: "x", at: "2026-12-01T10:00:00.000Z" });
  m.upstreamError({
    kind: "failure",
    status: null,
    code: null,
    message: "x",
    at: "2026-12-01T10:00:00.000Z",
  });
  m.tokenRefresh(true);
}

const USAGE = [{ account: "…12345678", window: "primary" as const, percent: 12 }];

describe("the Workers' Prometheus text", () => {
  it("is what prom-client writes for the same events: one definition for both runtimes", async () => {
    const node = createPromMetrics({ defaultMetrics: false });
    feed(node);
    const nodeText = (await node.render({ usage: () => USAGE }))!.body;

    const counters = new MetricCounters();
    feed(metricsInto(counters, () => Promise.resolve(null)));
    counters.setUsage(USAGE.map((u) => ({ ...u, at: "2026-12-01T10:00:00.000Z" })));
    const workerText = renderPrometheus(counters.peek());

    const lines = (text: string) =>
      text
        .split("\n")
        .filter((l) => l !== "")
        .sort();
    expect(lines(workerText)).toEqual(lines(nodeText));
  });

  it("sums the deltas of several isolates; the newest usage wins", () => {
    const a = new MetricCounters();
    const b = new MetricCounters();
    for (const c of [a, b]) feed(metricsInto(c, () => Promise.resolve(null)));
    a.setUsage([{ ...USAGE[0]!, percent: 50, at: "2026-12-01T10:00:00.000Z" }]);
    b.setUsage([{ ...USAGE[0]!, percent: 60, at: "2026-12-01T11:00:00.000Z" }]);
    const total = emptyMetrics();
    mergeMetrics(total, a.take()!);
    mergeMetrics(total, b.take()!);
    const text = renderPrometheus(total);
    expect(text).toContain(
      'codex_relay_requests_total{route="/v1/chat/completions",status="200",model="gpt-5.5"} 2\n',
    );
    expect(text).toContain(
      'codex_relay_request_duration_seconds_bucket{le="1",route="/v1/chat/completions"} 2\n',
    );
    expect(text).toContain('codex_relay_request_duration_seconds_bucket{le="10",route="/api/chat"} 0\n');
    expect(text).toContain('codex_relay_request_duration_seconds_count{route="/api/chat"} 2\n');
    expect(text).toContain("codex_relay_open_streams 0\n");
    expect(text).toContain('codex_relay_account_usage_percent{account="…12345678",window="primary"} 60\n');
    // Taken: the next delta starts from zero.
    expect(a.take()).toBeNull();
  });

  it("escapes label values", () => {
    const c = new MetricCounters();
    c.add("requestErrors", { code: 'a"b\\c\nd' }, 1);
    expect(renderPrometheus(c.peek())).toContain(
      'codex_relay_request_errors_total{code="a\\"b\\\\c\\nd"} 1\n',
    );
  });
});
