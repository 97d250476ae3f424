// Inflating the backend's permessage-deflate frames on the event loop instead of zlib's thread pool (Node, `ws`).
//
// Why: `ws` inflates every compressed frame through zlib's asynchronous stream API, three thread-pool round trips
// per frame (the data, the 4-byte trailer, the flush). A turn's answer is a few dozen small frames read one after
// the other, and on a busy machine each round trip waits for a core: the tool call at the end of the answer reached
// the client milliseconds late. A small frame inflates in microseconds, so here it is done synchronously, as the
// official (Rust) client does. Context takeover is kept without a long-lived zlib stream (Node's synchronous API
// closes its stream after each call): every message is inflated on its own with the last 32 KB the backend sent
// as the dictionary, which is exactly the window its deflater may refer back to. Frames over INLINE_LIMIT go to
// the thread pool the same way, in one round trip instead of three, so a large frame does not block the loop.

import { constants as bufferConstants } from "node:buffer";
import zlib from "node:zlib";
import type WebSocket from "ws";

/** Compressed bytes up to which a message is inflated synchronously. */
export const INLINE_LIMIT = 64 * 1024;
/** The largest LZ77 window permessage-deflate allows (2^15): what a deflater with context takeover refers back to. */
const WINDOW = 32 * 1024;
/** RFC 7692 §7.2.2: the sender strips this from every message; the receiver appends it. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

type Callback = (err: Error | null, data?: Buffer) => void;

/** The part of `ws`'s PerMessageDeflate this replaces (ws/lib/permessage-deflate.js). */
interface PerMessageDeflateLike {
  params: Record<string, unknown> | null;
  decompress(data: Buffer, fin: boolean, callback: Callback): void;
}

/**
 * The inflater of one connection: `inflate(compressed, fin)` gives a message's text bytes (or an empty buffer for a
 * fragment that does not end it: fragments are joined first, as a deflate block may span them).
 */
export class MessageInflater {
  private window: Buffer | null = null;
  private fragments: Buffer[] = [];

  constructor(private readonly options: { contextTakeover: boolean; maxOutputLength: number }) {}

  /** Synchronously; throws on damaged data or a message over maxOutputLength. */
  inflateSync(data: Buffer, fin: boolean): Buffer {
    const input = this.collect(data, fin);
    if (input === null) return Buffer.alloc(0);
    return this.keep(zlib.inflateRawSync(input, this.zlibOptions()));
  }

  /** On the thread pool, for large messages. */
  inflateAsync(data: Buffer, fin: boolean, callback: Callback): void {
    const input = this.collect(data, fin);
    if (input === null) return queueMicrotask(() => callback(null, Buffer.alloc(0)));
    zlib.inflateRaw(input, this.zlibOptions(), (err, out) =>
      err ? callback(err) : callback(null, this.keep(out)),
    );
  }

  private collect(data: Buffer, fin: boolean): Buffer | null {
    this.fragments.push(data);
    if (!fin) return null;
    this.fragments.push(TRAILER);
    const input = Buffer.concat(this.fragments);
    this.fragments = [];
    return input;
  }

  private zlibOptions(): zlib.ZlibOptions {
    return {
      windowBits: 15,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: this.options.maxOutputLength,
      ...(this.window ? { dictionary: this.window } : {}),
    };
  }

  /** Remembers the tail of what was inflated: the next message may refer back into it. */
  private keep(out: Buffer): Buffer {
    if (!this.options.contextTakeover) return out;
    const previous = this.window;
    if (out.length >= WINDOW || !previous)
      this.window = Buffer.from(out.subarray(Math.max(0, out.length - WINDOW)));
    else {
      const joined = Buffer.concat([previous, out]);
      this.window = joined.length > WINDOW ? joined.subarray(joined.length - WINDOW) : joined;
    }
    return out;
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
    if (data.length > INLINE_LIMIT) return inflater.inflateAsync(data, fin, callback);
    let out: Buffer;
    try {
      out = inflater.inflateSync(data, fin);
    } catch (err) {
      queueMicrotask(() => callback(err as Error));
      return;
    }
    // `ws` expects the answer later, never from inside its own call (its receiver loop is not re-entrant).
    queueMicrotask(() => callback(null, out));
  };
  return true;
}
