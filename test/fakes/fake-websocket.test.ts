// The fake backend's Responses WebSocket with a raw `ws` client: the handshake's auth, the frames, the
// connection-scoped previous_response_id, its rejection, and the connection limit.

import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "./server.ts";

let fake: FakeUpstream;
let auth: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeUpstream();
  const doc = fake.issuer.login();
  auth = { authorization: `Bearer ${doc.tokens.access_token}`, "chatgpt-account-id": doc.tokens.account_id };
});
afterAll(() => fake.close());

function connect(headers = auth): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(fake.responsesWebSocketUrl, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

/** Sends one frame and collects the events up to a terminal or error one. */
function turn(ws: WebSocket, frame: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  return new Promise((resolve) => {
    const events: Record<string, unknown>[] = [];
    const onMessage = (data: WebSocket.RawData) => {
      const e = JSON.parse(data.toString()) as Record<string, unknown>;
      events.push(e);
      if (
        ["response.completed", "response.failed", "response.incomplete", "error"].includes(String(e.type))
      ) {
        ws.off("message", onMessage);
        resolve(events);
      }
    };
    ws.on("message", onMessage);
    ws.send(JSON.stringify({ type: "response.create", ...frame }));
  });
}

const user = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const create = (input: unknown[], extra = {}) => ({
  model: "gpt-5.5",
  store: false,
  stream: true,
  input,
  ...extra,
});

describe("the fake's Responses WebSocket", () => {
  it("refuses a handshake without a valid token", async () => {
    await expect(connect({})).rejects.toThrow("HTTP 401");
  });

  it("answers response.create with the SSE events as frames, and continues a previous response", async () => {
    const ws = await connect();
    const first = await turn(ws, create([user("one")]));
    expect(first[0]!.type).toBe("response.created");
    expect(first.at(-1)!.type).toBe("response.completed");
    const id = (first[0]!.response as { id: string }).id;
    const second = await turn(ws, create([user("two")], { previous_response_id: id }));
    expect(second.at(-1)!.type).toBe("response.completed");
    const resolved = fake.requests.at(-1)!.resolvedInput as { type: string }[];
    // one's input, one's answer, two's input
    expect(resolved.map((i) => i.type)).toEqual(["message", "message", "message"]);
    ws.close();
  });

  it("rejects an unknown previous_response_id with a wrapped 400 error frame", async () => {
    const ws = await connect();
    const events = await turn(ws, create([user("x")], { previous_response_id: "resp_unknown" }));
    expect(events).toEqual([
      {
        type: "error",
        status: 400,
        error: expect.objectContaining({
          code: "previous_response_not_found",
          param: "previous_response_id",
        }),
        headers: {},
      },
    ]);
    ws.close();
  });

  it("ends a connection past its lifetime with websocket_connection_limit_reached", async () => {
    const ws = await connect();
    fake.backend.websocketConnectionLimitMs = 0;
    const events = await turn(ws, create([user("late")]));
    fake.backend.websocketConnectionLimitMs = 60 * 60_000;
    expect(events[0]).toMatchObject({ type: "error", error: { code: "websocket_connection_limit_reached" } });
    await new Promise((resolve) => ws.once("close", resolve));
  });
});
