// Small helpers shared by the hardening suites: the endpoints under test and how each dialect ends a stream,
// stream readers, a logger that keeps what it is given, free ports, time bounds.

import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../../src/core/logger.ts";

export const MODEL = "gpt-5.5";

export type Dialect = "openai" | "ollama" | "anthropic";

export interface Endpoint {
  name: string;
  path: string;
  dialect: Dialect;
  /** A request whose last user text is `text` (the fake echoes it: "Echo: <text>"). */
  body(text: string, stream: boolean): Record<string, unknown>;
  /** How a failed stream must end: returns the error message found at the end, or throws. */
  streamError(text: string): string;
  /** The answer text of a complete streamed reply. */
  streamText(text: string): string;
}

export const CHAT: Endpoint = {
  name: "chat completions",
  path: "/v1/chat/completions",
  dialect: "openai",
  body: (text, stream) => ({
    model: MODEL,
    stream,
    reasoning_effort: "none",
    messages: [{ role: "user", content: text }],
  }),
  streamError(text) {
    const data = sseData(text);
    if (data.at(-1) !== "[DONE]") throw new Error(`stream did not end with [DONE]: ${text.slice(-300)}`);
    const err = JSON.parse(data.at(-2) ?? "{}") as { error?: { message?: unknown; type?: unknown } };
    if (typeof err.error?.message !== "string" || typeof err.error.type !== "string")
      throw new Error(`no error chunk before [DONE]: ${text.slice(-300)}`);
    return err.error.message;
  },
  streamText(text) {
    const data = sseData(text);
    if (data.at(-1) !== "[DONE]") throw new Error(`stream did not end with [DONE]: ${text.slice(-300)}`);
    let out = "";
    for (const d of data.slice(0, -1)) {
      const chunk = JSON.parse(d) as { error?: unknown; choices?: { delta?: { content?: string } }[] };
      if (chunk.error) throw new Error(`error chunk: ${d}`);
      out += chunk.choices?.[0]?.delta?.content ?? "";
    }
    return out;
  },
};

export const COMPLETIONS: Endpoint = {
  name: "completions",
  path: "/v1/completions",
  dialect: "openai",
  body: (text, stream) => ({ model: MODEL, stream, prompt: text, reasoning_effort: "none" }),
  streamError: CHAT.streamError,
  streamText(text) {
    const data = sseData(text);
    if (data.at(-1) !== "[DONE]") throw new Error(`stream did not end with [DONE]: ${text.slice(-300)}`);
    let out = "";
    for (const d of data.slice(0, -1)) {
      const chunk = JSON.parse(d) as { error?: unknown; choices?: { text?: string }[] };
      if (chunk.error) throw new Error(`error chunk: ${d}`);
      out += chunk.choices?.[0]?.text ?? "";
    }
    return out;
  },
};

export const RESPONSES: Endpoint = {
  name: "responses",
  path: "/v1/responses",
  dialect: "openai",
  body: (text, stream) => ({ model: MODEL, stream, input: text, reasoning: { effort: "none" } }),
  streamError(text) {
    const events = sseData(text).map((d) => JSON.parse(d) as Record<string, unknown>);
    const last = events.at(-1) as
      { type?: string; response?: { status?: string; error?: { message?: unknown } } } | undefined;
    if (last?.type !== "response.failed" || last.response?.status !== "failed")
      throw new Error(`stream did not end with response.failed: ${text.slice(-300)}`);
    const message = last.response.error?.message;
    if (typeof message !== "string") throw new Error("response.failed without an error message");
    return message;
  },
  streamText(text) {
    const events = sseData(text).map((d) => JSON.parse(d) as { type: string; delta?: string });
    if (events.at(-1)?.type !== "response.completed")
      throw new Error(`stream did not end with response.completed: ${text.slice(-300)}`);
    return events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join("");
  },
};

export const OLLAMA_CHAT: Endpoint = {
  name: "ollama chat",
  path: "/api/chat",
  dialect: "ollama",
  body: (text, stream) => ({
    model: MODEL,
    stream,
    think: false,
    messages: [{ role: "user", content: text }],
  }),
  streamError(text) {
    const lines = ndjson(text);
    const last = lines.at(-1) as { error?: unknown } | undefined;
    if (typeof last?.error !== "string")
      throw new Error(`stream did not end with an error line: ${text.slice(-300)}`);
    return last.error;
  },
  streamText(text) {
    const lines = ndjson(text) as { error?: unknown; done?: boolean; message?: { content?: string } }[];
    if (lines.at(-1)?.done !== true) throw new Error(`stream did not end with done: ${text.slice(-300)}`);
    if (lines.some((l) => l.error !== undefined)) throw new Error(`error line: ${text.slice(-300)}`);
    return lines.map((l) => l.message?.content ?? "").join("");
  },
};

export const OLLAMA_GENERATE: Endpoint = {
  name: "ollama generate",
  path: "/api/generate",
  dialect: "ollama",
  body: (text, stream) => ({ model: MODEL, stream, think: false, prompt: text }),
  streamError: OLLAMA_CHAT.streamError,
  streamText(text) {
    const lines = ndjson(text) as { error?: unknown; done?: boolean; response?: string }[];
    if (lines.at(-1)?.done !== true) throw new Error(`stream did not end with done: ${text.slice(-300)}`);
    if (lines.some((l) => l.error !== undefined)) throw new Error(`error line: ${text.slice(-300)}`);
    return lines.map((l) => l.response ?? "").join("");
  },
};

/** The endpoints that run a turn against the backend. */
export const TURN_ENDPOINTS = [CHAT, RESPONSES, OLLAMA_CHAT, COMPLETIONS, OLLAMA_GENERATE];

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""));
    if (data.length > 0) out.push(data.join("\n"));
  }
  return out;
}

export function ndjson(text: string): unknown[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
}

/** Asserts the error body shape of the dialect and returns its message. */
export function errorMessage(dialect: Dialect, body: unknown): string {
  const e = (body as { error?: unknown } | null)?.error;
  if (dialect === "anthropic") {
    const a = e as { type?: unknown; message?: unknown } | undefined;
    if (
      (body as { type?: unknown }).type !== "error" ||
      typeof a?.type !== "string" ||
      typeof a.message !== "string"
    )
      throw new Error(`not an Anthropic error body: ${JSON.stringify(body)}`);
    return a.message;
  }
  if (dialect === "ollama") {
    if (typeof e !== "string" || e === "")
      throw new Error(`not an Ollama error body: ${JSON.stringify(body)}`);
    return e;
  }
  const o = e as { message?: unknown; type?: unknown; code?: unknown; param?: unknown } | undefined;
  if (
    !o ||
    typeof o !== "object" ||
    typeof o.message !== "string" ||
    o.message === "" ||
    typeof o.type !== "string" ||
    !("code" in o) ||
    !("param" in o)
  ) {
    throw new Error(`not an OpenAI error body: ${JSON.stringify(body)}`);
  }
  return o.message;
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export interface LogRecord {
  level: "debug" | "info" | "warn" | "error";
  obj: object;
  msg?: string;
}

export function captureLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at = (level: LogRecord["level"]) => (obj: object, msg?: string) =>
    void records.push({ level, obj, msg });
  return { records, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A loopback port nothing listens on (taken and released at once). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Rejects when `promise` takes longer than `ms`: a hang fails the test with a message instead of a timeout. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it is true; throws after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}
