// The Worker serves GET /v1/responses as a WebSocket (the Codex CLI's preferred transport) and talks WebSocket to the
// backend for that client's turns: one backend connection per client connection, opened within it, the later
// turns sent as only their new items with previous_response_id. A turn that is not on a client's WebSocket (chat
// completions) goes over HTTP even with UPSTREAM_TRANSPORT=websocket (vitest.workers.config.ts), and a refused
// backend handshake falls back to HTTP. What the backend received is read from the fake through the control server.

import { SELF } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";

const key = inject("clientKey");
const controlUrl = inject("controlUrl");

type Event = Record<string, unknown> & { type: string };

interface Received {
  method: string;
  connection: number | null;
  previousResponseId: string | null;
  inputTypes: string[];
}

/** What the fake backend received for the requests that mention `marker`. */
async function received(marker: string): Promise<Received[]> {
  const res = await fetch(`${controlUrl}/backend-requests?marker=${encodeURIComponent(marker)}`);
  return (await res.json()) as Received[];
}

/** The fake backend's WebSocket connections open now. */
async function backendWebSockets(): Promise<number> {
  const res = await fetch(`${controlUrl}/backend-websockets`);
  return ((await res.json()) as { open: number }).open;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A client WebSocket to the Worker, read one turn at a time. */
class Client {
  private readonly events: Event[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  constructor(readonly ws: WorkersWebSocket) {
    ws.accept();
    ws.addEventListener("message", (e: MessageEvent) => {
      this.events.push(JSON.parse(String(e.data)) as Event);
      this.wake?.();
    });
    ws.addEventListener("close", () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Sends a frame and returns the events up to the turn's last one. */
  async turn(frame: Record<string, unknown>): Promise<Event[]> {
    this.ws.send(JSON.stringify(frame));
    const out: Event[] = [];
    for (;;) {
      const e = await this.next();
      out.push(e);
      if (["response.completed", "response.failed", "response.incomplete", "error"].includes(e.type))
        return out;
    }
  }

  async next(): Promise<Event> {
    for (;;) {
      const e = this.events.shift();
      if (e) return e;
      if (this.closed) throw new Error("the socket closed");
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

function upgrade(headers: Record<string, string> = { authorization: `Bearer ${key}` }): Promise<Response> {
  return SELF.fetch("https://relay.example/v1/responses", { headers: { upgrade: "websocket", ...headers } });
}

async function connect(): Promise<Client> {
  const res = await upgrade();
  expect(res.status).toBe(101);
  const ws = (res as Response & { webSocket: WorkersWebSocket | null }).webSocket;
  expect(ws).not.toBeNull();
  return new Client(ws!);
}

const user = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const create = (input: unknown[], extra: Record<string, unknown> = {}) => ({
  type: "response.create",
  model: "gpt-5.4",
  input,
  ...extra,
});
const completed = (events: Event[]) => events.find((e) => e.type === "response.completed");
const idOf = (events: Event[]) => (completed(events)?.response as { id: string }).id;
const text = (events: Event[]) =>
  events
    .filter((e) => e.type === "response.output_text.delta")
    .map((e) => e.delta as string)
    .join("");

describe("the Worker's Responses WebSocket", () => {
  it("refuses an upgrade without the relay's key, as every /v1 route does", async () => {
    const res = await upgrade({});
    expect(res.status).toBe(401);
    expect((res as Response & { webSocket?: unknown }).webSocket ?? null).toBeNull();
  });

  it("answers turns on the connection; the backend gets them over one WebSocket, the second as its new item only", async () => {
    const marker = `ws-${crypto.randomUUID()}`;
    const client = await connect();
    const first = await client.turn(create([user(`hello ${marker}`)]));
    expect(completed(first)).toBeDefined();
    expect(text(first)).toContain(`Echo: hello ${marker}`);

    const second = await client.turn(
      create([user(`and again ${marker}`)], { previous_response_id: idOf(first) }),
    );
    expect(text(second)).toContain(`Echo: and again ${marker}`);
    client.ws.close(1000);

    const sent = await received(marker);
    expect(sent.map((r) => r.method)).toEqual(["WS", "WS"]);
    expect(sent[1]!.connection).toBe(sent[0]!.connection);
    expect(sent[0]!.previousResponseId).toBeNull();
    expect(sent[1]!.previousResponseId).toBe(idOf(first));
    expect(sent[1]!.inputTypes).toEqual(["message"]);
  });

  it("gives each client connection its own backend connection", async () => {
    const marker = `ws-${crypto.randomUUID()}`;
    const a = await connect();
    const b = await connect();
    await a.turn(create([user(`from a ${marker}`)]));
    await b.turn(create([user(`from b ${marker}`)]));
    a.ws.close(1000);
    b.ws.close(1000);
    const sent = await received(marker);
    expect(sent.map((r) => r.method)).toEqual(["WS", "WS"]);
    expect(sent[0]!.connection).not.toBe(sent[1]!.connection);
  });

  it("closes the backend connection at once when the client goes away mid-turn", async () => {
    const marker = `ws-${crypto.randomUUID()}`;
    await eventually(async () => (await backendWebSockets()) === 0, "earlier connections to close");
    const client = await connect();
    const stall = JSON.stringify({ kind: "stall", afterEvents: 2 });
    client.ws.send(JSON.stringify(create([user(`wait ${marker} [[fake ${stall}]]`)])));
    expect((await client.next()).type).toBe("response.created");
    expect(await backendWebSockets()).toBe(1);
    client.ws.close(1000);
    await eventually(async () => (await backendWebSockets()) === 0, "the backend connection to close");
  });

  it("opens the backend connection at the client's prewarm; the first turn goes over it", async () => {
    const marker = `ws-${crypto.randomUUID()}`;
    await eventually(async () => (await backendWebSockets()) === 0, "earlier connections to close");
    const client = await connect();
    const warm = await client.turn(create([user(`warm ${marker}`)], { generate: false }));
    // The prewarm is answered by the relay; the backend connection opens for the turns to come.
    await eventually(async () => (await backendWebSockets()) === 1, "the backend connection");
    const first = await client.turn(create([user(`real ${marker}`)], { previous_response_id: idOf(warm) }));
    expect(text(first)).toContain(`Echo: real ${marker}`);
    expect(await backendWebSockets()).toBe(1);
    client.ws.close(1000);
    const sent = await received(marker);
    expect(sent.map((r) => r.method)).toEqual(["WS"]);
    expect(sent[0]!.previousResponseId).toBeNull();
    await eventually(async () => (await backendWebSockets()) === 0, "the backend connection to close");
  });

  it("sends a chat completion over HTTP: it has no client WebSocket to hold a backend one", async () => {
    const marker = `chat-${crypto.randomUUID()}`;
    const res = await SELF.fetch("https://relay.example/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.4", messages: [{ role: "user", content: marker }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect((await received(marker)).map((r) => r.method)).toEqual(["POST"]);
  });

  it("falls back to HTTP for that conversation when the backend's handshake fails (503, retries used up)", async () => {
    await fetch(`${controlUrl}/refuse-next-upgrade`, {
      method: "POST",
      body: JSON.stringify({ status: 503 }),
    });
    const marker = `ws-${crypto.randomUUID()}`;
    const client = await connect();
    const first = await client.turn(create([user(`unavailable ${marker}`)]));
    expect(text(first)).toContain(`Echo: unavailable ${marker}`);
    const second = await client.turn(
      create([user(`still ${marker}`)], { previous_response_id: idOf(first) }),
    );
    expect(text(second)).toContain(`Echo: still ${marker}`);
    client.ws.close(1000);
    // UPSTREAM_RETRIES=0: the failed handshake sends the turn over HTTP, and the conversation stays there.
    expect((await received(marker)).map((r) => r.method)).toEqual(["POST", "POST"]);
  });

  // Last: a 426 keeps this isolate's relay on HTTP for a while (as the Codex CLI does).
  it("falls back to HTTP when the backend refuses the WebSocket with 426", async () => {
    await fetch(`${controlUrl}/refuse-next-upgrade`, {
      method: "POST",
      body: JSON.stringify({ status: 426 }),
    });
    const marker = `ws-${crypto.randomUUID()}`;
    const client = await connect();
    const events = await client.turn(create([user(`refused ${marker}`)]));
    expect(text(events)).toContain(`Echo: refused ${marker}`);
    client.ws.close(1000);
    expect((await received(marker)).map((r) => r.method)).toEqual(["POST"]);
  });
});
