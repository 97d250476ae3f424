// What the relay tells its metrics. The core only calls these hooks; a runtime supplies an implementation (Node:
// prom-client, src/node/prom-metrics.ts; Workers: src/worker/worker-metrics.ts; both from the definitions in
// metric-definitions.ts) or none (noMetrics), so the hot path costs a few calls either way.

import type { RequestEntry } from "./request-log.ts";
import type { UpstreamErrorRecord } from "./upstream-health.ts";

export interface MetricsSnapshotSource {
  /** Latest usage windows per account fingerprint: percent used, and when the backend said so. */
  usage(): { account: string; window: "primary" | "secondary"; percent: number; at?: string }[];
}

export interface RelayMetrics {
  requestFinished(entry: RequestEntry): void;
  streamOpened(): void;
  streamClosed(): void;
  upstreamError(error: UpstreamErrorRecord): void;
  tokenRefresh(ok: boolean): void;
  /**
   * Runtimes that keep metrics elsewhere (Workers: a Durable Object) send what they counted: the promise is for
   * the request's ctx.waitUntil, null when nothing needs sending now.
   */
  flush?(): Promise<void> | null;
  /** Prometheus text exposition; null when this runtime keeps no metrics. */
  render(source: MetricsSnapshotSource): Promise<{ contentType: string; body: string } | null>;
}

export const noMetrics: RelayMetrics = {
  requestFinished() {},
  streamOpened() {},
  streamClosed() {},
  upstreamError() {},
  tokenRefresh() {},
  render: () => Promise.resolve(null),
};
