// A client of the relay's own Responses WebSocket announces its conversation before the first turn: the Codex CLI
// connects and sends a prewarm (`generate: false`) at once. The relay opens that conversation's backend WebSocket
// then, so the first real turn finds it open and pays no handshake. A raw `ws` client, a real relay, the fake
// backend (which records upgrades and frames, and can hold its upgrades).

import type WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { defaultModels } from "../fakes/models.ts";
import { startFakeUpstream } from "../fakes/server.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import {
  connectResponsesSocket,
  socketTurn as turn,
  type SocketEvent as Event,
} from "../helpers/responses-socket.ts";

let t: TestRelay;

async function start(transport: "auto" | "websocket"): Promise<void> {
  const models = defaultModels().map((m) => (m.slug === "gpt-5.5" ? { ...m, prefer_websockets: true } : m));
  const fake = await startFakeUpstream({ models });
  t = await startTestRelay({ fake, env: { UPSTREAM_TRANSPORT: transport } });
}

afterEach(async () => {
  await t.close();
  await t.fake.close();
});

const connect = (): Promise<WebSocket> => connectResponsesSocket(t.url);

const user = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const create = (input: unknown[], extra: Record<string, unknown> = {}) => ({
  type: "response.create",
  model: "gpt-5.5",
  prompt_cache_key: "thread-1",
  input,
  ...extra,
});
const idOf = (events: Event[]) => (events[0]!.response as { id: string }).id;

async function waitFor(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the relay's Responses WebSocket opens the backend connection at the client's prewarm", () => {
  it("UPSTREAM_TRANSPORT=auto: the first turn after the prewarm goes over the connection already open", async () => {
    await start("auto");
    const ws = await connect();
    const warm = await turn(ws, create([user("warm")], { generate: false }));
    await waitFor(() => t.fake.backend.socketServer.open === 1, "the backend connection");
    expect(t.fake.requests).toHaveLength(0); // opened, nothing sent: the prewarm itself needs no call
    const events = await turn(ws, create([user("real")], { previous_response_id: idOf(warm) }));
    expect(events.at(-1)!.type).toBe("response.completed");
    expect(t.fake.requests.map((r) => r.method)).toEqual(["WS"]);
    const sent = t.fake.requests[0]!;
    expect(sent.connection).toBe(1);
    expect(sent.headers["session-id"]).toBe("thread-1");
    // A new connection: the whole input (the prewarm's items, expanded by the relay, and the new one).
    expect(sent.body).not.toHaveProperty("previous_response_id");
    expect(JSON.stringify((sent.body as { input: unknown[] }).input)).toMatch(/warm.*real/);
    expect(t.fake.counters.websocketAttempts).toBe(1);
    ws.close();
  });

  it("UPSTREAM_TRANSPORT=websocket: a turn that comes while that handshake is under way waits for it, no second one", async () => {
    await start("websocket");
    const release = t.fake.backend.holdUpgrades();
    const ws = await connect();
    const warm = await turn(ws, create([user("warm")], { generate: false }));
    await waitFor(() => t.fake.counters.websocketAttempts === 1, "the handshake");
    const answer = turn(ws, create([user("real")], { previous_response_id: idOf(warm) }));
    release();
    expect((await answer).at(-1)!.type).toBe("response.completed");
    expect(t.fake.requests.map((r) => r.method)).toEqual(["WS"]);
    expect(t.fake.counters.websocketAttempts).toBe(1);
    expect(t.fake.backend.socketServer.openedTotal).toBe(1);
    ws.close();
  });

  it("a model that does not prefer the WebSocket (auto): the prewarm opens nothing", async () => {
    await start("auto");
    const ws = await connect();
    const warm = await turn(ws, create([user("warm")], { generate: false, model: "gpt-5.4" }));
    await turn(ws, create([user("real")], { previous_response_id: idOf(warm), model: "gpt-5.4" }));
    expect(t.fake.requests.map((r) => r.method)).toEqual(["POST"]);
    expect(t.fake.counters.websocketAttempts).toBe(0);
    ws.close();
  });
});
