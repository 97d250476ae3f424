// Metrics on Workers. Each isolate counts in memory (MetricCounters, the same definitions as Node's prom-client)
// and hands what it counted to the Worker's metrics Durable Object off the response's path: ctx.waitUntil, at most
// once every FLUSH_INTERVAL_MS per isolate, so a request never waits for the object. The object sums the deltas
// of every isolate, in every location (metrics-board.ts); GET /metrics renders that sum, plus what this isolate
// has not sent yet, as Prometheus text.

import type { MetricsSnapshotSource, RelayMetrics } from "../observe/metrics.ts";
import { metricsInto } from "../observe/metric-definitions.ts";
import { MetricCounters, mergeMetrics, type MetricsData } from "../observe/metric-counters.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../observe/prometheus-text.ts";

/** The Durable Object's side (TokenRefresher, instance METRICS_OBJECT). */
export interface MetricsBoard {
  addMetrics(delta: MetricsData): Promise<void>;
  metrics(): Promise<MetricsData>;
}

/** The name of the Durable Object instance that sums the metrics (not an account: account keys are file names). */
export const METRICS_OBJECT = "metrics:aggregate";

/** An isolate sends its counts at most this often. */
export const FLUSH_INTERVAL_MS = 3000;

export interface WorkerMetricsOptions {
  flushIntervalMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface WorkerMetrics extends RelayMetrics {
  /** Where the usage windows come from (the relay, once it is built). */
  attach(source: MetricsSnapshotSource): void;
}

export function createWorkerMetrics(
  board: () => MetricsBoard,
  options: WorkerMetricsOptions = {},
): WorkerMetrics {
  const interval = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const counters = new MetricCounters();
  let source: MetricsSnapshotSource | null = null;
  let pending: Promise<void> | null = null;
  let lastSent = -Infinity;

  const usageOf = (s: MetricsSnapshotSource | null) =>
    (s?.usage() ?? []).map((u) => ({ ...u, at: u.at ?? new Date(now()).toISOString() }));

  async function send(): Promise<void> {
    pending = null; // what is counted from here on goes with the next flush
    counters.setUsage(usageOf(source));
    const delta = counters.take();
    if (!delta) return;
    lastSent = now();
    try {
      await board().addMetrics(delta);
    } catch (err) {
      counters.merge(delta); // sent again with the next flush
      options.onError?.(err);
    }
  }

  const metrics = metricsInto(counters, async (snapshot) => {
    const total = await board().metrics();
    counters.setUsage(usageOf(snapshot));
    // What this isolate counted and has not sent yet counts too (on a copy: it is still to be sent).
    mergeMetrics(total, structuredClone(counters.peek()));
    return { contentType: PROMETHEUS_CONTENT_TYPE, body: renderPrometheus(total) };
  });
  return {
    ...metrics,
    flush() {
      if (pending) return null;
      const wait = Math.max(0, lastSent + interval - now());
      pending = new Promise<void>((resolve) => setTimeout(resolve, wait)).then(send);
      return pending;
    },
    attach(s) {
      source = s;
    },
  };
}
