// A small closed-loop HTTP load generator for the benchmark: `concurrency` workers, each sending the same request
// over its own keep-alive connection as soon as the previous answer has been read to the end. It records, per
// request, the time to the first byte of the body and the time to its last byte (performance.now(), sub-ms).
// Built on node:http rather than autocannon so that the same client measures every row, streams included, with
// the time to first byte.

import http from "node:http";

export interface RequestSpec {
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Sample {
  /** Milliseconds from sending the request to the first body byte. */
  ttfb: number;
  /** Milliseconds from sending the request to the last body byte. */
  total: number;
  bytes: number;
}

export interface LoadResult {
  completed: number;
  errors: number;
  firstError: string | undefined;
  /** Wall time of the measured window, ms. */
  elapsedMs: number;
  ttfb: number[];
  total: number[];
  bytes: number;
}

export class HttpTarget {
  readonly host: string;
  readonly port: number;

  constructor(origin: string) {
    const u = new URL(origin);
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  /** One request; resolves when the body has been read to the end. Non-2xx answers reject with their body. */
  send(spec: RequestSpec, agent: http.Agent, keepBody = false): Promise<Sample & { text?: string }> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      let ttfb = -1;
      let bytes = 0;
      const chunks: Buffer[] = [];
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          path: spec.path,
          method: "POST",
          agent,
          headers: { ...spec.headers, "content-length": String(spec.body.length) },
        },
        (res) => {
          const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
          res.on("data", (chunk: Buffer) => {
            if (ttfb < 0) ttfb = performance.now() - start;
            bytes += chunk.length;
            if (keepBody || !ok) chunks.push(chunk);
          });
          res.on("end", () => {
            const total = performance.now() - start;
            const text = keepBody || !ok ? Buffer.concat(chunks).toString("utf8") : undefined;
            if (!ok) {
              reject(new Error(`HTTP ${res.statusCode} from ${spec.path}: ${(text ?? "").slice(0, 300)}`));
              return;
            }
            resolve({ ttfb: ttfb < 0 ? total : ttfb, total, bytes, text });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(spec.body);
    });
  }

  /** Closed loop for `durationMs`: `concurrency` requests in flight at all times. */
  async closedLoop(spec: RequestSpec, concurrency: number, durationMs: number): Promise<LoadResult> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
    const result: LoadResult = {
      completed: 0,
      errors: 0,
      firstError: undefined,
      elapsedMs: 0,
      ttfb: [],
      total: [],
      bytes: 0,
    };
    const started = performance.now();
    const deadline = started + durationMs;
    const worker = async () => {
      while (performance.now() < deadline) {
        try {
          const s = await this.send(spec, agent);
          result.completed++;
          result.ttfb.push(s.ttfb);
          result.total.push(s.total);
          result.bytes += s.bytes;
        } catch (err) {
          result.errors++;
          result.firstError ??= err instanceof Error ? err.message : String(err);
          // An error answer is fast: do not spin on it.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    result.elapsedMs = performance.now() - started;
    agent.destroy();
    return result;
  }

  /**
   * Opens `count` streaming requests and keeps them open: resolves once every one has received its first body
   * byte. Connections are opened in batches (the listen backlog is finite). `close()` destroys them all.
   */
  async openStreams(
    spec: RequestSpec,
    count: number,
    batch = 100,
  ): Promise<{ open: () => number; close: () => void; errors: () => string[] }> {
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const requests: http.ClientRequest[] = [];
    const errors: string[] = [];
    let open = 0;
    let closing = false;
    const one = () =>
      new Promise<void>((resolve) => {
        const req = http.request(
          {
            host: this.host,
            port: this.port,
            path: spec.path,
            method: "POST",
            agent,
            headers: { ...spec.headers, "content-length": String(spec.body.length) },
          },
          (res) => {
            if (res.statusCode !== 200) {
              // The answer's first bytes say why (an error body in the dialect).
              res.once("data", (d: Buffer) =>
                errors.push(`HTTP ${res.statusCode}: ${d.toString().slice(0, 300)}`),
              );
              res.once("end", () => errors.length === 0 && errors.push(`HTTP ${res.statusCode}`));
            }
            let first = true;
            res.on("data", () => {
              if (first) {
                first = false;
                open++;
                resolve();
              }
            });
            res.on("close", () => {
              if (!first) open--;
              if (!closing) errors.push("a stream ended before the benchmark closed it");
              resolve();
            });
            res.on("error", () => {});
          },
        );
        req.on("error", (err) => {
          if (!closing) errors.push(err.message);
          resolve();
        });
        req.end(spec.body);
        requests.push(req);
      });
    for (let i = 0; i < count; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, count - i) }, one));
    }
    return {
      open: () => open,
      errors: () => errors,
      close: () => {
        closing = true;
        for (const r of requests) r.destroy();
        agent.destroy();
      },
    };
  }
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mergeResults(results: LoadResult[]): LoadResult {
  const out: LoadResult = {
    completed: 0,
    errors: 0,
    firstError: undefined,
    elapsedMs: 0,
    ttfb: [],
    total: [],
    bytes: 0,
  };
  for (const r of results) {
    out.completed += r.completed;
    out.errors += r.errors;
    out.firstError ??= r.firstError;
    out.elapsedMs += r.elapsedMs;
    for (const v of r.ttfb) out.ttfb.push(v);
    for (const v of r.total) out.total.push(v);
    out.bytes += r.bytes;
  }
  return out;
}
