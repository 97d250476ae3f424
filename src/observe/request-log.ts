// The last requests the relay served, newest first, for the status page. A fixed ring: recording is one array
// write, memory never grows.

export interface RequestEntry {
  id: string;
  /** When the request arrived (ISO). */
  at: string;
  method: string;
  /** The route's pattern (`/v1/models/{id}`), never the raw path: bounded, and no client data. */
  route: string;
  model: string | null;
  effort: string | null;
  status: number;
  /** Whole request, until the last byte of a stream. */
  latencyMs: number;
  /** Until the backend's first event; null when the request did not reach the backend. */
  ttfbMs: number | null;
  inputTokens: number | null;
  cachedInputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  /** Fingerprint of the ChatGPT account used, never the id itself. */
  account: string | null;
  /** The error code when the request or its turn failed (also mid-stream, where the status is already 200). */
  error: string | null;
  stream: boolean;
}

export class RequestLog {
  private readonly ring: (RequestEntry | undefined)[];
  private next = 0;

  constructor(readonly capacity = 50) {
    this.ring = new Array<RequestEntry | undefined>(capacity);
  }

  add(entry: RequestEntry): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  list(): RequestEntry[] {
    const out: RequestEntry[] = [];
    for (let i = 1; i <= this.capacity; i++) {
      const e = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (e) out.push(e);
    }
    return out;
  }
}
