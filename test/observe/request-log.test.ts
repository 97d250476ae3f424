// Every request is recorded once by one hook: the request log behind /status.json (route, model, effort, status,
// latency, ttfb, tokens, account fingerprint), the per-request log line, and with VERBOSE the upstream trace.

import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { fingerprint, type Logger } from "../../src/core/logger.ts";
import type { RequestEntry } from "../../src/observe/request-log.ts";

let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface Line {
  level: string;
  msg: string;
  obj: Record<string, unknown>;
}

function capture(lines: Line[]): Logger {
  const at = (level: string) => (obj: object, msg?: string) =>
    lines.push({ level, msg: msg ?? "", obj: obj as Record<string, unknown> });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

async function requests(url: string, headers: Record<string, string> = {}): Promise<RequestEntry[]> {
  const res = await fetch(`${url}/status.json`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { requests: RequestEntry[] }).requests;
}

function accountIdOf(t: TestRelay): string {
  return (
    JSON.parse(readFileSync(join(t.codexHome, "auth.json"), "utf8")) as { tokens: { account_id: string } }
  ).tokens.account_id;
}

describe("the request log", () => {
  it("records each dialect's request with model, effort, status, timings, tokens and the account fingerprint", async () => {
    t = await startTestRelay();
    const msg = [{ role: "user", content: "hello" }];
    expect((await post(t.url, "/v1/chat/completions", { model: "gpt-5.5-high", messages: msg })).status).toBe(
      200,
    );
    expect(
      (await post(t.url, "/v1/chat/completions", { model: "gpt-5.5", messages: msg, stream: true })).status,
    ).toBe(200);
    expect((await post(t.url, "/v1/responses", { model: "gpt-5.5", input: "hi", stream: true })).status).toBe(
      200,
    );
    expect((await post(t.url, "/v1/completions", { model: "gpt-5.5", prompt: "hi" })).status).toBe(200);
    expect((await post(t.url, "/api/chat", { model: "gpt-5.5", messages: msg })).status).toBe(200);
    expect((await fetch(`${t.url}/v1/models/gpt-5.5`)).status).toBe(200);
    const anthropic = { model: "gpt-5.5", max_tokens: 100, messages: msg };
    expect((await post(t.url, "/v1/messages", anthropic)).status).toBe(200);
    expect((await fetch(`${t.url}/no/such/path`)).status).toBe(404);

    const log = await requests(t.url);
    const routes = log.map((e) => e.route);
    expect(routes.slice(0, 8)).toEqual([
      "other",
      "/v1/messages",
      "/v1/models/{id}",
      "/api/chat",
      "/v1/completions",
      "/v1/responses",
      "/v1/chat/completions",
      "/v1/chat/completions",
    ]);
    const account = fingerprint(accountIdOf(t));
    for (const e of log.filter((x) => x.route !== "other" && x.route !== "/v1/models/{id}")) {
      expect(e).toMatchObject({ method: "POST", status: 200, model: "gpt-5.5", account, error: null });
      expect(e.inputTokens).toBeGreaterThan(0);
      expect(e.outputTokens).toBeGreaterThan(0);
      expect(e.ttfbMs).not.toBeNull();
      expect(e.latencyMs).toBeGreaterThanOrEqual(e.ttfbMs!);
    }
    expect(log[7]!.effort).toBe("high");
    expect(log[6]!.stream).toBe(true);
    expect(log[0]).toMatchObject({ status: 404, model: null, ttfbMs: null });
    // The account id itself never shows, only its fingerprint.
    expect(JSON.stringify(log)).not.toContain(accountIdOf(t));
  });

  it("records a failure mid-stream with its code, and a refused request with its status", async () => {
    t = await startTestRelay();
    const failing =
      "[[fake " +
      JSON.stringify({ kind: "failed", code: "server_error", message: "boom", text: "Partial" }) +
      "]]";
    await post(t.url, "/v1/chat/completions", {
      model: "gpt-5.5",
      stream: true,
      messages: [{ role: "user", content: failing }],
    });
    expect((await post(t.url, "/v1/chat/completions", { model: "gpt-5.5" })).status).toBe(400);
    const [refused, failed] = await requests(t.url);
    expect(failed).toMatchObject({ status: 200, stream: true, error: "server_error" });
    expect(refused!.status).toBe(400);
    expect(refused!.error).toBeTruthy();
  });

  it("keeps the last 50 and is behind the key when one is set", async () => {
    const KEY = "sk-request-log-key";
    t = await startTestRelay({ env: { OPENAI_API_KEY: KEY } });
    for (let i = 0; i < 55; i++) await fetch(`${t.url}/v1/models`, { headers: { "x-api-key": KEY } });
    expect((await fetch(`${t.url}/status.json`)).status).toBe(401);
    const log = await requests(t.url, { authorization: `Bearer ${KEY}` });
    expect(log).toHaveLength(50);
    // Only /v1/models: polls of the status page (/status.json, /health, /) stay out of the log.
    expect(log.every((e) => e.route === "/v1/models")).toBe(true);
  });
});

describe("the per-request log line", () => {
  it("is one info line per request with id, route, model, effort, status, latency, ttfb, tokens and account", async () => {
    const lines: Line[] = [];
    t = await startTestRelay({ logger: capture(lines) });
    await post(t.url, "/v1/chat/completions", {
      model: "gpt-5.5-low",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    await fetch(`${t.url}/health`);
    const requestLines = lines.filter((l) => l.obj.route !== undefined);
    const chat = requestLines.filter((l) => l.obj.route === "/v1/chat/completions");
    expect(chat).toHaveLength(1);
    expect(chat[0]!.level).toBe("info");
    expect(chat[0]!.msg).toMatch(/^POST \/v1\/chat\/completions 200 \d+ ms$/);
    expect(chat[0]!.obj).toMatchObject({
      method: "POST",
      status: 200,
      model: "gpt-5.5",
      effort: "low",
      account: fingerprint(accountIdOf(t)),
    });
    for (const key of ["req", "ms", "ttfbMs", "tokensIn", "tokensOut"])
      expect(chat[0]!.obj[key]).not.toBeNull();
    // Health probes do not flood the log: they are at debug level.
    expect(requestLines.find((l) => l.obj.route === "/health")?.level).toBe("debug");
  });

  it("with VERBOSE=true adds the upstream event trace, tied to the request id, without secrets", async () => {
    const lines: Line[] = [];
    t = await startTestRelay({ env: { VERBOSE: "true" }, logger: capture(lines) });
    await post(t.url, "/v1/chat/completions", {
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
    });
    const id = lines.find((l) => l.obj.route === "/v1/chat/completions")!.obj.req;
    const trace = lines.filter((l) => l.msg === "upstream event" && l.obj.req === id);
    const types = trace.map((l) => (l.obj.event as { type: string }).type);
    expect(types[0]).toBe("response.created");
    expect(types).toContain("response.output_text.delta");
    expect(types.at(-1)).toBe("response.completed");
    expect(lines.some((l) => l.msg === "upstream request" && l.obj.req === id)).toBe(true);
    const all = JSON.stringify(lines);
    const doc = JSON.parse(readFileSync(join(t.codexHome, "auth.json"), "utf8")) as {
      tokens: Record<string, string>;
    };
    for (const secret of [doc.tokens.access_token, doc.tokens.refresh_token, doc.tokens.id_token])
      expect(all).not.toContain(secret!.slice(0, 40));
  });
});

describe("turns on the relay's own Responses WebSocket", () => {
  it("are requests of their own: method WS, model, tokens, the account", async () => {
    t = await startTestRelay();
    const ws = new WebSocket(`${t.url.replace(/^http/, "ws")}/v1/responses`);
    await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
    const done = new Promise<void>((resolve) =>
      ws.on("message", (data: WebSocket.RawData) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === "response.completed") resolve();
      }),
    );
    ws.send(
      JSON.stringify({
        type: "response.create",
        model: "gpt-5.5",
        reasoning: { effort: "high" },
        input: [
          { type: "message", role: "user", content: [{ type: "input_text", text: "over the socket" }] },
        ],
      }),
    );
    await done;
    ws.close();
    const socketTurns = async () => (await requests(t!.url)).filter((r) => r.method === "WS");
    await expect.poll(async () => (await socketTurns()).length).toBe(1);
    const [entry] = await socketTurns();
    expect(entry).toMatchObject({
      route: "/v1/responses",
      model: "gpt-5.5",
      effort: "high",
      status: 200,
      error: null,
      account: fingerprint(accountIdOf(t)),
    });
    expect(entry!.inputTokens).toBeGreaterThan(0);
    expect(entry!.outputTokens).toBeGreaterThan(0);
    expect(entry!.ttfbMs).not.toBeNull();
  });
});
