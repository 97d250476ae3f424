// The relay's own Responses WebSocket (GET /v1/responses upgraded), with a raw `ws` client: the key check at the
// handshake, response.create answered with the backend's events, previous_response_id on the connection, its
// rejection when unknown, the prewarm, and errors as wrapped error frames.

import type WebSocket from "ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { usageLimitReached } from "../fakes/fake-chatgpt.ts";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import {
  connectResponsesSocket,
  socketTurn as turn,
  type SocketEvent as Event,
} from "../helpers/responses-socket.ts";

const KEY = "relay-ws-key";
let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay({ env: { OPENAI_API_KEY: KEY } });
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

function connect(key: string | null = KEY, extra: Record<string, string> = {}): Promise<WebSocket> {
  return connectResponsesSocket(t.url, key ? { authorization: `Bearer ${key}`, ...extra } : extra);
}

const user = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const create = (input: unknown[], extra: Record<string, unknown> = {}) => ({
  type: "response.create",
  model: "gpt-5.5",
  input,
  ...extra,
});
const idOf = (events: Event[]) => (events[0]!.response as { id: string }).id;

describe("GET /v1/responses as a WebSocket", () => {
  it("checks the relay's key at the handshake", async () => {
    await expect(connect(null)).rejects.toThrow("HTTP 401");
    await expect(connect("wrong")).rejects.toThrow("HTTP 401");
  });

  it("refuses a web page's origin, as the HTTP routes do", async () => {
    await expect(connect(KEY, { origin: "https://attacker.example" })).rejects.toThrow("HTTP 403");
  });

  it("answers turns with the backend's events and continues a response of the connection", async () => {
    const ws = await connect();
    t.fake.enqueue({ kind: "text", text: "first answer" });
    const first = await turn(ws, create([user("one")]));
    expect(first[0]!.type).toBe("response.created");
    expect(first.at(-1)!.type).toBe("response.completed");
    expect(first.some((e) => e.type === "response.output_text.delta")).toBe(true);
    const second = await turn(ws, create([user("two")], { previous_response_id: idOf(first) }));
    expect(second.at(-1)!.type).toBe("response.completed");
    // The backend got the whole conversation: one, the first answer, two.
    const sent = t.fake.requests.at(-1)!;
    const input = (sent.resolvedInput ?? (sent.body as { input: unknown[] }).input) as Record<
      string,
      unknown
    >[];
    expect(JSON.stringify(input)).toContain("first answer");
    expect(JSON.stringify(input.at(-1))).toContain("two");
    ws.close();
  });

  it("rejects an unknown previous_response_id with a wrapped 400 error frame", async () => {
    const ws = await connect();
    const events = await turn(ws, create([user("x")], { previous_response_id: "resp_nope" }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "error",
      status: 400,
      error: { code: "previous_response_not_found", param: "previous_response_id" },
    });
    expect(t.fake.requests).toHaveLength(0);
    ws.close();
  });

  it("takes a tool output whose call is in the connection's previous response; refuses one without its call", async () => {
    const ws = await connect();
    t.fake.enqueue({ kind: "tool_calls", calls: [{ name: "lookup", arguments: {}, callId: "call_ws_1" }] });
    const first = await turn(ws, create([user("look it up")]));
    expect(first.at(-1)!.type).toBe("response.completed");
    const output = (callId: string) => ({ type: "function_call_output", call_id: callId, output: "found" });
    t.fake.enqueue({ kind: "text", text: "done" });
    const second = await turn(ws, create([output("call_ws_1")], { previous_response_id: idOf(first) }));
    expect(second.at(-1)!.type).toBe("response.completed");
    const requests = t.fake.requests.length;
    const third = await turn(
      ws,
      create([user("more"), output("call_ws_9")], { previous_response_id: idOf(second) }),
    );
    expect(third).toHaveLength(1);
    expect(third[0]).toMatchObject({
      type: "error",
      status: 400,
      error: { code: "tool_call_not_found", param: "input[1].call_id" },
    });
    expect(t.fake.requests).toHaveLength(requests);
    ws.close();
  });

  it("answers a prewarm (generate:false) without calling the backend, and continues from it", async () => {
    const ws = await connect();
    const warm = await turn(ws, create([user("warm")], { generate: false }));
    expect(warm.map((e) => e.type)).toEqual(["response.created", "response.completed"]);
    expect(t.fake.requests).toHaveLength(0);
    await turn(ws, create([user("real")], { previous_response_id: idOf(warm) }));
    const body = t.fake.requests.at(-1)!.body as { input: unknown[] };
    expect(JSON.stringify(body.input)).toContain("warm");
    ws.close();
  });

  it("sends the backend's refusal as an error frame with its HTTP status", async () => {
    const ws = await connect();
    t.fake.enqueue(usageLimitReached({ resetsInSeconds: 60 }));
    const events = await turn(ws, create([user("x")]));
    expect(events).toEqual([
      expect.objectContaining({
        type: "error",
        status: 429,
        error: expect.objectContaining({ type: "usage_limit_reached" }),
      }),
    ]);
    ws.close();
  });

  it("refuses unknown message types and bad JSON with an error frame naming the field", async () => {
    const ws = await connect();
    const events = await turn(ws, { type: "response.append", input: [] });
    expect(events[0]).toMatchObject({ type: "error", status: 400, error: { param: "type" } });
    ws.close();
  });
});
