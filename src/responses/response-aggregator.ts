// Watches the backend's events for one response and keeps what a Responses client needs at the end: the latest
// response object (created / in_progress / terminal) and the finished output items (`output_item.done`, by
// output_index). With store:false the backend's terminal `response.output` is often `[]`; the output is rebuilt from
// the done items instead — for the non-stream answer, for the terminal event of a stream, and for the response
// cache. Only references are kept; nothing is copied per event.
//
// The backend never sees the client's previous_response_id (the relay replays the history instead) and answers
// `previous_response_id: null`; the aggregator writes the client's id back into every response object it sees (in
// place, before the event is re-emitted), so the answer carries what the client sent, as OpenAI's does.

import type { JsonObject, UpstreamEvent } from "./types.ts";

/**
 * The events that end a response. A top-level `error` event is not one of them: the backend may follow it with a
 * `response.failed` (it does for insufficient_quota), which is what the Codex CLI reads over HTTP.
 */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  "response.completed",
  "response.incomplete",
  "response.failed",
]);

function obj(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export interface ResponseFailure {
  message: string;
  code?: string;
  errorType?: string;
}

export class ResponseAggregator {
  private response: JsonObject | undefined;
  /** Done items by output_index (sparse until every item finished). */
  private readonly indexed: (JsonObject | undefined)[] = [];
  /** Done items that came without an output_index, in arrival order. */
  private readonly unindexed: JsonObject[] = [];
  private terminalEvent: UpstreamEvent | undefined;
  private errorEvent: UpstreamEvent | undefined;
  private sequence = -1;

  constructor(
    private readonly fallbackModel: string,
    /** The previous_response_id the client sent; null leaves the backend's value as it is. */
    private readonly previousResponseId: string | null = null,
  ) {}

  private adopt(response: JsonObject): void {
    if (this.previousResponseId !== null) response.previous_response_id = this.previousResponseId;
    this.response = response;
  }

  /** The terminal event (completed / incomplete / failed), once seen. */
  get terminal(): UpstreamEvent | undefined {
    return this.terminalEvent;
  }

  /** The id the backend gave the response, once known. */
  get responseId(): string | undefined {
    const id = this.response?.id;
    return typeof id === "string" ? id : undefined;
  }

  push(event: UpstreamEvent): void {
    if (typeof event.sequence_number === "number") this.sequence = event.sequence_number;
    switch (event.type) {
      case "response.output_item.done": {
        const item = obj(event.item);
        if (!item) return;
        const index = event.output_index;
        if (typeof index === "number" && Number.isInteger(index) && index >= 0 && index < 10_000)
          this.indexed[index] = item;
        else this.unindexed.push(item);
        return;
      }
      case "response.created":
      case "response.in_progress":
      case "response.queued": {
        const response = obj(event.response);
        if (response) this.adopt(response);
        return;
      }
      case "response.completed":
      case "response.incomplete":
      case "response.failed": {
        const response = obj(event.response);
        if (response) this.adopt(response);
        this.terminalEvent = event;
        return;
      }
      case "error":
        this.errorEvent ??= event;
        return;
    }
  }

  /** The finished output items in output_index order. */
  outputItems(): JsonObject[] {
    const out: JsonObject[] = [];
    for (const item of this.indexed) if (item !== undefined) out.push(item);
    for (const item of this.unindexed) out.push(item);
    return out;
  }

  /**
   * Gives a terminal response object whose `output` came empty the collected items (in place: the object belongs
   * to the event about to be re-emitted). `output_text`, when the backend sent one, is recomputed to match.
   */
  fillOutput(response: JsonObject): void {
    const output = response.output;
    if (Array.isArray(output) && output.length > 0) return;
    const items = this.outputItems();
    if (items.length === 0 && Array.isArray(output)) return;
    response.output = items;
    if ("output_text" in response) response.output_text = outputText(items);
  }

  /** The failure the response ended with: its response.failed, else an `error` event; undefined if none. */
  failure(): ResponseFailure | undefined {
    const terminal = this.terminalEvent;
    if (terminal && terminal.type !== "response.failed") return undefined;
    const event = terminal ?? this.errorEvent;
    if (!event) return undefined;
    if (event.type === "response.failed") {
      const error = obj(obj(event.response)?.error);
      return failureOf(
        error?.message,
        error?.code,
        error?.type,
        "The backend reported that the response failed.",
      );
    }
    if (event.type === "error") {
      const inner = obj(event.error);
      return failureOf(
        inner?.message ?? event.message,
        inner?.code ?? event.code,
        inner?.type,
        "The backend reported an error.",
      );
    }
    return undefined;
  }

  /** The one `response` object for a non-stream answer. */
  finalResponse(): JsonObject {
    const base = this.response ?? {};
    const out: JsonObject = { ...base };
    if (typeof out.id !== "string") out.id = `resp_${crypto.randomUUID().replace(/-/g, "")}`;
    out.object = "response";
    if (typeof out.created_at !== "number") out.created_at = Math.floor(Date.now() / 1000);
    if (typeof out.model !== "string") out.model = this.fallbackModel;
    const type = this.terminalEvent?.type;
    out.status =
      type === "response.incomplete"
        ? "incomplete"
        : type === "response.completed"
          ? "completed"
          : (out.status ?? "completed");
    const items = this.outputItems();
    if (items.length > 0 || !Array.isArray(out.output)) out.output = items;
    if ("output_text" in out) out.output_text = outputText(out.output as JsonObject[]);
    if (out.error === undefined) out.error = null;
    if (out.incomplete_details === undefined) out.incomplete_details = null;
    if (out.usage === undefined) out.usage = null;
    if (this.previousResponseId !== null) out.previous_response_id = this.previousResponseId;
    return out;
  }

  /**
   * A `response.failed` event for a stream that broke after its first byte, so that every client sees a proper
   * terminal event (the Codex CLI retries on it; SDKs surface the error) instead of a stream that just stops.
   */
  failedEvent(failure: ResponseFailure): UpstreamEvent {
    const base = this.response ?? {};
    const error: JsonObject = { code: failure.code ?? "upstream_error", message: failure.message };
    if (failure.errorType !== undefined) error.type = failure.errorType;
    const response: JsonObject = {
      ...base,
      id: typeof base.id === "string" ? base.id : `resp_${crypto.randomUUID().replace(/-/g, "")}`,
      object: "response",
      created_at: typeof base.created_at === "number" ? base.created_at : Math.floor(Date.now() / 1000),
      model: typeof base.model === "string" ? base.model : this.fallbackModel,
      status: "failed",
      output: this.outputItems(),
      error,
      incomplete_details: null,
      usage: base.usage ?? null,
    };
    if (this.previousResponseId !== null) response.previous_response_id = this.previousResponseId;
    return { type: "response.failed", sequence_number: ++this.sequence, response };
  }
}

function failureOf(message: unknown, code: unknown, type: unknown, fallback: string): ResponseFailure {
  const f: ResponseFailure = { message: typeof message === "string" && message !== "" ? message : fallback };
  if (typeof code === "string") f.code = code;
  if (typeof type === "string") f.errorType = type;
  return f;
}

/** What the SDKs compute as `output_text`: the text parts of the message items, joined. */
export function outputText(items: JsonObject[]): string {
  let text = "";
  for (const item of items) {
    if (item.type !== "message" || !Array.isArray(item.content)) continue;
    for (const part of item.content) {
      const p = obj(part);
      if (p?.type === "output_text" && typeof p.text === "string") text += p.text;
    }
  }
  return text;
}
