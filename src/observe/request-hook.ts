// The one middleware that records every request: it makes the request's RequestRecord (routes hand it to their
// turn with `requestObserver(c)`), and when the response is done it adds the entry to the request log, counts it
// in the metrics and writes the per-request log line. Any route, present or future, is covered by this alone.

import type { Context, MiddlewareHandler } from "hono";
import type { Relay } from "../relay.ts";
import { RelayError } from "../core/errors.ts";
import { fingerprint } from "../core/logger.ts";
import type { TurnObserver } from "../core/turn-observer.ts";
import { RequestRecord, type RequestRecordHooks } from "./request-record.ts";
import type { RequestEntry } from "./request-log.ts";
import { traceFields } from "./trace.ts";

declare module "hono" {
  interface ContextVariableMap {
    requestRecord: RequestRecord;
  }
}

/** The request's observer, for startTurn({ observer }) or observedEvents(). */
export function requestObserver(c: Context): TurnObserver | undefined {
  return c.get("requestRecord");
}

/** Routes whose requests are polls (monitoring, the status page): not in the request log, logged at debug. */
const QUIET_ROUTES = new Set(["GET /", "GET /health", "GET /metrics", "GET /status.json"]);

export function observeRequests(relay: Relay, routes: string[]): MiddlewareHandler {
  const label = routeLabeler(routes);
  const { logger, metrics, requests } = relay;
  let seq = 0;
  const prefix = Math.random().toString(36).slice(2, 6);
  const hooks: RequestRecordHooks = {
    account: () => fingerprint(relay.tokens.status().accountId),
    streamOpened: () => metrics.streamOpened(),
    streamClosed: () => metrics.streamClosed(),
    trace: relay.config.verbose
      ? (record, what, data) =>
          logger.debug(
            { req: record.id, ...traceFields(what, data) },
            what === "request" ? "upstream request" : "upstream event",
          )
      : undefined,
    done(entry: RequestEntry) {
      metrics.requestFinished(entry);
      const line = logFields(entry);
      const msg = `${entry.method} ${entry.route} ${entry.status} ${entry.latencyMs} ms`;
      // Polls stay out of the request log (the status page itself polls every few seconds) and log at debug.
      if (QUIET_ROUTES.has(`${entry.method} ${entry.route}`)) return logger.debug(line, msg);
      requests.add(entry);
      logger.info(line, msg);
    },
  };
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    const record = new RequestRecord(`${prefix}-${++seq}`, method, label(method, c.req.path), hooks);
    if (metrics.flush) record.afterWrite = flushOnWaitUntil(c, metrics.flush);
    c.set("requestRecord", record);
    await next();
    const type = c.res.headers.get("content-type") ?? "";
    const stream = type.startsWith("text/event-stream") || type.startsWith("application/x-ndjson");
    const err = c.error;
    const code = err instanceof RelayError ? err.code : err ? "relay_error" : null;
    record.responded(c.res.status, stream, code ?? (c.res.status >= 400 ? String(c.res.status) : null));
  };
}

/**
 * Workers: once the request is recorded (for a stream, at its end, while the response still runs), the metrics
 * go out on the request's own waitUntil: the client never waits for them.
 */
function flushOnWaitUntil(c: Context, flush: () => Promise<void> | null): (() => void) | null {
  let ctx: { waitUntil(p: Promise<unknown>): void };
  try {
    ctx = c.executionCtx;
  } catch {
    return null; // no ExecutionContext: not a Worker
  }
  return () => {
    const sending = flush();
    if (sending) ctx.waitUntil(sending);
  };
}

function logFields(e: RequestEntry) {
  return {
    req: e.id,
    method: e.method,
    route: e.route,
    status: e.status,
    ms: e.latencyMs,
    ttfbMs: e.ttfbMs,
    model: e.model,
    effort: e.effort,
    tokensIn: e.inputTokens,
    tokensOut: e.outputTokens,
    account: e.account,
    ...(e.error ? { error: e.error } : {}),
  };
}

/**
 * Maps a request to its route's pattern ("GET /v1/models/{id}"), from the relay's own list of endpoints; anything
 * else is "other". Bounded, so it can be a metrics label, and free of what the client put in the path.
 */
export function routeLabeler(routes: string[]): (method: string, path: string) => string {
  const exact = new Set<string>();
  const prefixes: { method: string; prefix: string; label: string }[] = [];
  for (const r of routes) {
    const [method, pattern] = r.split(" ") as [string, string];
    const brace = pattern.indexOf("{");
    if (brace === -1) exact.add(`${method} ${pattern}`);
    else prefixes.push({ method, prefix: pattern.slice(0, brace), label: pattern });
  }
  return (method, path) => {
    if (exact.has(`${method} ${path}`)) return path;
    for (const p of prefixes) {
      if (p.method === method && path.startsWith(p.prefix) && path.length > p.prefix.length) return p.label;
    }
    return "other";
  };
}
