// One request as the request log, the metrics and the per-request log line see it. The request hook creates it;
// routes hand it to their turn as its TurnObserver; it is written out once, when the response is done — for a
// stream, when its turn has ended too.

import type { TurnObserver } from "../core/turn-observer.ts";
import type { TurnUsage } from "../core/stream-parts.ts";
import type { ResponsesRequestBody, UpstreamEvent } from "../responses/types.ts";
import type { RequestEntry } from "./request-log.ts";

export interface RequestRecordHooks {
  /**
   * Fingerprint of the account a turn would use, for a turn that failed before the backend took it (one that it
   * took reports its account with `servedBy`). Asked only then: it reads the token state.
   */
  account(): string | null;
  streamOpened(): void;
  streamClosed(): void;
  /** VERBOSE: the turn's request and events, for the trace. */
  trace?(record: RequestRecord, what: "request" | "event", data: ResponsesRequestBody | UpstreamEvent): void;
  done(entry: RequestEntry): void;
}

export class RequestRecord implements TurnObserver {
  readonly at = new Date().toISOString();
  private readonly started = performance.now();
  model: string | null = null;
  effort: string | null = null;
  ttfbMs: number | null = null;
  tokens: TurnUsage | null = null;
  error: string | null = null;
  account: string | null = null;
  /** Runs once the entry is written (Workers: schedules the metrics flush on the request's waitUntil). */
  afterWrite: (() => void) | null = null;
  private turnOpen = false;
  private turnSeen = false;
  private responseStatus: number | null = null;
  private stream = false;
  private written = false;

  constructor(
    readonly id: string,
    readonly method: string,
    readonly route: string,
    private readonly hooks: RequestRecordHooks,
  ) {}

  turnStarted(body: ResponsesRequestBody): void {
    this.model = body.model;
    this.effort = body.reasoning?.effort ?? null;
    this.turnSeen = true;
    if (!this.turnOpen) {
      this.turnOpen = true;
      this.hooks.streamOpened();
    }
    this.hooks.trace?.(this, "request", body);
  }

  servedBy(account: string): void {
    this.account = account;
  }

  event(event: UpstreamEvent): void {
    if (this.ttfbMs === null) this.ttfbMs = Math.round(performance.now() - this.started);
    this.hooks.trace?.(this, "event", event);
  }

  usage(usage: TurnUsage): void {
    this.tokens = usage;
  }

  failed(code: string | null): void {
    this.error ??= code ?? "error";
  }

  turnEnded(reason?: "client_closed"): void {
    if (!this.turnOpen) return;
    this.turnOpen = false;
    if (reason) this.failed(reason);
    this.hooks.streamClosed();
    if (this.responseStatus !== null) this.write();
  }

  /** The handler has answered (for a stream: the headers are out). */
  responded(status: number, stream: boolean, errorCode: string | null): void {
    this.responseStatus = status;
    this.stream = stream;
    if (errorCode) this.failed(errorCode);
    if (!this.turnOpen) this.write();
  }

  private write(): void {
    if (this.written) return;
    this.written = true;
    const t = this.tokens;
    this.hooks.done({
      id: this.id,
      at: this.at,
      method: this.method,
      route: this.route,
      model: this.model,
      effort: this.effort,
      status: this.responseStatus ?? 0,
      latencyMs: Math.round(performance.now() - this.started),
      ttfbMs: this.ttfbMs,
      inputTokens: t?.inputTokens ?? null,
      cachedInputTokens: t?.cachedInputTokens ?? null,
      outputTokens: t?.outputTokens ?? null,
      reasoningTokens: t?.reasoningTokens ?? null,
      account: this.account ?? (this.turnSeen ? this.hooks.account() : null),
      error: this.error,
      stream: this.stream,
    });
    this.afterWrite?.();
  }
}
