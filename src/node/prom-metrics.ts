// The relay's metrics in Prometheus form, with prom-client (Node), built from the one definition both runtimes
// share (src/observe/metric-definitions.ts). A registry per relay, so several relays in one process (tests) keep
// apart.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RelayMetrics } from "../observe/metrics.ts";
import { METRICS, metricsInto, type MetricKey, type MetricSink } from "../observe/metric-definitions.ts";

export { BoundedLabel } from "../observe/metric-definitions.ts";

type PromMetric = Counter<string> | Gauge<string> | Histogram<string>;

export function createPromMetrics(options: { defaultMetrics?: boolean } = {}): RelayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "codex_relay_" });
  const made = {} as Record<MetricKey, PromMetric>;
  for (const [key, d] of Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][]) {
    const common = { name: d.name, help: d.help, labelNames: [...d.labels], registers: [registry] };
    made[key] =
      d.type === "counter"
        ? new Counter(common)
        : d.type === "gauge"
          ? new Gauge(common)
          : new Histogram({ ...common, buckets: [...("buckets" in d ? d.buckets : [])] });
  }
  const sink: MetricSink = {
    add(metric, labels, by) {
      const m = made[metric];
      if (m instanceof Gauge) m.inc(labels, by);
      else if (m instanceof Counter) m.inc(labels, by);
    },
    observe(metric, labels, value) {
      (made[metric] as Histogram<string>).observe(labels, value);
    },
  };
  const usage = made.accountUsage as Gauge<string>;
  return metricsInto(sink, async (source) => {
    usage.reset();
    for (const u of source.usage()) usage.set({ account: u.account, window: u.window }, u.percent);
    return { contentType: registry.contentType, body: await registry.metrics() };
  });
}
