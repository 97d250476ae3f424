import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer, type PerMessageDeflateOptions } from "ws";
import {
  MessageDeflater,
  MessageInflater,
  deflateInline,
  inflateInline,
} from "./inline-permessage-deflate.ts";

/** Messages of every kind a turn brings: tiny deltas, repeats of earlier text, and one that compresses badly. */
function messages(): string[] {
  const out: string[] = [];
  const instructions = "You are a coding agent. Read the code before you change it. ".repeat(400);
  for (let turn = 0; turn < 4; turn++) {
    out.push(JSON.stringify({ type: "response.created", response: { id: `resp_${turn}`, instructions } }));
    for (let i = 0; i < 30; i++)
      out.push(JSON.stringify({ type: "response.output_text.delta", delta: `w${i} ` }));
  }
  out.push(JSON.stringify({ type: "response.completed", image: randomBytes(120 * 1024).toString("base64") }));
  out.push("ü€😀 after the large one");
  return out;
}

/** What a permessage-deflate sender with context takeover puts in each frame (trailer stripped). */
async function deflated(texts: string[]): Promise<Buffer[]> {
  const deflate = zlib.createDeflateRaw({ windowBits: 15 });
  const frames: Buffer[] = [];
  for (const text of texts) {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    deflate.on("data", onData);
    deflate.write(text);
    await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    deflate.off("data", onData);
    const frame = Buffer.concat(chunks);
    frames.push(frame.subarray(0, frame.length - 4));
  }
  deflate.close();
  return frames;
}

describe("MessageInflater", () => {
  it("inflates a context-takeover stream message by message", async () => {
    const texts = messages();
    const frames = await deflated(texts);
    const inflater = new MessageInflater({ contextTakeover: true, maxOutputLength: 2 ** 30 });
    // Later frames refer back to earlier text: each is far smaller than its message.
    expect(frames[31]!.length).toBeLessThan(texts[31]!.length / 20);
    expect(frames.map((f) => inflater.inflate(f, true).toString("utf8"))).toEqual(texts);
  });

  it("joins fragments before inflating, and refuses a message over the output limit", async () => {
    const [frame] = await deflated(["x".repeat(50_000)]);
    const inflater = new MessageInflater({ contextTakeover: true, maxOutputLength: 60_000 });
    const cut = Math.floor(frame!.length / 2);
    expect(inflater.inflate(frame!.subarray(0, cut), false).length).toBe(0);
    expect(inflater.inflate(frame!.subarray(cut), true).toString()).toBe("x".repeat(50_000));
    const small = new MessageInflater({ contextTakeover: true, maxOutputLength: 10_000 });
    expect(() => small.inflate(frame!, true)).toThrow(RangeError);
    expect(() => small.inflate(Buffer.from([0xff, 0xff, 0xff]), true)).toThrow(/damaged/);
  });
});

describe("MessageDeflater", () => {
  it("deflates messages a context-takeover inflater reads back, later ones referring to earlier ones", async () => {
    const texts = messages();
    const deflater = new MessageDeflater({ contextTakeover: true, windowBits: 15 });
    const frames = texts.map((t) => deflater.deflate(Buffer.from(t), true));
    expect(frames[31]!.length).toBeLessThan(texts[31]!.length / 20);
    const inflater = zlib.createInflateRaw({ windowBits: 15 });
    const read: string[] = [];
    for (const frame of frames) {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      inflater.on("data", onData);
      inflater.write(frame);
      inflater.write(Buffer.from([0x00, 0x00, 0xff, 0xff]));
      await new Promise<void>((resolve) => inflater.flush(() => resolve()));
      inflater.off("data", onData);
      read.push(Buffer.concat(chunks).toString("utf8"));
    }
    inflater.close();
    expect(read).toEqual(texts);
  });
});

describe("inline permessage-deflate on real ws connections", () => {
  const servers: WebSocketServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      for (const c of s.clients) c.terminate();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  async function serve(
    perMessageDeflate: boolean | PerMessageDeflateOptions,
    onConnection: (ws: WebSocket) => void,
  ): Promise<string> {
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate });
    servers.push(server);
    server.on("connection", onConnection);
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Opens a client, installs the inline inflater on 'open', and collects `count` messages (or the close). */
  function receive(url: string, count: number, maxPayload = 0) {
    return new Promise<{ installed: boolean; texts: string[]; closeCode: number | null }>((resolve) => {
      const ws = new WebSocket(url, { perMessageDeflate: true, maxPayload });
      const texts: string[] = [];
      let installed = false;
      ws.on("open", () => (installed = inflateInline(ws, maxPayload)));
      ws.on("message", (data: Buffer) => {
        texts.push(data.toString("utf8"));
        if (texts.length === count) ws.close();
      });
      ws.on("error", () => {});
      ws.on("close", (code) =>
        resolve({ installed, texts, closeCode: texts.length === count ? null : code }),
      );
    });
  }

  it("receives every message of a context-takeover connection, in order", async () => {
    const texts = messages();
    const url = await serve(true, (ws) => {
      for (const t of texts) ws.send(t);
    });
    const got = await receive(url, texts.length);
    expect(got.installed).toBe(true);
    expect(got.texts).toEqual(texts);
  });

  it("receives fragmented messages and messages without context takeover", async () => {
    const url = await serve({ serverNoContextTakeover: true }, (ws) => {
      ws.send("first, whole");
      ws.send("frag-one ", { fin: false });
      ws.send("frag-two ", { fin: false });
      ws.send("frag-three", { fin: true });
      ws.send("first, whole");
    });
    const got = await receive(url, 3);
    expect(got.installed).toBe(true);
    expect(got.texts).toEqual(["first, whole", "frag-one frag-two frag-three", "first, whole"]);
  });

  it("closes the connection on a message that inflates past maxPayload, delivering nothing", async () => {
    const url = await serve(true, (ws) => ws.send("z".repeat(200_000)));
    const got = await receive(url, 1, 100_000);
    expect(got.installed).toBe(true);
    expect(got.texts).toEqual([]);
    expect(got.closeCode).not.toBeNull();
  });

  it("a server deflating inline is read by a stock ws client, with and without context takeover", async () => {
    const texts = messages();
    let installed: boolean[] = [];
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: true });
    servers.push(server);
    server.on("connection", (ws) => {
      installed.push(deflateInline(ws, "server"));
      for (const t of texts) ws.send(t);
      ws.send("fragment one, ", { fin: false });
      ws.send("fragment two", { fin: true });
    });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const offer of [true, { serverNoContextTakeover: true, serverMaxWindowBits: 10 }]) {
      installed = [];
      const got = await new Promise<string[]>((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: offer });
        const read: string[] = [];
        ws.on("message", (data: Buffer) => {
          read.push(data.toString("utf8"));
          if (read.length === texts.length + 1) {
            ws.close();
            resolve(read);
          }
        });
        ws.on("error", reject);
      });
      expect(installed).toEqual([true]);
      expect(got).toEqual([...texts, "fragment one, fragment two"]);
    }
  });

  it("a client deflating inline is read by a stock ws server, with and without context takeover", async () => {
    const texts = messages();
    for (const offer of [true, { clientNoContextTakeover: true, clientMaxWindowBits: 10 }]) {
      const read: string[] = [];
      const all = new Promise<void>((resolve) => {
        void serve(offer, (ws) =>
          ws.on("message", (data: Buffer) => {
            read.push(data.toString("utf8"));
            if (read.length === texts.length + 1) resolve();
          }),
        ).then((url) => {
          const ws = new WebSocket(url, { perMessageDeflate: true });
          ws.on("open", () => {
            expect(deflateInline(ws, "client")).toBe(true);
            for (const t of texts) ws.send(t);
            ws.send("fragment one, ", { fin: false });
            ws.send("fragment two", { fin: true });
          });
        });
      });
      await all;
      expect(read).toEqual([...texts, "fragment one, fragment two"]);
    }
  });

  it("a server inflating inline reads a stock ws client, with and without context takeover", async () => {
    const texts = messages();
    for (const offer of [true, { clientNoContextTakeover: true }, { serverNoContextTakeover: true }]) {
      const read: string[] = [];
      let installed = false;
      const all = new Promise<void>((resolve) => {
        void serve(offer, (ws) => {
          installed = inflateInline(ws, 0, "server");
          ws.on("message", (data: Buffer) => {
            read.push(data.toString("utf8"));
            if (read.length === texts.length + 1) resolve();
          });
        }).then((url) => {
          const ws = new WebSocket(url, { perMessageDeflate: true });
          ws.on("open", () => {
            for (const t of texts) ws.send(t);
            ws.send("fragment one, ", { fin: false });
            ws.send("fragment two", { fin: true });
          });
        });
      });
      await all;
      expect(installed).toBe(true);
      expect(read).toEqual([...texts, "fragment one, fragment two"]);
    }
  });

  it("leaves ws as it is when permessage-deflate was not negotiated", async () => {
    const url = await serve(false, (ws) => ws.send("plain"));
    const got = await receive(url, 1);
    expect(got.installed).toBe(false);
    expect(got.texts).toEqual(["plain"]);
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve) => ws.once("open", resolve));
    expect(deflateInline(ws, "client")).toBe(false);
    ws.close();
  });
});
