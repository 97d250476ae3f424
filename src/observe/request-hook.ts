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
  const { metrics } = relay;
  const recorder = recorderOf(relay);
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    const record = recorder.record(method, label(method, c.req.path));
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
 * The record of one turn on the relay's own Responses WebSocket (GET /v1/responses upgraded): each
 * `response.create` is a request of its own in the log and the metrics (method "WS"). The caller reports the end
 * with `responded(status, true, errorCode)`.
 */
export function socketTurnRecord(relay: Relay): RequestRecord {
  return recorderOf(relay).record("WS", "/v1/responses");
}

interface Recorder {
  record(method: string, route: string): RequestRecord;
}

const recorders = new WeakMap<Relay, Recorder>();

/** One set of hooks and one id sequence per relay, for the HTTP middleware and the WebSocket turns alike. */
function recorderOf(relay: Relay): Recorder {
  let recorder = recorders.get(relay);
  if (!recorder) recorders.set(relay, (recorder = makeRecorder(relay)));
  return recorder;
}

function makeRecorder(relay: Relay): Recorder {
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
  return { record: (method, route) => new RequestRecord(`${prefix}-${++seq}`, method, route, hooks) };
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
