// Prometheus text exposition (format 0.0.4) of metrics kept as plain data (metric-counters.ts), from the same
// definitions prom-client gets on Node: the same names, help, types, labels and buckets on every runtime.

import { METRICS, type Labels, type MetricKey } from "./metric-definitions.ts";
import { labelsOf, type HistogramCounts, type MetricsData } from "./metric-counters.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function labelText(labels: Labels, extra?: [string, string]): string {
  // `le` first, as prom-client writes it.
  const pairs = extra ? [extra, ...Object.entries(labels)] : Object.entries(labels);
  return pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");

export function renderPrometheus(data: MetricsData): string {
  const out: string[] = [];
  for (const [key, d] of Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][]) {
    out.push(`# HELP ${d.name} ${escapeHelp(d.help)}`, `# TYPE ${d.name} ${d.type}`);
    if (key === "accountUsage") {
      for (const u of Object.values(data.usage))
        out.push(`${d.name}${labelText({ account: u.account, window: u.window })} ${num(u.percent)}`);
      continue;
    }
    const series = Object.entries(data.series[key] ?? {});
    // A metric without labels has its one sample even before anything happened (as prom-client shows it).
    if (series.length === 0 && d.labels.length === 0 && d.type !== "histogram") out.push(`${d.name} 0`);
    for (const [labelKey, value] of series) {
      const labels = labelsOf(key, labelKey);
      if (typeof value === "number") {
        out.push(`${d.name}${labelText(labels)} ${num(value)}`);
        continue;
      }
      const h = value as HistogramCounts;
      const bounds = "buckets" in d ? d.buckets : [];
      let cumulative = 0;
      bounds.forEach((le, i) => {
        cumulative += h.buckets[i] ?? 0;
        out.push(`${d.name}_bucket${labelText(labels, ["le", String(le)])} ${cumulative}`);
      });
      out.push(`${d.name}_bucket${labelText(labels, ["le", "+Inf"])} ${h.count}`);
      out.push(`${d.name}_sum${labelText(labels)} ${num(h.sum)}`);
      out.push(`${d.name}_count${labelText(labels)} ${h.count}`);
    }
  }
  return out.join("\n") + "\n";
}
