// Turns an async iterable of text into a byte stream for a streaming Response. Pull-based, so a slow client slows
// the reading of the backend (backpressure) instead of the relay buffering the answer. Cancelling the stream (the
// client went away) aborts the backend request at once through `abort`, even while a read is pending.

const encoder = new TextEncoder();

export function textStream(
  source: AsyncIterable<string>,
  abort: AbortController,
): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await it.next();
          if (done) controller.close();
          else controller.enqueue(encoder.encode(value));
        } catch (err) {
          controller.error(err);
        }
      },
      cancel() {
        abort.abort();
        void it.return?.(undefined)?.catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/** An AbortController that follows `parent` (the incoming request's signal) and can also be aborted on its own. */
export function linkedAbort(parent: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  if (parent) {
    if (parent.aborted) controller.abort();
    else parent.addEventListener("abort", () => controller.abort(), { once: true });
  }
  return controller;
}
