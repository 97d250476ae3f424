import { describe, expect, it } from "vitest";
import { observeTransport } from "./transport-outcomes.ts";
import { UpstreamHealth } from "./upstream-health.ts";
import type { TransportAttempt, TransportOutcome, UpstreamTransport } from "../upstream/transport.ts";
import type { UpstreamEvent } from "../responses/types.ts";
import {
  WebSocketUnavailable,
  type PreopenFailure,
  type WebSocketTransport,
} from "../upstream/websocket-transport.ts";
import { IdleTimeout } from "../upstream/stream-errors.ts";

function attempt(clientSignal?: AbortSignal): TransportAttempt {
  return {
    headers: { authorization: "Bearer tok" },
    body: { model: "m", input: [] } as unknown as TransportAttempt["body"],
    payload: "{}",
    sessionId: "s",
    controller: new AbortController(),
    idleMs: 1000,
    clientSignal,
  };
}

const transportOf = (send: (a: TransportAttempt) => Promise<TransportOutcome>): UpstreamTransport => ({
  send,
});

async function* events(...list: UpstreamEvent[]): AsyncGenerator<UpstreamEvent> {
  yield* list;
}

const ok = (list: AsyncIterable<UpstreamEvent>): TransportOutcome => ({
  ok: true,
  headers: new Headers(),
  events: list,
});

async function drain(outcome: TransportOutcome): Promise<void> {
  if (outcome.ok) for await (const _ of outcome.events) void _;
}

describe("observeTransport", () => {
  it("counts a turn as a success only once its stream completes", async () => {
    const health = new UpstreamHealth();
    const t = observeTransport(
      transportOf(async () => ok(events({ type: "response.created" }, { type: "response.completed" }))),
      "http",
      health,
    );
    const outcome = await t.send(attempt());
    expect(health.snapshot().lastSuccessAt).toBeNull();
    await drain(outcome);
    expect(health.snapshot().lastSuccessAt).not.toBeNull();
  });

  it("a consumer that stops early reports nothing", async () => {
    const health = new UpstreamHealth();
    const t = observeTransport(
      transportOf(async () => ok(events({ type: "response.created" }, { type: "response.completed" }))),
      "websocket",
      health,
    );
    const outcome = await t.send(attempt());
    if (outcome.ok) for await (const _ of outcome.events) break;
    expect(health.snapshot()).toMatchObject({ lastSuccessAt: null, lastError: null });
  });

  it("no free WebSocket and a client that left are not failures of the backend", async () => {
    const health = new UpstreamHealth();
    const busy = observeTransport(
      transportOf(async () => {
        throw new WebSocketUnavailable();
      }),
      "websocket",
      health,
    );
    await expect(busy.send(attempt())).rejects.toBeInstanceOf(WebSocketUnavailable);
    const left = new AbortController();
    left.abort();
    const gone = observeTransport(
      transportOf(async () => {
        throw new Error("aborted");
      }),
      "http",
      health,
    );
    await expect(gone.send(attempt(left.signal))).rejects.toThrow("aborted");
    expect(health.snapshot().lastError).toBeNull();
  });

  it("silence before the answer is an idle-timeout failure", async () => {
    const health = new UpstreamHealth();
    const t = observeTransport(
      transportOf(async (a) => {
        a.controller.abort(new IdleTimeout());
        throw new Error("aborted");
      }),
      "http",
      health,
    );
    await expect(t.send(attempt())).rejects.toThrow();
    expect(health.snapshot()).toMatchObject({
      consecutiveFailures: 1,
      lastError: { kind: "failure", code: "upstream_idle_timeout", transport: "http" },
    });
  });

  it("an error event with a 5xx status is a failure, with a 4xx an answer, with 401 a rejected token", async () => {
    for (const [status, kind] of [
      [502, "failure"],
      [400, "answered"],
      [401, "token_rejected"],
    ] as const) {
      const health = new UpstreamHealth();
      const t = observeTransport(
        transportOf(async () =>
          ok(events({ type: "error", status, error: { code: "x", message: `status ${status}` } })),
        ),
        "websocket",
        health,
      );
      await drain(await t.send(attempt()));
      expect(health.snapshot().lastError).toMatchObject({ kind, status, message: `status ${status}` });
    }
  });

  it("a handshake made ahead of its turn reports each failure, and the caller still decides on the retry", async () => {
    const health = new UpstreamHealth();
    const failures: PreopenFailure[] = [
      { status: 503, text: "{}", headers: new Headers() },
      { error: new IdleTimeout() },
    ];
    const decided: number[] = [];
    const inner: WebSocketTransport = {
      send: () => Promise.reject(new Error("unused")),
      preopen(request) {
        const signal = new AbortController().signal;
        const done = (async () => {
          for (const [i, f] of failures.entries()) await request.retry(f, i, signal);
          return false;
        })();
        return { done, cancel() {} };
      },
    };
    const t = observeTransport(inner, "websocket", health);
    await t.preopen({
      headers: { authorization: "Bearer tok" },
      sessionId: "s",
      timeoutMs: 1000,
      retry: async (_f, attempt) => (decided.push(attempt), false),
    })!.done;
    expect(decided).toEqual([0, 1]);
    expect(health.snapshot().lastError).toMatchObject({
      kind: "failure",
      code: "upstream_idle_timeout",
      transport: "websocket",
    });
    expect(health.snapshot().consecutiveFailures).toBe(2);
  });
});
