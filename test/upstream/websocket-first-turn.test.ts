// UPSTREAM_TRANSPORT=auto with a model that prefers the WebSocket: no turn waits for a handshake. A conversation's
// first turn goes over HTTP while the relay opens its WebSocket in the background (with the same token and account);
// the next turn uses that connection with the whole input, later ones send only their new items. A real relay in
// front of the fake backend, driven by the openai SDK; the fake records every POST, upgrade and frame, and can hold
// its upgrades to play a slow handshake.

import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { serverError } from "../fakes/fake-chatgpt.ts";
import { defaultModels } from "../fakes/models.ts";
import { startFakeUpstream } from "../fakes/server.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { silentLogger, type Logger } from "../../src/core/logger.ts";

let t: TestRelay;
let client: OpenAI;
/** The relay's warnings, as logged. */
const warnings: string[] = [];

const logger: Logger = {
  ...silentLogger,
  warn: (_obj: object, msg?: string) => void warnings.push(String(msg)),
};

async function start(env: Record<string, string> = {}): Promise<void> {
  warnings.length = 0;
  const models = defaultModels().map((m) => (m.slug === "gpt-5.5" ? { ...m, prefer_websockets: true } : m));
  const fake = await startFakeUpstream({ models });
  t = await startTestRelay({
    fake,
    logger,
    env: { UPSTREAM_TRANSPORT: "auto", UPSTREAM_RETRIES: "1", ...env },
  });
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
}

afterEach(async () => {
  await t.close();
  await t.fake.close();
});

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "read_file",
      parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    },
  },
];

/** One agent turn: the model calls read_file; its call and the tool's result go back into the history. */
async function toolTurn(history: Message[], n: number): Promise<void> {
  t.fake.enqueue({
    kind: "tool_calls",
    text: `Reading file ${n}.`,
    calls: [{ name: "read_file", arguments: { path: `src/file-${n}.ts` }, callId: `call_${n}` }],
  });
  const r = await client.chat.completions.create({ model: "gpt-5.5", messages: history, tools });
  const message = r.choices[0]!.message;
  expect(message.tool_calls?.[0]?.id).toBe(`call_${n}`);
  history.push(message as Message, { role: "tool", tool_call_id: `call_${n}`, content: `file ${n}` });
}

const methods = () => t.fake.requests.map((r) => r.method);
const bodyOf = (i: number) => t.fake.requests[i]!.body as { input: { type: string; call_id?: string }[] };

async function waitFor(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("a conversation's first turn with UPSTREAM_TRANSPORT=auto", () => {
  it("goes over HTTP while the WebSocket opens; the next turn sends the whole input over it, later turns only the new items", async () => {
    await start();
    const history: Message[] = [
      { role: "system", content: "You are a coding agent." },
      { role: "user", content: "Refactor the project." },
    ];
    await toolTurn(history, 1);
    expect(methods()).toEqual(["POST"]);
    // The connection opened in the background, with the headers of the HTTP turn: same token, account, session.
    await waitFor(() => t.fake.backend.socketServer.open === 1, "the background WebSocket");
    expect(t.fake.counters.websocketAttempts).toBe(1);

    await toolTurn(history, 2);
    t.fake.enqueue({ kind: "text", text: "Done." });
    const last = await client.chat.completions.create({ model: "gpt-5.5", messages: history, tools });
    expect(last.choices[0]!.message.content).toContain("Done.");

    expect(methods()).toEqual(["POST", "WS", "WS"]);
    const [post, second, third] = t.fake.requests as [
      (typeof t.fake.requests)[0],
      (typeof t.fake.requests)[0],
      (typeof t.fake.requests)[0],
    ];
    for (const name of ["authorization", "chatgpt-account-id", "session-id", "x-codex-installation-id"]) {
      expect(second.headers[name], name).toBe(post.headers[name]);
    }
    expect(second.headers["openai-beta"]).toMatch(/responses_websockets=/);
    // Turn 2: a new connection, so the whole input (the backend has no previous response on it).
    expect(second.body).not.toHaveProperty("previous_response_id");
    expect(bodyOf(1).input.length).toBeGreaterThan(bodyOf(0).input.length);
    expect(bodyOf(1).input).toContainEqual(
      expect.objectContaining({ type: "function_call_output", call_id: "call_1" }),
    );
    // Turn 3: on the same connection, only what is new since turn 2.
    expect(third.connection).toBe(second.connection);
    expect(typeof (third.body as { previous_response_id?: unknown }).previous_response_id).toBe("string");
    expect(bodyOf(2).input).toEqual([
      expect.objectContaining({ type: "function_call_output", call_id: "call_2" }),
    ]);
    expect(t.fake.counters.websocketAttempts).toBe(1);
  });

  it("a turn that comes while the handshake is still under way goes over HTTP without waiting for it", async () => {
    await start();
    const release = t.fake.backend.holdUpgrades();
    const history: Message[] = [{ role: "user", content: "Go." }];
    await toolTurn(history, 1);
    await waitFor(() => t.fake.counters.websocketAttempts === 1, "the background handshake");
    // The handshake is held by the backend: this turn completes all the same, over HTTP, and opens nothing more.
    await toolTurn(history, 2);
    expect(methods()).toEqual(["POST", "POST"]);
    expect(t.fake.counters.websocketAttempts).toBe(1);
    release();
    await waitFor(() => t.fake.backend.socketServer.open === 1, "the WebSocket, once released");
    await toolTurn(history, 3);
    expect(methods()).toEqual(["POST", "POST", "WS"]);
    expect(t.fake.requests[2]!.body).not.toHaveProperty("previous_response_id");
    expect(bodyOf(2).input).toContainEqual(
      expect.objectContaining({ type: "function_call_output", call_id: "call_2" }),
    );
  });

  it("a 426 to the background handshake keeps this and every other conversation on HTTP", async () => {
    await start();
    t.fake.backend.websockets = false;
    // The 426 comes only after the first turn is done: that turn never waited for it.
    const release = t.fake.backend.holdUpgrades();
    const history: Message[] = [{ role: "user", content: "Go." }];
    await toolTurn(history, 1);
    expect(t.fake.counters.websocketAttempts).toBe(1);
    release();
    await waitFor(() => warnings.some((w) => /refused the WebSocket \(426\)/.test(w)), "the 426 to be seen");
    await toolTurn(history, 2);
    t.fake.backend.websockets = true;
    await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "other" }],
    });
    // Remembered, as a 426 to a turn's own handshake is: nobody tries the WebSocket again for a while.
    expect(methods()).toEqual(["POST", "POST", "POST"]);
    expect(t.fake.counters.websocketAttempts).toBe(1);
    expect(t.fake.backend.socketServer.openedTotal).toBe(0);
  });

  it("other handshake failures use up the retry budget in the background, then that conversation stays on HTTP", async () => {
    await start({ UPSTREAM_RETRIES: "1" });
    t.fake.backend.onUpgrade = () => serverError(503);
    const history: Message[] = [{ role: "user", content: "Go." }];
    await toolTurn(history, 1);
    await waitFor(() => warnings.some((w) => /stays on HTTP/.test(w)), "the fallback");
    expect(t.fake.counters.websocketAttempts).toBe(2); // the first try and one retry
    // /health knows, as it does of a turn's own handshake; the turn itself was served.
    const health = (await (await fetch(`${t.url}/health`)).json()) as { upstream: { last_error: unknown } };
    expect(health.upstream.last_error).toMatchObject({
      kind: "failure",
      status: 503,
      transport: "websocket",
    });
    t.fake.backend.onUpgrade = undefined;
    await toolTurn(history, 2);
    expect(methods()).toEqual(["POST", "POST"]);
    expect(t.fake.counters.websocketAttempts).toBe(2);
    // Another conversation still tries it.
    await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "other" }],
    });
    await waitFor(() => t.fake.counters.websocketAttempts === 3, "the other conversation's handshake");
  });

  it("UPSTREAM_TRANSPORT=auto opens no WebSocket for a model that does not prefer it", async () => {
    await start();
    const history: Message[] = [{ role: "user", content: "Go." }];
    t.fake.enqueue({ kind: "text", text: "one" }, { kind: "text", text: "two" });
    await client.chat.completions.create({ model: "gpt-5.4", messages: history });
    history.push({ role: "assistant", content: "one" }, { role: "user", content: "more" });
    await client.chat.completions.create({ model: "gpt-5.4", messages: history });
    expect(methods()).toEqual(["POST", "POST"]);
    expect(t.fake.counters.websocketAttempts).toBe(0);
  });
});

describe("a client that goes away during a conversation's first turn", () => {
  it("before the reply: the handshake under way is given up, nothing is left open for the conversation", async () => {
    await start();
    const release = t.fake.backend.holdUpgrades();
    t.fake.enqueue({ kind: "text", text: "late", headersDelayMs: 60_000 });
    const controller = new AbortController();
    const messages: Message[] = [{ role: "user", content: "leave early" }];
    const turn = client.chat.completions
      .create({ model: "gpt-5.5", messages }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await waitFor(() => t.fake.counters.websocketAttempts === 1 && t.fake.requests.length === 1, "turn 1");
    controller.abort();
    expect(await turn).toBeInstanceOf(Error);
    await t.fake.backend.waitForClosedEarly(1);
    release();
    // Had the handshake been kept, the conversation's next turn would find its connection and go over it.
    t.fake.enqueue({ kind: "text", text: "back" });
    const again = await client.chat.completions.create({ model: "gpt-5.5", messages });
    expect(again.choices[0]!.message.content).toContain("back");
    expect(methods()).toEqual(["POST", "POST"]);
    // Only the next turn's own background connection opens, and it is the conversation's.
    await waitFor(() => t.fake.backend.socketServer.open === 1, "the next turn's connection");
    t.fake.enqueue({ kind: "text", text: "third" });
    messages.push({ role: "assistant", content: "back" }, { role: "user", content: "more" });
    await client.chat.completions.create({ model: "gpt-5.5", messages });
    expect(methods().at(-1)).toBe("WS");
    expect(t.fake.backend.socketServer.open).toBe(1);
  });

  it("mid-stream: the HTTP stream ends at once; nothing else closes, the connection opened for the next turn waits in the pool", async () => {
    await start();
    // Another conversation with an open connection: a client leaving elsewhere must not close it.
    const other: Message[] = [{ role: "user", content: "other conversation" }];
    await toolTurn(other, 1);
    await waitFor(() => t.fake.backend.socketServer.open === 1, "the other conversation's connection");

    const release = t.fake.backend.holdUpgrades();
    t.fake.enqueue({ kind: "stall", afterEvents: 2, text: "never finishes" });
    const controller = new AbortController();
    const left: Message[] = [{ role: "user", content: "leave mid-stream" }];
    const stream = await client.chat.completions.create(
      { model: "gpt-5.5", messages: left, stream: true },
      { signal: controller.signal },
    );
    await (async () => {
      for await (const _ of stream) controller.abort();
    })().catch(() => {});
    await t.fake.backend.waitForClosedEarly(1);
    // The other conversation's connection is still there and takes its next turn.
    await toolTurn(other, 2);
    expect(t.fake.requests.at(-1)!.method).toBe("WS");
    expect(t.fake.requests.at(-1)!.connection).toBe(1);
    release();
    await waitFor(() => t.fake.backend.socketServer.open === 2, "the left conversation's connection");
    // It is the pool's (not lost outside it): the conversation's next turn goes over it, with the whole input.
    t.fake.enqueue({ kind: "text", text: "back again" });
    left.push({ role: "user", content: "I am back" });
    await client.chat.completions.create({ model: "gpt-5.5", messages: left });
    expect(t.fake.requests.at(-1)!.method).toBe("WS");
    expect(t.fake.requests.at(-1)!.connection).toBe(2);
    expect(t.fake.backend.socketServer.openedTotal).toBe(2);
  });
});

describe("one-shot conversations", () => {
  it("leave a connection that closes after UPSTREAM_WS_IDLE_MS", async () => {
    await start({ UPSTREAM_WS_IDLE_MS: "1000" });
    await client.chat.completions.create({ model: "gpt-5.5", messages: [{ role: "user", content: "once" }] });
    await waitFor(() => t.fake.backend.socketServer.openedTotal === 1, "the background connection");
    await waitFor(() => t.fake.backend.socketServer.open === 0, "the idle connection to close", 20_000);
  });
});
