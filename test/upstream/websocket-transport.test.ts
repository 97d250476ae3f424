// The relay's WebSocket transport to the backend, end to end: a real relay (UPSTREAM_TRANSPORT=websocket: every
// turn over the WebSocket, the first one too; auto's first turns are in websocket-first-turn.test.ts) in front of
// the fake backend's Responses WebSocket, driven by the openai SDK's chat completions. The fake records
// every `response.create` frame, so the tests see what went over the wire: whole input on a new connection, only
// the new items with previous_response_id on later turns, and HTTP when the WebSocket fails as the CLI would.

import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { serverError, usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { defaultModels } from "../fakes/models.ts";
import { startFakeUpstream } from "../fakes/server.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let client: OpenAI;

async function start(env: Record<string, string> = {}, models = defaultModels()): Promise<void> {
  const fake = await startFakeUpstream({ models });
  t = await startTestRelay({ fake, env: { UPSTREAM_TRANSPORT: "websocket", UPSTREAM_RETRIES: "1", ...env } });
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
}

afterEach(async () => {
  await t.close();
  await t.fake.close();
});

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "read_file",
      description: "Reads a file",
      parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    },
  },
];

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** One agent turn: the model calls read_file; the reply goes back into the history with the tool's result. */
async function toolTurn(history: Message[], n: number): Promise<void> {
  t.fake.enqueue({
    kind: "tool_calls",
    text: `Reading file ${n}.`,
    reasoning: [`Need file ${n}`],
    calls: [{ name: "read_file", arguments: { path: `src/file-${n}.ts` }, callId: `call_${n}` }],
  });
  const r = await client.chat.completions.create({ model: "gpt-5.5", messages: history, tools });
  const message = r.choices[0]!.message;
  expect(message.tool_calls?.[0]?.id).toBe(`call_${n}`);
  history.push(message as Message);
  history.push({
    role: "tool",
    tool_call_id: `call_${n}`,
    content: `contents of file ${n}: ${"x".repeat(200)}`,
  });
}

const frames = () => t.fake.requests.filter((r) => r.method === "WS");
const frameBody = (i: number) => frames()[i]!.body as Record<string, unknown>;

describe("WebSocket transport to the backend", () => {
  beforeEach(() => start());

  it("sends the whole input first, then only the new items with previous_response_id on the same connection", async () => {
    const history: Message[] = [
      { role: "system", content: "You are a coding agent." },
      { role: "user", content: "Refactor the project." },
    ];
    await toolTurn(history, 1);
    await toolTurn(history, 2);
    t.fake.enqueue({ kind: "text", text: "Done." });
    const last = await client.chat.completions.create({ model: "gpt-5.5", messages: history, tools });
    expect(last.choices[0]!.message.content).toContain("Done.");

    const sent = frames();
    expect(sent).toHaveLength(3);
    expect(t.fake.requests.filter((r) => r.method === "POST")).toHaveLength(0);
    expect(new Set(sent.map((f) => f.connection))).toEqual(new Set([1]));
    expect(frameBody(0).type).toBe("response.create");
    expect(frameBody(0)).not.toHaveProperty("previous_response_id");
    const firstInput = frameBody(0).input as unknown[];
    expect(firstInput.length).toBeGreaterThanOrEqual(2);
    for (const i of [1, 2]) {
      const body = frameBody(i);
      expect(typeof body.previous_response_id).toBe("string");
      // Only the tool's result is new: the call itself (and the reasoning) the backend has already.
      expect(body.input).toEqual([
        expect.objectContaining({ type: "function_call_output", call_id: `call_${i}` }),
      ]);
      expect(sent[i]!.bytes).toBeLessThan(sent[i - 1]!.bytes + 2000);
    }
    // What the backend stood for on the last turn: everything, reasoning items included.
    const resolved = sent[2]!.resolvedInput as { type: string }[];
    expect(resolved.filter((i) => i.type === "function_call")).toHaveLength(2);
    expect(resolved.filter((i) => i.type === "reasoning")).toHaveLength(2);
  });

  it("sends the whole input again when the client's history was edited", async () => {
    const history: Message[] = [{ role: "user", content: "Start." }];
    await toolTurn(history, 1);
    // The client rewrites the model's earlier call before sending the next turn.
    const edited = structuredClone(history);
    const call = (edited[1] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0]!;
    call.function.arguments = '{"path":"elsewhere.ts"}';
    t.fake.enqueue({ kind: "text", text: "ok" });
    await client.chat.completions.create({ model: "gpt-5.5", messages: edited, tools });
    expect(frameBody(1)).not.toHaveProperty("previous_response_id");
    // The assistant's message, its call, the tool's result: all sent again.
    expect((frameBody(1).input as unknown[]).length).toBe((frameBody(0).input as unknown[]).length + 3);
  });

  it("maps an error frame like its HTTP form (429 usage limit)", async () => {
    t.fake.enqueue(usageLimitReached({ resetsInSeconds: 120 }));
    const err = await client.chat.completions
      .create({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect((err as Error).message).toMatch(/usage limit/i);
    expect(frames()).toHaveLength(1);
  });

  it("reconnects with the whole input when the connection reached its lifetime limit", async () => {
    const history: Message[] = [{ role: "user", content: "Go." }];
    await toolTurn(history, 1);
    // The open connection is now past its limit; a new one is not.
    t.fake.backend.websocketConnectionLimitMs = 100;
    await new Promise((r) => setTimeout(r, 150));
    t.fake.enqueue({ kind: "text", text: "after the limit" });
    const r = await client.chat.completions.create({ model: "gpt-5.5", messages: history, tools });
    expect(r.choices[0]!.message.content).toContain("after the limit");
    t.fake.backend.websocketConnectionLimitMs = 60 * 60_000;
    const sent = frames();
    const retried = sent.at(-1)!;
    expect(retried.connection).toBe(2);
    expect(retried.body).not.toHaveProperty("previous_response_id");
  });

  it("a broken stream ends the turn with an error; the next turn starts over on a new connection", async () => {
    const history: Message[] = [{ role: "user", content: "Go." }];
    await toolTurn(history, 1);
    t.fake.enqueue({ kind: "cut", afterEvents: 3, text: "partial answer that breaks" });
    let text = "";
    // Broken before any output, the turn is an HTTP error; after output began, an error in the stream.
    await (async () => {
      const stream = await client.chat.completions.create({
        model: "gpt-5.5",
        messages: history,
        tools,
        stream: true,
      });
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    })().catch(() => {});
    expect(text).not.toContain("partial answer that breaks");
    t.fake.enqueue({ kind: "text", text: "fine again" });
    const r = await client.chat.completions.create({ model: "gpt-5.5", messages: history, tools });
    expect(r.choices[0]!.message.content).toContain("fine again");
    expect(frames().at(-1)!.connection).toBe(2);
    expect(frames().at(-1)!.body).not.toHaveProperty("previous_response_id");
  });

  it("a client that goes away closes the backend connection at once", async () => {
    t.fake.enqueue({ kind: "stall", afterEvents: 2, text: "never finishes" });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "gpt-5.5", messages: [{ role: "user", content: "slow" }], stream: true },
      { signal: controller.signal },
    );
    const reading = (async () => {
      for await (const _ of stream) controller.abort();
    })().catch(() => {});
    await reading;
    await waitFor(() => t.fake.backend.socketServer.open === 0);
    expect(t.fake.backend.socketServer.openedTotal).toBe(1);
  });
});

describe("falling back to HTTP", () => {
  it("goes to HTTP at once when the handshake answers 426, for every conversation", async () => {
    await start();
    t.fake.backend.websockets = false;
    const a = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "a" }],
    });
    expect(a.choices[0]!.message.content).toContain("Echo: a");
    const b = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "b" }],
    });
    expect(b.choices[0]!.message.content).toContain("Echo: b");
    expect(t.fake.counters.websocketAttempts).toBe(1);
    expect(t.fake.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
  });

  it("uses up the retry budget on other handshake failures, then that conversation goes over HTTP", async () => {
    await start({ UPSTREAM_RETRIES: "1" });
    t.fake.backend.onUpgrade = () => serverError(503);
    const messages: Message[] = [{ role: "user", content: "retry me" }];
    const r = await client.chat.completions.create({ model: "gpt-5.5", messages });
    expect(r.choices[0]!.message.content).toContain("Echo: retry me");
    expect(t.fake.counters.websocketAttempts).toBe(2); // the first try and one retry
    expect(t.fake.requests.map((q) => q.method)).toEqual(["POST"]);
    // The next turn of that conversation does not try the WebSocket again.
    messages.push(r.choices[0]!.message as Message, { role: "user", content: "and again" });
    await client.chat.completions.create({ model: "gpt-5.5", messages });
    expect(t.fake.counters.websocketAttempts).toBe(2);
    // Another conversation still tries it.
    t.fake.backend.onUpgrade = undefined;
    await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "other" }],
    });
    expect(t.fake.counters.websocketAttempts).toBe(3);
    expect(t.fake.requests.at(-1)!.method).toBe("WS");
  });

  it("falls back after the retries when the backend drops the connection without answering", async () => {
    await start({ UPSTREAM_RETRIES: "1" });
    t.fake.backend.onUpgrade = () => "reset";
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "x" }],
    });
    expect(r.choices[0]!.message.content).toContain("Echo: x");
    expect(t.fake.counters.websocketAttempts).toBe(2);
    expect(t.fake.requests.map((q) => q.method)).toEqual(["POST"]);
  });

  it("UPSTREAM_TRANSPORT=auto uses the WebSocket only for models whose catalogue entry prefers it", async () => {
    const models = defaultModels().map((m) => (m.slug === "gpt-5.5" ? { ...m, prefer_websockets: true } : m));
    await start({ UPSTREAM_TRANSPORT: "auto" }, models);
    const a: Message[] = [{ role: "user", content: "a" }];
    const first = await client.chat.completions.create({ model: "gpt-5.5", messages: a });
    // Its first turn over HTTP while its connection opens (websocket-first-turn.test.ts); its next over that.
    await waitFor(() => t.fake.backend.socketServer.open === 1);
    a.push(first.choices[0]!.message as Message, { role: "user", content: "a again" });
    await client.chat.completions.create({ model: "gpt-5.5", messages: a });
    const b: Message[] = [{ role: "user", content: "b" }];
    const other = await client.chat.completions.create({ model: "gpt-5.4", messages: b });
    b.push(other.choices[0]!.message as Message, { role: "user", content: "b again" });
    await client.chat.completions.create({ model: "gpt-5.4", messages: b });
    expect(t.fake.requests.map((q) => q.method)).toEqual(["POST", "WS", "POST", "POST"]);
    expect(t.fake.counters.websocketAttempts).toBe(1);
  });

  it("UPSTREAM_TRANSPORT=http never opens a WebSocket", async () => {
    const models = defaultModels().map((m) => ({ ...m, prefer_websockets: true }));
    await start({ UPSTREAM_TRANSPORT: "http" }, models);
    await client.chat.completions.create({ model: "gpt-5.5", messages: [{ role: "user", content: "a" }] });
    expect(t.fake.counters.websocketAttempts).toBe(0);
  });

  it("a conversation whose connection is busy goes over HTTP; the pool stays within its bound", async () => {
    await start({ UPSTREAM_WS_POOL: "1" });
    t.fake.enqueue({ kind: "text", text: "slow one", delayMs: 30 });
    const slow = client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "one" }],
    });
    await t.fake.waitForRequests(1);
    const other = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "two" }],
    });
    expect(other.choices[0]!.message.content).toContain("Echo: two");
    await slow;
    expect(t.fake.requests.map((q) => q.method)).toEqual(["WS", "POST"]);
    // Sequential conversations share the one slot: the idle one is closed for the new one.
    await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "three" }],
    });
    await waitFor(() => t.fake.backend.socketServer.open === 1);
    expect(t.fake.backend.socketServer.openedTotal).toBe(2);
  });
});

async function waitFor(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
