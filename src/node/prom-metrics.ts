// The relay's metrics in Prometheus form, with prom-client (Node). A registry per relay, so several relays in one
// process (tests) keep apart. Labels are bounded: routes come from the relay's own route list, statuses are HTTP
// codes, and model names and error codes — which a client or the backend chooses — are capped (BoundedLabel).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { MetricsSnapshotSource, RelayMetrics } from "../observe/metrics.ts";
import type { RequestEntry } from "../observe/request-log.ts";
import type { UpstreamErrorRecord } from "../observe/upstream-health.ts";

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

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320];

export function createPromMetrics(options: { defaultMetrics?: boolean } = {}): RelayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "codex_relay_" });
  const models = new BoundedLabel(32);
  const codes = new BoundedLabel(32);

  const requests = new Counter({
    name: "codex_relay_requests_total",
    help: "Requests answered, by route, HTTP status and model.",
    labelNames: ["route", "status", "model"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "codex_relay_request_duration_seconds",
    help: "Whole request, until the last byte of a stream.",
    labelNames: ["route"] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const ttfb = new Histogram({
    name: "codex_relay_time_to_first_byte_seconds",
    help: "Until the backend's first event.",
    labelNames: ["route"] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const tokens = new Counter({
    name: "codex_relay_tokens_total",
    help: "Tokens by kind: input (all), cached_input (part of input), output (all), reasoning (part of output).",
    labelNames: ["kind", "model"] as const,
    registers: [registry],
  });
  const turnErrors = new Counter({
    name: "codex_relay_request_errors_total",
    help: "Requests that failed (also mid-stream), by error code.",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const refreshes = new Counter({
    name: "codex_relay_token_refreshes_total",
    help: "Token refresh attempts, by result.",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: "codex_relay_upstream_errors_total",
    help: "Backend replies that were not a success, by kind and HTTP status (none: no answer).",
    labelNames: ["kind", "status"] as const,
    registers: [registry],
  });
  const openStreams = new Gauge({
    name: "codex_relay_open_streams",
    help: "Turns being relayed right now (streamed or not).",
    registers: [registry],
  });
  const usage = new Gauge({
    name: "codex_relay_account_usage_percent",
    help: "Percent of the plan's usage window used, per account fingerprint and window (primary: 5 h, secondary: week).",
    labelNames: ["account", "window"] as const,
    registers: [registry],
  });
  refreshes.inc({ result: "ok" }, 0);
  refreshes.inc({ result: "failed" }, 0);

  return {
    requestFinished(e: RequestEntry) {
      const model = models.of(e.model);
      requests.inc({ route: e.route, status: String(e.status), model });
      latency.observe({ route: e.route }, e.latencyMs / 1000);
      if (e.ttfbMs !== null) ttfb.observe({ route: e.route }, e.ttfbMs / 1000);
      if (e.inputTokens !== null) tokens.inc({ kind: "input", model }, e.inputTokens);
      if (e.cachedInputTokens) tokens.inc({ kind: "cached_input", model }, e.cachedInputTokens);
      if (e.outputTokens !== null) tokens.inc({ kind: "output", model }, e.outputTokens);
      if (e.reasoningTokens) tokens.inc({ kind: "reasoning", model }, e.reasoningTokens);
      if (e.error) turnErrors.inc({ code: codes.of(e.error) });
    },
    streamOpened: () => openStreams.inc(),
    streamClosed: () => openStreams.dec(),
    upstreamError(e: UpstreamErrorRecord) {
      upstreamErrors.inc({ kind: e.kind, status: e.status === null ? "none" : String(e.status) });
    },
    tokenRefresh(ok: boolean) {
      refreshes.inc({ result: ok ? "ok" : "failed" });
    },
    async render(source: MetricsSnapshotSource) {
      usage.reset();
      for (const u of source.usage()) usage.set({ account: u.account, window: u.window }, u.percent);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
