// Keep-alive for streams whose backend may be silent for a long time (a model reasoning without a summary): a
// keep-alive frame goes out whenever nothing else did for `intervalMs`, so that clients and proxies in between do
// not time the connection out. The source is read without a second reader: a pending read is carried over, never
// started twice.

const TICK = Symbol("tick");

export async function* withKeepAlive(
  source: AsyncIterable<string>,
  intervalMs: number,
  keepAliveFrame: string,
): AsyncGenerator<string> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<string>> | null = null;
  try {
    for (;;) {
      pending ??= it.next();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<typeof TICK>(
        (resolve) => (timer = setTimeout(() => resolve(TICK), intervalMs)),
      );
      const r = await Promise.race([pending, tick]).finally(() => clearTimeout(timer));
      if (r === TICK) {
        yield keepAliveFrame;
        continue;
      }
      pending = null;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    if (pending) pending.catch(() => {});
    await it.return?.(undefined)?.catch(() => {});
  }
}

export interface Peeked<T> {
  /** The items read so far. */
  head: T[];
  /** The rest of the source, starting after `head` (with a read still pending when the wait ran out). */
  rest: AsyncIterable<T>;
}

/**
 * Reads items while `isPreamble(item)` holds, up to `waitMs`: the caller can decide on the first real item (an
 * error before any output can still become an HTTP status) without holding the stream back for long.
 */
export async function peek<T>(
  source: AsyncIterable<T>,
  isPreamble: (item: T) => boolean,
  waitMs: number,
): Promise<Peeked<T>> {
  const it = source[Symbol.asyncIterator]();
  const head: T[] = [];
  let pending: Promise<IteratorResult<T>> | null;
  let ended = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TICK>((resolve) => (timer = setTimeout(() => resolve(TICK), waitMs)));
  try {
    for (;;) {
      pending = it.next();
      const r = await Promise.race([pending, deadline]);
      if (r === TICK) break;
      if (r.done) {
        pending = null;
        ended = true;
        break;
      }
      head.push(r.value);
      pending = null;
      if (!isPreamble(r.value)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  const carried = pending;
  async function* rest(): AsyncGenerator<T> {
    try {
      if (ended) return;
      if (carried) {
        const r = await carried;
        if (r.done) return;
        yield r.value;
      }
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.(undefined)?.catch(() => {});
    }
  }
  return { head, rest: rest() };
}
