import { afterEach, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { deflateInline, inflateInline } from "../upstream/inline-permessage-deflate.ts";
import { batchedSend, COMPRESS_FROM } from "./batched-socket-send.ts";

/** The frames in raw server bytes (unmasked): whether each is compressed (RSV1) and its payload length. */
function frames(raw: Buffer): { compressed: boolean; length: number }[] {
  const out: { compressed: boolean; length: number }[] = [];
  for (let i = 0; i < raw.length;) {
    const compressed = (raw[i]! & 0x40) !== 0;
    let length = raw[i + 1]! & 0x7f;
    let at = i + 2;
    if (length === 126) {
      length = raw.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      length = Number(raw.readBigUInt64BE(at));
      at += 8;
    }
    out.push({ compressed, length });
    i = at + length;
  }
  return out;
}

describe("batchedSend", () => {
  const servers: WebSocketServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      for (const c of s.clients) c.terminate();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it("sends a burst of frames in one write, small ones uncompressed, large ones deflated", async () => {
    const small = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ type: "delta", delta: ` word ${i}` }),
    );
    const large = JSON.stringify({ type: "completed", text: "lorem ipsum ".repeat(300) });
    expect(large.length).toBeGreaterThanOrEqual(COMPRESS_FROM);
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: true });
    servers.push(server);
    server.on("connection", (ws) => {
      deflateInline(ws, "server");
      const send = batchedSend(ws);
      ws.on("message", () => {
        for (const text of [...small, large, ...small]) send(text);
      });
    });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const ws = new WebSocket(url, { perMessageDeflate: true });
    await new Promise<void>((resolve) => ws.once("open", () => resolve()));
    inflateInline(ws, 0);
    const raw: Buffer[] = [];
    (
      ws as unknown as { _socket: { prependListener(e: string, f: (b: Buffer) => void): void } }
    )._socket.prependListener("data", (chunk) => raw.push(chunk));
    const got: string[] = [];
    const expected = [...small, large, ...small];
    await new Promise<void>((resolve) => {
      ws.on("message", (data: Buffer) => {
        got.push(data.toString("utf8"));
        if (got.length === expected.length) resolve();
      });
      ws.send("go");
    });
    ws.close();
    expect(got).toEqual(expected);
    expect(raw).toHaveLength(1);
    const seen = frames(raw[0]!);
    expect(seen).toHaveLength(expected.length);
    expect(seen.map((f) => f.compressed)).toEqual(expected.map((t) => t === large));
  });
});
