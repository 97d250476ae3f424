// A simulated network link between a client and the fake backend: a round-trip delay and an uplink of limited
// bandwidth shared by everything the client sends, so that upload time is real in tests and the benchmark. The
// fake waits, before it answers, for the time the request's bytes would have taken to arrive plus one round trip.

import { sleep } from "./http-util.ts";

export interface LinkOptions {
  /** Round-trip time, ms. */
  rttMs: number;
  /** Uplink bandwidth, bits per second (0 or absent: unlimited). */
  uplinkBitsPerSecond?: number;
}

export class SimulatedLink {
  /** Bytes the client sent over the link (request bodies and WebSocket frames). */
  bytesUp = 0;
  private uplinkFreeAt = 0;

  constructor(readonly options: LinkOptions) {}

  /** Waits until `bytes` sent now would have arrived and the answer's first byte would be back. */
  async upload(bytes: number): Promise<void> {
    this.bytesUp += bytes;
    const now = performance.now();
    const bps = this.options.uplinkBitsPerSecond ?? 0;
    const sendMs = bps > 0 ? (bytes * 8 * 1000) / bps : 0;
    const arrives = Math.max(now, this.uplinkFreeAt) + sendMs;
    this.uplinkFreeAt = arrives;
    await sleep(arrives - now + this.options.rttMs);
  }

  /** A new connection's handshakes (TCP, then the WebSocket upgrade): two round trips. */
  async connect(): Promise<void> {
    await sleep(2 * this.options.rttMs);
  }
}
