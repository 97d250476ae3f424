// Inflating the backend's permessage-deflate frames on the event loop instead of zlib's thread pool (Node, `ws`).
//
// Why: `ws` inflates every compressed frame through zlib's asynchronous stream API, three thread-pool round trips
// per frame (the data, the 4-byte trailer, the flush). A turn's answer is a few dozen small frames read one after
// the other, and on a busy machine each round trip waits for a core: the tool call at the end of the answer reached
// the client milliseconds late. A small frame inflates in microseconds, so here every frame is inflated
// synchronously, as the official (Rust) client does, by one long-lived inflater per connection (pako, zlib's
// algorithm in JavaScript: Node's synchronous zlib API closes its stream after each call, which would lose the
// window that context takeover refers back to; per-message streams with that window as a dictionary cost twice
// the CPU). A very large frame (an image in a turn's last event) blocks the loop for as long as it inflates:
// about as long as parsing its JSON, which follows anyway.

import { constants as bufferConstants } from "node:buffer";
import { Inflate, Z_SYNC_FLUSH } from "pako";
import type WebSocket from "ws";

/** RFC 7692 §7.2.2: the sender strips this from every message; the receiver appends it. */
const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

type Callback = (err: Error | null, data?: Buffer) => void;

/** The part of `ws`'s PerMessageDeflate this replaces (ws/lib/permessage-deflate.js). */
interface PerMessageDeflateLike {
  params: Record<string, unknown> | null;
  decompress(data: Buffer, fin: boolean, callback: Callback): void;
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

/**
 * Makes the frames a client `ws` socket receives inflate as described above. Call it on 'open' (before the first
 * frame is read). Returns false, leaving `ws` as it is, when permessage-deflate was not negotiated or `ws` is not
 * shaped as expected (its own inflater then keeps working, only slower).
 */
export function inflateInline(ws: WebSocket, maxPayload: number): boolean {
  const extensions = (ws as unknown as { _extensions?: Record<string, unknown> })._extensions;
  const pmd = extensions?.["permessage-deflate"] as PerMessageDeflateLike | undefined;
  if (!pmd || typeof pmd.decompress !== "function" || pmd.params === null || typeof pmd.params !== "object")
    return false;
  const inflater = new MessageInflater({
    contextTakeover: pmd.params.server_no_context_takeover !== true,
    maxOutputLength: maxPayload > 0 ? maxPayload : bufferConstants.MAX_LENGTH,
  });
  pmd.decompress = (data, fin, callback) => {
    let out: Buffer;
    try {
      out = inflater.inflate(data, fin);
    } catch (err) {
      queueMicrotask(() => callback(err as Error));
      return;
    }
    // `ws` expects the answer later, never from inside its own call (its receiver loop is not re-entrant).
    queueMicrotask(() => callback(null, out));
  };
  return true;
}
