// Reads a V8 .cpuprofile (node --cpu-prof) and summarises where the time went: self time per function and per
// area (the relay's own code, Hono, Node's HTTP/fetch internals, GC, idle).

import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, name: string): string {
  if (name === "(garbage collector)") return "GC";
  if (name === "(idle)") return "idle";
  if (name === "(program)" || name === "(root)") return "V8/native (program)";
  if (url === "") return "native builtins";
  if (url.includes("/node_modules/")) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return m ? `node_modules/${m[1]}` : "node_modules";
  }
  if (url.startsWith("node:internal/deps/undici")) return "node: fetch (undici)";
  if (url.startsWith("node:internal/webstreams")) return "node: web streams";
  if (url.startsWith("node:")) return "node: other internals";
  if (/\/dist\/node\/main\.js$/.test(url))
    return "the relay's bundle (dist/node/main.js: src/ and its inlined code)";
  const src = /\/(src|bench|test)\/(.*)$/.exec(url);
  if (src) return `${src[1]}/${src[2]!.split("/")[0]}`;
  return url;
}

function shortUrl(url: string): string {
  const i = url.search(/\/(src|bench|test|node_modules|dist)\//);
  return i >= 0 ? url.slice(i + 1) : url;
}

/** A markdown summary of the profile: the `top` functions by self time, and self time by area. */
export function summarizeProfile(path: string, top: number): string {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const a = area(url, functionName);
    total += us;
    areas.set(a, (areas.get(a) ?? 0) + us);
    if (a === "idle") continue;
    busy += us;
    // Code transpiled by tsx reports line 1 for everything: the file name is what helps.
    const where = url ? (lineNumber > 0 ? `${shortUrl(url)}:${lineNumber + 1}` : shortUrl(url)) : "";
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)} %`;
  const ms = (us: number) => (us / 1000).toFixed(0);
  const out: string[] = [
    `CPU profile of the relay (${path}): ${ms(total)} ms sampled, ${ms(busy)} ms busy (percentages of busy time).`,
    "",
    "| Area (self time) | ms | share |",
    "| --- | --- | --- |",
  ];
  for (const [a, us] of [...areas]
    .filter(([a]) => a !== "idle")
    .sort((x, y) => y[1] - x[1])
    .slice(0, 15)) {
    out.push(`| ${a} | ${ms(us)} | ${pct(us)} |`);
  }
  out.push("", "| Function (self time) | ms | share |", "| --- | --- | --- |");
  for (const [k, us] of [...fn].sort((x, y) => y[1] - x[1]).slice(0, top)) {
    out.push(`| ${k.replace(/\|/g, "\\|")} | ${ms(us)} | ${pct(us)} |`);
  }
  return out.join("\n");
}
