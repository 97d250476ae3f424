// The memory all in-flight request bodies may hold together. BODY_LIMIT bounds one body; without a bound on their sum,
// thirty concurrent 49 MB bodies (each held as bytes, as a string, parsed, and serialised again for the backend)
// exhaust the heap and take every open stream down with the process. A body is counted from its first byte until
// its request is answered; one that does not fit is refused with 503 instead.

export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Takes `bytes` from the budget; false (nothing taken) when they do not fit. */
  tryReserve(bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** Bytes held right now. */
  get inUse(): number {
    return this.used;
  }
}

/** The default when BODY_MEMORY_LIMIT is not set and the runtime has no better figure. */
export const DEFAULT_BODY_MEMORY_LIMIT = 256 * 1024 * 1024;
