// permessage-deflate on the event loop instead of zlib's thread pool, for `ws` sockets (Node).
//
// Why: `ws` runs every compressed frame through zlib's asynchronous stream API: three thread-pool round trips to
// inflate one (the data, the 4-byte trailer, the flush), two to deflate one. A turn's answer is a few dozen small
// frames one after the other, and on a busy machine each round trip waits for a core: the tool call at the end of
// the answer reached the client milliseconds late. A small frame takes microseconds, so here frames are inflated
// (the backend's, on the relay's connections to it, and its own WebSocket clients') or deflated (the relay's frames
// to the backend, the events it sends its clients) synchronously, as the official (Rust) client does, by one
// long-lived pako stream per connection and direction (zlib's algorithm in JavaScript: Node's synchronous zlib API closes its stream after each call, which
// would lose the window that context takeover refers back to; per-message streams with that window as a
// dictionary cost twice the CPU). A very large frame (an image in a turn's last event) blocks the loop for as long
// as it takes: about as long as its JSON, which is parsed or serialised anyway.

import { constants as bufferConstants } from "node:buffer";
import { Deflate, Inflate, Z_SYNC_FLUSH } from "pako";
import type WebSocket from "ws";

/** RFC 7692 §7.2.2: the sender strips this from every message; the receiver appends it. */
const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

type Callback = (err: Error | null, data?: Buffer) => void;

/** The part of `ws`'s PerMessageDeflate this replaces (ws/lib/permessage-deflate.js). */
interface PerMessageDeflateLike {
  params: Record<string, unknown> | null;
  decompress(data: Buffer, fin: boolean, callback: Callback): void;
  compress(data: Buffer | string, fin: boolean, callback: Callback): void;
}

/**
 * The inflater of one connection: `inflate(compressed, fin)` gives a message's bytes (an empty buffer for a fragment
 * that does not end its message; the message's bytes come with its last fragment).
 */
export class MessageInflater {
  private inflater: Inflate | null = null;
  private output: Uint8Array[] = [];
  private outputLength = 0;

  constructor(private readonly options: { contextTakeover: boolean; maxOutputLength: number }) {}

  /** Throws on damaged data, or (RangeError) as soon as a message inflates past maxOutputLength. */
  inflate(data: Uint8Array, fin: boolean): Buffer {
    const inflater = (this.inflater ??= this.open());
    inflater.push(data, fin ? false : Z_SYNC_FLUSH);
    if (fin) inflater.push(TRAILER, Z_SYNC_FLUSH);
    if (inflater.err) {
      this.inflater = null;
      this.output = [];
      this.outputLength = 0;
      throw new Error(`the backend sent a damaged compressed frame (${inflater.msg || inflater.err})`);
    }
    if (!fin) return Buffer.alloc(0);
    const message = Buffer.concat(this.output, this.outputLength);
    this.output = [];
    this.outputLength = 0;
    if (!this.options.contextTakeover) this.inflater = null;
    return message;
  }

  private open(): Inflate {
    // windowBits 15 inflates whatever window the sender negotiated (a smaller one only refers back less far).
    const inflater = new Inflate({ raw: true, windowBits: 15, chunkSize: 16 * 1024 });
    inflater.onData = (chunk) => {
      this.outputLength += chunk.length;
      if (this.outputLength > this.options.maxOutputLength) {
        this.inflater = null;
        this.output = [];
        this.outputLength = 0;
        throw new RangeError(`a message inflated past ${this.options.maxOutputLength} bytes`);
      }
      this.output.push(chunk);
    };
    return inflater;
  }
}

/** The deflater of one connection's outgoing messages: `deflate(data, fin)` gives the frame's payload. */
export class MessageDeflater {
  private deflater: Deflate | null = null;
  private output: Uint8Array[] = [];
  private outputLength = 0;

  constructor(private readonly options: { contextTakeover: boolean; windowBits: number }) {}

  deflate(data: Uint8Array, fin: boolean): Buffer {
    const deflater = (this.deflater ??= this.open());
    deflater.push(data, Z_SYNC_FLUSH);
    if (deflater.err) {
      this.deflater = null;
      throw new Error(`deflate failed (${deflater.msg || deflater.err})`);
    }
    const frame = Buffer.concat(this.output, this.outputLength);
    this.output = [];
    this.outputLength = 0;
    if (!fin) return frame;
    if (!this.options.contextTakeover) this.deflater = null;
    // A message's last fragment goes without the sync flush's empty block (RFC 7692 §7.2.1).
    return frame.subarray(0, frame.length - TRAILER.length);
  }

  private open(): Deflate {
    // zlib's defaults, as `ws` uses them (level 6, memLevel 8), within the window the peer allowed.
    const deflater = new Deflate({ raw: true, windowBits: this.options.windowBits, level: 6, memLevel: 8 });
    deflater.onData = (chunk) => {
      this.output.push(chunk);
      this.outputLength += chunk.length;
    };
    return deflater;
  }
}

function perMessageDeflateOf(ws: WebSocket): PerMessageDeflateLike | null {
  const extensions = (ws as unknown as { _extensions?: Record<string, unknown> })._extensions;
  const pmd = extensions?.["permessage-deflate"] as PerMessageDeflateLike | undefined;
  if (!pmd || typeof pmd.decompress !== "function" || typeof pmd.compress !== "function") return null;
  if (pmd.params === null || typeof pmd.params !== "object") return null;
  return pmd;
}

/** `ws` expects its callbacks later, never from inside its own call (its receiver and sender are not re-entrant). */
function answerLater(callback: Callback, work: () => Buffer): void {
  let out: Buffer;
  try {
    out = work();
  } catch (err) {
    queueMicrotask(() => callback(err as Error));
    return;
  }
  queueMicrotask(() => callback(null, out));
}

/**
 * Makes the frames a `ws` socket sends deflate as described above (the relay's connections to the backend, its
 * WebSocket clients', and the fake backend's). Call it on 'connection'/'open', before the first send. Returns false, leaving `ws` as it is, when
 * permessage-deflate was not negotiated or `ws` is not shaped as expected.
 */
export function deflateInline(ws: WebSocket, role: "server" | "client"): boolean {
  const pmd = perMessageDeflateOf(ws);
  if (!pmd) return false;
  const params = pmd.params!;
  const bits = params[`${role}_max_window_bits`];
  const deflater = new MessageDeflater({
    contextTakeover: params[`${role}_no_context_takeover`] !== true,
    // zlib refuses a raw window of 8 bits (it would write 9); `ws` never negotiates below 9 for this reason.
    windowBits: typeof bits === "number" ? Math.max(9, bits) : 15,
  });
  pmd.compress = (data, fin, callback) =>
    answerLater(callback, () => deflater.deflate(typeof data === "string" ? Buffer.from(data) : data, fin));
  return true;
}

/**
 * Makes the frames a `ws` socket receives inflate as described above: a client's (the backend's frames; call it on
 * 'open') or a server's (its client's frames; call it on 'connection'), before the first frame is read. Returns
 * false, leaving `ws` as it is, when permessage-deflate was not negotiated or `ws` is not shaped as expected (its
 * own inflater then keeps working, only slower).
 */
export function inflateInline(
  ws: WebSocket,
  maxPayload: number,
  role: "client" | "server" = "client",
): boolean {
  const pmd = perMessageDeflateOf(ws);
  if (!pmd) return false;
  // The peer's frames: a client reads the server's, a server its client's.
  const peer = role === "client" ? "server" : "client";
  const inflater = new MessageInflater({
    contextTakeover: pmd.params![`${peer}_no_context_takeover`] !== true,
    maxOutputLength: maxPayload > 0 ? maxPayload : bufferConstants.MAX_LENGTH,
  });
  pmd.decompress = (data, fin, callback) => answerLater(callback, () => inflater.inflate(data, fin));
  return true;
}
