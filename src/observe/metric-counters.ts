// The metrics as plain data (no prom-client): a MetricSink that counts into JSON-safe objects, so a Worker isolate
// can hand its counts to the Durable Object as a delta (take), and the object can sum the deltas of every isolate
// (merge) and render them (prometheus-text.ts). Runtime-agnostic.

import {
  METRICS,
  type Labels,
  type MetricKey,
  type MetricSink,
  type UsageSample,
} from "./metric-definitions.ts";

export interface HistogramCounts {
  /** Per bucket of the definition (not cumulative), then one for above the last bucket. */
  buckets: number[];
  sum: number;
  count: number;
}

/** One metric's series, keyed by their label values joined (labelKey). */
export type SeriesMap = Record<string, number | HistogramCounts>;

export interface MetricsData {
  series: Partial<Record<MetricKey, SeriesMap>>;
  /** Latest usage per "account\nwindow", with when it was observed (the newest wins when isolates disagree). */
  usage: Record<string, UsageSample & { at: string }>;
}

/** At most this many series per metric (labels are bounded per isolate; this bounds their union). */
export const MAX_SERIES = 500;

const SEP = "\u0001";

/** The label values of a series, in the definition's order. */
export function labelKey(metric: MetricKey, labels: Labels): string {
  return METRICS[metric].labels.map((l) => labels[l] ?? "").join(SEP);
}

export function labelsOf(metric: MetricKey, key: string): Labels {
  const names = METRICS[metric].labels;
  const values = names.length === 0 ? [] : key.split(SEP);
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? ""]));
}

export function emptyMetrics(): MetricsData {
  return { series: {}, usage: {} };
}

export class MetricCounters implements MetricSink {
  private data = emptyMetrics();
  private dirty = false;

  add(metric: MetricKey, labels: Labels, by: number): void {
    const series = (this.data.series[metric] ??= {});
    const key = labelKey(metric, labels);
    const current = series[key];
    if (current === undefined && Object.keys(series).length >= MAX_SERIES) return;
    series[key] = ((current as number | undefined) ?? 0) + by;
    this.dirty = true;
  }

  observe(metric: MetricKey, labels: Labels, value: number): void {
    const series = (this.data.series[metric] ??= {});
    const key = labelKey(metric, labels);
    let h = series[key] as HistogramCounts | undefined;
    if (!h) {
      if (Object.keys(series).length >= MAX_SERIES) return;
      const bounds = bucketsOf(metric);
      h = series[key] = { buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
    }
    const bounds = bucketsOf(metric);
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    h.buckets[i]!++;
    h.sum += value;
    h.count++;
    this.dirty = true;
  }

  setUsage(samples: (UsageSample & { at: string })[]): void {
    for (const u of samples) {
      const key = `${u.account}\n${u.window}`;
      const known = this.data.usage[key];
      if (known && known.at === u.at && known.percent === u.percent) continue;
      this.data.usage[key] = u;
      this.dirty = true;
    }
  }

  /** What was counted since the last take (null: nothing), and start again from zero. */
  take(): MetricsData | null {
    if (!this.dirty) return null;
    const out = this.data;
    this.data = emptyMetrics();
    this.dirty = false;
    return out;
  }

  /** Adds `delta` (e.g. one that could not be delivered) back in. */
  merge(delta: MetricsData): void {
    mergeMetrics(this.data, delta);
    this.dirty = true;
  }

  peek(): MetricsData {
    return this.data;
  }
}

function bucketsOf(metric: MetricKey): readonly number[] {
  const d = METRICS[metric];
  return "buckets" in d ? d.buckets : [];
}

/** Sums `delta` into `into` (counters and gauges add up, histograms bucket by bucket; usage: the newest wins). */
export function mergeMetrics(into: MetricsData, delta: MetricsData): MetricsData {
  for (const [metric, series] of Object.entries(delta.series) as [MetricKey, SeriesMap][]) {
    if (!(metric in METRICS)) continue;
    const target = (into.series[metric] ??= {});
    let size = Object.keys(target).length;
    for (const [key, value] of Object.entries(series)) {
      const current = target[key];
      if (current === undefined) {
        if (size >= MAX_SERIES) continue;
        size++;
        target[key] = typeof value === "number" ? value : { ...value, buckets: [...value.buckets] };
      } else if (typeof current === "number" && typeof value === "number") {
        target[key] = current + value;
      } else if (typeof current === "object" && typeof value === "object") {
        current.sum += value.sum;
        current.count += value.count;
        value.buckets.forEach((n, i) => (current.buckets[i] = (current.buckets[i] ?? 0) + n));
      }
    }
  }
  for (const [key, u] of Object.entries(delta.usage)) {
    const known = into.usage[key];
    if (!known || Date.parse(u.at) >= Date.parse(known.at)) into.usage[key] = u;
  }
  return into;
}
