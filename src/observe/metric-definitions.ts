// The relay's metrics, defined once for every runtime: names, help, labels and buckets, and how each hook of
// RelayMetrics turns into samples. Node feeds them to prom-client (src/node/prom-metrics.ts); Workers count them
// in plain objects (metric-counters.ts) that the Durable Object sums across isolates and prometheus-text.ts
// renders. Labels are bounded: routes come from the relay's own route list, statuses are HTTP codes, and model
// names and error codes — which a client or the backend chooses — are capped (BoundedLabel).

import type { MetricsSnapshotSource, RelayMetrics } from "./metrics.ts";
import type { RequestEntry } from "./request-log.ts";
import type { UpstreamErrorRecord } from "./upstream-health.ts";

export const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320];

interface Definition {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  labels: readonly string[];
  buckets?: readonly number[];
}

export const METRICS = {
  requests: {
    name: "codex_relay_requests_total",
    help: "Requests answered, by route, HTTP status and model.",
    type: "counter",
    labels: ["route", "status", "model"],
  },
  duration: {
    name: "codex_relay_request_duration_seconds",
    help: "Whole request, until the last byte of a stream.",
    type: "histogram",
    labels: ["route"],
    buckets: SECONDS,
  },
  ttfb: {
    name: "codex_relay_time_to_first_byte_seconds",
    help: "Until the backend's first event.",
    type: "histogram",
    labels: ["route"],
    buckets: SECONDS,
  },
  tokens: {
    name: "codex_relay_tokens_total",
    help: "Tokens by kind: input (all), cached_input (part of input), output (all), reasoning (part of output).",
    type: "counter",
    labels: ["kind", "model"],
  },
  requestErrors: {
    name: "codex_relay_request_errors_total",
    help: "Requests that failed (also mid-stream), by error code.",
    type: "counter",
    labels: ["code"],
  },
  refreshes: {
    name: "codex_relay_token_refreshes_total",
    help: "Token refresh attempts, by result.",
    type: "counter",
    labels: ["result"],
  },
  upstreamErrors: {
    name: "codex_relay_upstream_errors_total",
    help: "Backend replies that were not a success, by kind and HTTP status (none: no answer).",
    type: "counter",
    labels: ["kind", "status"],
  },
  openStreams: {
    name: "codex_relay_open_streams",
    help: "Turns being relayed right now (streamed or not).",
    type: "gauge",
    labels: [],
  },
  accountUsage: {
    name: "codex_relay_account_usage_percent",
    help: "Percent of the plan's usage window used, per account fingerprint and window (primary: 5 h, secondary: week).",
    type: "gauge",
    labels: ["account", "window"],
  },
} as const satisfies Record<string, Definition>;

export type MetricKey = keyof typeof METRICS;
export type Labels = Record<string, string>;

/** Where the samples go: prom-client's objects on Node, plain counters on Workers. */
export interface MetricSink {
  /** Counter += by; gauge += by (negative to go down). */
  add(metric: MetricKey, labels: Labels, by: number): void;
  /** One histogram observation. */
  observe(metric: MetricKey, labels: Labels, value: number): void;
}

/** Keeps at most `max` distinct values of a label; later newcomers are counted as "other". */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  of(value: string | null | undefined): string {
    if (!value) return "none";
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max || value.length > 64) return "other";
    this.seen.add(value);
    return value;
  }
}

/** RelayMetrics' hooks as samples into `sink`; `render` is the runtime's. */
export function metricsInto(sink: MetricSink, render: RelayMetrics["render"]): RelayMetrics {
  const models = new BoundedLabel(32);
  const codes = new BoundedLabel(32);
  // Both results show from the start (a rate of failures needs its zero).
  sink.add("refreshes", { result: "ok" }, 0);
  sink.add("refreshes", { result: "failed" }, 0);
  return {
    requestFinished(e: RequestEntry) {
      const model = models.of(e.model);
      sink.add("requests", { route: e.route, status: String(e.status), model }, 1);
      sink.observe("duration", { route: e.route }, e.latencyMs / 1000);
      if (e.ttfbMs !== null) sink.observe("ttfb", { route: e.route }, e.ttfbMs / 1000);
      if (e.inputTokens !== null) sink.add("tokens", { kind: "input", model }, e.inputTokens);
      if (e.cachedInputTokens) sink.add("tokens", { kind: "cached_input", model }, e.cachedInputTokens);
      if (e.outputTokens !== null) sink.add("tokens", { kind: "output", model }, e.outputTokens);
      if (e.reasoningTokens) sink.add("tokens", { kind: "reasoning", model }, e.reasoningTokens);
      if (e.error) sink.add("requestErrors", { code: codes.of(e.error) }, 1);
    },
    streamOpened: () => sink.add("openStreams", {}, 1),
    streamClosed: () => sink.add("openStreams", {}, -1),
    upstreamError(e: UpstreamErrorRecord) {
      sink.add("upstreamErrors", { kind: e.kind, status: e.status === null ? "none" : String(e.status) }, 1);
    },
    tokenRefresh(ok: boolean) {
      sink.add("refreshes", { result: ok ? "ok" : "failed" }, 1);
    },
    render,
  };
}

export type UsageSample = ReturnType<MetricsSnapshotSource["usage"]>[number];
