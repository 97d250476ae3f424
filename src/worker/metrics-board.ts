// The Durable Object's half of the Worker's metrics (worker-metrics.ts): the sum of every isolate's deltas, kept in
// the object's storage (one key per metric, each bounded by MAX_SERIES) so it outlives the object's eviction.

import { METRICS, type MetricKey } from "../observe/metric-definitions.ts";
import { emptyMetrics, mergeMetrics, type MetricsData, type SeriesMap } from "../observe/metric-counters.ts";

const PREFIX = "metrics:";
const USAGE_KEY = `${PREFIX}usage`;

export class MetricsAggregate {
  private loaded: Promise<MetricsData> | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** The sum so far. */
  read(): Promise<MetricsData> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  async add(delta: MetricsData): Promise<void> {
    const total = await this.read();
    mergeMetrics(total, delta);
    // The writes of one call go out together (the object's output gate), one value per metric.
    const writes: Promise<void>[] = [];
    for (const metric of Object.keys(delta.series) as MetricKey[]) {
      const series = total.series[metric];
      if (series) writes.push(this.storage.put(PREFIX + metric, series));
    }
    if (Object.keys(delta.usage).length > 0) writes.push(this.storage.put(USAGE_KEY, total.usage));
    await Promise.all(writes);
  }

  private async load(): Promise<MetricsData> {
    const data = emptyMetrics();
    await Promise.all([
      ...(Object.keys(METRICS) as MetricKey[]).map(async (metric) => {
        const series = await this.storage.get<SeriesMap>(PREFIX + metric);
        if (series) data.series[metric] = series;
      }),
      this.storage.get<MetricsData["usage"]>(USAGE_KEY).then((usage) => {
        if (usage) data.usage = usage;
      }),
    ]);
    return data;
  }
}
